"""Public randomness from drand: a published beacon record checked offline.

A record (``drand-record/1``, the layout of ``shared/beacons``) holds a chain's
information (the v1 ``/info`` document) and one beacon (``round``, ``randomness``,
``signature``, and ``previous_signature`` on a chained chain). It is checked against a
*pinned* chain hash, with no network:

1. ``chain info``: SHA-256 over the chain information as drand's ``Info.Hash`` defines
   it (u32 period ‖ i64 genesis time ‖ public key ‖ group hash ‖ beacon id unless
   "default") equals the record's ``hash`` and the pinned one; this pins the public key.
2. ``beacon round``: the record's round is the round expected (named before the freeze).
3. ``randomness``: SHA-256 of the signature.
4. ``signature``: the BLS signature over the round's message verifies with the chain's
   key: ``pedersen-bls-chained`` signs SHA-256(previous signature ‖ u64 round) on G2 with
   a G1 key; ``pedersen-bls-unchained`` SHA-256(u64 round) likewise;
   ``bls-unchained-g1-rfc9380`` (quicknet) SHA-256(u64 round) on G1 with a G2 key
   (RFC 9380 hash to curve, DST ``BLS_SIG_BLS12381G{1,2}_XMD:SHA-256_SSWU_RO_NUL_``).

The pairing check uses ``py_ecc`` (pure Python, the Ethereum Foundation's; imported only
here, only when a signature is checked, so the notary's verifier never needs it). Every
length and every hex string is checked before any point reaches it; whatever it raises
on a bad point counts as a failed signature, never a crash.
"""

from __future__ import annotations

import hashlib
import re
import struct
import sys
from dataclasses import dataclass
from typing import Any

QUICKNET = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
DEFAULT_CHAIN = "8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce"
PINNED_CHAINS = {QUICKNET: "quicknet", DEFAULT_CHAIN: "default"}
"""The drand chains a round may name, by chain hash (the League of Entropy's mainnet)."""
CHAIN_CLOCKS = {QUICKNET: (1692803367, 3), DEFAULT_CHAIN: (1595431050, 30)}
"""Genesis time (Unix seconds) and period of each pinned chain (covered by its hash)."""


def round_time(chain: str, round_number: int) -> int:
    """When ``round_number`` of a pinned chain is published (Unix seconds). Raises KeyError."""
    genesis, period = CHAIN_CLOCKS[chain]
    return genesis + (round_number - 1) * period


RECORD_FORMAT = "drand-record/1"
CHAINED = "pedersen-bls-chained"
UNCHAINED = "pedersen-bls-unchained"
G1_RFC9380 = "bls-unchained-g1-rfc9380"
_DST_G1 = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")
_MAX_ROUND = 2**63 - 1


class BeaconRecordError(ValueError):
    """The record cannot be read as a drand record at all (malformed: exit status 2)."""


@dataclass(frozen=True, slots=True)
class BeaconCheck:
    name: str
    ok: bool
    detail: str = ""
    skipped: bool = False  # not run (the BLS check without py_ecc, when allowed): ok, and said so


@dataclass(frozen=True, slots=True)
class BeaconRecord:
    chain_hash: str  # as stated by the record
    scheme: str
    beacon_id: str
    period: int
    genesis_time: int
    public_key: bytes
    group_hash: bytes
    round: int
    randomness: bytes
    signature: bytes
    previous_signature: bytes | None

    def round_time(self) -> int:
        """The round's publication time (Unix seconds): genesis + (round - 1) * period."""
        return self.genesis_time + (self.round - 1) * self.period


