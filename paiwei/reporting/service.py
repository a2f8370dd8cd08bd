"""Report use cases that read the database: the collection form (own account), the
notary's protocol of a round (public inputs only), admission notices and the printable
choice receipt. Each returns frozen values for :mod:`reports`; none writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from paiwei import data
from paiwei.accounts.models import User
from paiwei.intake import service as intake
from paiwei.intake.models import Applicant, Status
from paiwei.rounds import service as rounds
from paiwei.rounds.models import Round
from reports.collection_form import (
    CollectionForm,
    GuardianLines,
    fields_digest,
    form_fields,
    verification_code,
    verification_url,
)
from reports.personal import Notice, Receipt, ReceiptChoice
from reports.protocol import Protocol, protocol_of

BEIJING = timezone(timedelta(hours=8))
SEX = {"M": "男", "F": "女"}
POSITIONS = {1: "一", 2: "二"}


def _label(enumeration: str, code: str | None) -> str:
    if not code:
        return "—"
    try:
        return data.label(enumeration, code)
    except KeyError:
        return "—"  # a code no longer in the list: never print the raw code


def district_name(code_or_slug: str) -> str:
    """朝阳区 for ``110105`` or ``chaoyang``."""
    for code, name in data.items("districts"):
        if code_or_slug in (code, data.district_slug(code)):
            return name
    return "—"


def beijing_time(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def collection_form_of(applicant: Applicant, *, form_no: str, now: datetime, base_url: str) -> CollectionForm:
    """The form's values for one verified applicant (labels, never codes)."""
    hukou = _label("provinces", applicant.hukou_province)
    if applicant.hukou_district:
        hukou += _label("districts", applicant.hukou_district)
    local = applicant.hukou_province == data.BEIJING_PROVINCE_CODE
    material = "—（本市户籍）" if local else (
        applicant.rental_registration_no or applicant.property_certificate_no or "—")
    guardians = tuple(GuardianLines(
        position=POSITIONS.get(g.position, str(g.position)), name=g.name, relation=_label("relations", g.relation),
        id_type=_label("id_types", g.id_type), id_number=g.id_number,
        education=_label("education_levels", g.education), phone=g.phone, employer=g.employer,
    ) for g in sorted(applicant.guardians, key=lambda g: g.position))
    street = dict(data.streets_of(applicant.actual_district or "")).get(applicant.actual_street or "", "")
    form = CollectionForm(
        district=_label("districts", applicant.district), form_no=form_no, code="", verify_url="",
        generated_at=beijing_time(now), name=applicant.child_name, sex=SEX.get(applicant.child_sex, "—"),
        nationality=_label("nationalities", applicant.child_nationality),
        ethnicity=_label("ethnic_groups", applicant.ethnicity),
        birth_date=applicant.child_birth_date.isoformat(), id_type=_label("id_types", applicant.child_id_type),
        id_number=applicant.child_id_number, hukou=hukou, hukou_address=applicant.hukou_address or "—",
        residence_district=_label("districts", applicant.actual_district or applicant.residence_district),
        residence_address=f"{street}{applicant.actual_address or applicant.address or ''}" or "—",
        guardians=guardians, remarks="、".join(_label("care_categories", c) for c in applicant.categories or []) or "无", material_no=material,
    )
    code = verification_code(form_no, fields_digest(form_fields(form)))
    return CollectionForm(**{**{k: getattr(form, k) for k in form.__dataclass_fields__},
                             "code": code, "verify_url": verification_url(base_url, form_no, code)})


def collection_form(*, db_session: Session, user_id: int, now: datetime, base_url: str) -> CollectionForm:
    """学龄人口信息采集表 of the parent's own child: verified applicants only.

    Raises ``IntakeError('not_verified')``, ``IntakeError('applicant_not_found')``.
    """
    intake.collection_form(db_session=db_session, user_id=user_id, now=now)  # the access rule, in one place
    applicant = intake.applicant_of_user(db_session=db_session, user_id=user_id)
    user = db_session.get(User, user_id)
    assert user is not None  # noqa: S101  applicant_of_user found the applicant of this user
    return collection_form_of(applicant, form_no=user.login, now=now, base_url=base_url)


def check_collection_form(*, db_session: Session, form_no: str, code: str, now: datetime, base_url: str) -> bool:
    """Whether ``code`` is the verification code of form ``form_no`` as the record stands
    (for the verification page: it answers yes or no, nothing else)."""
    row = db_session.execute(select(Applicant).join(User, User.id == Applicant.user_id)
                             .where(User.login == form_no)).scalar_one_or_none()
    if row is None or row.status != Status.VERIFIED:
        return False
    return collection_form_of(row, form_no=form_no, now=now, base_url=base_url).code == code.strip().upper()


