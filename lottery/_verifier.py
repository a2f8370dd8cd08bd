"""The notary's verifier for draw protocol v1 (run as ``python -m lottery.verify BUNDLE.json``).

Runs with the standard library and ``cryptography`` alone; orjson and NumPy, when
present and not disabled, make it faster and never change its answer.

Verification steps (docs/draw-spec.md, section "Verifying a bundle"):
  0. Parse and shape-check the bundle; anything malformed raises InvalidBundle.
  1. input root: recompute MTH(schools), MTH(applicants) and the input root; compare.
  2. commitment of X: each committed contribution opens its commitment.
  3. seed: derive the seed from the stated input root and the contributions; compare.
  4. tickets: recompute every ticket from the stated seed; compare.
  5. assignments: re-run the bundle's mechanism with the recomputed tickets; compare.
  6. school results: when present, recompute the per-school summary; compare.
  7. signature of X: each signature by a signer the caller trusts verifies over the
     bundle digest; key not trusted / missing signature: against the trusted keys;
     signers the caller did not name are listed as not checked (never a failure);
     trusted signature: fails when the caller trusts no key at all, so that nothing
     is VALID by default.
"""

from __future__ import annotations

import gc
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lottery._canonical import CanonicalError, check_domain, encoder
from lottery._draw import FORMAT, REHEARSAL_PREFIX
from lottery._engine import place
from lottery._errors import InvalidBundle
from lottery._inputs import bind_inputs, leaf_hashes, root_of_leaves
from lottery._mechanisms import Mechanism
from lottery._parse import (
    TOP_KEYS,
    check_small_parts,
    hex_field,
    load_json,
    require_list,
    require_object,
    text_field,
)
from lottery._results import school_results
from lottery._scan import Scanned, TicketColumn, scan
from lottery._signing import BUNDLE_TAG, signature_valid
from lottery._table import DrawTable, applicant_table, school_columns
from lottery._tickets import tickets as compute_tickets
from seeding import (
    Contribution,
    ProtocolValueError,
    commitment_of,
    derive_seed,
    tag_state,
    text_bytes,
)


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Unchecked:
    """A signature by a signer the caller did not name: not checked against a trusted key.

    ``self_consistent`` says whether it verifies with the public key it carries, which
    proves only that *someone* holding that key signed this exact bundle.
    """

    signer: str
    public_key: str
    self_consistent: bool


@dataclass(frozen=True, slots=True)
class Report:
    """What the verifier found. ``valid`` is true when every check passed."""

    draw_id: str
    mechanism: Mechanism
    rehearsal: bool
    schools: int
    applicants: int
    placed: int
    checks: tuple[Check, ...]
    signers: tuple[str, ...] = field(default=())
    trusted: tuple[str, ...] = field(default=())
    not_checked: tuple[Unchecked, ...] = field(default=())
    after_freeze: int = -1  # contributions without a commitment (made after the freeze)
    # (contributor, value hex, committed before the freeze), in the ceremony's order
    contributions: tuple[tuple[str, str, bool], ...] = field(default=())

    @property
    def valid(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "format": FORMAT,
            "draw_id": self.draw_id,
            "mechanism": self.mechanism.value,
            "rehearsal": self.rehearsal,
            "kind": "rehearsal, not a published draw" if self.rehearsal else "draw",
            "schools": self.schools,
            "applicants": self.applicants,
            "placed": self.placed,
            "signers": list(self.signers),
            "after_freeze_contributions": self.after_freeze,
            "contributions": [
                {"contributor": name, "value": value, "committed": committed}
                for name, value, committed in self.contributions
            ],
            "trusted": list(self.trusted),
            "not_checked": [
                {
                    "signer": u.signer,
                    "public_key": u.public_key,
                    "verifies_with_own_key": u.self_consistent,
                }
                for u in self.not_checked
            ],
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
        }


class VerificationError(Exception):
    """The bundle is well formed but at least one check failed; ``report`` names them."""

    def __init__(self, report: Report) -> None:
        self.report = report
        names = ", ".join(c.name for c in report.failures)
        super().__init__(f"bundle {report.draw_id!r} failed: {names}")


