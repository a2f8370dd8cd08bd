"""Run, sign, countersign (publish) and the publication folder."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

import lottery
from allocation import (
    AllocationError,
    Reporter,
    Stage,
)
from paiwei.audit import service as audit
from paiwei.publication import (
    PublicationError,
    RoundPublication,
    Season,
    publish_empty_round,
    publish_round,
    round_publications,
)
from paiwei.rounds.errors import RoundError
from paiwei.rounds.models import Round, RoundResult, State
from paiwei.rounds.service.ceremony import (
    SIGNERS,
    _check_signature,
    _seed_contributions,
    season_keys,
)
from paiwei.rounds.service.common import (
    DISTRICT,
    NOTARY,
    RESULT_CHUNK,
    SALT_TAG,
    Progress,
    _dump,
    _lock,
    _parse,
    _require,
    _sha,
    _transition,
    district_slug,
    get_or_raise,
    season_id,
    season_rounds,
)
from paiwei.rounds.service.inputs import _frozen_inputs, _steps_to
from seeding import CeremonyError, tagged_hash


def run(*, db_session: Session, actor: audit.Actor, round_pk: int, now: datetime,
        reporter: Reporter | None = None, progress: Progress | None = None) -> Round:
    """Draw the round: compute everything in memory, then store the bundle and every
    applicant's entry and outcome in ONE transaction (a crash leaves the round ``ready``
    and nothing stored; running again gives byte-identical results). Raises
    ``RoundError``: ``out_of_order``, ``round_published``, ``inputs_changed`` (the stored
    inputs no longer give the frozen input root), ``inputs_invalid``."""
    row = _lock(db_session, round_pk)
    _require(row, State.READY, step="the run")
    policy, scenario = _frozen_inputs(row)
    steps, inputs = _steps_to(db_session, policy, _parse(scenario, row.inputs_sha256), row, reporter=reporter)
    if inputs.frozen is None:
        raise RoundError("inputs_changed", detail=f"the stored inputs of {row.draw_id} hold nobody to place")
    if inputs.frozen.root.hex() != row.input_root:
        raise RoundError("inputs_changed", detail=f"the stored inputs of {row.draw_id} give input root "
                         f"{inputs.frozen.root.hex()}, not the frozen {row.input_root}")
    try:
        record = steps.place(inputs, _seed_contributions(db_session, row))
    except (AllocationError, CeremonyError, lottery.InvalidBundle) as exc:
        raise RoundError("inputs_invalid", detail=str(exc)) from None
    bundle = record.bundle
    if bundle is None or bundle["ceremony"]["seed"] != row.seed:
        raise RoundError("inputs_changed", detail="the draw's seed is not the ceremony's seed")
    result = steps.result()
    (pub,) = round_publications(result, result.bundles(), only=row.round)
    rows = [{"round_pk": row.id, "applicant": aid,
             "entry": None if (entry := pub.entries.get(aid)) is None else _dump(entry),
             "outcome": _dump(outcome)} for aid, outcome in sorted(pub.outcomes.items())]
    db_session.execute(delete(RoundResult).where(RoundResult.round_pk == row.id))
    for start in range(0, len(rows), RESULT_CHUNK):
        chunk = rows[start:start + RESULT_CHUNK]
        db_session.execute(insert(RoundResult), chunk)
        if progress is not None:
            progress(start + len(chunk), len(rows))
    row.bundle = _dump(bundle)
    row.bundle_sha256 = _sha(row.bundle)
    row.schools_report = _dump(list(pub.schools))
    row.drawn_at = now
    _transition(db_session, actor, row, "round_drawn", State.DRAWN, now=now,
                reason=f"bundle sha256={row.bundle_sha256}")
    db_session.commit()
    return row


def _refuse_rehearsal(bundle: Mapping[str, Any]) -> None:
    draw_id = bundle.get("draw_id")
    if not isinstance(draw_id, str) or draw_id.startswith(lottery.REHEARSAL_PREFIX):
        raise RoundError("rehearsal_refused", detail=f"draw id {draw_id!r}")


def _pinned(db_session: Session, row: Round) -> dict[str, str]:
    """The keys the round was frozen with (the season's pinned keys then)."""
    keys = dict(row.keys or {})
    if set(keys) != set(SIGNERS):  # a round frozen before keys were pinned per season
        keys = season_keys(db_session=db_session, district=row.district, year=row.year, stage=row.stage)
    if set(keys) != set(SIGNERS):
        raise RoundError("keys_not_pinned", detail=season_id(row))
    return keys


def _signature_entry(value: Any, signer: str, pinned: str, digest: bytes) -> dict[str, str]:
    """A bundle signature ``{"signer", "public_key", "signature"}`` by ``signer`` with the
    pinned key, checked before anything is stored. Raises ``RoundError``."""
    if not isinstance(value, Mapping) or not all(isinstance(value.get(k), str)
                                                  for k in ("signer", "public_key", "signature")):
        raise RoundError("signature_required", detail=f"a signature of {signer}: signer, public_key, signature")
    if value["signer"] != signer or value["public_key"].lower() != pinned:
        raise RoundError("key_mismatch", detail=f"signed by {value['signer']!r} with {value['public_key']}; "
                         f"the {signer} key pinned for this round is {pinned}")
    _check_signature(pinned, value["signature"].lower(), digest, f"the {signer}'s signature")
    return {"signer": signer, "public_key": pinned, "signature": value["signature"].lower()}


def sign(*, db_session: Session, actor: audit.Actor, round_pk: int, signature: Mapping[str, Any],
         now: datetime) -> Round:
    """Store the district's signature of the drawn bundle, made on the district's machine
    (``paiwei sign``): checked against the district key pinned for the round before it is
    stored. Raises ``RoundError``: ``out_of_order``, ``round_published``,
    ``rehearsal_refused``, ``keys_not_pinned``, ``signature_required``, ``key_mismatch``,
    ``signature_invalid``."""
    row = _lock(db_session, round_pk)
    _require(row, State.DRAWN, step="the district's signature")
    bundle = json.loads(row.bundle or "{}")
    _refuse_rehearsal(bundle)
    keys = _pinned(db_session, row)
    entry = _signature_entry(signature, DISTRICT, keys[DISTRICT], lottery.bundle_digest(bundle))
    row.bundle = _dump({**bundle, "signatures": [*bundle.get("signatures", []), entry]})
    _transition(db_session, actor, row, "round_signed", State.SIGNED, now=now,
                reason=f"district signature {entry['signature']}")
    db_session.commit()
    return row


def _unsigned_sha(bundle: Mapping[str, Any]) -> str:
    return _sha(_dump({**bundle, "signatures": []}))


def countersign(*, db_session: Session, actor: audit.Actor, round_pk: int,
                signature: Mapping[str, Any] | None = None, signed_bundle: Mapping[str, Any] | None = None,
                folder: Path | None = None, now: datetime) -> Round:
    """Store the notary's countersignature, made on the notary's machine (``paiwei notary
    countersign``): the signature alone, or the bundle countersigned elsewhere
    (``signed_bundle``, whose notary signature is taken). It is checked against the notary
    key pinned for the round, then the bundle must pass ``lottery.verify`` with both pinned
    keys trusted before the round is published.

    Without ``folder`` the round is ``published`` at once (its folder is written later, from
    the database, by :func:`write_folder`). With ``folder`` the countersigned round is
    committed as ``publishing``, then :func:`publish` writes the folder and commits
    ``published``: a crash or an error while writing leaves the round ``publishing``
    (parents see nothing yet; the next round cannot be frozen), and :func:`publish` run
    again finishes the folder. Raises ``RoundError``: ``out_of_order``,
    ``round_published``, ``rehearsal_refused``, ``keys_not_pinned``, ``signature_required``,
    ``key_mismatch``, ``signature_invalid``, ``bundle_invalid``, ``publication_failed``
    (the round is then ``publishing``)."""
    row = _lock(db_session, round_pk)
    _require(row, State.SIGNED, step="the notary's countersignature")
    current = json.loads(row.bundle or "{}")
    _refuse_rehearsal(current)
    if signed_bundle is not None:
        _refuse_rehearsal(signed_bundle)
        if _unsigned_sha(signed_bundle) != row.bundle_sha256:
            raise RoundError("bundle_invalid", detail="the bundle handed in is not this round's draw")
        signature = next((s for s in signed_bundle.get("signatures", [])
                          if isinstance(s, Mapping) and s.get("signer") == NOTARY), None)
    if signature is None:
        raise RoundError("signature_required", detail="the notary's signature or the countersigned bundle")
    keys = _pinned(db_session, row)
    entry = _signature_entry(signature, NOTARY, keys[NOTARY], lottery.bundle_digest(current))
    bundle = {**current, "signatures": [*current.get("signatures", []), entry]}
    try:
        lottery.verify(bundle, {k: bytes.fromhex(v) for k, v in keys.items()})
    except lottery.VerificationError as exc:
        failed = [c.name for c in exc.report.checks if not c.ok]
        raise RoundError("bundle_invalid", detail=f"failed checks: {failed}") from None
    except (lottery.InvalidBundle, ValueError) as exc:
        raise RoundError("bundle_invalid", detail=str(exc)) from None
    row.bundle = _dump(bundle)
    row.published_sha256 = _sha(row.bundle)
    row.keys = keys
    if folder is None:
        row.published_at = now
        _transition(db_session, actor, row, "round_published", State.PUBLISHED, now=now,
                    reason=f"bundle sha256={row.published_sha256}")
        db_session.commit()
        return row
    _transition(db_session, actor, row, "round_publishing", State.PUBLISHING, now=now,
                reason=f"bundle sha256={row.published_sha256}; writing the publication folder")
    db_session.commit()
    return publish(db_session=db_session, actor=actor, round_pk=row.id, folder=folder, now=now)


def publish(*, db_session: Session, actor: audit.Actor, round_pk: int, folder: Path, now: datetime) -> Round:
    """Write a countersigned (``publishing``) round into the publication folder, then mark it
    ``published`` in one transaction. The folder is written before that commit and after
    the countersignature's: if this is interrupted (a crash, a full disk, a conflicting
    folder), the round stays ``publishing`` and running this again finishes the folder
    (every file of the writer is atomic and rewriting the same content is a no-op), so the
    database never says published for a round the folder does not hold. Raises
    ``RoundError``: ``out_of_order`` (not ``publishing``), ``round_published``,
    ``publication_failed``."""
    row = _lock(db_session, round_pk)
    _require(row, State.PUBLISHING, step="writing the publication folder")
    try:
        _publish_to_folder(db_session, row, folder, _pinned(db_session, row))
    except (PublicationError, OSError) as exc:
        db_session.rollback()
        raise RoundError("publication_failed",
                         detail=f"{exc}; round {row.draw_id} stays publishing: fix the cause and run "
                                "`paiwei round publish` with --folder again") from None
    row.published_at = now
    _transition(db_session, actor, row, "round_published", State.PUBLISHED, now=now,
                reason=f"bundle sha256={row.published_sha256}; folder written")
    db_session.commit()
    return row


def _publish_to_folder(db_session: Session, row: Round, folder: Path, keys: dict[str, str]) -> bool:
    """Write ``row`` into the folder, first recording the earlier rounds that held no draw
    (the folder's index must account for every round before this one)."""
    changed = _publish_empty_rounds(db_session, row, folder, through=False)
    return changed | publish_round(folder, season=season_of(db_session=db_session, row=row),
                                   publication=publication_of(db_session=db_session, row=row),
                                   keys=keys)


def _publish_empty_rounds(db_session: Session, row: Round, folder: Path, *, through: bool) -> bool:
    """Record in the folder's index the rounds before ``row`` (and ``row`` itself when
    ``through``) that held no draw because nobody was left to place."""
    season = season_of(db_session=db_session, row=row)
    changed = False
    for earlier in season_rounds(db_session=db_session, district=row.district, year=row.year,
                                 stage=row.stage):
        if earlier.position > row.position or (earlier.position == row.position and not through):
            break
        if earlier.state == State.EMPTY:
            changed |= publish_empty_round(folder, season=season, round_id=earlier.round,
                                           reason="nobody to place")
    return changed


def write_folder(*, db_session: Session, round_pk: int, folder: Path) -> bool:
    """Write a published round into the publication folder (again): for a round published
    through the API, or a copy on another server. Reads only; the writer refuses content
    that differs from what the folder holds. Returns whether anything changed. Raises
    ``RoundError``: ``out_of_order`` (not published), ``publication_failed``."""
    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    if row.state == State.PUBLISHING:
        raise RoundError("out_of_order", detail=f"round {row.draw_id} is publishing: finish it with "
                         "`paiwei round publish` and --folder")
    if row.state not in {State.PUBLISHED, State.EMPTY}:
        raise RoundError("out_of_order", detail=f"round {row.draw_id} is {row.state}, not published")
    try:
        if row.state == State.EMPTY:  # no bundle: the index records that no draw was held
            return _publish_empty_rounds(db_session, row, folder, through=True)
        return _publish_to_folder(db_session, row, folder, row.keys or {})
    except (PublicationError, OSError) as exc:
        raise RoundError("publication_failed", detail=str(exc)) from None


def season_of(*, db_session: Session, row: Round) -> Season:
    """The publication season of ``row``: every round of the policy's plan for the stage;
    the public result-key salt is derived from the season id (it is public anyway: it
    only confines guessing ids to one season)."""
    del db_session
    policy, _ = _frozen_inputs(row)
    salt = tagged_hash(SALT_TAG, season_id(row).encode())[:16]
    return Season(district=district_slug(row.district), year=row.year, stage=row.stage,
                  rounds=tuple(spec.id for spec in policy.plan(Stage(row.stage))), salt=salt,
                  title=policy.title)


def publication_of(*, db_session: Session, row: Round) -> RoundPublication:
    """The round's publication, rebuilt from what is stored."""
    entries: dict[str, Any] = {}
    outcomes: dict[str, Any] = {}
    for r in db_session.scalars(select(RoundResult).where(RoundResult.round_pk == row.id)):
        outcomes[r.applicant] = json.loads(r.outcome)
        if r.entry is not None:
            entries[r.applicant] = json.loads(r.entry)
    bundle = json.loads(row.bundle or "{}")
    allocation = bundle.get("allocation", {})
    return RoundPublication(round=row.round, title=str(allocation.get("title", "")),
                            section=str(allocation.get("section", "")), draw_id=row.draw_id,
                            mechanism=str(bundle.get("mechanism")), bundle=bundle,
                            schools=json.loads(row.schools_report or "[]"), entries=entries,
                            outcomes=outcomes,
                            freeze_statement=json.loads(row.freeze_statement)
                            if row.freeze_statement else None,
                            beacon_record=json.loads(row.beacon_record) if row.beacon_record else None)

