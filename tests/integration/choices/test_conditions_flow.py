"""Scenario format 2 through the pipeline: a routing record's conditions reach the round."""

from __future__ import annotations

from allocation import RULES, Stage, route, scenario_from_mapping, shipped_policy
from paiwei.rounds import service as rounds
from tests.integration.choices.helpers import primary_record, set_up_district, verified_family
from tests.integration.intake.helpers import Intake


def test_a_format_2_routing_record_reaches_the_round_inputs(intake: Intake) -> None:
    """Recorded once (checked by routing it), read into the round's inputs, decided by its rule."""
    set_up_district(intake.sessions, intake.clock())
    found = {**primary_record(), "review_findings": ["material-not-submitted"]}
    blocked = verified_family(intake, 1, record=found)
    fine = verified_family(intake, 2)
    policy = shipped_policy()
    with intake.sessions() as s:
        mapping = rounds.scenario_from_db(
            db_session=s, policy=policy, stage=Stage.PRIMARY, now=intake.clock()
        )
    rows = {a["id"]: a for a in mapping["applicants"]}
    assert rows[blocked.pseudonym]["review_findings"] == ["material-not-submitted"]
    sc = scenario_from_mapping(mapping)
    rt = route(policy, sc)
    ids = sc.applicants.ids
    code = {aid: RULES[int(rt.eligibility_rule[i])].code for i, aid in enumerate(ids)}
    assert code[blocked.pseudonym] == "material-not-submitted"
    assert code[fine.pseudonym] == "hukou-chaoyang"
