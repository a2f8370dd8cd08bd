"""Choice use cases: options, submission and edits inside the window, locking, frozen
round inputs, receipts, and staff counts.

Keyword-only functions; each use case that writes commits exactly one transaction and
records every change in the hash-chained audit log.

Locking. Choices are editable while their window is open and locked from the moment
it closes (``closes_at``; a window is only ever extended while open, so a lock is never
undone). :func:`lock` stamps the rows with ``locked_at = closes_at`` and the receipt
hash; :func:`frozen_choices` locks and returns exactly the locked rows.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from allocation import RULES, Policy, Stage
from lottery import canonical_json
from paiwei.accounts.models import Role
from paiwei.audit import service as audit
from paiwei.choices import rules
from paiwei.choices.errors import ChoiceError
from paiwei.choices.facts import facts_of
from paiwei.choices.models import ApplicantRoute, ChoiceSet, RoutingRecord, SchoolCatalogue
from paiwei.choices.schemas import (
    ChoiceListOptions,
    ChoiceOptionsRead,
    ChoiceSetRead,
    CountsRead,
    IneligibleCount,
    ReceiptRead,
    RouteRead,
    RoutesRead,
    RoutingSummary,
    RuleRead,
    SchoolCount,
    SchoolRead,
    Undecided,
    ZoneCount,
    ZoneRoutes,
)
from paiwei.intake.models import Applicant, Status
from paiwei.intake.service import applicant_of_user, get_by_pseudonym_or_raise
from paiwei.rounds.models import Plan
from paiwei.windows import service as windows
from paiwei.windows.models import ApplicationWindow

log = logging.getLogger(__name__)


def _utc_text(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _split(window_kind: str) -> tuple[str, str]:
    if window_kind not in windows.KINDS:
        raise ChoiceError("unknown_kind", field="kind")
    stage, _, name = window_kind.partition(".")
    return stage, name


# --- staff: the district's schools and zones, applicants' routing records ---------------


def _policy_of(db_session: Session, district: str, year: int) -> Policy:
    name = db_session.scalar(select(ApplicationWindow.policy).where(
        ApplicationWindow.district == district, ApplicationWindow.year == year).limit(1))
    if name is None:
        raise ChoiceError("window_not_found", detail=f"{district}/{year}")
    return rules.policy_named(name)


def load_catalogue(*, db_session: Session, actor: audit.Actor, district: str, year: int, stage: str,
                   schools: list[dict[str, Any]], zones: list[dict[str, Any]],
                   now: datetime) -> SchoolCatalogue:
    """Record (or replace) the district's schools and zones for a stage and year.

    Raises ``ChoiceError``: ``window_not_found`` (load the windows first: they name the
    policy), ``catalogue_invalid``.
    """
    policy = _policy_of(db_session, district, year)
    rules.check_catalogue(policy=policy, year=year, stage=stage, schools=schools, zones=zones)
    row = db_session.scalar(select(SchoolCatalogue).where(
        SchoolCatalogue.district == district, SchoolCatalogue.year == year,
        SchoolCatalogue.stage == stage))
    if row is None:
        row = SchoolCatalogue(district=district, year=year, stage=stage, schools=schools,
                              zones=zones, loaded_at=now)
        db_session.add(row)
    else:
        row.schools, row.zones, row.loaded_at = schools, zones, now
    digest = rules.receipt_digest({"schools": schools, "zones": zones})
    db_session.flush()
    rerouted = reroute(db_session=db_session, districts=[district], year=year, stage=stage, now=now)
    audit.append(db_session=db_session, actor=actor, action="catalogue_loaded",
                 subject=f"c:{district}:{year}:{stage}", now=now,
                 reason=f"sha256={digest}; {rerouted} applicants routed again")
    db_session.commit()
    return row


@dataclass(frozen=True, slots=True)
class Schools:
    """A district's schools and zones for a year and stage (scenario-format records), the
    schools' addresses where the plan gives them, and the digest routes are stored with."""

    schools: list[dict[str, Any]]
    zones: list[dict[str, Any]]
    addresses: Mapping[str, str]
    sha256: str


def schools_of(*, db_session: Session, district: str, year: int, stage: str) -> Schools:
    """The schools a district's applicants are routed over: the imported plan of the
    district-year (``paiwei round plan-import``), else the loaded catalogue of the stage.
    Raises ``ChoiceError('catalogue_missing')`` when neither exists."""
    plan = db_session.scalar(select(Plan).where(Plan.district == district, Plan.year == year))
    if plan is not None:
        schools, zones = list(plan.schools), list(plan.zones)
        addresses: Mapping[str, str] = dict(plan.addresses or {})
    else:
        cat = _catalogue(db_session, district, year, stage)
        schools, zones, addresses = list(cat.schools), list(cat.zones), {}
    return Schools(schools, zones, addresses, rules.receipt_digest({"schools": schools, "zones": zones}))


