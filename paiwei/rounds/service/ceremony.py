"""The seed ceremony and the season's keys: commitments before the freeze, reveals,
after-freeze contributions (the notary's draw, the named drand beacon), waivers, the
close that derives the seed; pinned public keys, key changes and signed statements."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lottery import canonical_json, public_key_hex
from paiwei.audit import service as audit
from paiwei.rounds.errors import RoundError
from paiwei.rounds.models import Round, RoundContribution, SeasonKey, State
from paiwei.rounds.service.common import (
    DISTRICT,
    FREEZE_TAG,
    NOTARY,
    _code,
    _dump,
    _lock,
    _require,
    _subject,
    _transition,
    contributions_of,
    get_or_raise,
    season_id,
)
from seeding import CeremonyError, Contribution, check_opening, derive_seed, tagged_hash


def _from_hex(text: Any) -> bytes:
    """The bytes ``text`` spells in hex (either case); empty when it is not hex text."""
    try:
        return bytes.fromhex(text) if isinstance(text, str) else b""
    except ValueError:
        return b""


def _seed_contributions(db_session: Session, row: Round) -> list[Contribution]:
    """The contributions that went into the seed: revealed commitments and live ones."""
    out = []
    for c in contributions_of(db_session=db_session, round_pk=row.id):
        if c.value is None:
            continue  # waived by the notary (never revealed)
        out.append(Contribution(c.contributor, bytes.fromhex(c.value),
                                bytes.fromhex(c.nonce) if c.nonce else None,
                                bytes.fromhex(c.commitment) if c.commitment else None))
    return out


def record_commitment(*, db_session: Session, actor: audit.Actor, round_pk: int, contributor: str,
                      commitment: str, now: datetime) -> RoundContribution:
    """Record a contributor's commitment (before the freeze only). Raises ``RoundError``:
    ``out_of_order`` (already frozen), ``round_published``, ``contributor_exists``,
    ``ceremony_invalid`` (not 32 bytes of hex, or an empty or non-NFC name)."""
    row = _lock(db_session, round_pk)
    _require(row, State.CREATED, step="recording a commitment")
    _check_name(contributor)
    raw = _from_hex(commitment)
    if len(raw) != 32 or commitment != raw.hex():
        raise RoundError("ceremony_invalid", detail="a commitment is 32 bytes in lowercase hex")
    c = _new_contribution(db_session, row, contributor, now)
    c.commitment = commitment
    audit.append(db_session=db_session, actor=actor, action="ceremony_committed", subject=_subject(row),
                 now=now, reason=f"{contributor}: {commitment}")
    db_session.commit()
    return c


def _check_name(contributor: str) -> None:
    from seeding import text_bytes  # noqa: PLC0415

    try:
        text_bytes(contributor)
    except ValueError as exc:
        raise RoundError("ceremony_invalid", detail=f"contributor name: {exc}") from None
    if not contributor or len(contributor) > 64:
        raise RoundError("ceremony_invalid", detail="contributor names are 1-64 characters")


def _new_contribution(db_session: Session, row: Round, contributor: str, now: datetime) -> RoundContribution:
    exists = db_session.scalar(select(RoundContribution.id).where(
        RoundContribution.round_pk == row.id, RoundContribution.contributor == contributor))
    if exists is not None:
        raise RoundError("contributor_exists", detail=contributor)
    c = RoundContribution(round_pk=row.id, contributor=contributor, recorded_at=now)
    db_session.add(c)
    return c


SIGNERS = (DISTRICT, NOTARY)

KEY_CHANGE_FORMAT = "paiwei-key-change/1"

KEY_CHANGE_TAG = "paiwei/v1/key-change"

def _hex32(value: Any, what: str) -> str:
    """32 bytes of hex (either case) as lowercase hex. Raises ``RoundError('key_invalid')``."""
    raw = _from_hex(value)
    if len(raw) != 32:
        raise RoundError("key_invalid", detail=f"{what} is not 32 bytes of hex")
    return raw.hex()


def season_keys(*, db_session: Session, district: str, year: int, stage: str) -> dict[str, str]:
    """The season's pinned public keys, signer -> hex (empty when none are pinned);
    ``district`` is the code (or the policy's name)."""
    rows = db_session.scalars(select(SeasonKey).where(
        SeasonKey.district == _code(district), SeasonKey.year == year, SeasonKey.stage == stage))
    return {r.signer: r.public_key for r in rows}


def pin_keys(*, db_session: Session, actor: audit.Actor, round_pk: int, keys: Mapping[str, str],
             now: datetime) -> dict[str, str]:
    """Pin the public keys of the season of ``round_pk``: the district's and the notary's,
    before its first freeze. Public keys only: private keys never reach the server.
    Pinning the same keys again is a no-op; other keys are refused (a change is
    :func:`change_key`). Raises ``RoundError``: ``key_invalid``, ``keys_pinned``."""
    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    if set(keys) != set(SIGNERS):
        raise RoundError("key_invalid", detail=f"pin exactly the keys of {', '.join(SIGNERS)}")
    wanted = {name: _hex32(keys[name], f"the {name} key") for name in SIGNERS}
    if wanted[DISTRICT] == wanted[NOTARY]:
        raise RoundError("key_invalid", detail="the district and the notary have one key")
    pinned = season_keys(db_session=db_session, district=row.district, year=row.year, stage=row.stage)
    if pinned == wanted:
        return pinned
    if pinned:
        raise RoundError("keys_pinned", detail="the season's keys are pinned already")
    for name, public in wanted.items():
        db_session.add(SeasonKey(district=row.district, year=row.year, stage=row.stage, signer=name,
                                 public_key=public, pinned_at=now))
    audit.append(db_session=db_session, actor=actor, action="season_keys_pinned",
                 subject=f"season:{row.district}:{row.year}:{row.stage}", now=now,
                 reason=", ".join(f"{k}={v}" for k, v in wanted.items()))
    db_session.commit()
    return wanted


def statement_digest(tag: str, statement: Mapping[str, Any]) -> bytes:
    """What a signed statement's signature signs: TH(tag, JCS(statement without "signature"))."""
    return tagged_hash(tag, canonical_json({k: v for k, v in statement.items() if k != "signature"}))


def sign_statement(statement: Mapping[str, Any], tag: str, signer: str,
                   key: Ed25519PrivateKey) -> dict[str, Any]:
    """Sign a statement on the signer's own machine (CLI, demo, tests); the server never
    calls this: it only checks signatures (:func:`check_statement_signature`)."""
    signature = key.sign(statement_digest(tag, statement))
    return {**{k: v for k, v in statement.items() if k != "signature"},
            "signature": {"signer": signer, "public_key": public_key_hex(key), "signature": signature.hex()}}


def _check_signature(public_hex: str, signature: Any, digest: bytes, what: str) -> None:
    from lottery._signing import signature_valid  # noqa: PLC0415

    raw = _from_hex(signature)
    if len(raw) != 64 or not signature_valid(bytes.fromhex(public_hex), raw, digest):
        raise RoundError("signature_invalid", detail=f"{what}: the signature does not verify")


def check_statement_signature(statement: Mapping[str, Any], tag: str, signer: str, pinned: str) -> None:
    """A statement's ``signature`` is by ``signer`` with the ``pinned`` key and verifies.
    Raises ``RoundError``: ``signature_required``, ``key_mismatch``, ``signature_invalid``."""
    sig = statement.get("signature")
    if not isinstance(sig, Mapping) or not isinstance(sig.get("public_key"), str):
        raise RoundError("signature_required", detail=f"the statement carries no signature of {signer}")
    if sig.get("signer") != signer or sig["public_key"].lower() != pinned:
        raise RoundError("key_mismatch", detail=f"signed by {sig.get('signer')!r} with {sig['public_key']}, "
                         f"the season's {signer} key is {pinned}")
    _check_signature(pinned, sig.get("signature"), statement_digest(tag, statement), "statement")


def change_key(*, db_session: Session, actor: audit.Actor, round_pk: int, statement: Mapping[str, Any],
               now: datetime) -> dict[str, str]:
    """Replace one signer's pinned key: ``statement`` is ``{"format": "paiwei-key-change/1",
    "season", "signer", "old", "new", "reason"}`` signed by the OLD key. Rounds frozen
    before keep the keys they were frozen with. Raises ``RoundError``: ``keys_not_pinned``,
    ``key_invalid``, ``key_mismatch``, ``signature_invalid``, ``signature_required``."""
    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    pinned = season_keys(db_session=db_session, district=row.district, year=row.year, stage=row.stage)
    season = season_id(row)  # the public season id, as in the publication: chaoyang/2024/primary
    if not pinned:
        raise RoundError("keys_not_pinned", detail=season)
    signer = statement.get("signer")
    if statement.get("format") != KEY_CHANGE_FORMAT or statement.get("season") != season \
            or signer not in pinned or not isinstance(statement.get("reason"), str):
        raise RoundError("key_invalid", detail=f"a {KEY_CHANGE_FORMAT} statement for {season}")
    assert isinstance(signer, str)  # noqa: S101  checked just above
    if _hex32(statement.get("old"), "old") != pinned[signer]:
        raise RoundError("key_mismatch", detail=f"{signer}'s pinned key is {pinned[signer]}")
    new = _hex32(statement.get("new"), "new")
    if new in pinned.values():
        raise RoundError("key_invalid", detail="the new key is pinned already")
    check_statement_signature(statement, KEY_CHANGE_TAG, signer, pinned[signer])
    db_session.execute(update(SeasonKey).where(
        SeasonKey.district == row.district, SeasonKey.year == row.year, SeasonKey.stage == row.stage,
        SeasonKey.signer == signer).values(public_key=new, pinned_at=now))
    audit.append(db_session=db_session, actor=actor, action="season_key_changed",
                 subject=f"season:{season}", now=now,
                 reason=f"{signer}: {pinned[signer]} -> {new}; {_dump(dict(statement))}")
    db_session.commit()
    return {**pinned, signer: new}


BEACON = "drand-beacon"

def _named_beacon(beacon: Mapping[str, Any] | None, now: datetime) -> dict[str, Any] | None:
    """A drand round named in the freeze statement: a pinned chain and a round published
    after the freeze (so nobody deciding at the freeze, or whether to reveal before it is
    out, can know it). Raises ``RoundError('ceremony_invalid')``."""
    from seeding import CHAIN_CLOCKS, round_time  # noqa: PLC0415

    if beacon is None:
        return None
    chain, number = str(beacon.get("chain", "")).lower(), beacon.get("round")
    if chain not in CHAIN_CLOCKS:
        raise RoundError("ceremony_invalid", detail=f"beacon chain {chain!r} is not a pinned drand chain")
    if type(number) is not int or not 1 <= number < 2**53:
        raise RoundError("ceremony_invalid", detail="the beacon round is a positive integer")
    at = round_time(chain, number)
    if at <= now.timestamp():
        raise RoundError("ceremony_invalid", detail=f"drand round {number} is published at {at}, "
                         "not after the freeze")
    when = datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"chain": chain, "round": number, "time": when}


