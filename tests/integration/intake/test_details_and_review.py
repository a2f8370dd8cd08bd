"""Manual §二 (详细信息录入), §三 (审核状态), policy §三/§五 review, and the audit chain."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from paiwei.audit import service as audit
from paiwei.audit.models import AuditEvent
from paiwei.intake.models import Applicant
from tests.integration.intake.helpers import (
    OTHER_STREET,
    STAFF_PASSWORD,
    STREET,
    Intake,
    details,
    make_staff,
)


def _code(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    return str(response.json().get("code", ""))


@pytest.fixture
def parent(intake: Intake) -> str:
    response = intake.register(1)
    assert response.status_code == 201, response.text
    account = str(response.json()["account_no"])
    assert intake.login(account).status_code == 200
    return account


def _pseudonym(intake: Intake) -> str:
    with intake.sessions() as s:
        return s.scalars(select(Applicant.pseudonym)).one()


def _as_staff(intake: Intake, username: str) -> None:
    intake.logout()
    assert intake.login(username, STAFF_PASSWORD).status_code == 200


def _as_parent(intake: Intake, account: str) -> None:
    intake.logout()
    assert intake.login(account).status_code == 200


def test_the_readmes_details_example_is_accepted_as_written(intake: Intake, parent: str) -> None:
    # README's intake walk-through sends docs/examples/details.json with curl; a newcomer
    # found no such file, so the file is shipped and must stay valid as the form grows.
    example = Path(__file__).parents[3] / "docs" / "examples" / "details.json"
    body = json.loads(example.read_text(encoding="utf-8"))
    response = intake.client.put("/api/intake/me/details", json=body)
    assert response.status_code == 200, response.text
    record = intake.client.get("/api/intake/me").json()
    assert record["status"] == "details_submitted", record


def test_details_rule1_starred_fields_are_required(intake: Intake, parent: str) -> None:
    for path in (("child", "ethnicity"), ("residence", "street"), ("guardians", 0, "employer")):
        body = details()
        target: Any = body
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
        response = intake.client.put("/api/intake/me/details", json=body)
        assert _code(response, 422) == "required_field_missing"
        assert response.json()["field"] == ".".join(str(p) for p in path)


def test_details_rule1_one_or_two_guardians(intake: Intake, parent: str) -> None:
    assert _code(intake.client.put("/api/intake/me/details", json=details(guardians=[])), 422) == "guardian_count"
    three = details()
    three["guardians"] = three["guardians"] * 3
    assert _code(intake.client.put("/api/intake/me/details", json=three), 422) == "guardian_count"
    two = details()
    mother = copy.deepcopy(two["guardians"][0])
    mother.update(relation="mother", name="李芳", phone="13900000002")
    two["guardians"].append(mother)
    response = intake.client.put("/api/intake/me/details", json=two)
    assert response.status_code == 200, response.text
    assert [g["relation"] for g in response.json()["guardians"]] == ["father", "mother"]


def test_details_rule2_registered_basic_information_cannot_be_changed(intake: Intake, parent: str) -> None:
    body = details()
    body["child"]["name"] = "张大明"
    response = intake.client.put("/api/intake/me/details", json=body)
    assert _code(response, 409) == "basic_info_immutable"
    assert response.json()["title"] == "注册账号时填写的基本信息不能修改"
    body["child"]["name"] = "张小明"  # repeating the registered value is fine
    assert intake.client.put("/api/intake/me/details", json=body).status_code == 200
    assert intake.client.get("/api/intake/me").json()["child_name"] == "张小明"


def test_details_enumerations_come_from_the_data_files(intake: Intake, parent: str) -> None:
    body = details()
    body["child"]["ethnicity"] = "57"
    assert _code(intake.client.put("/api/intake/me/details", json=body), 422) == "invalid_choice"
    body = details()
    body["residence"]["street"] = "110105999"
    assert _code(intake.client.put("/api/intake/me/details", json=body), 422) == "invalid_choice"


def test_details_dwelling_type_needs_its_record(intake: Intake, parent: str) -> None:
    body = details()
    body["residence"].update(dwelling_type="owned", rental=None)
    assert _code(intake.client.put("/api/intake/me/details", json=body), 422) == "dwelling_details_missing"
    body["residence"]["property"] = {"certificate_no": "京(2019)朝阳区不动产权第0001号",
                                     "certificate_date": "2019-07-01", "address": "朝阳区某路3号",
                                     "holder": "parent", "certificate_type": "real_estate_certificate",
                                     "for_residence": True}
    # the parents' own flat in the district, lived in: 无房 cannot be said (§三（一）1（3）)
    refused = intake.client.put("/api/intake/me/details", json=body)
    assert _code(refused, 422) == "family_property_contradicts_residence"
    assert refused.json()["field"] == "family_property"
    response = intake.client.put("/api/intake/me/details", json={**body, "family_property": "district"})
    assert response.status_code == 200, response.text
    assert response.json()["property_certificate_date"] == "2019-07-01"
    assert response.json()["family_property"] == "district"


def test_details_guardian_id_is_checked(intake: Intake, parent: str) -> None:
    body = details()
    body["guardians"][0]["id_number"] = body["guardians"][0]["id_number"][:-1] + "0"
    if body["guardians"][0]["id_number"] == details()["guardians"][0]["id_number"]:
        body["guardians"][0]["id_number"] = body["guardians"][0]["id_number"][:-1] + "1"
    response = intake.client.put("/api/intake/me/details", json=body)
    assert _code(response, 422) == "id_checksum"
    assert response.json()["field"] == "guardians.0.id_number"


def test_allocation_inputs_are_derivable_from_the_records(intake: Intake, parent: str, db_session: Session) -> None:
    assert intake.client.put("/api/intake/me/details", json=details()).status_code == 200
    applicant = db_session.scalars(select(Applicant)).one()
    assert (applicant.hukou_province, applicant.actual_district, applicant.actual_street) == ("13", "110105", STREET)
    assert applicant.dwelling_type == "rented"
    assert applicant.rental_registration_date is not None
    assert applicant.guardians[0].employer_district == "110105"
    assert applicant.guardians[0].social_insurance_months == 36


def test_review_flow_street_then_district_with_return_and_resubmit(intake: Intake, parent: str) -> None:
    make_staff(intake.sessions, intake.clock, "jw-reviewer", "street_reviewer", street=STREET)
    make_staff(intake.sessions, intake.clock, "cy-district", "district_staff")
    assert intake.client.get("/api/intake/me").json()["status"] == "registered"
    assert intake.client.put("/api/intake/me/details", json=details()).status_code == 200
    pseudonym = _pseudonym(intake)

    _as_staff(intake, "jw-reviewer")
    queue = intake.client.get("/api/review/applicants").json()
    assert [item["pseudonym"] for item in queue] == [pseudonym]
    record = intake.client.get(f"/api/review/applicants/{pseudonym}").json()
    assert (record["actual_street"], record["guardians"][0]["social_insurance_months"]) == (STREET, 36)
    empty = intake.client.post(f"/api/review/applicants/{pseudonym}/return", json={"reason": " "})
    assert _code(empty, 422) == "return_reason_required"
    returned = intake.client.post(f"/api/review/applicants/{pseudonym}/return",
                                  json={"reason": "租赁登记备案编号不清晰"})
    assert returned.status_code == 200 and returned.json()["status"] == "returned"

    _as_parent(intake, parent)
    me = intake.client.get("/api/intake/me").json()
    assert (me["status"], me["return_reason"]) == ("returned", "租赁登记备案编号不清晰")
    assert intake.client.put("/api/intake/me/details", json=details()).status_code == 200

    _as_staff(intake, "jw-reviewer")
    approved = intake.client.post(f"/api/review/applicants/{pseudonym}/material-approval")
    assert approved.json()["status"] == "id_pending"
    assert approved.json()["status_text"] == "身份证及户籍信息待验证"
    _as_staff(intake, "cy-district")
    verified = intake.client.post(f"/api/review/applicants/{pseudonym}/verification")
    assert verified.json()["status_text"] == "身份证及户籍信息已验证"

    _as_parent(intake, parent)
    assert _code(intake.client.put("/api/intake/me/details", json=details()), 409) == "details_locked"
    form = intake.client.get("/api/intake/me/collection-form")
    assert form.status_code == 200 and form.json()["district_name"] == "朝阳区"

    with intake.sessions() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.subject == pseudonym)
                           .order_by(AuditEvent.seq)).all()
        trail = [(e.action, e.from_state, e.to_state) for e in events]
        assert trail == [
            ("registered", None, "registered"),
            ("details_submitted", "registered", "details_submitted"),
            ("returned", "details_submitted", "returned"),
            ("details_submitted", "returned", "details_submitted"),
            ("materials_approved", "details_submitted", "id_pending"),
            ("identity_verified", "id_pending", "verified"),
        ]
        assert events[2].reason == "租赁登记备案编号不清晰" and events[2].actor_role == "street_reviewer"
        assert audit.verify(db_session=s) >= 6


def test_review_rule3_only_verified_applicants_can_print_the_collection_form(intake: Intake, parent: str) -> None:
    assert _code(intake.client.get("/api/intake/me/collection-form"), 403) == "not_verified"
    assert intake.client.put("/api/intake/me/details", json=details()).status_code == 200
    response = intake.client.get("/api/intake/me/collection-form")
    assert _code(response, 403) == "not_verified"
    assert response.json()["title"] == "入学审核通过的适龄儿童用户才能打印信息采集表"


def test_street_reviewer_is_scoped_to_their_street(intake: Intake, parent: str) -> None:
    make_staff(intake.sessions, intake.clock, "other-street", "street_reviewer", street=OTHER_STREET)
    assert intake.client.put("/api/intake/me/details", json=details()).status_code == 200
    pseudonym = _pseudonym(intake)
    _as_staff(intake, "other-street")
    assert intake.client.get("/api/review/applicants").json() == []
    response = intake.client.post(f"/api/review/applicants/{pseudonym}/material-approval")
    assert _code(response, 403) == "out_of_street"


def test_district_cannot_verify_before_street_material_review(intake: Intake, parent: str) -> None:
    make_staff(intake.sessions, intake.clock, "cy-district", "district_staff")
    assert intake.client.put("/api/intake/me/details", json=details()).status_code == 200
    pseudonym = _pseudonym(intake)
    _as_staff(intake, "cy-district")
    response = intake.client.post(f"/api/review/applicants/{pseudonym}/verification")
    assert _code(response, 409) == "invalid_transition"


def test_audit_log_is_append_only(intake: Intake, parent: str, db_session: Session) -> None:
    with pytest.raises(DBAPIError):
        db_session.execute(update(AuditEvent).values(reason="rewritten"))
    db_session.rollback()
    with pytest.raises(DBAPIError):
        db_session.execute(text("DELETE FROM audit_events"))
    db_session.rollback()
    assert audit.verify(db_session=db_session) == 1


def test_audit_verify_detects_a_tampered_event(intake: Intake, parent: str, db_session: Session) -> None:
    assert intake.client.put("/api/intake/me/details", json=details()).status_code == 200
    assert audit.verify(db_session=db_session) == 2
    # Tamper around the trigger, as an attacker with table-owner rights could.
    dialect = db_session.get_bind().dialect.name
    if dialect == "postgresql":
        db_session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    else:
        db_session.execute(text("DROP TRIGGER audit_events_no_update"))
    db_session.execute(text("UPDATE audit_events SET to_state = 'verified' WHERE seq = 2"))
    db_session.commit()
    db_session.expire_all()
    with pytest.raises(audit.AuditChainError, match="event 2"):
        audit.verify(db_session=db_session)
    if dialect == "postgresql":
        db_session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        db_session.commit()


def test_review_rule1_parent_sees_id_pending_then_verified(intake: Intake, parent: str) -> None:
    make_staff(intake.sessions, intake.clock, "jw-reviewer", "street_reviewer", street=STREET)
    make_staff(intake.sessions, intake.clock, "cy-district", "district_staff")
    assert intake.client.put("/api/intake/me/details", json=details()).status_code == 200
    pseudonym = _pseudonym(intake)
    _as_staff(intake, "jw-reviewer")
    assert intake.client.post(f"/api/review/applicants/{pseudonym}/material-approval").status_code == 200
    _as_parent(intake, parent)
    assert intake.client.get("/api/intake/me").json()["status_text"] == "身份证及户籍信息待验证"
    _as_staff(intake, "cy-district")
    assert intake.client.post(f"/api/review/applicants/{pseudonym}/verification").status_code == 200
    _as_parent(intake, parent)
    assert intake.client.get("/api/intake/me").json()["status_text"] == "身份证及户籍信息已验证"