def _catalogue(db_session: Session, district: str, year: int, stage: str) -> SchoolCatalogue:
    row = db_session.scalar(select(SchoolCatalogue).where(
        SchoolCatalogue.district == district, SchoolCatalogue.year == year,
        SchoolCatalogue.stage == stage))
    if row is None:
        raise ChoiceError("catalogue_missing")
    return row


def routing_input_of(applicant: Applicant, record: Mapping[str, Any], stage: str) -> dict[str, Any]:
    """The applicant's routing record with their intake joined in (``rules.routing_input``
    over ``facts.facts_of``): what routing and a round's inputs read. Raises
    ``ChoiceError('routing_record_invalid')`` naming the applicant and the field when the
    record contradicts the verified details."""
    try:
        return rules.routing_input(record, facts_of(applicant, stage=stage))
    except ChoiceError as exc:
        raise ChoiceError("routing_record_invalid", detail=f"{applicant.pseudonym}: {exc.detail}") from None


def record_routing(*, db_session: Session, actor: audit.Actor, pseudonym: str, year: int, stage: str,
                   record: dict[str, Any], now: datetime) -> ApplicantRoute | None:
    """Record an applicant's verified record (scenario format, no id or choices) for routing;
    a verified applicant is routed in the same transaction (returns its stored route, or
    None when not routed now).

    Checked by routing it once over the schools routes use (:func:`schools_of`: the imported
    plan, else the catalogue). Raises ``IntakeError('applicant_not_found')``,
    ``ChoiceError``: ``window_not_found``, ``catalogue_missing``, ``routing_record_invalid``.
    """
    applicant = get_by_pseudonym_or_raise(db_session=db_session, pseudonym=pseudonym)
    policy = _policy_of(db_session, applicant.district, year)
    source = schools_of(db_session=db_session, district=applicant.district, year=year, stage=stage)
    rules.allowed_schools(policy=policy, year=year, stage=stage, schools=source.schools, zones=source.zones,
                          record=routing_input_of(applicant, record, stage), pseudonym=pseudonym)
    row = db_session.scalar(select(RoutingRecord).where(
        RoutingRecord.applicant_id == applicant.id, RoutingRecord.year == year))
    if row is None:
        row = RoutingRecord(applicant_id=applicant.id, year=year, stage=stage, record=record,
                            recorded_at=now)
        db_session.add(row)
    else:
        row.stage, row.record, row.recorded_at = stage, record, now
    db_session.flush()
    route = route_applicant(db_session=db_session, applicant=applicant, now=now)
    audit.append(db_session=db_session, actor=actor, action="routing_recorded", subject=pseudonym,
                 now=now, to_state=stage)
    db_session.commit()
    return route


# --- routing: eligibility, route and allowed schools, stored with their rules -----------


def store_routes(db_session: Session, pairs: Sequence[tuple[Applicant, RoutingRecord]], *,
                  now: datetime) -> int:
    """Route ``pairs`` (verified applicants with their routing records) with the allocation
    engine, one pass per district-year-stage, and store each decision. Does not commit.
    Raises ``ChoiceError``: ``window_not_found``, ``catalogue_missing``, ``routing_record_invalid``."""
    groups: dict[tuple[str, int, str], list[tuple[Applicant, RoutingRecord]]] = {}
    for applicant, rr in pairs:
        groups.setdefault((applicant.district, rr.year, rr.stage), []).append((applicant, rr))
    stored = 0
    for (district, year, stage), members in groups.items():
        policy = _policy_of(db_session, district, year)
        source = schools_of(db_session=db_session, district=district, year=year, stage=stage)
        decisions = rules.decide(policy=policy, year=year, stage=stage, schools=source.schools,
                                 zones=source.zones,
                                 records={a.pseudonym: routing_input_of(a, rr.record, stage)
                                          for a, rr in members})
        existing = {r.applicant_id: r for r in db_session.scalars(select(ApplicantRoute).where(
            ApplicantRoute.applicant_id.in_([a.id for a, _ in members]), ApplicantRoute.year == year))}
        for applicant, _ in members:
            d = decisions[applicant.pseudonym]
            row = existing.get(applicant.id)
            if row is None:
                row = ApplicantRoute(applicant_id=applicant.id, year=year)
                db_session.add(row)
            row.district, row.stage = district, stage
            row.eligible = d.eligible
            row.eligibility_rule, row.eligibility_section = d.eligibility_rule.code, d.eligibility_rule.section
            row.route, row.route_rule, row.route_section = d.route, d.route_rule.code, d.route_rule.section
            row.zone, row.school, row.priority = d.zone, d.school, d.priority
            row.priority_rule, row.priority_section = d.priority_rule.code, d.priority_rule.section
            row.allowed = {name: list(ids) for name, ids in d.allowed.schools.items()}
            row.plan_sha256, row.routed_at = source.sha256, now
            stored += 1
    db_session.flush()
    return stored


