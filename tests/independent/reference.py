"""Draw protocol v1, written a second time from the protocol text alone.

This is the "independent implementation" the foundation issue asks for: what a
notary's programmer would write with nothing but the normative text of draw
protocol v1 (foundation issue, amended by the preference-first issue).  It was written without looking at
``lottery/`` or ``seeding/`` and deliberately does things the plain, slow way:

* the Merkle root is the literal recursive RFC 6962 definition;
* deferred acceptance is the textbook loop of proposals, one at a time;
* preference-first follows the text sentence by sentence;
* canonical JSON is ``json.dumps(sort_keys=True, ...)`` after a domain check.

Only the standard library and ``cryptography`` are used.  Inputs are small in
the tests, so nothing here is tuned for speed.
"""

from __future__ import annotations

import hashlib
import json
import random
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

FORMAT = "paiwei-draw/1"
DEFERRED_ACCEPTANCE = "deferred-acceptance"
PREFERENCE_FIRST = "preference-first"
MECHANISMS = (DEFERRED_ACCEPTANCE, PREFERENCE_FIRST)
MAX_INT = 2**53 - 1


# --- primitives -------------------------------------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def TH(tag: str, m: bytes) -> bytes:  # the protocol's own name
    """TH(tag, m) = SHA256(SHA256(tag) || SHA256(tag) || m), tag ASCII."""
    tag_hash = sha256(tag.encode("ascii"))
    return sha256(tag_hash + tag_hash + m)


def u32(n: int) -> bytes:
    """4-byte big-endian."""
    return n.to_bytes(4, "big")


def text(s: str) -> bytes:
    """Text is NFC-normalised UTF-8."""
    return unicodedata.normalize("NFC", s).encode("utf-8")


def F(x: bytes | str) -> bytes:  # the protocol's own name
    """F(x) = u32(len(x)) || x, with text turned into NFC UTF-8 first."""
    data = text(x) if isinstance(x, str) else x
    return u32(len(data)) + data


# --- canonical JSON -----------------------------------------------------------


class OutsideDomain(ValueError):
    """A value the protocol's JSON domain does not allow."""