def verified_forms(*, db_session: Session, now: datetime, base_url: str, limit: int) -> list[CollectionForm]:
    """Collection forms of verified applicants who have a password (registered through the
    portal), in account order, at most ``limit`` (staff printing; the demo)."""
    from paiwei.intake.transfer import NO_PASSWORD  # noqa: PLC0415

    query = (select(Applicant, User.login).join(User, User.id == Applicant.user_id)
             .where(Applicant.status == Status.VERIFIED, User.password_hash != NO_PASSWORD)
             .order_by(User.login).limit(limit))
    return [collection_form_of(a, form_no=login, now=now, base_url=base_url)
            for a, login in db_session.execute(query)]


def protocol_of_round(*, db_session: Session, row: Round) -> Protocol:
    """The notary's protocol of a drawn round, from its bundle and freeze statement (the
    same two public files the publication folder holds) and the schools' names.

    Raises ``RoundError('round_not_drawn')`` before the run.
    """
    from paiwei.rounds.errors import RoundError  # noqa: PLC0415

    if row.bundle is None:
        raise RoundError("out_of_order", detail="the round has no bundle yet")
    bundle: dict[str, Any] = json.loads(row.bundle)
    statement = json.loads(row.freeze_statement) if row.freeze_statement else None
    names = {str(s["school"]): str(s["name"]) for s in rounds.publication_of(db_session=db_session, row=row).schools}
    return protocol_of(bundle, statement, school_names=names,
                       district=district_name(str((bundle.get("allocation") or {}).get("district", ""))),
                       bundle_file=f"rounds/{row.round}/bundle.json")




# --- admission notices and choice receipts ---------------------------------------------------

KINDS = {"private_boarding": "民办及公办寄宿学校志愿", "zone": "片区志愿", "groups": "初中第一批次分组志愿"}


def _issued(now: datetime) -> str:
    d = now.astimezone(BEIJING)
    return f"{d.year}年{d.month}月{d.day}日"


def notices(*, db_session: Session, pseudonyms: list[str], now: datetime) -> list[Notice]:
    """入学通知书 of the given applicants who are placed in a published round (others are
    skipped: they have no school to be admitted to)."""
    from paiwei.rounds.errors import RoundError  # noqa: PLC0415

    out = []
    for pseudonym in pseudonyms:
        applicant = intake.get_by_pseudonym_or_raise(db_session=db_session, pseudonym=pseudonym)
        try:
            result: dict[str, Any] = dict(rounds.result_for(db_session=db_session, applicant=pseudonym))
        except RoundError:
            continue
        if result.get("status") != "placed" or not result.get("school"):
            continue
        deciding = next((e for e in result["rounds"] if e.get("placed")), None)
        year = int(str(result["season"]).split("/")[1])
        out.append(Notice(district=_label("districts", applicant.district), year=year, name=applicant.child_name,
                          applicant=pseudonym, school=str(result["school"]["name"]),
                          round_title=str((deciding or {}).get("title") or "区教委统筹安排"),
                          ticket=str((deciding or {}).get("ticket") or "")[:16], issued=_issued(now)))
    return out


def my_notice(*, db_session: Session, user_id: int, now: datetime) -> Notice:
    """The parent's own child's admission notice. Raises ``RoundError('result_not_published')``
    (404) while no published round has placed the child."""
    from paiwei.rounds.errors import RoundError  # noqa: PLC0415

    applicant = intake.applicant_of_user(db_session=db_session, user_id=user_id)
    found = notices(db_session=db_session, pseudonyms=[applicant.pseudonym], now=now)
    if not found:
        raise RoundError("result_not_published")
    return found[0]


def receipt(*, db_session: Session, user_id: int, kind: str, now: datetime) -> Receipt:
    """The parent's own printable choice receipt (志愿回执). Raises ``ChoiceError``:
    ``unknown_kind``, ``choices_not_found``, ``window_still_open``."""
    from paiwei.choices import service as choices  # noqa: PLC0415
    from paiwei.choices.models import SchoolCatalogue  # noqa: PLC0415

    read = choices.receipt(db_session=db_session, user_id=user_id, kind=kind, now=now)
    record = read.record
    catalogue = db_session.scalar(select(SchoolCatalogue).where(
        SchoolCatalogue.district == record["district"], SchoolCatalogue.year == record["year"],
        SchoolCatalogue.stage == record["stage"]).order_by(SchoolCatalogue.id.desc()).limit(1))
    names = {str(s["id"]): str(s.get("name") or "—") for s in (catalogue.schools if catalogue else [])}
    zones = {str(z["id"]): str(z.get("name") or "—") for z in (catalogue.zones if catalogue else [])}

    def when(text: str | None) -> str:
        return beijing_time(datetime.fromisoformat(text.replace("Z", "+00:00"))) if text else "—"

    return Receipt(
        district=_label("districts", record["district"]), year=int(record["year"]),
        kind=KINDS.get(record["kind"], "—"), zone=zones.get(str(record.get("zone")), "—"),
        applicant=str(record["applicant"]["id"]),
        choices=tuple(ReceiptChoice(i, names.get(s, "—"), s) for i, s in enumerate(record["applicant"]["choices"], 1)),
        version=int(record["version"]), submitted_at=when(record.get("submitted_at")),
        locked_at=when(record.get("locked_at")), sha256=read.sha256, canonical_json=read.canonical_json)
