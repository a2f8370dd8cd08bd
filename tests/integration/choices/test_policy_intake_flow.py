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

from allocation import (
    RULES,
    Explainer,
    rehearsal_contributions,
    run_plan,
    scenario_from_mapping,
    shipped_policy,
)
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
    # staff type neither the hukou kind (the registration's 户籍) nor 无房 (the details')
    renter = {"birth_date": "2018-03-01", "hukou": {},
              "residence": {"kind": "rented", "address": "a-rent", "zone": "Z1"}}

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
    # A renter whose family owns a flat elsewhere in Beijing: no 无房家庭 (§三（一）1（3）).
    owner = season.apply(6, _renting() | {"family_property": "beijing"}, record=renter, **beijing_hukou)

    expected = {broken: "renting-not-continuous", elsewhere: "social-insurance-not-in-district",
                grandparent: "certificate-holder-not-guardian", hollow: "review-empty-hukou",
                owner: "renting-owns-property"}
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
    assert inputs[fine]["hukou"] == {"kind": "beijing"} and inputs[hollow]["hukou"]["kind"] == "chaoyang"
    assert inputs[fine]["property"] == {"beijing": False, "chaoyang": False}
    assert inputs[owner]["property"] == {"beijing": True, "chaoyang": False}
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


def test_a_disabled_child_requesting_a_special_school_is_arranged_not_drawn(intake: Intake) -> None:
    """§四（二）1（4）: "残疾儿童……可由家长申请进入特殊教育学校、小学附设特教班或在普通小学随班就读"; the
    parent asks in the details, the disability is verified by 相关职能部门 (§三（三）) and
    recorded by staff as the category; the child takes part in no draw."""
    season = Season(intake)
    chaoyang_hukou = {"hukou_province": "11", "hukou_district": CHAOYANG}
    record = {"birth_date": "2018-03-01", "hukou": {"zone": "Z1"}, "categories": ["disabled"],
              "residence": {"kind": "rented", "address": "a-d", "zone": "Z1"}}
    child = season.apply(31, _renting() | {"disability_placement": "special_school"}, record=record,
                         **chaoyang_hukou)
    routes = season.routes()
    assert routes["undecided"] == [] and _route_rules(routes) == {}
    with intake.sessions() as s:
        stored = s.scalars(select(ApplicantRoute).join(Applicant, Applicant.id == ApplicantRoute.applicant_id)
                           .where(Applicant.pseudonym == child)).one()
    assert (stored.eligible, stored.route_rule) == (True, "disability-special-school")
    # the reviewers read the request in words
    _as(intake, DISTRICT_STAFF)
    page = intake.client.get(f"/staff/review/{child}")
    assert page.status_code == 200 and "残疾儿童申请的就读方式</dt><dd>在特殊教育学校就读" in page.text
    assert "户籍类别</dt><dd>本区户籍" in page.text

    inputs, others = season.freeze_first_round()
    assert inputs[child]["disability_placement"] == "special-school"
    assert inputs[child]["hukou"] == {"kind": "chaoyang", "zone": "Z1"}
    assert others[child]["disposition"] == "no-list"
    # the whole season on what intake gave: unplaced, arranged by the district, said in Chinese
    result = run_plan(shipped_policy(), scenario_from_mapping(_frozen_scenario(intake)),
                      rehearsal_contributions(bytes(16)), rehearsal=True)
    i = result.row_of(child)
    assert result.outcome(child).status == "unplaced"
    assert RULES[int(result.routing.route_rule[i])].code == "disability-special-school"
    text = Explainer(result).explain(child).text
    assert "特殊教育学校" in text and "不参加随机派位" in text and "§四（二）1（4）" in text


def _frozen_scenario(intake: Intake) -> dict[str, Any]:
    with intake.sessions() as s:
        stored = s.scalars(select(Round.inputs).order_by(Round.id.desc())).first()
    return dict(json.loads(stored or "{}")["scenario"])


def test_a_request_without_the_verified_disability_or_a_hukou_conflict_is_refused_by_name(
        intake: Intake) -> None:
    Season(intake)
    intake.logout()
    account = _ok(intake.register(41, hukou_province="11", hukou_district=CHAOYANG), 201)["account_no"]
    assert intake.login(account, PARENT_PASSWORD).status_code == 200
    _ok(intake.client.put("/api/intake/me/details", json=_renting() | {"disability_placement": "special_school"}))
    with intake.sessions() as s:
        pseudonym = s.scalars(select(Applicant.pseudonym)).one()
    _as(intake, DISTRICT_STAFF)
    record = {"birth_date": "2018-03-01", "hukou": {"zone": "Z1"},
              "residence": {"kind": "rented", "address": "a-q", "zone": "Z1"}}

    def put(rec: dict[str, Any]) -> Any:
        return intake.client.put(f"/api/routes/{pseudonym}/record",
                                 json={"year": YEAR, "stage": "primary", "record": rec})

    # the parent asked for a special school; the record has no verified disability: refused, not dropped
    refused = put(record)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "routing_record_invalid"
    assert "disability_placement" in refused.json()["detail"] and "相关职能部门认定" in refused.json()["detail"]
    assert "在特殊教育学校就读" in refused.json()["detail"]
    # the registration says a Chaoyang hukou: a record saying another is refused naming the field
    conflict = put({**record, "categories": ["disabled"], "hukou": {"kind": "other", "zone": "Z1"}})
    assert conflict.status_code == 422, conflict.text
    assert conflict.json()["code"] == "routing_record_invalid" and "hukou.kind" in conflict.json()["detail"]
    # the verified disability recorded, the kind left to the registration: accepted
    _ok(put({**record, "categories": ["disabled"]}))