def route_applicant(*, db_session: Session, applicant: Applicant, now: datetime) -> ApplicantRoute | None:
    """Route a verified applicant that has a routing record (on verification, and when the
    record is recorded). Does not commit: the calling use case owns the transaction.
    Returns None, routing nothing, when the applicant is not verified, has no record, or
    the district has no windows or schools yet (``route_district`` routes them later).
    Raises ``ChoiceError('routing_record_invalid')``."""
    if applicant.status != Status.VERIFIED:
        return None
    rr = db_session.scalar(select(RoutingRecord).where(RoutingRecord.applicant_id == applicant.id)
                           .order_by(RoutingRecord.year.desc()).limit(1))
    if rr is None:
        return None
    try:
        store_routes(db_session, [(applicant, rr)], now=now)
    except ChoiceError as exc:
        if exc.code in ("window_not_found", "catalogue_missing"):
            return None
        raise
    return db_session.scalar(select(ApplicantRoute).where(ApplicantRoute.applicant_id == applicant.id,
                                                          ApplicantRoute.year == rr.year))


def _verified_with_records(db_session: Session, districts: Sequence[str], year: int,
                           stage: str) -> list[tuple[Applicant, RoutingRecord]]:
    return [(a, rr) for a, rr in db_session.execute(
        select(Applicant, RoutingRecord).join(RoutingRecord, RoutingRecord.applicant_id == Applicant.id)
        .where(Applicant.district.in_(list(districts)), Applicant.status == Status.VERIFIED,
               RoutingRecord.year == year, RoutingRecord.stage == stage)
        .options(selectinload(Applicant.guardians))  # their details join the record
        .order_by(Applicant.pseudonym))]


def reroute(*, db_session: Session, districts: Sequence[str], year: int, stage: str | None,
            now: datetime) -> int:
    """Route again every verified applicant of ``districts`` with a record for the year
    (and ``stage``, or every stage), after their schools changed. Does not commit. Nothing
    is routed while a district has no windows or schools yet. Returns how many."""
    stages = [stage] if stage is not None else ["primary", "junior"]
    done = 0
    for st in stages:
        pairs = _verified_with_records(db_session, districts, year, st)
        if not pairs:
            continue
        try:
            done += store_routes(db_session, pairs, now=now)
        except ChoiceError as exc:
            if exc.code not in ("window_not_found", "catalogue_missing"):
                raise
    return done


def undecided(*, db_session: Session, districts: Sequence[str], year: int,
              stage: str) -> list[Undecided]:
    """The verified applicants of ``districts`` with no routing decision for the stage: no
    routing record for the year, or one that was never routed or was routed over other
    schools than the current ones. Reads only."""
    out: list[Undecided] = []
    current: dict[str, str] = {}
    for district in districts:
        try:
            current[district] = schools_of(db_session=db_session, district=district, year=year,
                                           stage=stage).sha256
        except ChoiceError:
            current[district] = ""
    rows = db_session.execute(
        select(Applicant.pseudonym, Applicant.district, RoutingRecord.stage, ApplicantRoute.plan_sha256,
               ApplicantRoute.stage)
        .outerjoin(RoutingRecord, (RoutingRecord.applicant_id == Applicant.id) & (RoutingRecord.year == year))
        .outerjoin(ApplicantRoute, (ApplicantRoute.applicant_id == Applicant.id)
                   & (ApplicantRoute.year == year))
        .where(Applicant.district.in_(list(districts)), Applicant.status == Status.VERIFIED)
        .order_by(Applicant.pseudonym)).all()
    for pseudonym, district, record_stage, sha, route_stage in rows:
        if record_stage is None:
            out.append(Undecided(applicant=pseudonym, reason="no_routing_record",
                                 text="已审核通过，但尚未录入入学资格信息（无法判定资格和片区）"))
        elif record_stage != stage:
            continue  # an applicant of the other stage
        elif sha is None or route_stage != stage:
            out.append(Undecided(applicant=pseudonym, reason="not_routed", text="尚未判定入学资格和片区"))
        elif sha != current[district]:
            out.append(Undecided(applicant=pseudonym, reason="route_outdated",
                                 text="学校招生计划已变更，入学资格和片区须重新判定"))
    return out