@dataclass(frozen=True, slots=True)
class _Parsed:
    draw_id: str
    mechanism: Mechanism
    root: bytes
    seed: bytes
    contributions: tuple[Contribution, ...]
    table: DrawTable
    stated_schools: list[Any]
    stated_tickets: Sequence[Any]
    signatures: tuple[tuple[str, bytes, bytes], ...]


def parse_bundle(data: bytes, *, accelerate: bool = True) -> dict[str, Any]:
    """Bytes to a bundle value; raises InvalidBundle when it is not a JSON object.

    ``accelerate`` is accepted for symmetry with :func:`verify`; parsing always uses the
    standard library (see ``_parse.load_json`` for why).
    """
    del accelerate
    value = load_json(data)
    if type(value) is not dict:
        raise InvalidBundle("a bundle is a JSON object")
    return value


def _shape(bundle: Mapping[str, Any], scanned: Scanned | None = None) -> _Parsed:
    """Step 0: the bundle's shape and domain. Raises InvalidBundle.

    With ``scanned`` (a canonical file read into columns, ``_scan``), the bulk lists of
    ``bundle`` are empty placeholders and their columns come from ``scanned``.
    """
    b = require_object(bundle, "", TOP_KEYS)
    if b["format"] != FORMAT:
        raise InvalidBundle(f"format must be {FORMAT!r}", "/format")
    draw_id = text_field(b["draw_id"], "/draw_id")
    try:
        mechanism = Mechanism(b.get("mechanism", Mechanism.DEFERRED_ACCEPTANCE.value))
    except ValueError:
        raise InvalidBundle("unknown mechanism", "/mechanism") from None
    check_small_parts(b)
    try:
        text_bytes(draw_id)
    except ProtocolValueError as exc:
        raise InvalidBundle(str(exc), "/draw_id") from exc
    ceremony = require_object(b["ceremony"], "/ceremony", ("input_root", "contributions", "seed"))
    root = hex_field(ceremony["input_root"], "/ceremony/input_root", size=32)
    seed = hex_field(ceremony["seed"], "/ceremony/seed", size=32)
    contributions = _contributions(
        require_list(ceremony["contributions"], "/ceremony/contributions")
    )
    stated_tickets: Sequence[Any]
    if scanned is None:
        school_ids, caps = school_columns(b["schools"])
        table = applicant_table(school_ids, caps, b["applicants"])
        stated_schools, stated_tickets = _assignments(table, b["assignments"])
    else:
        table = scanned.table
        stated_schools, stated_tickets = scanned.stated_schools, scanned.stated_tickets
    signatures = _signatures(require_list(b["signatures"], "/signatures"))
    return _Parsed(
        draw_id,
        mechanism,
        root,
        seed,
        contributions,
        table,
        stated_schools,
        stated_tickets,
        signatures,
    )


def _contributions(items: list[Any]) -> tuple[Contribution, ...]:
    out: list[Contribution] = []
    names: set[str] = set()
    for i, item in enumerate(items):
        here = f"/ceremony/contributions/{i}"
        c = require_object(item, here, ("contributor", "value"))
        name = text_field(c["contributor"], f"{here}/contributor")
        try:
            text_bytes(name)
        except ProtocolValueError as exc:
            raise InvalidBundle(str(exc), f"{here}/contributor") from exc
        if name in names:
            raise InvalidBundle(f"contributor {name!r} appears twice", here)
        names.add(name)
        value = hex_field(c["value"], f"{here}/value")
        has_nonce, has_commitment = "nonce" in c, "commitment" in c
        if has_nonce != has_commitment:
            raise InvalidBundle("nonce and commitment come together", here)
        nonce = hex_field(c["nonce"], f"{here}/nonce", minimum=16) if has_nonce else None
        commitment = (
            hex_field(c["commitment"], f"{here}/commitment", size=32) if has_commitment else None
        )
        out.append(Contribution(name, value, nonce, commitment))
    return tuple(out)


