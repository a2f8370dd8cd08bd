"""Intake use cases: the guardian notice, registration, detailed information.

Keyword-only functions; each use case commits exactly one transaction (the captcha check
commits its own consumption first, see ``paiwei.captcha.service.check``).
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paiwei import data
from paiwei.accounts.models import MobileQuota, Role, User
from paiwei.accounts.passwords import check_policy, hash_password
from paiwei.audit import service as audit
from paiwei.captcha import service as captcha
from paiwei.intake import identity
from paiwei.intake.errors import IntakeError
from paiwei.intake.models import STATUS_TEXT, Applicant, Guardian, NoticeView, Status
from paiwei.intake.schemas import (
    ApplicantRead,
    CollectionFormRead,
    DetailsCreate,
    GuardianRead,
    RegistrationCreate,
    ResidenceIn,
)
from paiwei.settings import Settings
from paiwei.sms import service as sms
from paiwei.sms.sender import SmsSender

log = logging.getLogger(__name__)

NOTICE_TEXT = (
    "监护人须知：请如实填写适龄儿童及监护人信息，监护人须承担由于虚假、错误信息产生的相应责任。"
    "一个证件号码只允许注册一个账号；每个监护人手机号码最多允许注册三个账号。"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_BEIJING_OFFSET = timedelta(hours=8)
EDITABLE = frozenset({Status.REGISTERED, Status.DETAILS_SUBMITTED, Status.RETURNED})


@dataclass(frozen=True, slots=True)
class NoticeTicket:
    token: str
    shown_at: datetime


@dataclass(frozen=True, slots=True)
class Registered:
    account_no: str
    pseudonym: str


def parse_date(text: str, *, field: str, code: str = "birth_date_format") -> date:
    """Dates are ``YYYY-MM-DD`` exactly (manual §一 注意事项 4)."""
    if not _DATE.match(text):
        raise IntakeError(code, field=field)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise IntakeError(code, field=field) from None


def _past_date(text: str, *, field: str, now: datetime) -> date:
    """A date of the policy's conditions (a tenancy's or an employment's start): a real
    ``YYYY-MM-DD`` date, not after the day the details are entered (Beijing time)."""
    value = parse_date(text, field=field, code="date_format")
    if value > (now + _BEIJING_OFFSET).date():
        raise IntakeError("date_in_future", field=field)
    return value


def _place(code: str, *, field: str) -> str:
    """工作单位所属区、社会保险缴纳地: a Beijing district, ``other`` (outside Beijing) or ``none``."""
    if code not in data.codes("districts") | data.codes("work_places"):
        raise IntakeError("invalid_choice", field=field)
    return code


def _choice(enumeration: str, code: str | None, *, field: str) -> str:
    if code is None or code not in data.codes(enumeration):
        raise IntakeError("invalid_choice", field=field)
    return code


def _mobile(number: str, *, field: str) -> str:
    if not _MOBILE.match(number):
        raise IntakeError("mobile_format", field=field)
    return number


def open_notice(*, db_session: Session, district: str, now: datetime) -> NoticeTicket:
    """Record that the guardian notice is shown now, for the chosen district."""
    _choice("districts", district, field="district")
    ticket = NoticeView(token=secrets.token_urlsafe(32), district=district, shown_at=now)
    db_session.add(ticket)
    db_session.commit()
    return NoticeTicket(token=ticket.token, shown_at=now)


def request_registration_code(*, db_session: Session, settings: Settings, sender: SmsSender,
                              mobile: str, now: datetime) -> None:
    sms.issue_code(db_session=db_session, settings=settings, sender=sender,
                   mobile=_mobile(mobile, field="mobile"), purpose="register", now=now)
    db_session.commit()


def _new_account_no(db_session: Session, settings: Settings, now: datetime) -> str:
    prefix = settings.account_prefix(now)
    while True:
        candidate = f"{prefix}{secrets.randbelow(10**6):06d}"
        if db_session.scalar(select(User.id).where(User.login == candidate)) is None:
            return candidate


def _claim_mobile_slot(db_session: Session, mobile: str, limit: int) -> None:
    dialect = db_session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db_session.execute(insert(MobileQuota).values(mobile=mobile, used=0).on_conflict_do_nothing())
    claimed = db_session.execute(
        update(MobileQuota).where(MobileQuota.mobile == mobile, MobileQuota.used < limit)
        .values(used=MobileQuota.used + 1).execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise IntakeError("mobile_quota_exceeded", field="guardian_mobile")


@dataclass(frozen=True, slots=True)
class _Checked:
    district: str
    hukou_district: str | None
    residence: str
    birth: date
    id_number: str
    mobile: str
    notice: NoticeView


def _check_registration(r: RegistrationCreate, notice: NoticeView | None, settings: Settings,
                        now: datetime) -> _Checked:
    """Every registration rule that needs no other record; raises ``IntakeError``."""
    # The guardian notice: shown (server-side timestamp) at least 10 s ago, then agreed.
    if notice is None or notice.used_at is not None or notice.district != r.district:
        raise IntakeError("notice_invalid", field="notice_token")
    if now - notice.shown_at < timedelta(seconds=settings.notice_min_read_seconds):
        raise IntakeError("notice_not_read", field="notice_agreed")
    if not r.notice_agreed:
        raise IntakeError("notice_not_agreed", field="notice_agreed")
    if not r.privacy_agreed:
        raise IntakeError("privacy_not_agreed", field="privacy_agreed")

    district = _choice("districts", r.district, field="district")
    _choice("nationalities", r.child_nationality, field="child_nationality")
    _choice("provinces", r.hukou_province, field="hukou_province")
    hukou_district = None
    if r.hukou_province == data.BEIJING_PROVINCE_CODE:
        hukou_district = _choice("districts", r.hukou_district, field="hukou_district")
    residence = _choice("districts", r.residence_district, field="residence_district")
    if r.child_sex not in {"M", "F"}:
        raise IntakeError("invalid_choice", field="child_sex")
    _choice("id_types", r.child_id_type, field="child_id_type")
    birth = parse_date(r.child_birth_date, field="child_birth_date")  # rule 4
    number = identity.normalise(r.child_id_type, r.child_id_number)
    try:
        identity.check_document(r.child_id_type, number, birth_date=birth, sex=r.child_sex)
    except IntakeError as exc:
        raise IntakeError(exc.code, field=f"child_{exc.field}") from None
    mobile = _mobile(r.guardian_mobile, field="guardian_mobile")
    # Rule 2: household registration or residence in the chosen district.
    if district not in {residence, hukou_district}:
        raise IntakeError("district_mismatch", field="residence_district")
    check_policy(r.password)  # rule 6
    if r.password != r.password_confirm:
        raise IntakeError("password_mismatch", field="password_confirm")
    return _Checked(district, hukou_district, residence, birth, number, mobile, notice)


def register(*, db_session: Session, settings: Settings, sender: SmsSender,
             registration_in: RegistrationCreate, now: datetime) -> Registered:
    """Create a parent account and its applicant (manual §一).

    Raises ``IntakeError`` for each rule: ``captcha_invalid``, ``notice_invalid``,
    ``notice_not_read``, ``notice_not_agreed``, ``privacy_not_agreed``, ``invalid_choice``,
    ``birth_date_format``, ``mobile_format``, ``id_*``, ``district_mismatch``,
    ``password_policy``, ``password_mismatch``, ``sms_code_invalid``,
    ``id_already_registered``, ``mobile_quota_exceeded``.
    """
    r = registration_in
    captcha.check(db_session=db_session, settings=settings, captcha_id=r.captcha_id, answer=r.captcha_answer, now=now)
    notice = db_session.get(NoticeView, r.notice_token)
    c = _check_registration(r, notice, settings, now)

    # Rule 7: the SMS code, single use.
    sms.consume_code(db_session=db_session, settings=settings, mobile=c.mobile, purpose="register", code=r.sms_code, now=now)
    db_session.execute(
        update(NoticeView).where(NoticeView.token == c.notice.token).values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    # Rule 3 (the unique index on child_id_key backs this up under concurrency).
    id_key = f"{r.child_id_type}:{c.id_number}"
    if db_session.scalar(select(Applicant.id).where(Applicant.child_id_key == id_key)) is not None:
        raise IntakeError("id_already_registered", field="child_id_number")
    _claim_mobile_slot(db_session, c.mobile, settings.max_accounts_per_mobile)  # rule 5

    account_no = _new_account_no(db_session, settings, now)
    user = User(
        login=account_no, role=Role.PARENT, district=c.district, mobile=c.mobile, created_at=now,
        password_hash=hash_password(r.password, log2_n=settings.scrypt_log2_n,
                                    r=settings.scrypt_r, p=settings.scrypt_p),
        status="active", failed_logins=0,
    )
    db_session.add(user)
    db_session.flush()
    applicant = Applicant(
        pseudonym="A" + secrets.token_hex(16), user_id=user.id, district=c.district,
        status=Status.REGISTERED, created_at=now, notice_shown_at=c.notice.shown_at,
        agreed_at=now, child_nationality=r.child_nationality, hukou_province=r.hukou_province,
        hukou_district=c.hukou_district, residence_district=c.residence, child_name=r.child_name,
        child_sex=r.child_sex, child_birth_date=c.birth, child_id_type=r.child_id_type,
        child_id_number=c.id_number, child_id_key=id_key, guardian_name=r.guardian_name,
        guardian_mobile=c.mobile, categories=[],
    )
    db_session.add(applicant)
    try:
        db_session.flush()
        audit.append(db_session=db_session, actor=audit.Actor(user.id, Role.PARENT),
                     action="registered", subject=applicant.pseudonym, now=now,
                     to_state=Status.REGISTERED)
        sender.send(db_session=db_session, mobile=c.mobile, now=now,
                    body=f"【北京市义务教育入学服务平台】信息注册成功，您的账号为：{account_no}，请妥善保管。")
        db_session.commit()
    except IntegrityError:
        db_session.rollback()
        raise IntakeError("id_already_registered", field="child_id_number") from None
    log.info("applicant registered pseudonym=%s district=%s", applicant.pseudonym, c.district)
    return Registered(account_no=account_no, pseudonym=applicant.pseudonym)


def applicant_of_user(*, db_session: Session, user_id: int) -> Applicant:
    applicant = db_session.scalar(select(Applicant).where(Applicant.user_id == user_id))
    if applicant is None:
        raise IntakeError("applicant_not_found")
    return applicant


def get_by_pseudonym_or_raise(*, db_session: Session, pseudonym: str) -> Applicant:
    applicant = db_session.scalar(select(Applicant).where(Applicant.pseudonym == pseudonym))
    if applicant is None:
        raise IntakeError("applicant_not_found")
    return applicant


def _check_unchanged(applicant: Applicant, details: DetailsCreate) -> None:
    """Registered basic information cannot be changed (manual §二 注意事项 2)."""
    c = details.child
    registered = {
        "name": applicant.child_name, "id_type": applicant.child_id_type,
        "id_number": applicant.child_id_number,
        "birth_date": applicant.child_birth_date.isoformat(), "sex": applicant.child_sex,
        "nationality": applicant.child_nationality, "hukou_province": applicant.hukou_province,
    }
    for field, stored in registered.items():
        given = getattr(c, field)
        if field == "id_number" and given is not None:
            given = identity.normalise(applicant.child_id_type, given)
        if given is not None and given != stored:
            raise IntakeError("basic_info_immutable", field=f"child.{field}")


def _checked_guardians(d: DetailsCreate, now: datetime) -> list[Guardian]:
    if not 1 <= len(d.guardians) <= 2:
        raise IntakeError("guardian_count", field="guardians")
    guardians = []
    for position, g in enumerate(d.guardians, start=1):
        prefix = f"guardians.{position - 1}"
        for enumeration, attr in (("relations", "relation"), ("nationalities", "nationality"),
                                  ("provinces", "hukou_province"), ("id_types", "id_type"),
                                  ("education_levels", "education"), ("work_natures", "work_nature")):
            _choice(enumeration, getattr(g, attr), field=f"{prefix}.{attr}")
        _place(g.employer_district, field=f"{prefix}.employer_district")
        _place(g.social_insurance_district, field=f"{prefix}.social_insurance_district")
        start = (None if g.employment_start is None
                 else _past_date(g.employment_start, field=f"{prefix}.employment_start", now=now))
        number = identity.normalise(g.id_type, g.id_number)
        try:
            identity.check_document(g.id_type, number, birth_date=None, sex=None)
        except IntakeError as exc:
            raise IntakeError(exc.code, field=f"{prefix}.id_number") from None
        _mobile(g.phone, field=f"{prefix}.phone")
        guardians.append(Guardian(
            position=position, name=g.name, relation=g.relation, nationality=g.nationality,
            hukou_province=g.hukou_province, id_type=g.id_type, id_number=number,
            education=g.education, phone=g.phone, work_nature=g.work_nature, employer=g.employer,
            employer_district=g.employer_district, social_insurance_months=g.social_insurance_months,
            employment_start=start, labour_contract=g.labour_contract,
            social_insurance_district=g.social_insurance_district,
        ))
    return guardians


@dataclass(frozen=True, slots=True)
class _Dwelling:
    property_date: date | None = None
    rental_date: date | None = None
    rental_start: date | None = None


def _checked_dwelling(res: ResidenceIn, now: datetime) -> _Dwelling:
    """Residence choices; the property (owned) or rental (rented) record and its dates."""
    _choice("districts", res.district, field="residence.district")
    streets = data.streets_of(res.district)
    if streets and res.street not in {code for code, _ in streets}:
        raise IntakeError("invalid_choice", field="residence.street")
    _choice("dwelling_types", res.dwelling_type, field="residence.dwelling_type")
    if res.dwelling_type == "owned":
        if res.property is None:
            raise IntakeError("dwelling_details_missing", field="residence.property")
        prop = res.property
        _choice("certificate_holders", prop.holder, field="residence.property.holder")
        _choice("certificate_types", prop.certificate_type, field="residence.property.certificate_type")
        return _Dwelling(property_date=parse_date(prop.certificate_date,
                                                  field="residence.property.certificate_date"))
    if res.dwelling_type == "rented":
        if res.rental is None:
            raise IntakeError("dwelling_details_missing", field="residence.rental")
        rental = res.rental
        start = _past_date(rental.start_date, field="residence.rental.start_date", now=now)
        if (rental.registration_no is None) != (rental.registration_date is None):
            missing = "registration_date" if rental.registration_date is None else "registration_no"
            raise IntakeError("registration_incomplete", field=f"residence.rental.{missing}")
        registered = (None if rental.registration_date is None else
                      parse_date(rental.registration_date, field="residence.rental.registration_date"))
        return _Dwelling(rental_date=registered, rental_start=start)
    return _Dwelling()


def _checked_school_record(d: DetailsCreate) -> tuple[str | None, str | None]:
    """A junior applicant's 学籍: the province, and the district when it is in Beijing."""
    record = d.school_record
    if record is None:
        return None, None
    _choice("provinces", record.province, field="school_record.province")
    if record.province != data.BEIJING_PROVINCE_CODE:
        return record.province, None
    if record.district is None:
        raise IntakeError("school_record_district_missing", field="school_record.district")
    return record.province, _choice("districts", record.district, field="school_record.district")