def check_freeze_statement(statement: Mapping[str, Any]) -> None:
    """Check a freeze statement's signature against its own public key (the caller compares
    that key with the district's published one). Raises ``RoundError('bundle_invalid')``."""
    from cryptography.exceptions import InvalidSignature  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: PLC0415

    body = {k: v for k, v in statement.items() if k != "signature"}
    sig = statement.get("signature") or {}
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(sig["public_key"]))
        key.verify(bytes.fromhex(sig["signature"]), tagged_hash(FREEZE_TAG, canonical_json(body)))
    except (KeyError, TypeError, ValueError, InvalidSignature):
        raise RoundError("bundle_invalid", detail="the freeze statement's signature does not verify") from None


def _refuse_reveal_after_beacon(row: Round, now: datetime) -> None:
    """The named beacon round's time is the reveal deadline: once its randomness is out, a
    committed contributor who has not revealed could compute the seed with and without
    their value and choose; their commitment can only be waived. Raises
    ``RoundError('ceremony_invalid')``."""
    named = json.loads(row.freeze_statement or "{}").get("beacon")
    if not isinstance(named, dict):
        return
    from seeding import round_time  # noqa: PLC0415

    at = round_time(named["chain"], named["round"])
    if now.timestamp() >= at:
        raise RoundError("ceremony_invalid", detail=f"reveals closed at {named.get('time')}, when drand round "
                         f"{named['round']} named at the freeze came out; the notary may waive the commitment")