def _assignments(table: DrawTable, items: Any) -> tuple[list[Any], list[Any]]:
    """Stated school and ticket per applicant, in table order. Raises InvalidBundle."""
    rows = require_list(items, "/assignments")
    if len(rows) != table.size:
        raise InvalidBundle("there must be one assignment per applicant", "/assignments")
    try:
        names, schools, tickets = _assignment_columns(rows)
    except (TypeError, KeyError):
        for i, r in enumerate(rows):
            require_object(r, f"/assignments/{i}", ("applicant", "school", "ticket"))
            try:  # further keys are signed, so they must lie in the domain too
                check_domain(r, f"/assignments/{i}")
            except CanonicalError as exc:
                raise InvalidBundle(str(exc)) from exc
        names = [r["applicant"] for r in rows]
        schools = [r["school"] for r in rows]
        tickets = [r["ticket"] for r in rows]
    ids = table.applicant_ids
    if names != list(ids):
        position = {a: i for i, a in enumerate(ids)}
        if (
            len(set(map(type, names)) - {str})
            or set(names) != position.keys()
            or len(set(names)) != len(names)
        ):
            raise InvalidBundle("assignments must name each applicant exactly once", "/assignments")
        by_applicant_school: list[Any] = [None] * len(ids)
        by_applicant_ticket: list[Any] = [None] * len(ids)
        for name, school, ticket in zip(names, schools, tickets, strict=True):
            by_applicant_school[position[name]] = school
            by_applicant_ticket[position[name]] = ticket
        schools, tickets = by_applicant_school, by_applicant_ticket
    known = set(table.school_ids)
    if set(map(type, schools)) - {str, type(None)} or not set(schools) - {None} <= known:
        bad = next(
            i
            for i, s in enumerate(schools)
            if s is not None and (type(s) is not str or s not in known)
        )
        raise InvalidBundle("assigned school names no school", f"/assignments/{bad}/school")
    return schools, tickets


def _assignment_columns(rows: list[Any]) -> tuple[list[Any], list[Any], list[Any]]:
    """Applicant, school and ticket of rows that are dicts of exactly those three keys.

    Raises TypeError or KeyError at the first other row. One loop that touches each
    row once is about twice as fast as five C-level passes over a million rows.
    """
    names: list[Any] = []
    schools: list[Any] = []
    tickets: list[Any] = []
    add_name, add_school, add_ticket = names.append, schools.append, tickets.append
    for row in rows:
        if type(row) is not dict or len(row) != 3:
            raise TypeError
        add_name(row["applicant"])
        add_school(row["school"])
        add_ticket(row["ticket"])
    return names, schools, tickets


def _signatures(items: list[Any]) -> tuple[tuple[str, bytes, bytes], ...]:
    out = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        here = f"/signatures/{i}"
        s = require_object(item, here, ("signer", "public_key", "signature"))
        signer = text_field(s["signer"], f"{here}/signer")
        if signer in seen:
            raise InvalidBundle(f"signer {signer!r} appears twice", here)
        seen.add(signer)
        out.append(
            (
                signer,
                hex_field(s["public_key"], f"{here}/public_key", size=32),
                hex_field(s["signature"], f"{here}/signature", size=64),
            )
        )
    return tuple(out)


def verify(
    bundle: Mapping[str, Any],
    trusted_keys: Mapping[str, bytes] | None = None,
    *,
    accelerate: bool = True,
) -> Report:
    """Verify a parsed bundle; return the report when every check passes.

    Raises InvalidBundle when the bundle is malformed and VerificationError (with
    the report) when any check fails.

    The garbage collector is paused meanwhile: a large bundle holds millions of
    objects that every collection would walk, and verification makes no cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _verify(bundle, trusted_keys, accelerate=accelerate)
    finally:
        if enabled:
            gc.enable()


def verify_data(
    data: bytes,
    trusted_keys: Mapping[str, bytes] | None = None,
    *,
    accelerate: bool = True,
) -> Report:
    """:func:`verify` of a bundle file's bytes: the same report, the same exceptions.

    With ``accelerate`` (and NumPy present), a canonical file is read straight into
    columns (``lottery._scan``: no object per record, each record's bytes hashed once,
    in place); any other file, and every file without ``accelerate``, is parsed whole
    by :func:`parse_bundle` and verified by :func:`verify`, which also names what is
    malformed.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        if accelerate:
            encode = encoder(accelerate=True)
            scanned = scan(data, encode)
            if scanned is not None:
                p = _shape(scanned.skeleton, scanned)
                roots = (
                    root_of_leaves(scanned.schools_root_leaves, p.table.school_ids),
                    scanned.applicants_root,
                )
                return _checks(
                    p,
                    scanned.skeleton,
                    scanned.digest,
                    roots,
                    trusted_keys=trusted_keys,
                    encode=encode,
                    accelerate=accelerate,
                )
        return _verify(parse_bundle(data), trusted_keys, accelerate=accelerate)
    finally:
        if enabled:
            gc.enable()


