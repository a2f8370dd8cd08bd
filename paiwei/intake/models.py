"""Applicant tables. Fields named after the manual's figures 6 and 9."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from paiwei.db.base import Base


class Status(StrEnum):
    REGISTERED = "registered"  # 已注册
    DETAILS_SUBMITTED = "details_submitted"  # 详细信息已提交，待街道（地区）材料审核
    ID_PENDING = "id_pending"  # 身份证及户籍信息待验证（区级联审）
    VERIFIED = "verified"  # 身份证及户籍信息已验证
    RETURNED = "returned"  # 已退回，待修改后重新提交


STATUS_TEXT = {
    Status.REGISTERED: "已注册，请录入详细信息",
    Status.DETAILS_SUBMITTED: "详细信息已提交，待街道（地区）材料审核",
    Status.ID_PENDING: "身份证及户籍信息待验证",
    Status.VERIFIED: "身份证及户籍信息已验证",
    Status.RETURNED: "已退回，请按退回原因修改后重新提交",
}


class NoticeView(Base):
    """The moment the guardian notice was shown; registration needs it 10 s old."""

    __tablename__ = "notice_views"

    token: Mapped[str] = mapped_column(String(43), primary_key=True)
    district: Mapped[str] = mapped_column(String(6))
    shown_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Applicant(Base):
    __tablename__ = "applicants"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Opaque pseudonym for draws and staff URLs: random, not derived from any identifier.
    pseudonym: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    district: Mapped[str] = mapped_column(String(6), index=True)
    status: Mapped[str] = mapped_column(String(24), default=Status.REGISTERED)
    created_at: Mapped[datetime]
    notice_shown_at: Mapped[datetime]
    agreed_at: Mapped[datetime]

    # Registration (figure 6): cannot be changed afterwards.
    child_nationality: Mapped[str] = mapped_column(String(8))
    hukou_province: Mapped[str] = mapped_column(String(2))
    hukou_district: Mapped[str | None] = mapped_column(String(6))
    residence_district: Mapped[str] = mapped_column(String(6))
    child_name: Mapped[str] = mapped_column(String(64))
    child_sex: Mapped[str] = mapped_column(String(1))
    child_birth_date: Mapped[date]
    child_id_type: Mapped[str] = mapped_column(String(24))
    child_id_number: Mapped[str] = mapped_column(String(32), index=True)
    # "<type>:<number>" while the account is live; cleared on cancellation so the child
    # can register again. The unique index is what holds "one account per ID" under
    # concurrency.
    child_id_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    guardian_name: Mapped[str] = mapped_column(String(64))
    guardian_mobile: Mapped[str] = mapped_column(String(11), index=True)

    # Detailed information (figure 9).
    hukou_address: Mapped[str | None] = mapped_column(String(200))
    hukou_type: Mapped[str | None] = mapped_column(String(24))
    ethnicity: Mapped[str | None] = mapped_column(String(2))
    address: Mapped[str | None] = mapped_column(String(200))
    actual_district: Mapped[str | None] = mapped_column(String(6))
    actual_street: Mapped[str | None] = mapped_column(String(16), index=True)
    actual_address: Mapped[str | None] = mapped_column(String(200))
    dwelling_type: Mapped[str | None] = mapped_column(String(16))
    property_certificate_no: Mapped[str | None] = mapped_column(String(64))
    property_certificate_date: Mapped[date | None]
    property_address: Mapped[str | None] = mapped_column(String(200))
    rental_registration_no: Mapped[str | None] = mapped_column(String(64))
    rental_registration_date: Mapped[date | None]
    # The conditions the policy names (朝教〔2024〕21号, issue 18); they join the routing
    # record wherever it is routed (paiwei.choices.facts), so staff never type them again.
    # Owned: who holds the certificate, its type, whether it is for the residence itself
    # (§三（一）1（2）、§四（一）3). Rented: the tenancy's start, 连续 and 单独承租 (§三（一）1（3）).
    property_holder: Mapped[str | None] = mapped_column(String(16))
    property_certificate_type: Mapped[str | None] = mapped_column(String(24))
    property_for_residence: Mapped[bool | None]
    rental_start_date: Mapped[date | None]
    rental_continuous: Mapped[bool | None]
    rental_sole: Mapped[bool | None]
    # A junior applicant's 学籍 (§三（二）2（2）、§四（二）2（5）): province, and district in Beijing.
    school_record_province: Mapped[str | None] = mapped_column(String(2))
    school_record_district: Mapped[str | None] = mapped_column(String(6))
    # 无房 (§三（一）1（3）): whether the parents or other guardians own a home in Beijing, in
    # the district (data/family_property.json: none, beijing, district); the placement the
    # guardians of a disabled child request (§四（二）1（4）、2（4）, data/disability_placements.json).
    # None: not stated (before 0011, or no request): the routing record's value stands.
    family_property: Mapped[str | None] = mapped_column(String(16))
    disability_placement: Mapped[str | None] = mapped_column(String(16))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    # §四（一）4 joint review findings recorded by the street or district reviewers
    # (allocation.scenario.REVIEW_FINDINGS codes); they join the routing record wherever
    # it is routed (paiwei.choices.rules.routing_input)
    review_findings: Mapped[list[str]] = mapped_column(JSON, default=list)
    details_submitted_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(String(500))
    verified_at: Mapped[datetime | None]

    guardians: Mapped[list[Guardian]] = relationship(
        back_populates="applicant", order_by="Guardian.position", cascade="all, delete-orphan"
    )


class Guardian(Base):
    __tablename__ = "guardians"
    __table_args__ = (UniqueConstraint("applicant_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(24))
    nationality: Mapped[str] = mapped_column(String(8))
    hukou_province: Mapped[str] = mapped_column(String(2))
    id_type: Mapped[str] = mapped_column(String(24))
    id_number: Mapped[str] = mapped_column(String(32))
    education: Mapped[str] = mapped_column(String(24))
    phone: Mapped[str] = mapped_column(String(11))
    work_nature: Mapped[str] = mapped_column(String(24))
    employer: Mapped[str] = mapped_column(String(200))
    employer_district: Mapped[str] = mapped_column(String(6))  # a district, "other" or "none"
    social_insurance_months: Mapped[int] = mapped_column(default=0)
    # §三（一）1（3）: employment since, labour contract, where the social insurance record is
    # (a district code, "other" outside Beijing, "none"); None: not stated (before 0008)
    employment_start: Mapped[date | None]
    labour_contract: Mapped[bool | None]
    social_insurance_district: Mapped[str | None] = mapped_column(String(6))

    applicant: Mapped[Applicant] = relationship(back_populates="guardians")
