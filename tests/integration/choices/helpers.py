"""Test world for the choices: the shipped Chaoyang 2024 windows, a small district
catalogue (schools and zones in the scenario format), verified and routed applicants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from paiwei.audit.service import Actor
from paiwei.choices import service as choices
from paiwei.intake.models import Applicant, Status
from paiwei.windows import service as windows
from tests.integration.intake.helpers import CHAOYANG, HAIDIAN, Intake

SYSTEM = Actor(None, "system")
YEAR = 2024

PRIMARY_SCHOOLS: list[dict[str, Any]] = [
    {"id": "P01", "name": "朝阳实验小学", "kind": "public", "stage": "primary", "seats": 2, "zone": "Z1"},
    {"id": "P02", "name": "朝阳第二小学", "kind": "public", "stage": "primary", "seats": 1, "zone": "Z1"},
    {"id": "P03", "name": "朝阳第三小学", "kind": "public", "stage": "primary", "seats": 3, "zone": "Z1"},
    {"id": "P04", "name": "望京小学", "kind": "public", "stage": "primary", "seats": 2, "zone": "Z2"},
    {"id": "PV1", "name": "某民办小学", "kind": "private", "stage": "primary", "seats": 1},
    {"id": "BD1", "name": "某公办寄宿小学", "kind": "boarding", "stage": "primary", "seats": 2},
]
PRIMARY_ZONES: list[dict[str, Any]] = [
    {"id": "Z1", "kind": "multi-school", "stage": "primary", "schools": ["P01", "P02", "P03"]},
    {"id": "Z2", "kind": "multi-school", "stage": "primary", "schools": ["P04"]},
]
JUNIOR_SCHOOLS: list[dict[str, Any]] = [
    {"id": "J11", "kind": "public", "stage": "junior", "seats": 2, "group": 1},
    {"id": "J12", "kind": "public", "stage": "junior", "seats": 2, "group": 1},
    {"id": "J21", "kind": "public", "stage": "junior", "seats": 2, "group": 2},
    {"id": "J31", "kind": "public", "stage": "junior", "seats": 5, "zone": "JZ"},
    {"id": "JP1", "kind": "private", "stage": "junior", "seats": 1},
]
JUNIOR_ZONES: list[dict[str, Any]] = [
    {"id": "JZ", "kind": "multi-school", "stage": "junior", "schools": ["J31"]},
]


def primary_record(zone: str = "Z1") -> dict[str, Any]:
    """A Chaoyang-hukou child renting in ``zone``: eligible, routed to the zone's draw."""
    return {"birth_date": "2018-03-01", "hukou": {"kind": "chaoyang", "zone": zone},
            "residence": {"kind": "rented", "address": f"addr-{zone}", "zone": zone,
                          "rental_start": "2020-01-01", "registered": True}}


def junior_record() -> dict[str, Any]:
    """A Chaoyang-hukou pupil who returned to the district for junior high (§三（一）2（2））."""
    return {"hukou": {"kind": "chaoyang", "zone": "JZ"}, "residence": {"kind": "none"},
            "returned": True, "school_zone": "JZ"}


def hukou_registration(record: dict[str, Any]) -> dict[str, Any]:
    """The registration's 户籍 (figure 6) that the record's ``hukou.kind`` says: routing
    derives the kind from it (issue 18), so the two must agree."""
    kind = record.get("hukou", {}).get("kind", "other")
    if kind == "chaoyang":
        return {"hukou_province": "11", "hukou_district": CHAOYANG}
    if kind == "beijing":
        return {"hukou_province": "11", "hukou_district": HAIDIAN}
    return {}


def beijing(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A Beijing wall-clock time in 2024 as an aware UTC datetime."""
    return datetime(YEAR, month, day, hour, minute, second, tzinfo=windows.BEIJING).astimezone(UTC)


def set_up_district(sessions: sessionmaker[Session], now: datetime) -> None:
    with sessions() as s:
        windows.load(db_session=s, windows=windows.shipped_windows("chaoyang-2024"), actor=SYSTEM, now=now)
        choices.load_catalogue(db_session=s, actor=SYSTEM, district=CHAOYANG, year=YEAR, stage="primary",
                               schools=PRIMARY_SCHOOLS, zones=PRIMARY_ZONES, now=now)


@dataclass
class Family:
    n: int
    account: str
    pseudonym: str


def verified_family(intake: Intake, n: int, *, stage: str = "primary",
                    record: dict[str, Any] | None = None) -> Family:
    """Register through the API, mark verified (the review flow is intake's own test),
    and record the routing record. Leaves nobody logged in."""
    intake.logout()
    record = record if record is not None else primary_record()
    response = intake.register(n, **hukou_registration(record))
    assert response.status_code == 201, response.text
    account = response.json()["account_no"]
    with intake.sessions() as s:
        applicant = s.scalars(select(Applicant).order_by(Applicant.id.desc())).first()
        assert applicant is not None
        applicant.status = Status.VERIFIED
        pseudonym = applicant.pseudonym
        s.commit()
        choices.record_routing(db_session=s, actor=SYSTEM, pseudonym=pseudonym, year=YEAR, stage=stage,
                               record=record, now=intake.clock())
    return Family(n=n, account=account, pseudonym=pseudonym)


def act_as(intake: Intake, family: Family, at: datetime) -> None:
    """Set the clock, then log the family in (sessions last hours, windows span days)."""
    intake.clock.now = at
    intake.logout()
    assert intake.login(family.account).status_code == 200