def _verify(
    bundle: Mapping[str, Any], trusted_keys: Mapping[str, bytes] | None, *, accelerate: bool
) -> Report:
    p = _shape(bundle)  # step 0
    encode = encoder(accelerate=accelerate)
    # the signature digest of step 7 is computed on the same pass as the input root's leaves
    digest, schools_root, applicants_root = _digest_and_roots(bundle, p.table, encode)
    return _checks(
        p,
        bundle,
        digest,
        (schools_root, applicants_root),
        trusted_keys=trusted_keys,
        encode=encode,
        accelerate=accelerate,
    )


def _checks(
    p: _Parsed,
    bundle: Mapping[str, Any],
    digest: bytes,
    roots: tuple[bytes, bytes],
    *,
    trusted_keys: Mapping[str, bytes] | None,
    encode: Callable[[Any], bytes],
    accelerate: bool,
) -> Report:
    """Steps 1 to 7 on the shape-checked bundle (its bulk lists are not read here)."""
    table = p.table
    checks: list[Check] = []

    # 1. input root
    schools_root, applicants_root = roots
    root = bind_inputs(p.draw_id, schools_root, applicants_root)
    checks.append(
        Check(
            "input root",
            hmac.compare_digest(root, p.root),
            "" if root == p.root else f"records give {root.hex()}, bundle states {p.root.hex()}",
        )
    )

    # 2. commitment of X
    for c in p.contributions:
        if c.nonce is not None and c.commitment is not None:
            expected = commitment_of(p.draw_id, c.contributor, c.nonce, c.value)
            checks.append(
                Check(
                    f"commitment of {c.contributor}",
                    hmac.compare_digest(expected, c.commitment),
                    ""
                    if expected == c.commitment
                    else "the revealed value and nonce do not open it",
                )
            )

    # 3. seed
    if p.contributions:
        seed = derive_seed(p.draw_id, p.root, p.contributions)
        checks.append(
            Check(
                "seed",
                seed == p.seed,
                ""
                if seed == p.seed
                else f"contributions give {seed.hex()}, bundle states {p.seed.hex()}",
            )
        )
    else:
        checks.append(Check("seed", False, "no contribution: the seed would be predictable"))

    # 4. tickets
    tickets = compute_tickets(p.seed, table.applicant_ids)
    wrong_tickets = _wrong_tickets(tickets, p.stated_tickets)
    checks.append(
        Check(
            "tickets",
            wrong_tickets == 0,
            f"{wrong_tickets} tickets differ" if wrong_tickets else f"{len(tickets)} tickets",
        )
    )

    # 5. assignments
    placement = place(p.mechanism, table, tickets, accelerate=accelerate)
    names: list[str | None] = [*table.school_ids, None]
    computed = list(map(names.__getitem__, _int_list(placement.school)))
    wrong = _count_differences(computed, p.stated_schools)
    checks.append(
        Check(
            "assignments",
            wrong == 0,
            f"{wrong} assignments differ under {p.mechanism.value}"
            if wrong
            else f"{table.size} assignments under {p.mechanism.value}",
        )
    )

    # 6. school results (optional key)
    if "school_results" in bundle:
        expected_results = school_results(table, placement, tickets, accelerate=accelerate)
        # Compared as canonical JSON: Python's == would take true for 1 and false for 0.
        ok = encode(bundle["school_results"]) == encode(expected_results)
        checks.append(Check("school results", ok, "" if ok else "per-school summary differs"))

    # 7. signatures (digest computed in step 1)
    trusted = dict(trusted_keys) if trusted_keys else None
    signature_checks, not_checked = _signature_checks(p.signatures, digest, trusted)
    checks.extend(signature_checks)

    report = Report(
        draw_id=p.draw_id,
        mechanism=p.mechanism,
        rehearsal=p.draw_id.startswith(REHEARSAL_PREFIX),
        schools=len(table.school_ids),
        applicants=table.size,
        placed=len(computed) - computed.count(None),
        checks=tuple(checks),
        signers=tuple(s[0] for s in p.signatures),
        trusted=tuple(trusted or ()),
        not_checked=not_checked,
        after_freeze=sum(1 for c in p.contributions if c.commitment is None),
        contributions=tuple(
            (c.contributor, c.value.hex(), c.commitment is not None) for c in p.contributions
        ),
    )
    if not report.valid:
        raise VerificationError(report)
    return report