@dataclass(frozen=True, slots=True)
class BeaconReport:
    record: BeaconRecord
    checks: tuple[BeaconCheck, ...]

    @property
    def valid(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> tuple[BeaconCheck, ...]:
        return tuple(c for c in self.checks if not c.ok)


def _hex(value: Any, where: str, sizes: tuple[int, ...]) -> bytes:
    if type(value) is not str or not _HEX.fullmatch(value):
        raise BeaconRecordError(f"{where} must be hex")
    raw = bytes.fromhex(value)
    if len(raw) not in sizes:
        raise BeaconRecordError(f"{where} must be {' or '.join(map(str, sizes))} bytes")
    return raw


def _int(value: Any, where: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise BeaconRecordError(f"{where} must be an integer from {low} to {high}")
    return value


def parse_record(value: Any) -> BeaconRecord:
    """A parsed ``drand-record/1`` value. Raises BeaconRecordError when malformed."""
    if type(value) is not dict or value.get("format") != RECORD_FORMAT:
        raise BeaconRecordError(f"not a {RECORD_FORMAT} record")
    info, beacon = value.get("chain_info"), value.get("beacon")
    if type(info) is not dict or type(beacon) is not dict:
        raise BeaconRecordError("a record holds chain_info and beacon objects")
    scheme = info.get("schemeID")
    if scheme not in (CHAINED, UNCHAINED, G1_RFC9380):
        raise BeaconRecordError(f"unknown scheme {scheme!r}")
    metadata = info.get("metadata", {})
    beacon_id = metadata.get("beaconID", "") if type(metadata) is dict else None
    if type(beacon_id) is not str:
        raise BeaconRecordError("chain_info.metadata.beaconID must be text")
    key_size, sig_size = (96, 48) if scheme == G1_RFC9380 else (48, 96)
    chained = scheme == CHAINED
    previous = beacon.get("previous_signature")
    if chained and previous is None:
        raise BeaconRecordError("a chained beacon carries previous_signature")
    return BeaconRecord(
        chain_hash=_hex(info.get("hash"), "chain_info.hash", (32,)).hex(),
        scheme=scheme,
        beacon_id=beacon_id,
        period=_int(info.get("period"), "chain_info.period", 1, 2**32 - 1),
        genesis_time=_int(info.get("genesis_time"), "chain_info.genesis_time", 0, 2**62),
        public_key=_hex(info.get("public_key"), "chain_info.public_key", (key_size,)),
        group_hash=_hex(info.get("groupHash"), "chain_info.groupHash", (32,)),
        round=_int(beacon.get("round"), "beacon.round", 1, _MAX_ROUND),
        randomness=_hex(beacon.get("randomness"), "beacon.randomness", (32,)),
        signature=_hex(beacon.get("signature"), "beacon.signature", (sig_size,)),
        # Round 1 of a chained chain follows the genesis seed (32 bytes), later rounds a signature.
        previous_signature=(
            _hex(previous, "beacon.previous_signature", (32, sig_size)) if chained else None
        ),
    )


def chain_hash(record: BeaconRecord) -> str:
    """drand's ``Info.Hash`` of the record's chain information (hex)."""
    data = (
        struct.pack(">I", record.period)
        + struct.pack(">q", record.genesis_time)
        + record.public_key
        + record.group_hash
    )
    if record.beacon_id not in ("", "default"):
        data += record.beacon_id.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def beacon_message(record: BeaconRecord) -> bytes:
    """The 32 bytes the round's signature signs."""
    round_bytes = struct.pack(">Q", record.round)
    if record.scheme == CHAINED:
        return hashlib.sha256((record.previous_signature or b"") + round_bytes).digest()
    return hashlib.sha256(round_bytes).digest()


def _bls_valid(record: BeaconRecord) -> bool:
    """The pairing check (py_ecc). Raises ImportError when py_ecc is not installed."""
    # Importing py_ecc raises the interpreter's recursion limit to 100,000 for good; a
    # verifier that then parses a deeply nested bundle overflows the C stack and dies
    # instead of refusing it. Keep the limit the process had.
    limit = sys.getrecursionlimit()
    try:
        return _pairing_check(record)
    finally:
        sys.setrecursionlimit(limit)


def _pairing_check(record: BeaconRecord) -> bool:
    from eth_typing import BLSPubkey, BLSSignature  # noqa: PLC0415  (py_ecc's own dependency)
    from py_ecc.bls.ciphersuites import G2Basic  # noqa: PLC0415
    from py_ecc.bls.g2_primitives import (  # noqa: PLC0415
        pubkey_to_G1,
        signature_to_G2,
        subgroup_check,
    )
    from py_ecc.bls.hash_to_curve import hash_to_G1  # noqa: PLC0415
    from py_ecc.optimized_bls12_381 import optimized_curve, optimized_pairing  # noqa: PLC0415

    message = beacon_message(record)
    try:
        if record.scheme != G1_RFC9380:
            return bool(
                G2Basic.Verify(
                    BLSPubkey(record.public_key), message, BLSSignature(record.signature)
                )
            )
        # Signature on G1 and key on G2 (the roles of G2Basic swapped); both points are
        # decompressed with the same checks G2Basic applies to its own.
        sig = pubkey_to_G1(BLSPubkey(record.signature))
        key = signature_to_G2(BLSSignature(record.public_key))
        if not subgroup_check(sig) or not subgroup_check(key):
            return False
        hashed = hash_to_G1(message, _DST_G1, hashlib.sha256)  # type: ignore[arg-type]  # a constructor, as py_ecc passes it
        # e(sig, g2) == e(H(m), key)  <=>  e(sig, -g2) * e(H(m), key) == 1
        pair = optimized_pairing.pairing
        product = pair(
            optimized_curve.neg(optimized_curve.G2), sig, final_exponentiate=False
        ) * pair(key, hashed, final_exponentiate=False)
        return bool(optimized_pairing.final_exponentiate(product) == type(product).one())
    except (ValueError, TypeError, ArithmeticError, AssertionError):
        return False  # a point not on the curve, not in the subgroup, or not a point at all


def check_record(
    record: BeaconRecord,
    *,
    chain: str | None = None,
    round_number: int | None = None,
    bls_if_installed: bool = False,
) -> BeaconReport:
    """Steps 1-4 of the module docstring, every one run and named.

    ``chain`` is the pinned chain hash the round named (default: any of ``PINNED_CHAINS``),
    ``round_number`` the round it named (default: not checked). Raises ImportError (with
    the message to install ``py_ecc``) when the pairing library is missing, unless
    ``bls_if_installed``: then the ``signature`` check is reported as skipped (the
    notary's one-file verifier, which needs only ``cryptography``).
    """
    checks: list[BeaconCheck] = []
    computed = chain_hash(record)
    pinned = {chain.lower()} if chain else set(PINNED_CHAINS)
    if computed != record.chain_hash:
        checks.append(
            BeaconCheck(
                "chain info",
                False,
                f"the chain information hashes to {computed}, "
                f"the record states {record.chain_hash}",
            )
        )
    elif computed not in pinned:
        checks.append(BeaconCheck("chain info", False, f"chain {computed} is not the pinned chain"))
    else:
        checks.append(BeaconCheck("chain info", True, PINNED_CHAINS.get(computed, computed)))
    if round_number is not None:
        ok = record.round == round_number
        checks.append(
            BeaconCheck(
                "beacon round",
                ok,
                ""
                if ok
                else f"the record is round {record.round}, the round named is {round_number}",
            )
        )
    ok = hashlib.sha256(record.signature).digest() == record.randomness
    checks.append(
        BeaconCheck("randomness", ok, "" if ok else "randomness is not SHA-256 of the signature")
    )
    try:
        ok = _bls_valid(record)
    except ImportError as exc:
        if bls_if_installed:
            checks.append(
                BeaconCheck(
                    "signature",
                    True,
                    "BLS check skipped: py_ecc is not installed (pip install 'py_ecc>=8'); "
                    "chain, round and randomness = SHA-256(signature) were checked",
                    skipped=True,
                )
            )
            return BeaconReport(record, tuple(checks))
        raise ImportError(
            "checking a drand signature needs py_ecc (pip install 'py_ecc>=8'); "
            f"it is not installed: {exc}"
        ) from None
    checks.append(
        BeaconCheck(
            "signature",
            ok,
            ""
            if ok
            else f"the BLS signature of round {record.round} does not verify with the chain's key",
        )
    )
    return BeaconReport(record, tuple(checks))