def route_district(*, db_session: Session, actor: audit.Actor, district: str, year: int, stage: str,
                   now: datetime) -> RoutingSummary:
    """Staff: route (again) every verified applicant of the district with a routing record
    for the year and stage, in one transaction; say who is still undecided and why.
    Raises ``ChoiceError``: ``window_not_found``, ``catalogue_missing``, ``routing_record_invalid``."""
    _policy_of(db_session, district, year)
    pairs = _verified_with_records(db_session, [district], year, stage)
    routed = store_routes(db_session, pairs, now=now) if pairs else 0
    left = undecided(db_session=db_session, districts=[district], year=year, stage=stage)
    audit.append(db_session=db_session, actor=actor, action="applicants_routed",
                 subject=f"routes:{district}:{year}:{stage}", now=now,
                 reason=f"{routed} routed, {len(left)} undecided")
    db_session.commit()
    return RoutingSummary(district=district, year=year, stage=stage, routed=routed, undecided=left)


_KIND_LABELS = {"public": "公办", "private": "民办", "boarding": "公办寄宿", "special-education": "特殊教育"}
_ROUTE_LABELS = {"none": "不参加派位", "single-school": "单校划片（对口入学）", "zone": "多校划片（片区统筹派位）",
                 "district": "区教委统筹安排"}
_RULES = {r.code: r for r in RULES}


def _rule(code: str) -> RuleRead:
    r = _RULES[code]
    return RuleRead(code=r.code, section=r.section, text=r.text)


def _school_read(school: Mapping[str, Any], addresses: Mapping[str, str], zone_names: Mapping[str, str],
                 zone_of: Mapping[str, str]) -> SchoolRead:
    zone = zone_of.get(str(school["id"]))
    return SchoolRead(id=str(school["id"]), name=str(school.get("name") or school["id"]),
                      kind=str(school["kind"]), kind_label=_KIND_LABELS.get(str(school["kind"]), str(school["kind"])),
                      address=addresses.get(str(school["id"])), zone=zone,
                      zone_name=zone_names.get(zone) if zone else None)


def _route_read(row: ApplicantRoute, source: Schools) -> RouteRead:
    by_id = {str(s["id"]): s for s in source.schools}
    zone_names = {str(z["id"]): str(z.get("name") or z["id"]) for z in source.zones}
    zone_of = {str(sid): str(z["id"]) for z in source.zones if z.get("kind") == "multi-school"
               for sid in z["schools"]}
    return RouteRead(
        eligible=row.eligible, eligibility=_rule(row.eligibility_rule), route=row.route,
        route_label=_ROUTE_LABELS.get(row.route, row.route), route_rule=_rule(row.route_rule),
        zone=row.zone, zone_name=zone_names.get(row.zone) if row.zone else None,
        school=_school_read(by_id[row.school], source.addresses, zone_names, zone_of)
        if row.school in by_id else None,
        priority_rule=_rule(row.priority_rule), routed_at=row.routed_at)


def routes(*, db_session: Session, district: str, year: int, stage: str) -> RoutesRead:
    """Staff: the district's routing decisions by zone (eligible children per route, the
    ineligible by rule) and the verified applicants still undecided. Reads only."""
    rows = list(db_session.scalars(select(ApplicantRoute).where(
        ApplicantRoute.district == district, ApplicantRoute.year == year, ApplicantRoute.stage == stage)))
    zones: dict[str, ZoneRoutes] = {}
    ineligible: Counter[str] = Counter()
    for r in rows:
        if not r.eligible:
            ineligible[r.eligibility_rule] += 1
            continue
        key = r.zone or ""
        z = zones.setdefault(key, ZoneRoutes(zone=r.zone, applicants=0, routes={}))
        z.applicants += 1
        z.routes[r.route] = z.routes.get(r.route, 0) + 1
    return RoutesRead(
        district=district, year=year, stage=stage, routed=len(rows),
        zones=sorted(zones.values(), key=lambda z: (z.zone is None, z.zone or "")),
        ineligible=[IneligibleCount(rule=_rule(code), applicants=n) for code, n in sorted(ineligible.items())],
        undecided=undecided(db_session=db_session, districts=[district], year=year, stage=stage))


# --- the parent's side -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    applicant: Applicant
    year: int
    stage: str
    allowed: rules.Allowed
    route: ApplicantRoute