def _digest_and_roots(
    bundle: Mapping[str, Any], table: DrawTable, encode: Callable[[Any], bytes]
) -> tuple[bytes, bytes, bytes]:
    """Signature digest, schools root and applicants root from one canonical encoding.

    TH("paiwei/v1/bundle", JCS(bundle without "signatures")) is hashed piece by piece
    (keys in order, large lists in slices), so the encoding is never held whole; the
    encoding of each school and applicant record feeds its Merkle leaf on the way. Keys
    are ASCII (checked in step 0), where JCS's key order is Python's string order.
    """
    h = tag_state(BUNDLE_TAG).copy()
    update = h.update
    roots: dict[str, bytes] = {}
    update(b"{")
    separator = b""
    for key in sorted(k for k in bundle if k != "signatures"):
        update(separator)
        update(encode(key))
        update(b":")
        separator = b","
        value = bundle[key]
        if key == "schools":
            roots[key] = root_of_leaves(leaf_hashes(value, encode, update), table.school_ids)
        elif key == "applicants":
            roots[key] = root_of_leaves(leaf_hashes(value, encode, update), table.applicant_ids)
        elif type(value) is list and len(value) > _SLICE:
            update(b"[")
            for start in range(0, len(value), _SLICE):
                update(b"," if start else b"")
                update(memoryview(encode(value[start : start + _SLICE]))[1:-1])
            update(b"]")
        else:
            update(encode(value))
    update(b"}")
    return h.digest(), roots["schools"], roots["applicants"]


_SLICE = 8192  # records per encoder call when a large list is hashed in slices


def _int_list(values: Sequence[int]) -> list[int]:
    """Plain ints from a list or a NumPy array (``tolist`` converts in one call)."""
    tolist = getattr(values, "tolist", None)
    return list(tolist()) if tolist is not None else list(map(int, values))


def _wrong_tickets(computed: Sequence[bytes], stated: Sequence[Any]) -> int:
    """How many stated tickets differ from the computed ones; a malformed one raises InvalidBundle.

    Fast path: when every stated ticket is text of 64 characters, the tickets agree
    one by one exactly when their concatenations agree; compared a slice at a time,
    so the joined text stays small (fresh 100 MB buffers cost more than the compare).
    """
    step = 16384
    if isinstance(stated, TicketColumn) and len(stated) == len(computed):
        # 64 characters each, concatenated: compared a slice at a time with no str per ticket
        text, width = stated.text, 64
        for start in range(0, len(stated), step):
            end = start + step
            if text[start * width : end * width] != b"".join(computed[start:end]).hex():
                break
        else:
            return 0
        stated = list(stated)
    try:
        if len(stated) == len(computed) and set(map(len, stated)) <= {64}:
            for start in range(0, len(stated), step):
                end = start + step
                if "".join(stated[start:end]) != b"".join(computed[start:end]).hex():
                    break
            else:
                return 0
    except TypeError:  # a stated ticket that is not text: counted and reported below
        pass
    ticket_hex = [t.hex() for t in computed]
    wrong = _count_differences(ticket_hex, stated)
    if wrong:
        _check_ticket_shapes(ticket_hex, stated)
    return wrong


def _check_ticket_shapes(computed: Sequence[str], stated: Sequence[Any]) -> None:
    """A stated ticket that differs must still be 32 bytes of lowercase hex, or the bundle is malformed."""
    for i, (mine, theirs) in enumerate(zip(computed, stated, strict=True)):
        if mine != theirs:
            hex_field(theirs, f"/assignments/{i}/ticket", size=32)


def _count_differences(computed: Sequence[Any], stated: Sequence[Any]) -> int:
    if list(computed) == list(stated):
        return 0
    return sum(1 for a, b in zip(computed, stated, strict=True) if a != b)