def check_domain(value: Any) -> None:
    """ASCII keys, integers within +-(2^53 - 1), valid Unicode, no floats."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_INT:
            raise OutsideDomain(f"integer out of range: {value}")
        return
    if isinstance(value, float):
        raise OutsideDomain("floats are not allowed")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise OutsideDomain("lone surrogate in a string") from exc
        return
    if isinstance(value, list | tuple):
        for item in value:
            check_domain(item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise OutsideDomain(f"object key is not ASCII text: {key!r}")
            check_domain(item)
        return
    raise OutsideDomain(f"not a JSON value: {type(value).__name__}")


def jcs(value: Any) -> bytes:
    """RFC 8785 for the protocol's domain, as the clarification says."""
    check_domain(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


# --- Merkle roots and the input root ------------------------------------------


def MTH(leaves: list[bytes]) -> bytes:  # the protocol's own name
    """RFC 6962 Merkle tree hash, literally as defined."""
    n = len(leaves)
    if n == 0:
        return TH("paiwei/v1/empty", b"")
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return TH("paiwei/v1/node", MTH(leaves[:k]) + MTH(leaves[k:]))


def records_root(records: Sequence[Mapping[str, Any]]) -> bytes:
    ordered = sorted(records, key=lambda r: r["id"].encode("utf-8"))
    return MTH([TH("paiwei/v1/leaf", jcs(dict(r))) for r in ordered])


def input_root(
    draw_id: str, schools: Sequence[Mapping[str, Any]], applicants: Sequence[Mapping[str, Any]]
) -> bytes:
    return TH("paiwei/v1/inputs", F(draw_id) + records_root(schools) + records_root(applicants))


# --- ceremony -----------------------------------------------------------------


def commitment(draw_id: str, contributor: str, nonce: bytes, value: bytes) -> bytes:
    return TH("paiwei/v1/commit", F(draw_id) + F(contributor) + F(nonce) + F(value))


def seed(draw_id: str, root: bytes, contributions: Sequence[tuple[str, bytes]]) -> bytes:
    """contributions: (contributor, value) pairs, in any order."""
    message = F(draw_id) + root
    for contributor, value in sorted(contributions, key=lambda c: c[0].encode("utf-8")):
        message += F(contributor) + F(value)
    return TH("paiwei/v1/seed", message)


def ticket(seed_bytes: bytes, applicant_id: str) -> bytes:
    return TH("paiwei/v1/ticket", seed_bytes + F(applicant_id))


# --- mechanisms ---------------------------------------------------------------


def _ranking_key(applicant: Mapping[str, Any], school: str, tickets: Mapping[str, bytes]) -> Any:
    """How a school orders applicants: (priority there, ticket, id bytes)."""
    aid = applicant["id"]
    return (applicant["priority"][school], tickets[aid], aid.encode("utf-8"))


def deferred_acceptance(
    schools: Sequence[Mapping[str, Any]],
    applicants: Sequence[Mapping[str, Any]],
    tickets: Mapping[str, bytes],
) -> dict[str, str | None]:
    """Applicant-proposing deferred acceptance, one proposal at a time."""
    by_id = {a["id"]: a for a in applicants}
    capacity = {s["id"]: s["capacity"] for s in schools}
    held: dict[str, list[str]] = {sid: [] for sid in capacity}
    next_choice = dict.fromkeys(by_id, 0)
    free = list(by_id)
    while free:
        aid = free.pop()
        choices = by_id[aid]["choices"]
        if next_choice[aid] == len(choices):
            continue  # rejected everywhere it asked: stays unplaced
        school = choices[next_choice[aid]]
        next_choice[aid] += 1
        held[school].append(aid)
        held[school].sort(key=lambda x, s=school: _ranking_key(by_id[x], s, tickets))
        while len(held[school]) > capacity[school]:
            free.append(held[school].pop())  # the school's worst is rejected
    placed: dict[str, str | None] = dict.fromkeys(by_id)
    for school, holders in held.items():
        for aid in holders:
            placed[aid] = school
    return placed


def preference_first(
    schools: Sequence[Mapping[str, Any]],
    applicants: Sequence[Mapping[str, Any]],
    tickets: Mapping[str, bytes],
) -> dict[str, str | None]:
    """志愿优先, step by step as the amended text says."""
    seats_left = {s["id"]: s["capacity"] for s in schools}
    placed: dict[str, str | None] = {a["id"]: None for a in applicants}
    longest = max((len(a["choices"]) for a in applicants), default=0)
    for k in range(1, longest + 1):
        # every applicant not yet placed whose list has a k-th choice applies to it
        applying: dict[str, list[Mapping[str, Any]]] = {sid: [] for sid in seats_left}
        for a in applicants:
            if placed[a["id"]] is None and len(a["choices"]) >= k:
                applying[a["choices"][k - 1]].append(a)
        # each school orders them and admits the first, up to its seats left, for good
        for school, group in applying.items():
            group.sort(key=lambda a, s=school: _ranking_key(a, s, tickets))
            admitted = group[: seats_left[school]]
            for a in admitted:
                placed[a["id"]] = school
            seats_left[school] -= len(admitted)
    return placed


def allocate(
    mechanism: str,
    schools: Sequence[Mapping[str, Any]],
    applicants: Sequence[Mapping[str, Any]],
    tickets: Mapping[str, bytes],
) -> dict[str, str | None]:
    if mechanism == DEFERRED_ACCEPTANCE:
        return deferred_acceptance(schools, applicants, tickets)
    if mechanism == PREFERENCE_FIRST:
        return preference_first(schools, applicants, tickets)
    raise ValueError(f"unknown mechanism {mechanism!r}")


# --- bundles ------------------------------------------------------------------


def bundle_digest(bundle: Mapping[str, Any]) -> bytes:
    unsigned = {key: value for key, value in bundle.items() if key != "signatures"}
    return TH("paiwei/v1/bundle", jcs(unsigned))


def raw_public_key(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def contribution_record(draw_id: str, contribution: Mapping[str, Any]) -> dict[str, str]:
    """{"contributor", "value": bytes, optional "nonce": bytes} -> its JSON form."""
    record = {"contributor": contribution["contributor"], "value": contribution["value"].hex()}
    nonce = contribution.get("nonce")
    if nonce is not None:
        record["nonce"] = nonce.hex()
        record["commitment"] = commitment(
            draw_id, contribution["contributor"], nonce, contribution["value"]
        ).hex()
    return record


def make_bundle(  # noqa: PLR0917 - the signature the brief fixes
    draw_id: str,
    schools: Sequence[Mapping[str, Any]],
    applicants: Sequence[Mapping[str, Any]],
    contributions: Sequence[Mapping[str, Any]],
    mechanism: str | None,
    signing_keys: Mapping[str, Ed25519PrivateKey],
    *,
    order_seed: int | None = 0,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A signed bundle.  ``mechanism=None`` leaves the key out (deferred acceptance).

    With ``order_seed`` set, every list of records is shuffled: the protocol
    does not fix their order, so a verifier must not depend on it.
    """
    schools = [dict(s) for s in schools]
    applicants = [dict(a) for a in applicants]
    root = input_root(draw_id, schools, applicants)
    seed_bytes = seed(draw_id, root, [(c["contributor"], c["value"]) for c in contributions])
    tickets = {a["id"]: ticket(seed_bytes, a["id"]) for a in applicants}
    placed = allocate(mechanism or DEFERRED_ACCEPTANCE, schools, applicants, tickets)
    assignments = [
        {"applicant": aid, "school": placed[aid], "ticket": tickets[aid].hex()} for aid in placed
    ]
    ceremony_contributions = [contribution_record(draw_id, c) for c in contributions]
    if order_seed is not None:
        shuffle = random.Random(order_seed).shuffle
        for records in (schools, applicants, assignments, ceremony_contributions):
            shuffle(records)
    bundle: dict[str, Any] = {
        "format": FORMAT,
        "draw_id": draw_id,
        "ceremony": {
            "input_root": root.hex(),
            "contributions": ceremony_contributions,
            "seed": seed_bytes.hex(),
        },
        "schools": schools,
        "applicants": applicants,
        "assignments": assignments,
    }
    if mechanism is not None:
        bundle["mechanism"] = mechanism
    bundle.update(extra or {})
    return sign(bundle, signing_keys)


def sign(
    bundle: Mapping[str, Any], signing_keys: Mapping[str, Ed25519PrivateKey]
) -> dict[str, Any]:
    """Replace the signatures with fresh ones by ``signing_keys`` over the rest."""
    unsigned = {key: value for key, value in bundle.items() if key != "signatures"}
    digest = bundle_digest(unsigned)
    signatures = [
        {
            "signer": name,
            "public_key": raw_public_key(key).hex(),
            "signature": key.sign(digest).hex(),
        }
        for name, key in signing_keys.items()
    ]
    return {**unsigned, "signatures": signatures}


# --- verification ---------------------------------------------------------------


def _hex(value: Any, size: int | None = None) -> bytes:
    if not isinstance(value, str) or value != value.lower():
        raise ValueError(f"not lowercase hex: {value!r}")
    data = bytes.fromhex(value)
    if size is not None and len(data) != size:
        raise ValueError(f"expected {size} bytes, got {len(data)}")
    return data


def _check_records(schools: Any, applicants: Any) -> None:
    """Raise ValueError unless the inputs have the shape the text describes."""
    school_ids = [s["id"] for s in schools]
    if len(set(school_ids)) != len(school_ids):
        raise ValueError("duplicate school id")
    for s in schools:
        if not isinstance(s["id"], str) or type(s["capacity"]) is not int or s["capacity"] < 0:
            raise ValueError(f"bad school {s!r}")
    applicant_ids = [a["id"] for a in applicants]
    if len(set(applicant_ids)) != len(applicant_ids):
        raise ValueError("duplicate applicant id")
    for a in applicants:
        if not isinstance(a["id"], str) or len(set(a["choices"])) != len(a["choices"]):
            raise ValueError(f"bad applicant {a['id']!r}")
        for school in a["choices"]:
            if school not in school_ids or type(a["priority"][school]) is not int:
                raise ValueError(f"bad choice {school!r} of {a['id']!r}")


def _parse(bundle: Mapping[str, Any]) -> dict[str, Any]:
    """Pick the bundle apart; raise KeyError/TypeError/ValueError when malformed."""
    if bundle["format"] != FORMAT:
        raise ValueError("format")
    mechanism = bundle.get("mechanism", DEFERRED_ACCEPTANCE)
    if mechanism not in MECHANISMS:
        raise ValueError("mechanism")
    jcs(dict(bundle))  # the whole bundle lies inside the JSON domain
    ceremony = bundle["ceremony"]
    _check_records(bundle["schools"], bundle["applicants"])
    contributions = ceremony["contributions"]
    names = [c["contributor"] for c in contributions]
    if len(set(names)) != len(names):
        raise ValueError("contributors are not unique")
    assignments = {a["applicant"]: a for a in bundle["assignments"]}
    if len(assignments) != len(bundle["assignments"]):
        raise ValueError("an applicant is assigned twice")
    return {
        "mechanism": mechanism,
        "draw_id": bundle["draw_id"],
        "schools": bundle["schools"],
        "applicants": bundle["applicants"],
        "values": [(c["contributor"], _hex(c["value"])) for c in contributions],
        # (contributor, nonce, value, published commitment) of the committed ones
        "openings": [
            (
                c["contributor"],
                _hex(c.get("nonce", "")),
                _hex(c["value"]),
                _hex(c.get("commitment", ""), 32),
            )
            for c in contributions
            if "commitment" in c or "nonce" in c
        ],
        "input_root": _hex(ceremony["input_root"], 32),
        "seed": _hex(ceremony["seed"], 32),
        "schools_of": {aid: a["school"] for aid, a in assignments.items()},
        "tickets": {aid: _hex(a["ticket"], 32) for aid, a in assignments.items()},
        "signatures": [
            (s["signer"], _hex(s["public_key"], 32), _hex(s["signature"], 64))
            for s in bundle["signatures"]
        ],
    }


def reference_verify(
    bundle: Mapping[str, Any], trusted_keys: Mapping[str, bytes] | None = None
) -> list[str]:
    """Names of the checks that fail; an empty list means the bundle is valid.

    A malformed bundle gives a single name starting with "malformed".
    """
    try:
        b = _parse(bundle)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return [f"malformed: {exc}"]
    draw_id = b["draw_id"]
    failed: list[str] = []
    root = input_root(draw_id, b["schools"], b["applicants"])
    if root != b["input_root"]:
        failed.append("input root")
    for contributor, nonce, value, published in b["openings"]:
        if len(nonce) < 16 or commitment(draw_id, contributor, nonce, value) != published:
            failed.append(f"commitment of {contributor}")
    seed_bytes = seed(draw_id, root, b["values"])
    if seed_bytes != b["seed"]:
        failed.append("seed")
    tickets = {a["id"]: ticket(seed_bytes, a["id"]) for a in b["applicants"]}
    if b["tickets"] != tickets:
        failed.append("tickets")
    if b["schools_of"] != allocate(b["mechanism"], b["schools"], b["applicants"], tickets):
        failed.append("assignments")
    return failed + _signature_failures(bundle, b["signatures"], trusted_keys or {})


def _signature_failures(
    bundle: Mapping[str, Any],
    signatures: list[tuple[str, bytes, bytes]],
    trusted_keys: Mapping[str, bytes],
) -> list[str]:
    """Section 17, step 7: only signers the caller trusts are checked; nobody trusted,
    nothing valid."""
    digest = bundle_digest(bundle)
    failed = [] if signatures else ["signatures"]
    for signer, public_key, signature in signatures:
        if signer not in trusted_keys:
            continue  # not checked, not a failure
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, digest)
        except InvalidSignature:
            failed.append(f"signature of {signer}")
        if public_key != trusted_keys[signer]:
            failed.append(f"key not trusted: {signer}")
    if not trusted_keys:
        failed.append("trusted signature")
    signed = {s[0] for s in signatures}
    failed.extend(f"missing signature of {name}" for name in trusted_keys if name not in signed)
    return failed
