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

_CHUNK = 500  # values per IN (...) query
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


def _existing(db_session: Session, column: Any, values: Sequence[str]) -> set[str]:
    """Which of ``values`` the column already holds (asked in chunks)."""
    found: set[str] = set()
    for start in range(0, len(values), _CHUNK):
        found |= set(db_session.scalars(select(column).where(column.in_(values[start:start + _CHUNK]))))
    return found


def _account_nos(db_session: Session, settings: Settings, now: datetime, count: int) -> list[str]:
    """``count`` new account numbers, none taken yet."""
    prefix = settings.account_prefix(now)
    chosen: list[str] = []
    while len(chosen) < count:
        candidates = {f"{prefix}{secrets.randbelow(10**6):06d}" for _ in range(count - len(chosen))} - set(chosen)
        fresh = sorted(candidates - _existing(db_session, User.login, sorted(candidates)))
        chosen += fresh[: count - len(chosen)]
    return chosen


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
    numbers: list[str] = []
    for r in records:  # every ID number checked before anything is written
        number = identity.normalise("resident_id", r.child_id_number)
        try:
            identity.check_document("resident_id", number, birth_date=r.child_birth_date, sex=r.child_sex)
        except IntakeError as exc:
            raise IntakeError(exc.code, field=f"child_{exc.field}") from None
        numbers.append(number)
    keys = [f"resident_id:{number}" for number in numbers]
    if len(set(keys)) != len(keys) or _existing(db_session, Applicant.child_id_key, keys):
        raise IntakeError("id_already_registered", field="child_id_number")
    logins = _account_nos(db_session, settings, now, len(records))
    pseudonyms: list[str] = []
    try:
        users = [User(login=login, role=Role.PARENT, district=district, mobile=r.guardian_mobile,
                      password_hash=NO_PASSWORD, status="active", failed_logins=0, created_at=now)
                 for r, login in zip(records, logins, strict=True)]
        db_session.add_all(users)
        db_session.flush()  # one batched insert; the users' ids for the applicants
        applicants = []
        for r, number, key, user in zip(records, numbers, keys, users, strict=True):
            pseudonym = "A" + secrets.token_hex(16)
            applicants.append(Applicant(
                pseudonym=pseudonym, user_id=user.id, district=district, status=Status.VERIFIED,
                created_at=now, notice_shown_at=now, agreed_at=now, child_nationality="CHN",
                hukou_province=r.hukou_province, hukou_district=r.hukou_district,
                residence_district=r.residence_district, child_name=r.child_name, child_sex=r.child_sex,
                child_birth_date=r.child_birth_date, child_id_type="resident_id", child_id_number=number,
                child_id_key=key, guardian_name=r.guardian_name, guardian_mobile=r.guardian_mobile,
                categories=[], verified_at=now))
            pseudonyms.append(pseudonym)
        db_session.add_all(applicants)
        db_session.flush()
        made = [(applicant, RoutingRecord(applicant_id=applicant.id, year=year, stage=stage,
                                          record=dict(r.routing), recorded_at=now))
                for applicant, r in zip(applicants, records, strict=True)]
        db_session.add_all([routing for _, routing in made])
        audit.append_many(db_session=db_session, actor=actor, now=now, entries=[
            audit.Entry("imported_verified", pseudonym, to_state=Status.VERIFIED) for pseudonym in pseudonyms])
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
    sources: dict[tuple[str, int, str], choice_service.Schools] = {}  # read once per stage
    found: dict[str, Applicant] = {}
    names = list(choices)
    for start in range(0, len(names), _CHUNK):
        found.update((a.pseudonym, a) for a in db_session.scalars(
            select(Applicant).where(Applicant.pseudonym.in_(names[start:start + _CHUNK]))))
    ids = [a.id for a in found.values()]
    existing: set[tuple[int, str]] = set()
    for start in range(0, len(ids), _CHUNK):
        existing |= {(aid, kind) for aid, kind in db_session.execute(
            select(ChoiceSet.applicant_id, ChoiceSet.kind).where(
                ChoiceSet.applicant_id.in_(ids[start:start + _CHUNK]), ChoiceSet.year == year))}
    opened: dict[tuple[str, str], ApplicationWindow] = {}
    rows: list[ChoiceSet] = []
    entries: list[audit.Entry] = []
    try:
        for pseudonym, lists in choices.items():
            applicant = found.get(pseudonym)
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
                window = opened.get((applicant.district, f"{routing.stage}.{kind}"))
                if window is None:
                    window = windows.get_or_raise(db_session=db_session, district=applicant.district,
                                                  year=year, kind=f"{routing.stage}.{kind}")
                    windows.require_open(window, now)
                    opened[(applicant.district, f"{routing.stage}.{kind}")] = window
                if (applicant.id, kind) in existing:
                    raise ChoiceError("choices_exist")
                chosen = rules.check_choices(kind, schools, allowed)
                rows.append(ChoiceSet(applicant_id=applicant.id, window_id=window.id, district=applicant.district,
                                      year=year, stage=routing.stage, kind=kind,
                                      zone=allowed.zone if kind == "zone" else None, schools=chosen, version=1,
                                      submitted_at=now, updated_at=now))
                entries.append(audit.Entry("choices_imported", pseudonym, to_state=f"{kind}@1",
                                           reason=json.dumps(chosen, ensure_ascii=True, separators=(",", ":"))))
        db_session.add_all(rows)
        stored = audit.append_many(db_session=db_session, actor=actor, entries=entries, now=now)
        db_session.commit()
    except BaseException:
        db_session.rollback()
        raise
    return stored