def context_of(*, db_session: Session, applicant: Applicant,
               sources: dict[tuple[str, int, str], Schools] | None = None) -> _Context:
    """A verified applicant's stored routing decision and what it may choose (never
    recomputed here: routing happens on verification, see :func:`route_applicant`).
    ``sources`` keeps the schools read per district, year and stage across the calls of
    one use case (a bulk import). Raises ``ChoiceError``: ``not_verified``, ``not_routed``,
    ``window_not_found``, ``catalogue_missing``."""
    if applicant.status != Status.VERIFIED:
        raise ChoiceError("not_verified")
    route = db_session.scalar(select(ApplicantRoute).where(ApplicantRoute.applicant_id == applicant.id)
                              .order_by(ApplicantRoute.year.desc()).limit(1))
    if route is None:
        raise ChoiceError("not_routed")
    policy = _policy_of(db_session, applicant.district, route.year)
    st = Stage(route.stage)
    maxima = {name: max((r.max_choices for r in policy.plan(st) if r.kind is rules.ROUND_OF_LIST[name]),
                        default=0) for name in rules.LISTS}
    key = (applicant.district, route.year, route.stage)
    source = None if sources is None else sources.get(key)
    if source is None:
        source = schools_of(db_session=db_session, district=applicant.district, year=route.year, stage=route.stage)
        if sources is not None:
            sources[key] = source
    group_of = {str(s["id"]): int(s["group"]) for s in source.schools if s.get("group") is not None}
    allowed = rules.Allowed(eligible=route.eligible, zone=route.zone,
                            schools={name: tuple(route.allowed.get(name, ())) for name in rules.LISTS},
                            group_of=group_of, max_choices=maxima)
    return _Context(applicant, route.year, route.stage, allowed, route)


def _context(db_session: Session, user_id: int) -> _Context:
    return context_of(db_session=db_session,
                      applicant=applicant_of_user(db_session=db_session, user_id=user_id))


def _locked(row: ChoiceSet, window: ApplicationWindow, now: datetime) -> bool:
    return row.locked_at is not None or now >= window.closes_at


def _to_read(row: ChoiceSet, window: ApplicationWindow, now: datetime) -> ChoiceSetRead:
    return ChoiceSetRead(kind=row.kind, stage=row.stage, year=row.year, zone=row.zone,
                         schools=list(row.schools), version=row.version,
                         submitted_at=row.submitted_at, updated_at=row.updated_at,
                         locked=_locked(row, window, now), receipt_sha256=row.receipt_sha256)


def _row(db_session: Session, applicant_id: int, year: int, kind: str) -> ChoiceSet | None:
    return db_session.scalar(select(ChoiceSet).where(
        ChoiceSet.applicant_id == applicant_id, ChoiceSet.year == year, ChoiceSet.kind == kind))


def options(*, db_session: Session, user_id: int, now: datetime) -> ChoiceOptionsRead:
    """What the parent may choose, in which window, and what is chosen so far."""
    ctx = _context(db_session, user_id)
    source = schools_of(db_session=db_session, district=ctx.applicant.district, year=ctx.year,
                        stage=ctx.stage)
    route = _route_read(ctx.route, source)
    if ctx.applicant.disability_placement and rules.NOT_VERIFIED in (ctx.applicant.review_findings or ()):
        # §三（三）: the request the engine sets aside, and why, before the draw too
        route = route.model_copy(update={"set_aside": _rule(rules.NOT_VERIFIED)})
    by_id = {str(s["id"]): s for s in source.schools}
    zone_names = {str(z["id"]): str(z.get("name") or z["id"]) for z in source.zones}
    zone_of = {str(sid): str(z["id"]) for z in source.zones if z.get("kind") == "multi-school"
               for sid in z["schools"]}
    lists = []
    for name in rules.LISTS:
        kind = f"{ctx.stage}.{name}"
        if kind not in windows.KINDS:
            continue
        window = windows.find(db_session=db_session, district=ctx.applicant.district,
                              year=ctx.year, kind=kind)
        row = _row(db_session, ctx.applicant.id, ctx.year, name)
        lists.append(ChoiceListOptions(
            kind=name, window=windows.to_read(window, now) if window else None,
            allowed_schools=list(ctx.allowed.schools[name]),
            schools=[_school_read(by_id[sid], source.addresses, zone_names, zone_of)
                     for sid in ctx.allowed.schools[name] if sid in by_id],
            max_choices=ctx.allowed.max_choices[name],
            current=_to_read(row, window, now) if row is not None and window is not None else None))
    return ChoiceOptionsRead(pseudonym=ctx.applicant.pseudonym, stage=ctx.stage, year=ctx.year,
                             eligible=ctx.allowed.eligible, zone=ctx.allowed.zone, route=route, lists=lists)


