"""Bulk import of applicants whose information was already reviewed elsewhere.

The policy has the reviewed information of non-local children imported into the
platform (朝阳区 2024 §三). These use cases take such records in bulk, in ONE
transaction each, through the same checks as the parent's path:

- :func:`import_reviewed` creates the parent account and the applicant, ``verified``,
  with its routing record checked by routing it once (``choices.rules.allowed_schools``).
  The account has NO password: its hash field holds :data:`NO_PASSWORD`, which no
  password ever verifies against; the parent sets one through the forgotten-password
  path (manual §六). No weak hash is ever created.
- :func:`import_choices` records choice lists inside their open window, checked with
  ``choices.rules.check_choices`` exactly as a parent's submission is.

Every applicant's import and every list is an audit event. Nothing personal is logged.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from paiwei.accounts.models import Role, User
from paiwei.audit import service as audit
from paiwei.choices import rules
from paiwei.choices import service as choice_service
from paiwei.choices.errors import ChoiceError
from paiwei.choices.models import ChoiceSet, RoutingRecord
from paiwei.intake import identity
from paiwei.intake.errors import IntakeError
from paiwei.intake.models import Applicant, Status
from paiwei.settings import Settings
from paiwei.windows import service as windows
from paiwei.windows.models import ApplicationWindow

log = logging.getLogger(__name__)

NO_PASSWORD = "!"  # noqa: S105 - not a hash: no password verifies against it (set one via reset)


@dataclass(frozen=True, slots=True)
class ReviewedRecord:
    """One applicant's reviewed information as transferred (resident ID numbers only)."""

    child_name: str
    child_sex: str
    child_birth_date: date
    child_id_number: str
    guardian_name: str
    guardian_mobile: str
    hukou_province: str
    hukou_district: str | None
    residence_district: str
    routing: Mapping[str, Any]  # the routing record in the scenario format (no id, no choices)


def _account_no(db_session: Session, settings: Settings, now: datetime, taken: set[str]) -> str:
    prefix = settings.account_prefix(now)
    while True:
        candidate = f"{prefix}{secrets.randbelow(10**6):06d}"
        if candidate in taken:
            continue
        if db_session.scalar(select(User.id).where(User.login == candidate)) is None:
            taken.add(candidate)
            return candidate


def _policy_name(db_session: Session, district: str, year: int) -> str:
    name = db_session.scalar(select(ApplicationWindow.policy).where(
        ApplicationWindow.district == district, ApplicationWindow.year == year).limit(1))
    if name is None:
        raise ChoiceError("window_not_found", detail=f"{district}/{year}")
    return name


def import_reviewed(*, db_session: Session, settings: Settings, actor: audit.Actor, district: str,
                    year: int, stage: str, records: Sequence[ReviewedRecord], now: datetime) -> list[str]:
    """Create verified applicants (accounts without a password) with their routing records,
    all or nothing. Returns their pseudonyms, in the order of ``records``.

    Raises ``IntakeError``: ``id_*`` (a bad ID number), ``id_already_registered``;
    ``ChoiceError``: ``window_not_found``, ``catalogue_missing``, ``routing_record_invalid``.
    """
    _policy_name(db_session, district, year)
    choice_service.schools_of(db_session=db_session, district=district, year=year, stage=stage)
    taken: set[str] = set()
    pseudonyms: list[str] = []
    made: list[tuple[Applicant, RoutingRecord]] = []
    try:
        for r in records:
            number = identity.normalise("resident_id", r.child_id_number)
            try:
                identity.check_document("resident_id", number, birth_date=r.child_birth_date,
                                        sex=r.child_sex)
            except IntakeError as exc:
                raise IntakeError(exc.code, field=f"child_{exc.field}") from None
            id_key = f"resident_id:{number}"
            if db_session.scalar(select(Applicant.id).where(Applicant.child_id_key == id_key)) is not None:
                raise IntakeError("id_already_registered", field="child_id_number")
            pseudonym = "A" + secrets.token_hex(16)
            record = dict(r.routing)
            user = User(login=_account_no(db_session, settings, now, taken), role=Role.PARENT,
                        district=district, mobile=r.guardian_mobile, password_hash=NO_PASSWORD,
                        status="active", failed_logins=0, created_at=now)
            db_session.add(user)
            db_session.flush()
            applicant = Applicant(
                pseudonym=pseudonym, user_id=user.id, district=district, status=Status.VERIFIED,
                created_at=now, notice_shown_at=now, agreed_at=now, child_nationality="CHN",
                hukou_province=r.hukou_province, hukou_district=r.hukou_district,
                residence_district=r.residence_district, child_name=r.child_name, child_sex=r.child_sex,
                child_birth_date=r.child_birth_date, child_id_type="resident_id", child_id_number=number,
                child_id_key=id_key, guardian_name=r.guardian_name, guardian_mobile=r.guardian_mobile,
                categories=[], verified_at=now)
            db_session.add(applicant)
            db_session.flush()
            routing = RoutingRecord(applicant_id=applicant.id, year=year, stage=stage, record=record,
                                    recorded_at=now)
            db_session.add(routing)
            made.append((applicant, routing))
            audit.append(db_session=db_session, actor=actor, action="imported_verified", subject=pseudonym,
                         now=now, to_state=Status.VERIFIED)
            pseudonyms.append(pseudonym)
        db_session.flush()
        # Verified on import: routed now, in one pass (every record checked; a bad one
        # names its applicant and nothing is imported).
        choice_service.store_routes(db_session, made, now=now)
        db_session.commit()
    except BaseException:
        db_session.rollback()
        raise
    log.info("imported %d reviewed applicants district=%s", len(pseudonyms), district)
    return pseudonyms