_GUARDIAN_HOLDERS = frozenset({"parent", "other_guardian"})


def _checked_family_property(d: DetailsCreate, district: str) -> str:
    """无房 (§三（一）1（3）): none, beijing (another district only) or district. A home the
    parents or other guardians own and live in already says which: it must agree."""
    stated = _choice("family_property", d.family_property, field="family_property")
    res, prop = d.residence, d.residence.property
    if res.dwelling_type == "owned" and prop is not None and prop.for_residence \
            and prop.holder in _GUARDIAN_HOLDERS:
        least = "district" if res.district == district else "beijing"
        if stated == "none" or (least == "district" and stated != "district"):
            raise IntakeError("family_property_contradicts_residence", field="family_property")
    return stated


def _checked_placement(d: DetailsCreate) -> str | None:
    """A disabled child's requested placement (§四（二）1（4）、2（4））; 小学附设特教班 is for
    primary school only, so not with a 学籍 (a junior applicant's)."""
    if d.disability_placement is None:
        return None
    placement = _choice("disability_placements", d.disability_placement, field="disability_placement")
    if placement == "special_class" and d.school_record is not None:
        raise IntakeError("special_class_primary_only", field="disability_placement")
    return placement


def _checked_conditions(d: DetailsCreate, district: str) -> tuple[str, str | None]:
    """无房, the requested placement and the care categories the parent states."""
    for position, category in enumerate(d.categories):
        _choice("care_categories", category, field=f"categories.{position}")
    if len(set(d.categories)) != len(d.categories):
        raise IntakeError("invalid_choice", field="categories")
    return _checked_family_property(d, district), _checked_placement(d)