def reveal(*, db_session: Session, actor: audit.Actor, round_pk: int, contributor: str, nonce: str,
           value: str, now: datetime) -> RoundContribution:
    """Open a commitment after the freeze, checked with ``seeding.check_opening``, before
    the beacon round the freeze statement named comes out. Raises ``RoundError``:
    ``out_of_order``, ``round_published``, ``contributor_not_found``, ``ceremony_invalid``
    (the opening does not match the recorded commitment, or the beacon round is out)."""
    row = _lock(db_session, round_pk)
    _require(row, State.FROZEN, step="a reveal")
    _refuse_reveal_after_beacon(row, now)
    c = db_session.scalar(select(RoundContribution).where(
        RoundContribution.round_pk == row.id, RoundContribution.contributor == contributor))
    if c is None or c.commitment is None:
        raise RoundError("contributor_not_found", detail=f"no commitment of {contributor!r}")
    if c.value is not None or c.waived_reason is not None:
        raise RoundError("contributor_exists", detail=f"{contributor!r} has already revealed")
    try:
        opening = Contribution(contributor, bytes.fromhex(value), bytes.fromhex(nonce),
                               bytes.fromhex(c.commitment))
        check_opening(row.draw_id, opening)
    except (ValueError, CeremonyError) as exc:
        raise RoundError("ceremony_invalid", detail=str(exc)) from None
    c.value, c.nonce, c.revealed_at = value, nonce, now
    audit.append(db_session=db_session, actor=actor, action="ceremony_revealed", subject=_subject(row),
                 now=now, reason=f"{contributor}: {value}")
    db_session.commit()
    return c