def _signature_checks(
    signatures: Sequence[tuple[str, bytes, bytes]],
    digest: bytes,
    trusted: Mapping[str, bytes] | None,
) -> tuple[list[Check], tuple[Unchecked, ...]]:
    """Step 7. A signature counts only against a key the caller trusts (named by signer).

    A signature by a signer the caller did not name is listed as not checked, never as a
    failure; a caller who trusts no key at all gets the failed check ``trusted signature``,
    so that no bundle is VALID on the strength of keys it carries itself.
    """
    checks: list[Check] = []
    unchecked: list[Unchecked] = []
    if not signatures:
        checks.append(Check("signatures", False, "the bundle carries no signature"))
    for signer, public_key, signature in signatures:
        ok = signature_valid(public_key, signature, digest)
        if trusted is None or signer not in trusted:
            unchecked.append(Unchecked(signer, public_key.hex(), ok))
            continue
        checks.append(Check(f"signature of {signer}", ok, "" if ok else "does not verify"))
        if not hmac.compare_digest(trusted[signer], public_key):
            checks.append(
                Check(
                    f"key not trusted: {signer}",
                    False,
                    f"signed with {public_key.hex()}, the trusted key is {trusted[signer].hex()}",
                )
            )
    if trusted is None:
        checks.append(
            Check(
                "trusted signature",
                False,
                "no signature was checked against a trusted key "
                "(give --key NAME=PUBLIC_KEY_HEX or --keys FILE)",
            )
        )
    else:
        present = {s[0] for s in signatures}
        checks.extend(
            Check(f"missing signature of {name}", False, "a trusted signer did not sign")
            for name in trusted
            if name not in present
        )
    return checks, tuple(unchecked)


KEYS_FORMAT = "paiwei-keys/1"


def key_set_fingerprint(keys: Mapping[str, bytes]) -> str:
    """SHA-256 (hex) of the key set written as lines ``NAME=PUBLIC_KEY_HEX\\n`` (UTF-8,
    lowercase hex), sorted by their bytes.

    It names one pinned key set in a few characters a notary can read out and compare
    with the published one; ``printf 'district=…\\nnotary=…\\n' | sha256sum`` gives it too
    (docs/draw-spec.md, section 17).
    """
    import hashlib  # noqa: PLC0415

    lines = sorted(f"{name}={key.hex()}\n".encode() for name, key in keys.items())
    return hashlib.sha256(b"".join(lines)).hexdigest()


def _hex_key(value: Any, where: str) -> bytes:
    """A 32-byte public key as hex in either case. Raises InvalidBundle."""
    if type(value) is not str:
        raise InvalidBundle("must be a public key in hex", where)
    return hex_field(value.strip().lower(), where, size=32)


def read_key_set(path: str) -> dict[str, bytes]:
    """A key set file: ``{"format": "paiwei-keys/1", "keys": {signer: hex}}`` (the
    publication folder's ``keys.json``). Raises OSError, or InvalidBundle when malformed."""
    with open(path, "rb") as fh:
        value = load_json(fh.read())
    where = f"--keys {path}"
    if type(value) is not dict or value.get("format") != KEYS_FORMAT:
        raise InvalidBundle(f"not a key set (format {KEYS_FORMAT!r})", where)
    keys = value.get("keys")
    if type(keys) is not dict or not keys:
        raise InvalidBundle("a key set names at least one signer", where)
    out: dict[str, bytes] = {}
    for name, key in keys.items():
        if "=" in text_field(name, where) or "\n" in name:
            raise InvalidBundle(f"a signer name holds no '=' and no line break: {name!r}", where)
        out[name] = _hex_key(key, f"{where}: {name}")
    return out


def _parse_key(text: str) -> tuple[str, bytes]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise InvalidBundle(f"--key takes NAME=PUBLIC_KEY_HEX, got {text!r}")
    return name, _hex_key(value, f"--key {name}")


def trusted_keys_from(keys: Sequence[str], key_files: Sequence[str]) -> dict[str, bytes]:
    """The trusted keys of ``--key NAME=HEX`` and ``--keys FILE`` together. Raises OSError,
    or InvalidBundle for a bad argument or one name given two different keys."""
    trusted: dict[str, bytes] = {}
    pairs = [pair for path in key_files for pair in read_key_set(path).items()]
    pairs.extend(_parse_key(k) for k in keys)
    for name, key in pairs:
        if trusted.get(name, key) != key:
            raise InvalidBundle(f"two different trusted keys for {name!r}")
        trusted[name] = key
    return trusted


