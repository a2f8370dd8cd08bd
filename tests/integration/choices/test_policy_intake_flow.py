"""Issue 18: intake collects what the decisions need, and it flows into the round inputs.

The parent enters figure 9 of the user manual (``shared/seeds/000_2d54bbbc127f97a2.txt``,
二、详细信息录入: "适龄儿童居住信息 … * 住所类型", "法定监护人信息 … * 监护人（一）工作单位所属区")
with the conditions 朝教〔2024〕21号 (``shared/seeds/003_04f45c9ee6e0a84f.txt``) decides on:
§三（一）1（3） "在朝阳区连续单独承租并实际居住3年 … 且在北京市住房租赁监管平台登记备案，其父母或其他
监护人至少一方在朝阳区合法稳定就业满3年（凭劳动合同和北京市社会保险个人权益记录）", §三（一）1（2）
"凭适龄儿童父母或其他监护人的房屋所有权证或不动产权证书", §三（二）2（2） "具有朝阳区学籍或外省市学籍",
and §四（一）4 "特别加强对过道房、地下室、车库房、空挂户的审核". The street office and the district
review them; district staff record only what they alone know (zones, the pseudonymous
address, the non-local review). Everything goes through the API: details → review →
verify → route → freeze, and the decision names the rule.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select

from allocation import RULES
from paiwei.accounts.models import User
from paiwei.choices import service as choices
from paiwei.choices.models import ApplicantRoute
from paiwei.intake.models import Applicant
from paiwei.rounds.models import Round
from tests.integration.choices.helpers import (
    JUNIOR_SCHOOLS,
    JUNIOR_ZONES,
    SYSTEM,
    YEAR,
    beijing,
    set_up_district,
)
from tests.integration.intake.helpers import (
    CHAOYANG,
    HAIDIAN,
    PARENT_PASSWORD,
    STAFF_PASSWORD,
    STREET,
    Intake,
    details,
    make_staff,
    resident_id,
)

STREET_STAFF, DISTRICT_STAFF = "jw-intake", "cy-intake"


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _as(intake: Intake, login: str, password: str = STAFF_PASSWORD) -> None:
    intake.logout()
    assert intake.login(login, password).status_code == 200


def _renting(**rental: Any) -> dict[str, Any]:
    """Figure 9 of a family renting in Chaoyang since 2020 whose father works there since
    2019 with a contract and his social insurance there: every condition met, unless
    ``rental`` or a later edit says otherwise."""
    body = details()
    body["residence"]["rental"].update(rental)
    return body


def _owning(holder: str) -> dict[str, Any]:
    body = details()
    body["residence"] = {**body["residence"], "dwelling_type": "owned", "rental": None,
                         "property": {"certificate_no": "京(2016)朝阳区不动产权第0000123号",
                                      "certificate_date": "2016-05-01", "address": "北京市朝阳区建外街道某小区2号楼301",
                                      "holder": holder, "certificate_type": "real_estate_certificate",
                                      "for_residence": True}}
    return body


class Season:
    """A Chaoyang season driven through the API: parents, a street office, the district."""

    def __init__(self, intake: Intake) -> None:
        self.intake = intake
        intake.clock.now = beijing(5, 6, 9)
        set_up_district(intake.sessions, intake.clock())
        make_staff(intake.sessions, intake.clock, STREET_STAFF, "street_reviewer", street=STREET)
        make_staff(intake.sessions, intake.clock, DISTRICT_STAFF, "district_staff")

    def apply(self, n: int, body: dict[str, Any], *, record: dict[str, Any], stage: str = "primary",
              findings: list[str] | None = None, record_first: bool = True, **registration: Any) -> str:
        """Register, enter figure 9, pass the street office's material review (recording its
        findings), and the district's verification; staff record the routing record before
        the verification (routed on it) or after (routed when recorded). The pseudonym."""
        intake = self.intake
        intake.logout()
        account = _ok(intake.register(n, **registration), 201)["account_no"]
        assert intake.login(account, PARENT_PASSWORD).status_code == 200
        _ok(intake.client.put("/api/intake/me/details", json=body))
        _as(intake, STREET_STAFF)
        queue = _ok(intake.client.get("/api/review/applicants"))
        pseudonym = next(item["pseudonym"] for item in queue if item["status"] == "details_submitted")
        if findings:
            _ok(intake.client.put(f"/api/review/applicants/{pseudonym}/findings", json={"findings": findings}))
        _ok(intake.client.post(f"/api/review/applicants/{pseudonym}/material-approval"))
        _as(intake, DISTRICT_STAFF)
        put = {"year": YEAR, "stage": stage, "record": record}
        if record_first:
            assert _ok(intake.client.put(f"/api/routes/{pseudonym}/record", json=put))["routed"] is False
        _ok(intake.client.post(f"/api/review/applicants/{pseudonym}/verification"))
        if not record_first:
            assert _ok(intake.client.put(f"/api/routes/{pseudonym}/record", json=put))["routed"] is True
        intake.logout()
        return pseudonym

    def routes(self, stage: str = "primary") -> dict[str, Any]:
        _as(self.intake, DISTRICT_STAFF)
        return _ok(self.intake.client.get("/api/routes", params={"year": YEAR, "stage": stage}))

    def freeze_first_round(self, stage: str = "primary") -> tuple[dict[str, Any], dict[str, Any]]:
        """Create and freeze the stage's first round through the API: (its frozen inputs'
        applicants by id, its accounting's others by id)."""
        intake = self.intake
        _as(intake, DISTRICT_STAFF)
        rid = _ok(intake.client.post("/api/rounds", json={"stage": stage}), 201)["id"]
        intake.clock.now = beijing(6, 10, 9)
        _as(intake, DISTRICT_STAFF)
        draft = _ok(intake.client.get(f"/api/rounds/{rid}/freeze-draft"))
        assert draft is None  # nobody chose a school of the first round: it freezes empty
        assert _ok(intake.client.post(f"/api/rounds/{rid}/freeze", json={}))["state"] == "empty"
        with intake.sessions() as s:
            stored = s.scalars(select(Round.inputs).where(Round.id == rid)).one()
        inputs = json.loads(stored or "{}")["scenario"]
        accounting = _ok(intake.client.get(f"/api/rounds/{rid}/accounting"))
        return ({a["id"]: a for a in inputs["applicants"]},
                {a["applicant"]: a for a in accounting["others"]})


