"""§四（一）4: the reviewers' findings, recorded once in review, reach the choices and the round."""

from __future__ import annotations

from sqlalchemy import select

from allocation import RULES, Stage, route, scenario_from_mapping, shipped_policy
from paiwei.audit.models import AuditEvent
from paiwei.choices import service as choices
from paiwei.intake.models import Applicant, Status
from paiwei.rounds import service as rounds
from tests.integration.choices.helpers import (
    SYSTEM,
    YEAR,
    hukou_registration,
    primary_record,
    set_up_district,
    verified_family,
)
from tests.integration.intake.helpers import (
    OTHER_STREET,
    STAFF_PASSWORD,
    STREET,
    Intake,
    details,
    make_staff,
)


def test_findings_are_recorded_in_scope_and_decide_in_the_round(intake: Intake) -> None:
    set_up_district(intake.sessions, intake.clock())
    make_staff(intake.sessions, intake.clock, "jw-reviewer", "street_reviewer", street=STREET)
    make_staff(intake.sessions, intake.clock, "far-reviewer", "street_reviewer", street=OTHER_STREET)
    account = intake.register(7, **hukou_registration(primary_record())).json()["account_no"]
    assert intake.login(account).status_code == 200
    assert intake.client.put("/api/intake/me/details", json=details()).status_code == 200
    with intake.sessions() as s:
        pseudonym = s.scalars(select(Applicant.pseudonym)).one()
    url = f"/api/review/applicants/{pseudonym}/findings"

    intake.logout()
    assert intake.login("far-reviewer", STAFF_PASSWORD).status_code == 200
    refused = intake.client.put(url, json={"findings": ["garage"]})
    assert refused.status_code == 403
    intake.logout()
    assert intake.login("jw-reviewer", STAFF_PASSWORD).status_code == 200
    assert intake.client.put(url, json={"findings": ["moon-base"]}).status_code == 422
    done = intake.client.put(url, json={"findings": ["not-actual-residence", "empty-hukou"]})
    assert done.status_code == 200, done.text
    assert done.json()["findings"] == ["empty-hukou", "not-actual-residence"]  # the format's order
    assert done.json()["labels"] == ["空挂户（户籍地无实际居住）", "不符合实际居住条件"]
    intake.logout()

    with intake.sessions() as s:  # verified; staff record the routing record (no findings in it)
        applicant = s.scalars(select(Applicant)).one()
        applicant.status = Status.VERIFIED
        s.commit()
        choices.record_routing(db_session=s, actor=SYSTEM, pseudonym=pseudonym, year=YEAR,
                               stage="primary", record=primary_record(), now=intake.clock())
        reasons = s.scalars(select(AuditEvent.reason).where(
            AuditEvent.action == "review_findings_recorded")).all()
        assert reasons == ["empty-hukou,not-actual-residence"]
    fine = verified_family(intake, 8)

    policy = shipped_policy()
    with intake.sessions() as s:
        mapping = rounds.scenario_from_db(db_session=s, policy=policy, stage=Stage.PRIMARY,
                                          now=intake.clock())
    rows = {a["id"]: a for a in mapping["applicants"]}
    assert rows[pseudonym]["review_findings"] == ["empty-hukou", "not-actual-residence"]
    assert "review_findings" not in rows[fine.pseudonym]
    sc = scenario_from_mapping(mapping)
    rt = route(policy, sc)
    code = {aid: RULES[int(rt.eligibility_rule[i])].code for i, aid in enumerate(sc.applicants.ids)}
    assert code == {pseudonym: "review-empty-hukou", fine.pseudonym: "hukou-chaoyang"}
    unmet = [r.code for r in rt.unmet_rules(sc.applicants.ids.index(pseudonym))]
    assert unmet == ["review-empty-hukou", "review-not-actual-residence"]
