"""Windows and choices through the API, on SQLite and PostgreSQL.

Done-when of the issue: submissions outside the window refused; a second private or
boarding application refused; a choice outside the allowed schools refused; locked
choices cannot change; every submission and edit in the audit log.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from paiwei.audit import service as audit
from paiwei.audit.models import AuditEvent
from paiwei.choices.models import ChoiceSet
from tests.integration.choices.helpers import (
    Family,
    act_as,
    beijing,
    junior_record,
    primary_record,
    set_up_district,
    verified_family,
)
from tests.integration.intake.helpers import CHAOYANG, STAFF_PASSWORD, STREET, Intake, make_staff

PB = "/api/choices/me/private_boarding"
ZONE = "/api/choices/me/zone"


@pytest.fixture
def family(intake: Intake) -> Family:
    set_up_district(intake.sessions, intake.clock())
    return verified_family(intake, 1)


def problem(response: Any) -> tuple[int, str, str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body = response.json()
    return response.status_code, body["code"], body["title"]


def test_window_bounds_are_beijing_days_closing_at_the_end_of_the_last_day(intake: Intake,
                                                                           family: Family) -> None:
    # 6 June – 9 June: [2024-06-06 00:00, 2024-06-10 00:00) Beijing time.
    act_as(intake, family, beijing(6, 5, 23, 59, 59))
    assert problem(intake.client.post(PB, json={"schools": ["PV1"]})) == (409, "window_closed", "不在报名时间内")
    act_as(intake, family, beijing(6, 6, 0, 0, 0))
    assert intake.client.post(PB, json={"schools": ["PV1"]}).status_code == 201
    act_as(intake, family, beijing(6, 9, 23, 59, 59))
    assert intake.client.put(PB, json={"schools": ["BD1"]}).status_code == 200
    act_as(intake, family, beijing(6, 10, 0, 0, 0))
    assert problem(intake.client.put(PB, json={"schools": ["PV1"]}))[:2] == (409, "choices_locked")


def test_submission_after_the_window_is_refused(intake: Intake, family: Family) -> None:
    act_as(intake, family, beijing(6, 10, 0, 0, 1))
    status, code, title = problem(intake.client.post(PB, json={"schools": ["PV1"]}))
    assert (status, code, title) == (409, "window_closed", "不在报名时间内")
    assert "2024-06-10 00:00" in intake.client.post(PB, json={"schools": ["PV1"]}).json()["detail"]
    with intake.sessions() as s:
        assert s.scalars(select(ChoiceSet)).all() == []


def test_a_second_private_or_boarding_application_is_refused(intake: Intake, family: Family) -> None:
    act_as(intake, family, beijing(6, 7, 10))
    first = intake.client.post(PB, json={"schools": ["PV1"]})
    assert first.status_code == 201, first.text
    assert first.json()["schools"] == ["PV1"]
    assert problem(intake.client.post(PB, json={"schools": ["BD1"]})) == (409, "private_boarding_taken",
                                                                         "已报名民办或寄宿学校")
    assert problem(intake.client.post(PB, json={"schools": ["PV1"]}))[1] == "private_boarding_taken"
    # Two schools in one application: at most one (the policy's round takes max_choices = 1).
    other = verified_family(intake, 2)
    act_as(intake, other, beijing(6, 7, 11))
    assert problem(intake.client.post(PB, json={"schools": ["PV1", "BD1"]}))[:2] == (422, "too_many_choices")
    with intake.sessions() as s:
        rows = s.scalars(select(ChoiceSet)).all()
    assert [(r.kind, r.schools) for r in rows] == [("private_boarding", ["PV1"])]


@pytest.mark.parametrize("case", [
    (PB, (6, 7), ["P01"], "school_not_allowed"),  # a public school is not private/boarding
    (PB, (6, 7), ["NOPE"], "school_not_allowed"),
    (ZONE, (5, 20), ["P04"], "school_not_allowed"),  # a school of another zone
    (ZONE, (5, 20), ["PV1"], "school_not_allowed"),  # a private school in zone preferences
    (ZONE, (5, 20), ["P01", "P01"], "duplicate_choice"),
    (ZONE, (5, 20), [], "no_choices"),
    ("/api/choices/me/groups", (5, 30), ["J11"], "unknown_kind"),  # no groups in primary
])
def test_choices_outside_the_allowed_schools_are_refused(
        intake: Intake, family: Family, case: tuple[str, tuple[int, int], list[str], str]) -> None:
    path, at, schools, code = case
    act_as(intake, family, beijing(*at, 12))
    status, got, title = problem(intake.client.post(path, json={"schools": schools}))
    assert got == code
    if code == "school_not_allowed":
        assert (status, title) == (422, "所选学校不在可选范围内")
    with intake.sessions() as s:
        assert s.scalars(select(ChoiceSet)).all() == []


def test_zone_preferences_follow_the_engines_routing(intake: Intake, family: Family) -> None:
    act_as(intake, family, beijing(5, 20, 12))
    options = intake.client.get("/api/choices/me").json()
    assert (options["eligible"], options["zone"], options["stage"]) == (True, "Z1", "primary")
    lists = {item["kind"]: item for item in options["lists"]}
    assert lists["zone"]["allowed_schools"] == ["P01", "P02", "P03"]
    assert lists["private_boarding"]["allowed_schools"] == ["PV1", "BD1"]
    assert lists["private_boarding"]["max_choices"] == 1
    assert lists["zone"]["window"]["open"] is True and lists["private_boarding"]["window"]["open"] is False
    created = intake.client.post(ZONE, json={"schools": ["P03", "P01"]})
    assert created.status_code == 201 and created.json()["zone"] == "Z1"
    edited = intake.client.put(ZONE, json={"schools": ["P02", "P03", "P01"]})
    assert (edited.json()["schools"], edited.json()["version"]) == (["P02", "P03", "P01"], 2)
    # A child living in zone Z2 may list only Z2's school.
    other = verified_family(intake, 2, record=primary_record("Z2"))
    act_as(intake, other, beijing(5, 20, 13))
    assert problem(intake.client.post(ZONE, json={"schools": ["P01"]}))[1] == "school_not_allowed"
    assert intake.client.post(ZONE, json={"schools": ["P04"]}).status_code == 201


def test_an_ineligible_child_may_choose_nothing(intake: Intake, family: Family) -> None:
    too_young = {**primary_record(), "birth_date": "2018-09-01"}  # §三（一）1
    young = verified_family(intake, 2, record=too_young)
    act_as(intake, young, beijing(6, 7, 12))
    assert intake.client.get("/api/choices/me").json()["eligible"] is False
    assert problem(intake.client.post(PB, json={"schools": ["PV1"]}))[1] == "school_not_allowed"


def test_junior_high_one_school_per_group(intake: Intake) -> None:
    from paiwei.choices import service as choices  # noqa: PLC0415
    from tests.integration.choices.helpers import JUNIOR_SCHOOLS, JUNIOR_ZONES, SYSTEM  # noqa: PLC0415

    set_up_district(intake.sessions, intake.clock())
    with intake.sessions() as s:
        choices.load_catalogue(db_session=s, actor=SYSTEM, district=CHAOYANG, year=2024, stage="junior",
                               schools=JUNIOR_SCHOOLS, zones=JUNIOR_ZONES, now=intake.clock())
    pupil = verified_family(intake, 3, stage="junior", record=junior_record())
    groups = "/api/choices/me/groups"
    act_as(intake, pupil, beijing(5, 29, 23, 59, 59))  # 30–31 May
    assert problem(intake.client.post(groups, json={"schools": ["J11"]}))[1] == "window_closed"
    act_as(intake, pupil, beijing(5, 30, 9))
    assert problem(intake.client.post(groups, json={"schools": ["J11", "J12"]})) == (
        422, "one_per_group", "第一组、第二组各限选一所学校")
    assert problem(intake.client.post(groups, json={"schools": ["J31"]}))[1] == "school_not_allowed"
    made = intake.client.post(groups, json={"schools": ["J21", "J11"]})
    assert made.status_code == 201 and made.json()["schools"] == ["J21", "J11"]
    # The timetable names no junior multi-school window; the policy's reading puts it in the
    # 5 月 6 日- 5 月 31 日 information collection, so it is open on 30 May and locked once it closes.
    zone = intake.client.post("/api/choices/me/zone", json={"schools": ["J31"]})
    assert zone.status_code == 201 and zone.json()["schools"] == ["J31"], zone.text
    act_as(intake, pupil, beijing(6, 1, 0))
    assert problem(intake.client.post("/api/choices/me/zone", json={"schools": ["J31"]}))[1] == "choices_locked"


def test_locked_choices_cannot_change(intake: Intake, family: Family) -> None:
    act_as(intake, family, beijing(6, 8, 9))
    assert intake.client.post(PB, json={"schools": ["BD1"]}).status_code == 201
    act_as(intake, family, beijing(6, 12, 9))
    for method in ("PUT", "POST"):
        response = intake.client.request(method, PB, json={"schools": ["PV1"]})
        assert problem(response) == (409, "choices_locked", "志愿已锁定，不能修改")
    mine = {item["kind"]: item for item in intake.client.get("/api/choices/me").json()["lists"]}
    assert mine["private_boarding"]["current"]["schools"] == ["BD1"]
    assert mine["private_boarding"]["current"]["locked"] is True


def test_every_submission_and_edit_is_in_the_audit_log(intake: Intake, family: Family) -> None:
    act_as(intake, family, beijing(6, 8, 9))
    intake.client.post(PB, json={"schools": ["BD1"]})
    intake.client.put(PB, json={"schools": ["PV1"]})
    intake.client.put(PB, json={"schools": ["BD1"]})
    refused = intake.client.put(PB, json={"schools": ["P01"]})
    assert refused.status_code == 422
    with intake.sessions() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.subject == family.pseudonym,
                                                    AuditEvent.action.like("choices_%"))
                           .order_by(AuditEvent.seq)).all()
        assert [(e.action, e.to_state, e.reason) for e in events] == [
            ("choices_submitted", "private_boarding@1", '["BD1"]'),
            ("choices_edited", "private_boarding@2", '["PV1"]'),
            ("choices_edited", "private_boarding@3", '["BD1"]'),
        ]
        assert all(e.actor_role == "parent" for e in events)
        assert audit.verify(db_session=s) >= 3


def test_not_yet_verified_applicants_cannot_choose(intake: Intake) -> None:
    set_up_district(intake.sessions, intake.clock())
    account = intake.register(5).json()["account_no"]
    intake.clock.now = beijing(6, 7, 9)
    assert intake.login(account).status_code == 200
    assert problem(intake.client.post(PB, json={"schools": ["PV1"]}))[:2] == (403, "not_verified")


def staff_login(intake: Intake, role: str = "district_staff") -> None:
    intake.logout()
    if intake.login(f"staff-{role}", STAFF_PASSWORD).status_code == 200:
        return
    make_staff(intake.sessions, intake.clock, f"staff-{role}", role,
               street=STREET if role == "street_reviewer" else None)
    assert intake.login(f"staff-{role}", STAFF_PASSWORD).status_code == 200


def test_staff_extend_a_window_with_a_reason_before_it_closes(intake: Intake, family: Family,
                                                              db_session: Session) -> None:
    intake.clock.now = beijing(6, 9, 20)
    staff_login(intake)
    listed = {w["kind"]: w for w in intake.client.get("/api/windows", params={"year": 2024}).json()}
    window = listed["primary.private_boarding"]
    assert window["open"] is True and window["extended"] is False
    assert window["closes_at"].startswith("2024-06-09T16:00:00")
    url = f"/api/windows/{window['id']}/extension"
    assert problem(intake.client.post(url, json={"closes_at": "2024-06-10T12:00:00+08:00"}))[1] == \
        "extension_reason_required"
    assert problem(intake.client.post(url, json={"closes_at": "2024-06-09T20:00:00+08:00",
                                                 "reason": "x"}))[1] == "window_extension_invalid"
    done = intake.client.post(url, json={"closes_at": "2024-06-10T12:00:00+08:00",
                                         "reason": "系统故障，延长至6月10日中午"})
    assert done.status_code == 200, done.text
    assert done.json()["extended"] is True and done.json()["closes_at"].startswith("2024-06-10T04:00:00")
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "window_extended")).one()
    assert event.reason == "系统故障，延长至6月10日中午"
    assert (event.from_state, event.to_state) == ("2024-06-09T16:00:00Z", "2024-06-10T04:00:00Z")
    # A parent may now submit on 10 June in the morning, not after noon.
    act_as(intake, family, beijing(6, 10, 11, 59))
    assert intake.client.post(PB, json={"schools": ["PV1"]}).status_code == 201
    act_as(intake, family, beijing(6, 10, 12, 0))
    assert problem(intake.client.put(PB, json={"schools": ["BD1"]}))[1] == "choices_locked"
    # Once closed, no extension.
    staff_login(intake)
    assert problem(intake.client.post(url, json={"closes_at": "2024-06-11T12:00:00+08:00",
                                                 "reason": "again"}))[1] == "window_already_closed"


def test_staff_counts_per_school_and_zone_and_csv(intake: Intake, family: Family) -> None:
    plan = [(family, ["P02", "P01"])]
    for n, schools in ((2, ["P02"]), (3, ["P01", "P02"])):
        plan.append((verified_family(intake, n), schools))
    for member, schools in plan:
        act_as(intake, member, beijing(5, 20, 10 + member.n))
        assert intake.client.post(ZONE, json={"schools": schools}).status_code == 201
    intake.clock.now = beijing(5, 21, 9)
    staff_login(intake)
    counts = intake.client.get("/api/choices/counts", params={"kind": "primary.zone", "year": 2024}).json()
    assert counts["applicants"] == 3 and counts["window_open"] is True
    by_school = {s["school"]: s for s in counts["schools"]}
    assert (by_school["P02"]["listed"], by_school["P02"]["first_choice"], by_school["P02"]["seats"]) == (3, 2, 1)
    assert by_school["P02"]["oversubscribed"] is True and by_school["P01"]["oversubscribed"] is False
    assert (by_school["P03"]["listed"], by_school["P04"]["listed"]) == (0, 0)
    assert {z["zone"]: z["applicants"] for z in counts["zones"]} == {"Z1": 3, "Z2": 0}
    csv_response = intake.client.get("/api/choices/counts.csv", params={"kind": "primary.zone", "year": 2024})
    assert csv_response.status_code == 200 and csv_response.headers["content-type"].startswith("text/csv")
    lines = csv_response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "school,name,kind,zone,seats,listed,first_choice,oversubscribed"
    assert "P02,朝阳第二小学,public,Z1,1,3,2,yes" in lines
    # Street reviewers have no district-wide counts.
    staff_login(intake, "street_reviewer")
    assert intake.client.get("/api/choices/counts", params={"kind": "primary.zone", "year": 2024}).status_code == 403