def submit_details(*, db_session: Session, user_id: int, details_in: DetailsCreate,
                   now: datetime) -> Applicant:
    """Record the detailed information (figure 9) and send it to review.

    Raises ``IntakeError``: ``basic_info_immutable``, ``details_locked``,
    ``guardian_count``, ``invalid_choice``, ``dwelling_details_missing``, ``id_*``,
    ``mobile_format``, ``birth_date_format``, ``date_format``, ``date_in_future``,
    ``registration_incomplete``, ``school_record_district_missing``,
    ``family_property_contradicts_residence``, ``special_class_primary_only``.
    """
    applicant = applicant_of_user(db_session=db_session, user_id=user_id)
    _check_unchanged(applicant, details_in)
    if applicant.status not in EDITABLE:
        raise IntakeError("details_locked")
    d = details_in
    _choice("hukou_types", d.child.hukou_type, field="child.hukou_type")
    _choice("ethnic_groups", d.child.ethnicity, field="child.ethnicity")
    res = d.residence
    dwelling = _checked_dwelling(res, now)
    record_province, record_district = _checked_school_record(d)
    guardians = _checked_guardians(d, now)
    family_property, placement = _checked_conditions(d, applicant.district)

    before = applicant.status
    applicant.hukou_address = d.child.hukou_address
    applicant.hukou_type = d.child.hukou_type
    applicant.ethnicity = d.child.ethnicity
    applicant.address = d.child.address
    applicant.actual_district = res.district
    applicant.actual_street = res.street
    applicant.actual_address = res.address
    applicant.dwelling_type = res.dwelling_type
    prop = res.property if res.dwelling_type == "owned" else None
    rental = res.rental if res.dwelling_type == "rented" else None
    applicant.property_certificate_no = prop.certificate_no if prop else None
    applicant.property_certificate_date = dwelling.property_date
    applicant.property_address = prop.address if prop else None
    applicant.property_holder = prop.holder if prop else None
    applicant.property_certificate_type = prop.certificate_type if prop else None
    applicant.property_for_residence = prop.for_residence if prop else None
    applicant.rental_registration_no = rental.registration_no if rental else None
    applicant.rental_registration_date = dwelling.rental_date
    applicant.rental_start_date = dwelling.rental_start
    applicant.rental_continuous = rental.continuous if rental else None
    applicant.rental_sole = rental.sole_tenancy if rental else None
    applicant.school_record_province = record_province
    applicant.school_record_district = record_district
    applicant.family_property = family_property
    applicant.disability_placement = placement
    applicant.categories = sorted(d.categories)
    applicant.guardians.clear()
    db_session.flush()
    applicant.guardians.extend(guardians)
    applicant.details_submitted_at = now
    applicant.return_reason = None
    applicant.status = Status.DETAILS_SUBMITTED
    audit.append(db_session=db_session, actor=audit.Actor(user_id, Role.PARENT),
                 action="details_submitted", subject=applicant.pseudonym, now=now,
                 from_state=before, to_state=Status.DETAILS_SUBMITTED)
    db_session.commit()
    return applicant


