"""Choice tables: the district's schools and zones, applicants' routing, their choices.

Nothing personal is stored here: applicants appear by foreign key (and, in everything
that leaves the database, by their opaque pseudonym).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from paiwei.db.base import Base


class SchoolCatalogue(Base):
    """A district's schools and zones of one stage and year, in the allocation scenario
    format's ``schools`` and ``zones`` lists (validated by ``scenario_from_mapping``)."""

    __tablename__ = "school_catalogues"
    __table_args__ = (
        UniqueConstraint("district", "year", "stage", name="uq_school_catalogues_district_year_stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district: Mapped[str] = mapped_column(String(6))
    year: Mapped[int]
    stage: Mapped[str] = mapped_column(String(8))
    schools: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    zones: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    loaded_at: Mapped[datetime]


class RoutingRecord(Base):
    """An applicant's verified record in the scenario format (without ``id`` and
    ``choices``): what the allocation engine's ``route`` needs to decide eligibility and
    the zone. Recorded by district staff after the joint review."""

    __tablename__ = "routing_records"
    __table_args__ = (
        UniqueConstraint("applicant_id", "year", name="uq_routing_records_applicant_id_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"))
    year: Mapped[int]
    stage: Mapped[str] = mapped_column(String(8))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime]


class ChoiceSet(Base):
    """One applicant's choices of one kind (private/boarding application, zone
    preferences, junior-high groups) in one year. The unique key is what makes "at most
    one private or boarding application" hold under concurrent submissions."""

    __tablename__ = "choice_sets"
    __table_args__ = (
        UniqueConstraint("applicant_id", "year", "kind", name="uq_choice_sets_applicant_id_year_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"), index=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("application_windows.id"), index=True)
    district: Mapped[str] = mapped_column(String(6))
    year: Mapped[int]
    stage: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(24))  # private_boarding | zone | groups
    zone: Mapped[str | None] = mapped_column(String(32))  # the routed zone (zone kind)
    schools: Mapped[list[str]] = mapped_column(JSON)  # school ids, most wanted first
    version: Mapped[int] = mapped_column(default=1)
    submitted_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    locked_at: Mapped[datetime | None]  # the window's close, stamped when frozen
    receipt_sha256: Mapped[str | None] = mapped_column(String(64))


class ApplicantRoute(Base):
    """An applicant's routing decision, computed by ``allocation.route`` from their routing
    record and the district's schools and zones, stored with each rule's code and section:
    eligibility, the route (single-school, zone or district) with the zone or school, the
    priority class, and the schools each choice list may name. Recomputed whenever the
    record, the verification or the schools change (``plan_sha256`` says from which)."""

    __tablename__ = "applicant_routes"
    __table_args__ = (
        UniqueConstraint("applicant_id", "year", name="uq_applicant_routes_applicant_id_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"))
    district: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int]
    stage: Mapped[str] = mapped_column(String(8))
    eligible: Mapped[bool]
    eligibility_rule: Mapped[str] = mapped_column(String(40))
    eligibility_section: Mapped[str] = mapped_column(String(40))
    route: Mapped[str] = mapped_column(String(16))  # none | single-school | zone | district
    route_rule: Mapped[str] = mapped_column(String(40))
    route_section: Mapped[str] = mapped_column(String(40))
    zone: Mapped[str | None] = mapped_column(String(32))
    school: Mapped[str | None] = mapped_column(String(64))  # the single school of its catchment
    priority: Mapped[int]
    priority_rule: Mapped[str] = mapped_column(String(40))
    priority_section: Mapped[str] = mapped_column(String(40))
    allowed: Mapped[dict[str, list[str]]] = mapped_column(JSON)  # choice list -> school ids
    plan_sha256: Mapped[str] = mapped_column(String(64))
    routed_at: Mapped[datetime]