def _prepare(db_session: Session, user_id: int, kind: str, now: datetime,
             ) -> tuple[_Context, ApplicationWindow, ChoiceSet | None]:
    if kind not in rules.LISTS:
        raise ChoiceError("unknown_kind", field="kind")
    ctx = _context(db_session, user_id)
    window_kind = f"{ctx.stage}.{kind}"
    if window_kind not in windows.KINDS:
        raise ChoiceError("unknown_kind", field="kind")
    window = windows.get_or_raise(db_session=db_session, district=ctx.applicant.district,
                                  year=ctx.year, kind=window_kind)
    row = _row(db_session, ctx.applicant.id, ctx.year, kind)
    if row is not None and _locked(row, window, now):
        raise ChoiceError("choices_locked")
    windows.require_open(window, now)
    return ctx, window, row


def _audit_choice(db_session: Session, user_id: int, ctx: _Context, *, action: str, row: ChoiceSet,
                  now: datetime) -> None:
    audit.append(db_session=db_session, actor=audit.Actor(user_id, Role.PARENT), action=action,
                 subject=ctx.applicant.pseudonym, now=now, to_state=f"{row.kind}@{row.version}",
                 reason=json.dumps(row.schools, ensure_ascii=True, separators=(",", ":")))


def submit(*, db_session: Session, user_id: int, kind: str, schools: Sequence[str],
           now: datetime) -> ChoiceSetRead:
    """First submission of a choice list, inside its window.

    Raises ``ChoiceError``: ``unknown_kind``, ``not_verified``, ``not_routed``,
    ``catalogue_missing``, ``window_not_found``, ``window_closed`` (不在报名时间内),
    ``choices_locked``, ``private_boarding_taken`` (已报名民办或寄宿学校: a second private or
    boarding application), ``choices_exist``, and the list checks of ``rules.check_choices``.
    """
    ctx, window, row = _prepare(db_session, user_id, kind, now)
    if row is not None:
        raise ChoiceError("private_boarding_taken" if kind == "private_boarding" else "choices_exist")
    chosen = rules.check_choices(kind, schools, ctx.allowed)
    row = ChoiceSet(applicant_id=ctx.applicant.id, window_id=window.id, district=ctx.applicant.district,
                    year=ctx.year, stage=ctx.stage, kind=kind,
                    zone=ctx.allowed.zone if kind == "zone" else None, schools=chosen, version=1,
                    submitted_at=now, updated_at=now)
    db_session.add(row)
    try:
        db_session.flush()
    except IntegrityError:
        # A parallel submission for the same applicant and kind won the unique key.
        db_session.rollback()
        raise ChoiceError("private_boarding_taken" if kind == "private_boarding" else "choices_exist") from None
    _audit_choice(db_session, user_id, ctx, action="choices_submitted", row=row, now=now)
    db_session.commit()
    log.info("choices submitted pseudonym=%s kind=%s", ctx.applicant.pseudonym, kind)
    return _to_read(row, window, now)


def edit(*, db_session: Session, user_id: int, kind: str, schools: Sequence[str],
         now: datetime) -> ChoiceSetRead:
    """Replace a submitted list while its window is open.

    Raises as :func:`submit`, and ``choices_not_found`` when nothing was submitted yet.
    """
    ctx, window, row = _prepare(db_session, user_id, kind, now)
    if row is None:
        raise ChoiceError("choices_not_found")
    chosen = rules.check_choices(kind, schools, ctx.allowed)
    row.schools = chosen
    if kind == "zone":
        row.zone = ctx.allowed.zone
    row.version += 1
    row.updated_at = now
    _audit_choice(db_session, user_id, ctx, action="choices_edited", row=row, now=now)
    db_session.commit()
    return _to_read(row, window, now)


# --- locking, frozen inputs, receipts ---------------------------------------------------


def receipt_record(row: ChoiceSet, pseudonym: str, *, locked_at: datetime | None = None) -> dict[str, Any]:
    """The locked choice record a receipt covers (canonical-JSON domain). ``locked_at``:
    the window's close for a row of a closed window not stamped yet (the same record the
    stamp will give: a lock only ever stamps ``closes_at``)."""
    locked_at = row.locked_at or locked_at
    if locked_at is None:
        raise ValueError("the choice set is not locked")
    return {
        "format": rules.RECEIPT_FORMAT,
        "applicant": {"id": pseudonym, "choices": list(row.schools)},
        "district": row.district,
        "year": row.year,
        "stage": row.stage,
        "kind": row.kind,
        "zone": row.zone,
        "version": row.version,
        "submitted_at": _utc_text(row.submitted_at),
        "updated_at": _utc_text(row.updated_at),
        "locked_at": _utc_text(locked_at),
    }