def to_read(applicant: Applicant, *, account_no: str) -> ApplicantRead:
    def iso(value: date | None) -> str | None:
        return value.isoformat() if value else None

    return ApplicantRead(
        account_no=account_no, district=applicant.district, status=applicant.status,
        status_text=STATUS_TEXT[Status(applicant.status)], return_reason=applicant.return_reason,
        child_name=applicant.child_name, child_sex=applicant.child_sex,
        child_birth_date=applicant.child_birth_date.isoformat(),
        child_nationality=applicant.child_nationality, child_id_type=applicant.child_id_type,
        child_id_number=applicant.child_id_number, hukou_province=applicant.hukou_province,
        hukou_district=applicant.hukou_district, residence_district=applicant.residence_district,
        guardian_name=applicant.guardian_name, guardian_mobile=applicant.guardian_mobile,
        hukou_address=applicant.hukou_address, hukou_type=applicant.hukou_type,
        ethnicity=applicant.ethnicity, address=applicant.address,
        actual_district=applicant.actual_district, actual_street=applicant.actual_street,
        actual_address=applicant.actual_address, dwelling_type=applicant.dwelling_type,
        property_certificate_no=applicant.property_certificate_no,
        property_certificate_date=iso(applicant.property_certificate_date),
        property_address=applicant.property_address,
        rental_registration_no=applicant.rental_registration_no,
        rental_registration_date=iso(applicant.rental_registration_date),
        property_holder=applicant.property_holder,
        property_certificate_type=applicant.property_certificate_type,
        property_for_residence=applicant.property_for_residence,
        rental_start_date=iso(applicant.rental_start_date),
        rental_continuous=applicant.rental_continuous, rental_sole=applicant.rental_sole,
        school_record_province=applicant.school_record_province,
        school_record_district=applicant.school_record_district,
        family_property=applicant.family_property,
        disability_placement=applicant.disability_placement,
        categories=list(applicant.categories or []),
        guardians=[GuardianRead(
            position=g.position, name=g.name, relation=g.relation, nationality=g.nationality,
            hukou_province=g.hukou_province, id_type=g.id_type, id_number=g.id_number,
            education=g.education, phone=g.phone, work_nature=g.work_nature, employer=g.employer,
            employer_district=g.employer_district, social_insurance_months=g.social_insurance_months,
            employment_start=iso(g.employment_start), labour_contract=g.labour_contract,
            social_insurance_district=g.social_insurance_district,
        ) for g in applicant.guardians],
    )