def contribute(*, db_session: Session, actor: audit.Actor, round_pk: int, contributor: str, value: str,
               now: datetime) -> RoundContribution:
    """Record a contribution made after the freeze (a notary's live draw, a public beacon
    value): no commitment. Raises ``RoundError``: ``out_of_order`` (before the freeze, or
    after the ceremony closed), ``round_published``, ``contributor_exists``,
    ``ceremony_invalid``."""
    row = _lock(db_session, round_pk)
    _require(row, State.FROZEN, step="an after-freeze contribution")
    _check_name(contributor)
    raw = _from_hex(value)
    if not raw or value != raw.hex() or len(raw) > 128:
        raise RoundError("ceremony_invalid", detail="a value is 1-128 bytes in lowercase hex")
    c = _new_contribution(db_session, row, contributor, now)
    c.value, c.revealed_at = value, now
    audit.append(db_session=db_session, actor=actor, action="ceremony_contributed", subject=_subject(row),
                 now=now, reason=f"{contributor}: {value}")
    db_session.commit()
    return c


def contribute_beacon(*, db_session: Session, actor: audit.Actor, round_pk: int, record: Mapping[str, Any],
                      now: datetime) -> RoundContribution:
    """Record the drand round named in the freeze statement as a contribution (its
    randomness), loaded from its published record (no network): the record is checked
    offline against the named chain and round (``seeding.check_record``: chain info,
    beacon round, randomness, BLS signature) before anything is stored. Raises
    ``RoundError``: ``ceremony_invalid`` (no beacon named, malformed record),
    ``beacon_invalid`` (a check failed, each named), and those of :func:`contribute`."""
    from seeding import BeaconRecordError, check_record, parse_record  # noqa: PLC0415

    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    named = json.loads(row.freeze_statement or "{}").get("beacon")
    if not isinstance(named, dict):
        raise RoundError("ceremony_invalid", detail=f"the freeze statement of {row.draw_id} names no beacon round")
    try:
        parsed = parse_record(dict(record))
    except BeaconRecordError as exc:
        raise RoundError("ceremony_invalid", detail=f"drand record: {exc}") from None
    report = check_record(parsed, chain=named["chain"], round_number=named["round"])
    if not report.valid:
        raise RoundError("beacon_invalid", detail="; ".join(f"{c.name}: {c.detail}" for c in report.failures))
    audit.append(db_session=db_session, actor=actor, action="ceremony_beacon_checked", subject=_subject(row),
                 now=now, reason=f"drand {named['chain']} round {parsed.round}: record sha256="
                 f"{hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()}")
    # Kept with the round and published beside its bundle (rounds/<round>/beacon.json), so
    # anyone re-checks the beacon offline; committed with the contribution below.
    row.beacon_record = json.dumps(record, sort_keys=True, ensure_ascii=False)
    return contribute(db_session=db_session, actor=actor, round_pk=round_pk, contributor=BEACON,
                      value=parsed.randomness.hex(), now=now)


