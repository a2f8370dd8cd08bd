"""A district-year's plan: import (re-routing the applicants) and lookup."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from allocation import (
    PolicyError,
)
from paiwei.audit import service as audit
from paiwei.plans import Plan as PlanFile
from paiwei.rounds.errors import RoundError
from paiwei.rounds.models import Plan, Round, State
from paiwei.rounds.service.common import _code, district_code, district_slug


def import_plan(*, db_session: Session, actor: audit.Actor, district: str, year: int,
                plan: PlanFile, now: datetime) -> Plan:
    """Store a validated plan (``paiwei.plans.read_plan``/``parse_plan``) for a district-year,
    replacing an earlier one, in one transaction. A file with any bad row never gets here
    (``PlanInvalid``), so nothing is stored from it. ``district`` is the code (110105) or
    the policy's name (chaoyang); the plan stores the code. Refused once a round of that
    district-year is frozen: ``RoundError('inputs_frozen')``; for a district that is not known or has no policy for
    the year (no windows name it and none is shipped): ``RoundError('unknown_district')``."""
    from allocation import shipped_policy_text  # noqa: PLC0415
    from paiwei.windows.models import ApplicationWindow  # noqa: PLC0415

    code = district_code(district)
    slug = district_slug(code)  # the policy's name is <slug>-<year>
    named = db_session.scalar(select(ApplicationWindow.id).where(
        ApplicationWindow.policy == f"{slug}-{year}", ApplicationWindow.year == year).limit(1))
    if named is None:
        try:
            shipped_policy_text(f"{slug}-{year}")
        except PolicyError:
            raise RoundError("unknown_district",
                             detail=f"no policy {slug}-{year}: no windows name it and none is shipped") from None
    frozen = db_session.scalar(select(Round.id).where(
        Round.district == code, Round.year == year, Round.state != State.CREATED).limit(1))
    if frozen is not None:
        raise RoundError("inputs_frozen", detail=f"a round of {slug}/{year} is already frozen")
    row = db_session.scalar(select(Plan).where(Plan.district == code, Plan.year == year))
    schools, zones = list(plan.schools_json), list(plan.zones_json)
    addresses = dict(plan.addresses)
    if row is None:
        row = Plan(district=code, year=year, schools=schools, zones=zones, addresses=addresses,
                   source=plan.source[:200], source_sha256=plan.sha256, imported_at=now)
        db_session.add(row)
    else:
        row.schools, row.zones, row.addresses, row.imported_at = schools, zones, addresses, now
        row.source, row.source_sha256 = plan.source[:200], plan.sha256
    db_session.flush()
    # The plan is the schools applicants are routed over: route them again (same transaction).
    from paiwei.choices import service as choices  # noqa: PLC0415

    codes = sorted(set(db_session.scalars(select(ApplicationWindow.district).where(
        ApplicationWindow.policy == f"{slug}-{year}", ApplicationWindow.year == year))))
    rerouted = choices.reroute(db_session=db_session, districts=codes, year=year, stage=None, now=now)
    audit.append(db_session=db_session, actor=actor, action="plan_imported",
                 subject=f"plan:{code}:{year}", now=now,
                 reason=f"{len(schools)} schools, {len(zones)} zones, sha256={plan.sha256}; "
                        f"{rerouted} applicants routed again")
    db_session.commit()
    return row


def get_plan(*, db_session: Session, district: str, year: int) -> Plan | None:
    """The district-year's plan (``district``: its code, or the policy's name)."""
    return db_session.scalar(select(Plan).where(Plan.district == _code(district), Plan.year == year))