def _route_rules(routes: dict[str, Any]) -> dict[str, int]:
    return {i["rule"]["code"]: i["applicants"] for i in routes["ineligible"]}


def test_figure_9_and_the_review_decide_in_the_routing_and_the_round(intake: Intake) -> None:
    season = Season(intake)
    beijing_hukou = {"hukou_province": "11", "hukou_district": HAIDIAN}
    renter = {"birth_date": "2018-03-01", "hukou": {"kind": "beijing"},
              "residence": {"kind": "rented", "address": "a-rent", "zone": "Z1"},
              "property": {"beijing": False, "chaoyang": False}}

    # A renter from another Beijing district whose tenancy was not continuous (连续).
    broken = season.apply(1, _renting(continuous=False), record=renter, **beijing_hukou)
    # A renter whose working guardian's social insurance record is in Haidian.
    insured = _renting()
    insured["guardians"][0]["social_insurance_district"] = HAIDIAN
    elsewhere = season.apply(2, insured, record=renter, record_first=False, **beijing_hukou)
    # A flat whose certificate a grandparent holds (figure 9's 证书持有人: 其他亲属).
    grandparent = season.apply(3, _owning("relative"), record={
        "birth_date": "2018-03-01", "hukou": {"kind": "beijing"},
        "residence": {"kind": "owned", "address": "a-flat", "zone": "Z1"}}, **beijing_hukou)
    # A Chaoyang hukou the joint review found to be 空挂户, living with relatives (住所类型 其他).
    empty = details()
    empty["residence"] = {**empty["residence"], "dwelling_type": "other", "rental": None}
    hollow = season.apply(4, empty, record={"birth_date": "2018-03-01", "hukou": {"kind": "chaoyang", "zone": "Z1"}},
                          findings=["empty-hukou"], hukou_province="11", hukou_district=CHAOYANG)
    # The same renter's conditions all met: eligible on the tenancy.
    fine = season.apply(5, _renting(), record=renter, **beijing_hukou)

    expected = {broken: "renting-not-continuous", elsewhere: "social-insurance-not-in-district",
                grandparent: "certificate-holder-not-guardian", hollow: "review-empty-hukou"}
    for code in expected.values():
        assert code in {r.code for r in RULES}
    # The routing decision stored on verification (or on recording) names the rule...
    routes = season.routes()
    assert _route_rules(routes) == {code: 1 for code in expected.values()}
    assert routes["undecided"] == []
    assert [(z["zone"], z["applicants"]) for z in routes["zones"]] == [("Z1", 1)]
    # ...and the parent reads it in words.
    for n, pseudonym in ((1, broken), (5, fine)):
        with intake.sessions() as s:
            login = s.scalars(select(User.login).join(Applicant, Applicant.user_id == User.id)
                              .where(Applicant.pseudonym == pseudonym)).one()
        _as(intake, login, PARENT_PASSWORD)
        route = _ok(intake.client.get("/api/choices/me"))["route"]
        if n == 1:
            assert not route["eligible"] and route["eligibility"]["code"] == "renting-not-continuous"
            assert route["eligibility"]["section"] == "§三（一）1（3）"
            assert "不连续" in route["eligibility"]["text"]
        else:
            assert route["eligible"] and route["eligibility"]["code"] == "beijing-renting"

    # The round's frozen inputs carry what figure 9 and the review said, typed once...
    inputs, others = season.freeze_first_round()
    assert inputs[broken]["residence"] == {"kind": "rented", "address": "a-rent", "zone": "Z1",
                                           "rental_start": "2020-01-01", "registered": True,
                                           "continuous": False, "sole_tenancy": True}
    assert inputs[broken]["guardians"] == [{
        "relation": "father", "employment_place": "in-district", "employment_start": "2019-03-01",
        "labour_contract": True, "social_insurance_place": "in-district"}]
    assert inputs[elsewhere]["guardians"][0]["social_insurance_place"] == "other-beijing"
    assert inputs[grandparent]["residence"]["certificate"] == {
        "holder": "relative", "type": "real-estate-certificate", "date": "2016-05-01"}
    assert inputs[hollow]["residence"] == {"kind": "none"}
    assert inputs[hollow]["review_findings"] == ["empty-hukou"]
    assert "school_record_place" not in inputs[fine]  # primary: no 学籍 joined
    # ...and the round's accounting names each rule why the applicant is not in it.
    for pseudonym, code in expected.items():
        assert (others[pseudonym]["disposition"], others[pseudonym]["rule"]) == ("ineligible", code)
    assert others[fine]["disposition"] == "no-list"