def test_a_request_whose_disability_was_not_confirmed_is_set_aside_and_the_child_drawn(
        intake: Intake) -> None:
    """§三（三）: the disability is verified by 相关职能部门. When they do not confirm it, the
    routing record without ``disabled`` is refused (the request is never dropped) until the
    district records the finding 残疾资格未通过相关职能部门核验; the record is then accepted,
    the request set aside with that reason, and the child drawn as any child of its zone."""
    season = Season(intake)
    chaoyang_hukou = {"hukou_province": "11", "hukou_district": CHAOYANG}
    intake.logout()
    account = _ok(intake.register(51, **chaoyang_hukou), 201)["account_no"]
    assert intake.login(account, PARENT_PASSWORD).status_code == 200
    _ok(intake.client.put("/api/intake/me/details", json=_renting() | {"disability_placement": "special_school"}))
    _as(intake, STREET_STAFF)
    pseudonym = next(item["pseudonym"] for item in _ok(intake.client.get("/api/review/applicants"))
                     if item["status"] == "details_submitted")
    _ok(intake.client.post(f"/api/review/applicants/{pseudonym}/material-approval"))
    _as(intake, DISTRICT_STAFF)
    _ok(intake.client.post(f"/api/review/applicants/{pseudonym}/verification"))  # verified: no return now
    record = {"birth_date": "2018-03-01", "hukou": {"zone": "Z1"},
              "residence": {"kind": "rented", "address": "a-nv", "zone": "Z1"}}

    def put(rec: dict[str, Any]) -> Any:
        return intake.client.put(f"/api/routes/{pseudonym}/record",
                                 json={"year": YEAR, "stage": "primary", "record": rec})

    refused = put(record)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "routing_record_invalid" and "disability_placement" in problem["detail"]
    assert "残疾资格未通过相关职能部门核验" in problem["detail"]  # the way forward, named
    with intake.sessions() as s:
        assert s.scalars(select(ApplicantRoute)).all() == []  # nothing routed on a refused record

    # the district records the finding (in words for the reviewers) ...
    found = _ok(intake.client.put(f"/api/review/applicants/{pseudonym}/findings",
                                  json={"findings": ["disability-not-verified"]}))
    assert found == {"pseudonym": pseudonym, "findings": ["disability-not-verified"],
                     "labels": ["残疾资格未通过相关职能部门核验"]}
    page = intake.client.get(f"/staff/review/{pseudonym}")
    assert page.status_code == 200
    assert "审核发现的问题</dt><dd>残疾资格未通过相关职能部门核验" in page.text
    assert "残疾儿童申请的就读方式</dt><dd>在特殊教育学校就读" in page.text
    # ... which contradicts a verified disability: refused by name
    both = put({**record, "categories": ["disabled"]})
    assert both.status_code == 422, both.text
    assert both.json()["code"] == "routing_record_invalid"
    assert both.json()["detail"] == (
        f"{pseudonym}: review_findings：审核已认定残疾资格未通过相关职能部门核验（disability-not-verified，§三（三）），"
        "入学资格记录的照顾类别却登记了 disabled（残疾儿童），二者矛盾；请更正其一")
    # the record without the category is accepted now, and routed to the zone's draw
    assert _ok(put(record))["routed"] is True
    with intake.sessions() as s:
        stored = s.scalars(select(ApplicantRoute).join(Applicant, Applicant.id == ApplicantRoute.applicant_id)
                           .where(Applicant.pseudonym == pseudonym)).one()
    assert (stored.eligible, stored.route_rule, stored.zone) == (True, "rented-address", "Z1")
    assert stored.priority_rule == "ordinary"

    # the parent lists zone schools like any child of the zone
    intake.clock.now = beijing(5, 20, 12)  # the zone list's window
    _as(intake, account, PARENT_PASSWORD)
    options = _ok(intake.client.get("/api/choices/me"))
    assert (options["eligible"], options["zone"]) == (True, "Z1")
    # and reads, before the draw, that the request was set aside and why
    assert options["route"]["set_aside"]["code"] == "disability-not-verified"
    assert options["route"]["set_aside"]["section"] == "§三（三）"
    assert "未通过相关职能部门核验" in options["route"]["set_aside"]["text"]
    assert options["route"]["priority_rule"]["code"] == "ordinary"
    _ok(intake.client.post("/api/choices/me/zone", json={"schools": ["P02"]}), 201)

    inputs, others = season.freeze_first_round()
    assert inputs[pseudonym]["disability_placement"] == "special-school"
    assert inputs[pseudonym]["review_findings"] == ["disability-not-verified"]
    assert "disabled" not in inputs[pseudonym].get("categories", [])
    assert others[pseudonym]["disposition"] == "no-list"  # listed no private or boarding school
    frozen = _frozen_scenario(intake)
    result = run_plan(shipped_policy(), scenario_from_mapping(frozen), rehearsal_contributions(bytes(16)),
                      rehearsal=True)
    i = result.row_of(pseudonym)
    routing = result.routing
    assert RULES[int(routing.route_rule[i])].code == "rented-address"
    assert RULES[int(routing.priority_rule[i])].code == "ordinary"
    assert [r.code for r in routing.unmet_rules(i)] == ["disability-not-verified"]
    explanation = Explainer(result).explain(pseudonym)
    # in the zone's multi-school round, at the school the parent listed: not arranged outside the draws
    assert (result.outcome(pseudonym).status, result.outcome(pseudonym).school) == ("placed", "P02")
    assert [r.round for r in explanation.rounds] == ["multi-school"]
    text = explanation.text
    assert "家长申请在特殊教育学校就读；残疾儿童资格未通过相关职能部门核验" in text
    assert "不予安排" in text and "（§三（三））" in text and "不参加随机派位" not in text