def render_text(report: Report, fingerprint: str | None = None) -> str:
    """The human-readable report: one line per check, the signers not checked, the trusted
    keys (with the key set's fingerprint when given), then the verdict."""
    lines = [
        f"draw {report.draw_id} ({report.mechanism.value}): "
        f"{report.applicants} applicants, {report.schools} schools, {report.placed} placed",
    ]
    if report.rehearsal:
        lines.append("rehearsal, not a published draw")
    if report.after_freeze == 0:
        lines.append(
            "note: no contribution was made after the freeze (no beacon, no live draw): "
            "whoever held the reveals could know the seed before the draw"
        )
    lines.extend(
        f"  {'ok  ' if c.ok else 'FAIL'} {c.name}" + (f": {c.detail}" if c.detail else "")
        for c in report.checks
    )
    lines.extend(
        f"  --   not checked: {u.signer} (no trusted key given for this signer; its signature "
        + ("verifies" if u.self_consistent else "does NOT verify")
        + f" with the key it carries, {u.public_key})"
        for u in report.not_checked
    )
    if report.trusted:
        lines.append(
            "  trusted keys: "
            + ", ".join(report.trusted)
            + (f" (key set fingerprint {fingerprint})" if fingerprint else "")
        )
    else:
        lines.append("  no signature was checked against a trusted key")
    lines.append(
        "VALID" if report.valid else "INVALID: " + ", ".join(c.name for c in report.failures)
    )
    return "\n".join(lines)


def run(
    paths: Sequence[str],
    keys: Sequence[str],
    *,
    as_json: bool,
    accelerate: bool,
    key_files: Sequence[str] = (),
) -> int:
    """Verify bundle files; print a report each. Exit status: 0 valid, 1 invalid, 2 malformed.

    Trusted keys come from ``--key NAME=HEX`` and ``--keys FILE``; without any, every
    bundle is invalid (check ``trusted signature``).
    """
    import json  # noqa: PLC0415
    import sys  # noqa: PLC0415

    status = 0
    try:
        trusted = trusted_keys_from(keys, key_files) or None
    except OSError as exc:
        print(f"error: cannot read key set: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    except InvalidBundle as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    fingerprint = key_set_fingerprint(trusted) if trusted else None
    for path in paths:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
            report = verify_data(data, trusted, accelerate=accelerate)
        except OSError as exc:
            print(f"error: {path}: cannot read: {exc.strerror}", file=sys.stderr)
            status = 2
            continue
        except InvalidBundle as exc:
            print(f"error: {path}: malformed bundle: {exc}", file=sys.stderr)
            status = 2
            continue
        except VerificationError as exc:
            report = exc.report
            status = max(status, 1)
        if as_json:
            doc = {"path": path, **report.to_json(), "trusted_keys_fingerprint": fingerprint}
            print(json.dumps(doc, ensure_ascii=False))
        else:
            print(render_text(report, fingerprint))
    return status


def main(argv: Sequence[str] | None = None) -> int:
    import argparse  # noqa: PLC0415

    parser = argparse.ArgumentParser(
        prog="python -m lottery.verify",
        description="Verify paiwei draw bundles (protocol v1). Exit 0 valid, 1 invalid, 2 malformed.",
    )
    parser.add_argument("bundles", nargs="+", metavar="BUNDLE.json")
    parser.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="NAME=PUBLIC_KEY_HEX",
        help="a trusted signer; repeat for each",
    )
    parser.add_argument(
        "--keys",
        action="append",
        default=[],
        metavar="FILE",
        help="a key set file (paiwei-keys/1, e.g. the publication folder's keys.json)",
    )
    parser.add_argument("--json", action="store_true", help="print a machine-readable report")
    parser.add_argument(
        "--no-accel", action="store_true", help="do not use orjson or NumPy even when installed"
    )
    args = parser.parse_args(argv)
    return run(
        args.bundles,
        args.key,
        as_json=args.json,
        accelerate=not args.no_accel,
        key_files=args.keys,
    )