def test_a_junior_pupil_with_a_record_in_another_province(intake: Intake) -> None:
    season = Season(intake)
    with intake.sessions() as s:
        choices.load_catalogue(db_session=s, actor=SYSTEM, district=CHAOYANG, year=YEAR, stage="junior",
                               schools=JUNIOR_SCHOOLS, zones=JUNIOR_ZONES, now=intake.clock())
    pupil = {"child_birth_date": "2012-03-01", "child_id_number": resident_id(date(2012, 3, 1), "M", 41)}
    record = {"hukou": {"kind": "other"}, "residence": {"kind": "rented", "address": "a-j", "zone": "JZ"},
              "non_local_review": "approved"}
    hebei = season.apply(11, details(school_record={"province": "13"}), record=record, stage="junior",
                         **pupil)
    pupil = {"child_birth_date": "2012-03-01", "child_id_number": resident_id(date(2012, 3, 1), "M", 42)}
    haidian = season.apply(12, details(school_record={"province": "11", "district": HAIDIAN}),
                           record=record, stage="junior", **pupil)

    routes = season.routes("junior")
    assert _route_rules(routes) == {"junior-non-local-other-beijing": 1}
    assert routes["undecided"] == []
    inputs, others = season.freeze_first_round("junior")
    assert inputs[hebei]["school_record_place"] == "other-province"
    assert inputs[haidian]["school_record_place"] == "other-beijing"
    assert (others[haidian]["disposition"], others[haidian]["rule"]) == (
        "ineligible", "junior-non-local-other-beijing")
    assert others[hebei]["disposition"] == "no-list"
    with intake.sessions() as s:
        rule = s.scalars(select(ApplicantRoute.eligibility_rule).join(
            Applicant, Applicant.id == ApplicantRoute.applicant_id).where(Applicant.pseudonym == hebei)).one()
    assert rule == "junior-non-local-other-province-approved"


def test_a_routing_record_contradicting_the_details_is_refused_naming_the_field(intake: Intake) -> None:
    Season(intake)
    record = {"birth_date": "2018-03-01", "hukou": {"kind": "beijing"},
              "residence": {"kind": "owned", "address": "a-x", "zone": "Z1", "certificate_date": "2016-05-01"}}
    intake.logout()
    account = _ok(intake.register(21, hukou_province="11", hukou_district=HAIDIAN), 201)["account_no"]
    assert intake.login(account, PARENT_PASSWORD).status_code == 200
    _ok(intake.client.put("/api/intake/me/details", json=_renting(sole_tenancy=False)))
    with intake.sessions() as s:
        pseudonym = s.scalars(select(Applicant.pseudonym)).one()
    _as(intake, DISTRICT_STAFF)
    refused = intake.client.put(f"/api/routes/{pseudonym}/record",
                                json={"year": YEAR, "stage": "primary", "record": record})
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "routing_record_invalid"
    assert "residence.kind" in problem["detail"] and "详细信息" in problem["detail"]
    # Stating what the details say is no conflict; leaving it out is what staff do.
    same = {**record, "residence": {"kind": "rented", "address": "a-x", "zone": "Z1", "sole_tenancy": False}}
    _ok(intake.client.put(f"/api/routes/{pseudonym}/record", json={"year": YEAR, "stage": "primary", "record": same}))