def my_application(*, db_session: Session, user_id: int) -> ApplicantRead:
    applicant = applicant_of_user(db_session=db_session, user_id=user_id)
    user = db_session.get(User, user_id)
    if user is None:
        raise IntakeError("applicant_not_found")
    return to_read(applicant, account_no=user.login)


def collection_form(*, db_session: Session, user_id: int, now: datetime) -> CollectionFormRead:
    """学龄人口信息采集表: only for verified applicants (manual §三 注意事项 3).

    Raises ``IntakeError('not_verified')``.
    """
    applicant = applicant_of_user(db_session=db_session, user_id=user_id)
    if applicant.status != Status.VERIFIED:
        raise IntakeError("not_verified")
    read = my_application(db_session=db_session, user_id=user_id)
    return CollectionFormRead(form_no=read.account_no,
                              district_name=data.label("districts", applicant.district),
                              applicant=read, generated_at=now)


def notice_seconds_left(*, db_session: Session, settings: Settings, token: str,
                        now: datetime) -> int | None:
    """Seconds until the notice opened with ``token`` may be agreed to (0 when it may be
    already); None when the token is unknown or used."""
    notice = db_session.get(NoticeView, token)
    if notice is None or notice.used_at is not None:
        return None
    waited = (now - notice.shown_at).total_seconds()
    return max(0, int(settings.notice_min_read_seconds - waited + 0.999))