def _locked_rows(db_session: Session, window: ApplicationWindow) -> list[tuple[ChoiceSet, str]]:
    stage, name = _split(window.kind)
    query = (select(ChoiceSet, Applicant.pseudonym).join(Applicant, Applicant.id == ChoiceSet.applicant_id)
             .where(ChoiceSet.window_id == window.id, ChoiceSet.kind == name, ChoiceSet.stage == stage)
             .order_by(Applicant.pseudonym))
    return [(row, pseudonym) for row, pseudonym in db_session.execute(query)]


def lock(*, db_session: Session, district: str, year: int, kind: str, now: datetime,
         actor: audit.Actor | None = None) -> int:
    """Stamp every choice set of a closed window as locked, with its receipt hash, in one
    transaction. Idempotent: returns how many rows were newly stamped. Raises
    ``ChoiceError``: ``unknown_kind``, ``window_not_found``, ``window_still_open``.
    """
    stamped = stamp_locks(db_session=db_session, district=district, year=year, kind=kind, now=now, actor=actor)
    db_session.commit()
    return stamped


def stamp_locks(*, db_session: Session, district: str, year: int, kind: str, now: datetime,
                actor: audit.Actor | None = None) -> int:
    """:func:`lock` without the commit: for a use case (a round's freeze) that stamps the
    locks inside its own transaction."""
    _split(kind)
    window = windows.get_or_raise(db_session=db_session, district=district, year=year, kind=kind)
    return _stamp(db_session, window, None, now=now, actor=actor)


def _stamp(db_session: Session, window: ApplicationWindow, rows: list[tuple[ChoiceSet, str]] | None, *,
           now: datetime, actor: audit.Actor | None) -> int:
    """Stamp the window's rows not locked yet (``rows``: its rows as :func:`_locked_rows`
    reads them, read here when None). Raises ``ChoiceError('window_still_open')``."""
    if now < window.closes_at:
        raise ChoiceError("window_still_open")
    actor = actor or audit.Actor(None, "system")
    entries = []
    for row, pseudonym in _locked_rows(db_session, window) if rows is None else rows:
        if row.locked_at is not None:
            continue
        row.locked_at = window.closes_at
        row.receipt_sha256 = rules.receipt_digest(receipt_record(row, pseudonym))
        entries.append(audit.Entry("choices_locked", pseudonym, to_state=f"{row.kind}@{row.version}",
                                   reason=f"sha256={row.receipt_sha256}"))
    stamped = audit.append_many(db_session=db_session, actor=actor, entries=entries, now=now)
    db_session.flush()
    return stamped


def frozen_choices(*, db_session: Session, district: str, year: int, kind: str,
                   now: datetime) -> list[dict[str, Any]]:
    """The round's inputs from this window: exactly the locked choice sets, as applicant
    records ``{"id": pseudonym, "choices": [...]}`` sorted by id (the protocol's applicant
    record without ``priority``, which the round adds; the scenario format's
    ``choices[<list>]``). Nothing personal.

    Stamps the locks first (:func:`stamp_locks`), in the caller's transaction: nothing is
    committed here. Raises ``ChoiceError('window_still_open')`` while the window is open,
    ``window_not_found``, ``unknown_kind``.
    """
    stage, name = _split(kind)
    window = windows.get_or_raise(db_session=db_session, district=district, year=year, kind=kind)
    if now < window.closes_at:
        raise ChoiceError("window_still_open")
    of_window = (ChoiceSet.window_id == window.id, ChoiceSet.kind == name, ChoiceSet.stage == stage)
    if db_session.scalar(select(ChoiceSet.id).where(*of_window, ChoiceSet.locked_at.is_(None)).limit(1)) is None:
        # Every row already stamped (the usual case after the window's lock): the same
        # records from two columns, without loading the rows as ORM objects.
        query = (select(Applicant.pseudonym, ChoiceSet.schools).join(Applicant, Applicant.id == ChoiceSet.applicant_id)
                 .where(*of_window).order_by(Applicant.pseudonym))
        return [{"id": pseudonym, "choices": list(schools)} for pseudonym, schools in db_session.execute(query)]
    # One read of the window's rows: stamped in place (the same ORM objects), then listed.
    rows = _locked_rows(db_session, window)
    _stamp(db_session, window, rows, now=now, actor=None)
    return [{"id": pseudonym, "choices": list(row.schools)}
            for row, pseudonym in rows if row.locked_at is not None]


