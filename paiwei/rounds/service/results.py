"""Reading drawn rounds: listings, statistics, accounting, applicants' results and
inclusion proofs."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import lottery
from allocation import (
    Stage,
)
from lottery import canonical_json
from paiwei.intake.service import applicant_of_user
from paiwei.publication import (
    PublicationError,
    ResultDocument,
    result_document,
    round_entry,
    verify_ref,
)
from paiwei.rounds.errors import RoundError
from paiwei.rounds.models import Round, RoundResult, State
from paiwei.rounds.schemas import (
    AccountEntry,
    AccountingRead,
    RoundStatistics,
    SchoolStatistics,
    ZoneStatistics,
)
from paiwei.rounds.service.common import _code, _parse, _policy, district_slug, get_or_raise
from paiwei.rounds.service.inputs import _frozen_inputs, _steps_to
from paiwei.rounds.service.lifecycle import season_of
from seeding import tagged_hash


def round_inclusion_proofs(*, db_session: Session, round_pk: int) -> dict[str, dict[str, Any]]:
    """Every applicant's inclusion proof (``paiwei-inclusion/1``, docs/draw-spec.md §19) under
    the round's published input root, from the stored frozen inputs. Reads only. Raises
    ``RoundError``: ``out_of_order`` (not frozen), ``inputs_changed``."""
    from lottery._proofs import applicant_proofs  # noqa: PLC0415

    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    if row.input_root is None or row.state in (State.CREATED, State.EMPTY):
        raise RoundError("out_of_order", detail=f"round {row.draw_id} is {row.state}, not frozen")
    policy, scenario = _frozen_inputs(row)
    frozen = _steps_to(db_session, policy, _parse(scenario, row.inputs_sha256), row)[1].frozen
    if frozen is None or frozen.root.hex() != row.input_root:
        raise RoundError("inputs_changed", detail=f"the stored inputs of {row.draw_id} do not give its input root")
    proofs = applicant_proofs(frozen.draw_id, frozen.schools, frozen.applicants)
    if any(p["input_root"] != row.input_root for p in proofs.values()):
        raise RoundError("inputs_changed", detail="the proofs do not lead to the published input root")
    return proofs


def write_proofs(*, db_session: Session, round_pk: int, folder: Path) -> bool:
    """Publish the round's inclusion proofs into the publication folder (at the freeze,
    before the draw), beside the result files under the same salted keys. Idempotent.
    Raises ``RoundError``: those of :func:`round_inclusion_proofs`, ``publication_failed``."""
    from paiwei.publication import publish_proofs  # noqa: PLC0415

    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    proofs = round_inclusion_proofs(db_session=db_session, round_pk=round_pk)
    try:
        return publish_proofs(folder, season=season_of(db_session=db_session, row=row), round_id=row.round,
                              proofs=proofs)
    except (PublicationError, OSError) as exc:
        raise RoundError("publication_failed", detail=str(exc)) from None


def list_rounds(*, db_session: Session, district: str | None, year: int | None = None,
                stage: str | None = None) -> list[Round]:
    """Rounds in plan order (``district``: a code; None: every district's). Reads only."""
    query = select(Round)
    if district is not None:
        query = query.where(Round.district == _code(district))
    if year is not None:
        query = query.where(Round.year == year)
    if stage is not None:
        query = query.where(Round.stage == stage)
    return list(db_session.scalars(query.order_by(Round.district, Round.year, Round.stage, Round.position)))


def statistics(*, db_session: Session, round_pk: int) -> RoundStatistics:
    """A drawn round's statistics per school and zone: seats, listed, applied, admitted,
    direct or drawn, the cut-off, placed by choice rank, unplaced. Read from the stored
    bundle and schools' report. Raises ``RoundError``: ``round_not_found``, ``out_of_order``
    (not drawn yet: an empty round has none)."""
    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    if row.bundle is None or row.schools_report is None:
        raise RoundError("out_of_order", detail=f"round {row.draw_id} is {row.state}: no draw yet")
    bundle = json.loads(row.bundle)
    report = json.loads(row.schools_report)
    staged = json.loads(row.inputs or "{}").get("scenario") or {}
    zone_of = {str(sid): str(z["id"]) for z in staged.get("zones", []) if z.get("kind") == "multi-school"
               for sid in z["schools"]}
    choices_of = {a["id"]: a["choices"] for a in bundle["applicants"]}
    by_school: dict[str, dict[str, int]] = {}
    overall: dict[str, int] = {}
    unplaced_zone: dict[str | None, int] = {}
    placed = 0
    for a in bundle["assignments"]:
        mine = choices_of[a["applicant"]]
        if a["school"] is None:
            first = mine[0] if mine else None
            z = zone_of.get(first) if first is not None else None
            unplaced_zone[z] = unplaced_zone.get(z, 0) + 1
            continue
        placed += 1
        rank = str(mine.index(a["school"]) + 1)
        by_school.setdefault(a["school"], {})
        by_school[a["school"]][rank] = by_school[a["school"]].get(rank, 0) + 1
        overall[rank] = overall.get(rank, 0) + 1
    schools = [SchoolStatistics(round=row.round, school=r["school"], name=r["name"], zone=zone_of.get(r["school"]),
                                seats=r["seats"], listed=r["listed"], applied=r["applied"],
                                admitted=r["admitted"], mode=r["mode"], cutoff_priority=r["cutoff_priority"],
                                cutoff_ticket=r["cutoff_ticket"],
                                placed_by_choice=dict(sorted(by_school.get(r["school"], {}).items(),
                                                             key=lambda kv: int(kv[0]))))
               for r in report]
    zones: dict[str | None, ZoneStatistics] = {}
    for sc in schools:
        zs = zones.setdefault(sc.zone, ZoneStatistics(round=row.round, zone=sc.zone, seats=0, applied=0,
                                                      admitted=0, unplaced=unplaced_zone.get(sc.zone, 0)))
        zs.seats += sc.seats
        zs.applied += sc.applied
        zs.admitted += sc.admitted
    applicants = len(bundle["assignments"])
    return RoundStatistics(round=row.round, draw_id=row.draw_id, state=row.state, applicants=applicants,
                           placed=placed, unplaced=applicants - placed,
                           placed_by_choice=dict(sorted(overall.items(), key=lambda kv: int(kv[0]))),
                           schools=schools,
                           zones=sorted(zones.values(), key=lambda z: (z.zone is None, z.zone or "")))


STATISTICS_COLUMNS = ("round", "school", "name", "zone", "seats", "listed", "applied", "admitted", "mode",
                      "cutoff_priority", "cutoff_ticket", "placed_by_choice")

def statistics_csv(stats: Sequence[RoundStatistics]) -> str:
    """Per school of each round, as CSV (UTF-8 with a BOM, for spreadsheet software);
    ``placed_by_choice`` as ``1:12;2:3`` (choice rank: placed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(STATISTICS_COLUMNS)
    for st in stats:
        for sc in st.schools:
            writer.writerow([sc.round, sc.school, sc.name, sc.zone or "", sc.seats, sc.listed, sc.applied,
                             sc.admitted, sc.mode, "" if sc.cutoff_priority is None else sc.cutoff_priority,
                             sc.cutoff_ticket or "",
                             ";".join(f"{k}:{v}" for k, v in sc.placed_by_choice.items())])
    return "\ufeff" + buffer.getvalue()


_DISPOSITION_TEXT = {"no-list": "未填报本轮可参加的志愿", "placed-earlier": "已在此前轮次录取"}

def accounting_of(*, db_session: Session, round_pk: int) -> AccountingRead:
    """The round's accounting at its freeze (every applicant in it, or why not), with each
    rule's text. Raises ``RoundError``: ``round_not_found``, ``out_of_order`` (not frozen)."""
    from allocation import RULES  # noqa: PLC0415

    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    if row.accounting is None:
        raise RoundError("out_of_order", detail=f"round {row.draw_id} is {row.state}: not frozen yet")
    doc = json.loads(row.accounting)
    rules = {r.code: r.text for r in RULES}
    others = [AccountEntry(**a, text=rules.get(a["rule"]) or _DISPOSITION_TEXT.get(a["disposition"], ""))
              for a in doc["others"]]
    return AccountingRead(round=doc["round"], counts=doc["counts"], others=others)


_RESULT_COLUMNS = (Round.round, Round.district, Round.year, Round.stage, Round.keys, Round.plan_rounds,
                   Round.published_sha256, Round.bundle_sha256, RoundResult.entry, RoundResult.outcome)


def _settled(db_session: Session, *, district: str | None = None, year: int | None = None,
             stage: str | None = None) -> dict[tuple[str, int, str], int]:
    """Published or empty rounds per season (district, year, stage): all seasons, or one."""
    query = (select(Round.district, Round.year, Round.stage, func.count(Round.id))
             .where(Round.state.in_([State.PUBLISHED, State.EMPTY]))
             .group_by(Round.district, Round.year, Round.stage))
    if district is not None:
        query = query.where(Round.district == district, Round.year == year, Round.stage == stage)
    return {(d, y, s): n for d, y, s, n in db_session.execute(query)}


def _document(applicant: str, rows: Sequence[Any], settled: Mapping[tuple[str, int, str], int]
              ) -> ResultDocument:
    """The result document from the applicant's rows (``_RESULT_COLUMNS``, in season order)."""
    last = rows[-1]
    rows = [r for r in rows if (r.year, r.stage) == (last.year, last.stage)]  # the latest season
    entries = [round_entry(json.loads(r.entry), verify_ref(r.round, r.published_sha256 or r.bundle_sha256 or "",
                                                           r.keys or {}))
               for r in rows if r.entry is not None]
    final = (last.plan_rounds is not None
             and settled.get((last.district, last.year, last.stage), 0) == last.plan_rounds)
    return result_document(season=f"{district_slug(last.district)}/{last.year}/{last.stage}", applicant=applicant,
                           outcome=json.loads(last.outcome), rounds=entries, final=final)


def result_for(*, db_session: Session, applicant: str, published_only: bool = True) -> ResultDocument:
    """An applicant's result document (``paiwei-result/1``), built by the publication's one
    builder from the published rounds: the same document (and, through
    ``paiwei.publication.dump``, the same bytes) as the publication folder's result file.
    Staff (``published_only=False``) also see drawn rounds not yet published. Raises
    ``RoundError('result_not_published')``.

    Reads only the small columns of the rounds (never their inputs or bundles)."""
    query = (select(*_RESULT_COLUMNS)
             .join(RoundResult, RoundResult.round_pk == Round.id)
             .where(RoundResult.applicant == applicant).order_by(Round.year, Round.stage, Round.position))
    if published_only:
        query = query.where(Round.state == State.PUBLISHED)
    rows = db_session.execute(query).all()
    if not rows:
        raise RoundError("result_not_published")
    last = rows[-1]
    settled = _settled(db_session, district=last.district, year=last.year, stage=last.stage)
    return _document(applicant, rows, settled)


def published_results(*, db_session: Session, limit: int | None = None) -> Iterator[tuple[str, ResultDocument]]:
    """Every applicant's published result document, as ``result_for`` builds it, in two
    queries (results day warms the lookup cache with it). At most ``limit`` applicants,
    in pseudonym order."""
    settled = _settled(db_session)
    query = (select(RoundResult.applicant, *_RESULT_COLUMNS)
             .join(RoundResult, RoundResult.round_pk == Round.id)
             .where(Round.state == State.PUBLISHED)
             .order_by(RoundResult.applicant, Round.year, Round.stage, Round.position))
    grouped = groupby(db_session.execute(query.execution_options(yield_per=10_000)), key=lambda r: r.applicant)
    for count, (applicant, rows) in enumerate(grouped):
        if limit is not None and count >= limit:
            return
        yield applicant, _document(applicant, list(rows), settled)


def my_result(*, db_session: Session, user_id: int) -> ResultDocument:
    """The logged-in parent's own result, after publication only (manual §五)."""
    applicant = applicant_of_user(db_session=db_session, user_id=user_id)
    return result_for(db_session=db_session, applicant=applicant.pseudonym)


def round_results(*, db_session: Session, round_pk: int, after: str = "", limit: int = 1000,
                  ) -> list[dict[str, Any]]:
    """Staff: every applicant's entry and outcome in a drawn round, by applicant id."""
    get_or_raise(db_session=db_session, round_pk=round_pk)
    rows = db_session.scalars(select(RoundResult).where(
        RoundResult.round_pk == round_pk, RoundResult.applicant > after)
        .order_by(RoundResult.applicant).limit(limit))
    return [{"applicant": r.applicant, "entry": None if r.entry is None else json.loads(r.entry),
             "outcome": json.loads(r.outcome)} for r in rows]


def published_seeds(*, db_session: Session, draw_ids: Sequence[str]) -> dict[str, str]:
    """Draw id -> seed (hex) of the published rounds among ``draw_ids``: public values that
    let a parent recompute their ticket in the browser."""
    rows = db_session.execute(select(Round.draw_id, Round.seed).where(
        Round.draw_id.in_(list(draw_ids)), Round.state == State.PUBLISHED)).all()
    return {r.draw_id: r.seed for r in rows if r.seed}


FROZEN_STATES = (State.FROZEN, State.READY, State.DRAWN, State.SIGNED, State.PUBLISHING, State.PUBLISHED)

def _leaf(record: Mapping[str, Any]) -> bytes:
    return tagged_hash("paiwei/v1/leaf", canonical_json(record))


def inclusion_proofs(*, db_session: Session, user_id: int) -> list[dict[str, Any]]:
    """The parent's own record in each frozen round of their district, with what proves it is
    in the round's published input root: its Merkle audit path (RFC 6962) among the
    applicants, the schools' root, and the round's signed freeze statement (public at
    ``GET /api/rounds/{id}/freeze-statement``). A browser recomputes the input root from
    these and compares it with the statement's, trusting nothing else from the server.

    Rounds in which the applicant takes no part are left out. Reads the frozen inputs and
    steps through the season up to each round (as the freeze did; no draw is run again). Raises ``RoundError``:
    ``out_of_order``, ``inputs_changed``, ``inputs_invalid``.
    """
    applicant = applicant_of_user(db_session=db_session, user_id=user_id)
    rows = db_session.scalars(select(Round).where(
        Round.district == applicant.district, Round.state.in_(list(FROZEN_STATES)))
        .order_by(Round.year, Round.stage, Round.position)).all()
    out = []
    for row in rows:
        policy, scenario = _frozen_inputs(row)
        _, inputs = _steps_to(db_session, policy, _parse(scenario, row.inputs_sha256), row)
        frozen = inputs.frozen
        if frozen is None:
            continue
        records = sorted(frozen.applicants, key=lambda a: str(a["id"]))
        index = next((i for i, a in enumerate(records) if a["id"] == applicant.pseudonym), None)
        if index is None:
            continue
        leaves = [_leaf(a) for a in records]
        schools = sorted(frozen.schools, key=lambda s: str(s["id"]))
        spec = policy.rounds[Stage(row.stage)][row.position]
        out.append({
            "round": row.round, "title": spec.title, "round_pk": row.id, "draw_id": row.draw_id,
            "record": dict(records[index]), "index": index, "size": len(records),
            "path": [h.hex() for h in lottery.audit_path(leaves, index)],
            "schools": [dict(s) for s in schools],
            "schools_root": lottery.merkle_root([_leaf(s) for s in schools]).hex(),
            "freeze_statement": json.loads(row.freeze_statement or "{}"),
        })
    return out


def round_titles(*, rows: Sequence[Round]) -> dict[int, str]:
    """Round primary key -> the policy's Chinese title of that round (from the round's own
    staged or frozen policy text), for pages that list rounds."""
    out = {}
    for row in rows:
        try:
            policy = _policy(json.loads(row.inputs or "{}")["policy"])
            out[row.id] = policy.rounds[Stage(row.stage)][row.position].title
        except (KeyError, IndexError, ValueError, RoundError):
            out[row.id] = row.round
    return out