def waive(*, db_session: Session, actor: audit.Actor, round_pk: int, contributor: str, reason: str,
          now: datetime) -> RoundContribution:
    """The notary's decision on a committed contributor who does not reveal: the commitment
    is left out of the seed, with the reason on record (and in the audit log). Raises
    ``RoundError``: ``out_of_order``, ``round_published``, ``contributor_not_found``,
    ``ceremony_invalid`` (no reason)."""
    row = _lock(db_session, round_pk)
    _require(row, State.FROZEN, step="waiving a reveal")
    c = db_session.scalar(select(RoundContribution).where(
        RoundContribution.round_pk == row.id, RoundContribution.contributor == contributor))
    if c is None or c.commitment is None or c.value is not None:
        raise RoundError("contributor_not_found", detail=f"no unrevealed commitment of {contributor!r}")
    if not reason.strip():
        raise RoundError("ceremony_invalid", detail="a waiver needs the notary's reason")
    c.waived_reason = reason.strip()[:500]
    audit.append(db_session=db_session, actor=actor, action="ceremony_reveal_waived", subject=_subject(row),
                 now=now, reason=f"{contributor}: {c.waived_reason}")
    db_session.commit()
    return c


def close_ceremony(*, db_session: Session, actor: audit.Actor, round_pk: int, now: datetime) -> Round:
    """Close the ceremony and derive the seed. Every committed contributor must have
    revealed or been waived by the notary. Raises ``RoundError``: ``out_of_order``,
    ``round_published``, ``reveal_missing``, ``no_after_freeze_contribution``,
    ``no_contributions``."""
    row = _lock(db_session, round_pk)
    _require(row, State.FROZEN, step="closing the ceremony")
    rows = contributions_of(db_session=db_session, round_pk=row.id)
    missing = [c.contributor for c in rows if c.value is None and c.waived_reason is None]
    if missing:
        raise RoundError("reveal_missing", detail=", ".join(missing))
    # At least one value that did not exist at the freeze (the notary's live draw, the named
    # beacon round): without it, whoever knew the committed values knew the seed.
    if not any(c.commitment is None and c.value is not None for c in rows):
        raise RoundError("no_after_freeze_contribution", detail=row.draw_id)
    contributions = _seed_contributions(db_session, row)
    if not contributions:
        raise RoundError("no_contributions", detail=row.draw_id)
    seed = derive_seed(row.draw_id, bytes.fromhex(row.input_root or ""), contributions)
    row.seed, row.closed_at = seed.hex(), now
    _transition(db_session, actor, row, "ceremony_closed", State.READY, now=now, reason=f"seed={row.seed}")
    db_session.commit()
    return row