def receipt(*, db_session: Session, user_id: int, kind: str, now: datetime) -> ReceiptRead:
    """The parent's receipt of a locked choice set. Reads only: a row of a closed window
    not stamped yet gets the record its stamp will hold (``locked_at`` = the close).

    Raises ``ChoiceError``: ``unknown_kind``, ``choices_not_found``, ``window_still_open``.
    """
    if kind not in rules.LISTS:
        raise ChoiceError("unknown_kind", field="kind")
    applicant = applicant_of_user(db_session=db_session, user_id=user_id)
    row = db_session.scalar(select(ChoiceSet).where(ChoiceSet.applicant_id == applicant.id,
                                                    ChoiceSet.kind == kind)
                            .order_by(ChoiceSet.year.desc()).limit(1))
    if row is None:
        raise ChoiceError("choices_not_found")
    closes_at = None
    if row.locked_at is None:
        window = db_session.get(ApplicationWindow, row.window_id)
        if window is None or now < window.closes_at:
            raise ChoiceError("window_still_open")
        closes_at = window.closes_at
    record = receipt_record(row, applicant.pseudonym, locked_at=closes_at)
    return ReceiptRead(record=record, canonical_json=canonical_json(record).decode("utf-8"),
                       sha256=rules.receipt_digest(record))


# --- staff views -------------------------------------------------------------------------


def counts(*, db_session: Session, district: str, year: int, kind: str, now: datetime) -> CountsRead:
    """Applicants per school (listing it at any rank, and first) and per zone, so far.

    A school is flagged oversubscribed when more applicants put it first than it has
    seats (a forecast: later choices and earlier rounds change the final demand).
    Raises ``ChoiceError``: ``unknown_kind``, ``window_not_found``, ``catalogue_missing``.
    """
    stage, name = _split(kind)
    window = windows.get_or_raise(db_session=db_session, district=district, year=year, kind=kind)
    cat = _catalogue(db_session, district, year, stage)
    rows = list(db_session.scalars(select(ChoiceSet).where(ChoiceSet.window_id == window.id,
                                                           ChoiceSet.kind == name)))
    listed: Counter[str] = Counter(sid for r in rows for sid in r.schools)
    first: Counter[str] = Counter(r.schools[0] for r in rows if r.schools)
    zone_of: dict[str, str] = {}
    for z in cat.zones:
        if z.get("kind") == "multi-school":
            for sid in z["schools"]:
                zone_of[sid] = z["id"]
    schools = [s for s in cat.schools if s.get("stage") == stage]
    seats: Mapping[str, int] = {s["id"]: int(s["seats"]) for s in schools}
    per_zone: Counter[str] = Counter()
    for r in rows:
        zone = r.zone or (zone_of.get(r.schools[0]) if r.schools else None)
        if zone is not None:
            per_zone[zone] += 1
    zones = [ZoneCount(zone=z["id"], seats=sum(seats.get(s, 0) for s in z["schools"]),
                       applicants=per_zone[z["id"]])
             for z in cat.zones if z.get("kind") == "multi-school" and z.get("stage") == stage]
    return CountsRead(
        district=district, year=year, kind=kind, window_open=windows.is_open(window, now),
        applicants=len(rows),
        schools=[SchoolCount(school=s["id"], name=str(s.get("name", s["id"])), kind=s["kind"],
                             zone=zone_of.get(s["id"]), seats=seats[s["id"]], listed=listed[s["id"]],
                             first_choice=first[s["id"]], oversubscribed=first[s["id"]] > seats[s["id"]])
                 for s in schools if listed[s["id"]] or _relevant(name, s)],
        zones=zones,
    )


def _relevant(name: str, school: Mapping[str, Any]) -> bool:
    """Schools a list can name: private/boarding, group schools, or public zone schools."""
    if name == "private_boarding":
        return school["kind"] in ("private", "boarding")
    if name == "groups":
        return school.get("group") is not None
    return school["kind"] in ("public", "special-education")


CSV_COLUMNS = ("school", "name", "kind", "zone", "seats", "listed", "first_choice", "oversubscribed")


def counts_csv(read: CountsRead) -> str:
    """The per-school counts as CSV (UTF-8 with a BOM so that spreadsheet software reads
    the Chinese school names)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for s in read.schools:
        writer.writerow([s.school, s.name, s.kind, s.zone or "", s.seats, s.listed, s.first_choice,
                         "yes" if s.oversubscribed else "no"])
    return "\ufeff" + buffer.getvalue()


def school_names(*, db_session: Session, user_id: int) -> dict[str, str]:
    """School id -> name in the catalogue of the parent's routing (parents see names, not ids).

    Raises ``IntakeError('applicant_not_found')``, ``ChoiceError``: ``not_verified``,
    ``not_routed``, ``window_not_found``, ``catalogue_missing``.
    """
    ctx = _context(db_session, user_id)
    source = schools_of(db_session=db_session, district=ctx.applicant.district, year=ctx.year, stage=ctx.stage)
    return {str(s["id"]): str(s.get("name") or s["id"]) for s in source.schools}