def import_choices(*, db_session: Session, actor: audit.Actor, year: int,
                   choices: Mapping[str, Mapping[str, Sequence[str]]], now: datetime) -> int:
    """Record transferred choice lists ``{pseudonym: {list: [school, ...]}}`` inside their
    open windows, checked as a parent's submission; all or nothing. Returns how many lists.

    Raises ``IntakeError('applicant_not_found')``, ``ChoiceError``: ``not_verified``,
    ``not_routed``, ``unknown_kind``, ``window_not_found``, ``window_closed``,
    ``choices_exist``, and the list checks of ``rules.check_choices``.
    """
    stored = 0
    sources: dict[tuple[str, int, str], choice_service.Schools] = {}  # read once per stage
    try:
        for pseudonym, lists in choices.items():
            applicant = db_session.scalar(select(Applicant).where(Applicant.pseudonym == pseudonym))
            if applicant is None:
                raise IntakeError("applicant_not_found")
            if applicant.status != Status.VERIFIED:
                raise ChoiceError("not_verified")
            ctx = choice_service.context_of(db_session=db_session, applicant=applicant, sources=sources)
            if ctx.year != year:
                raise ChoiceError("not_routed")
            allowed = ctx.allowed
            routing = ctx.route
            for kind, schools in lists.items():
                if kind not in rules.LISTS or f"{routing.stage}.{kind}" not in windows.KINDS:
                    raise ChoiceError("unknown_kind", field="kind")
                window = windows.get_or_raise(db_session=db_session, district=applicant.district,
                                              year=year, kind=f"{routing.stage}.{kind}")
                windows.require_open(window, now)
                if db_session.scalar(select(ChoiceSet.id).where(
                        ChoiceSet.applicant_id == applicant.id, ChoiceSet.year == year,
                        ChoiceSet.kind == kind)) is not None:
                    raise ChoiceError("choices_exist")
                chosen = rules.check_choices(kind, schools, allowed)
                row = ChoiceSet(applicant_id=applicant.id, window_id=window.id, district=applicant.district,
                                year=year, stage=routing.stage, kind=kind,
                                zone=allowed.zone if kind == "zone" else None, schools=chosen, version=1,
                                submitted_at=now, updated_at=now)
                db_session.add(row)
                db_session.flush()
                audit.append(db_session=db_session, actor=actor, action="choices_imported", subject=pseudonym,
                             now=now, to_state=f"{kind}@1",
                             reason=json.dumps(chosen, ensure_ascii=True, separators=(",", ":")))
                stored += 1
        db_session.commit()
    except BaseException:
        db_session.rollback()
        raise
    return stored
