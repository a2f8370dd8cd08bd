"""Scenario format 2 (issue 18): the conditions are data, read back the same, decided per rule."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from allocation import (
    RULES,
    UNMET,
    route,
    scenario_from_mapping,
    scenario_to_mapping,
    shipped_policy,
)
from allocation.eligibility import _RULE_LIST, R
from tests.cases.make_cases import D2, D, child, renter, renter2

CASES = sorted((Path(__file__).parents[2] / "cases").glob("case_*.json"))
V2 = [
    p
    for p in CASES
    if json.loads(p.read_text(encoding="utf-8"))["scenario"]["format"] == "paiwei-scenario/2"
]


def test_rule_codes_and_their_enum_agree() -> None:
    assert [name for name, *_ in _RULE_LIST] == [r.name for r in R]
    assert len({r.code for r in RULES}) == len(RULES)
    assert all(r.section.startswith("§") and r.text for r in RULES)


def test_every_unmet_condition_is_a_rule() -> None:
    assert len(set(UNMET)) == len(UNMET)
    assert all(RULES[r].section.startswith(("§三", "§四")) for r in UNMET)


@pytest.mark.parametrize("path", V2, ids=[p.stem for p in V2])
def test_version_2_scenario_round_trips(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))["scenario"]
    sc = scenario_from_mapping(data)
    written = scenario_to_mapping(sc)
    assert written["format"] == "paiwei-scenario/2"
    again = scenario_from_mapping(written)
    assert scenario_to_mapping(again) == written
    policy = shipped_policy()
    a, b = route(policy, sc), route(policy, again)
    for name in ("eligible", "eligibility_rule", "route_rule", "target", "address", "unmet"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_version_1_is_read_with_the_meaning_it_had() -> None:
    """A version-1 file and the same records as version 2 decide alike (defaults of format 2)."""
    v1 = {
        **D,
        "applicants": [
            child("c1"),
            renter("c2"),
            renter("c3", employment_start=None),
            child("c4", address_uses=[{"year": 2020, "stage": "primary"}]),
        ],
    }
    v2 = {**v1, "format": "paiwei-scenario/2"}
    policy = shipped_policy()
    a = route(policy, scenario_from_mapping(v1))
    b = route(policy, scenario_from_mapping(v2))
    for name in ("eligible", "eligibility_rule", "route_rule", "target", "address", "unmet"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert RULES[int(a.eligibility_rule[2])].code == "employment-not-in-district"
    assert scenario_to_mapping(scenario_from_mapping(v1)) == scenario_to_mapping(
        scenario_from_mapping(v1)
    )
    assert scenario_to_mapping(scenario_from_mapping(v1))["format"] == "paiwei-scenario/1"


def test_a_generated_district_decides_alike_in_both_versions() -> None:
    from allocation import generate_district  # noqa: PLC0415

    v1 = generate_district(2000, 20, seed=5)
    v2 = {**v1, "format": "paiwei-scenario/2"}
    policy = shipped_policy()
    a = route(policy, scenario_from_mapping(v1))
    b = route(policy, scenario_from_mapping(v2))
    names = ("eligible", "eligibility_rule", "route_rule", "target", "school", "zone")
    for name in (*names, "address", "address_rule", "unmet"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    # the generated district has used and exempt addresses: both paths of §四（一）1 ran
    assert {0, 1, 2, 3} <= set(a.address.tolist())


def test_docs_name_every_rule_code_and_reading() -> None:
    """docs/rehearsal.md lists every code (outside adapters map them) and the new readings."""
    from allocation import READING_SPECS  # noqa: PLC0415

    doc = (Path(__file__).parents[3] / "docs/rehearsal.md").read_text(encoding="utf-8")
    assert not [r.code for r in RULES if f"`{r.code}`" not in doc]
    for name in ("address_used_range", "rented_address_recorded", "social_insurance_place"):
        assert name in doc and name in READING_SPECS


# --- §三（三）: a requested placement whose disability 相关职能部门 did not confirm ---------


def _not_verified(placement: str | None, cid: str = "c1", **kw: object) -> dict[str, object]:
    rec = renter2(cid, review_findings=["disability-not-verified"], **kw)
    if placement is not None:
        rec["disability_placement"] = placement
    return rec


@pytest.mark.parametrize("placement", ["special-school", "special-class", "regular-class", None])
def test_a_placement_set_aside_routes_the_child_as_any_child_of_its_route(
    placement: str | None,
) -> None:
    """With the finding disability-not-verified, the request is read (and written back) but
    decides nothing: the route and class of a renter who asked for nothing, the finding
    listed as unmet, never the eligibility rule."""
    v2 = {**D2, "applicants": [_not_verified(placement), renter2("c2")]}
    policy = shipped_policy()
    sc = scenario_from_mapping(v2)
    rt = route(policy, sc)
    codes = [r.code for r in RULES]
    for name in ("eligible", "eligibility_rule", "route_rule", "target", "zone", "priority"):
        col = getattr(rt, name)
        assert col[0] == col[1], name
    assert codes[int(rt.route_rule[0])] == "rented-address"
    assert codes[int(rt.priority_rule[0])] == "ordinary"
    assert codes[int(rt.eligibility_rule[0])] == "beijing-renting"
    assert [r.code for r in rt.unmet_rules(0)] == ["disability-not-verified"]
    assert rt.unmet_rules(1) == ()
    written = scenario_to_mapping(sc)["applicants"][0]
    assert written["review_findings"] == ["disability-not-verified"]
    if placement not in (None, "regular-class"):
        assert written["disability_placement"] == placement


def test_the_rule_is_a_section_three_three_rule_in_chinese() -> None:
    rule = RULES[R.DISABILITY_NOT_VERIFIED]
    assert (rule.code, rule.section) == ("disability-not-verified", "§三（三）")
    assert "相关职能部门核验" in rule.text and "不予安排" in rule.text
    assert "不享受残疾儿童优先" in rule.text and rule.text.isascii() is False


def test_the_finding_with_the_disabled_category_is_refused_as_a_contradiction() -> None:
    from allocation import ScenarioError  # noqa: PLC0415

    for placement in ("special-school", None):
        rec = _not_verified(placement, categories=["disabled"])
        with pytest.raises(ScenarioError, match="contradicts the category disabled") as err:
            scenario_from_mapping({**D2, "applicants": [rec]})
        assert err.value.where == "/applicants/0/review_findings"


def test_a_placement_needs_the_category_or_the_finding() -> None:
    from allocation import ScenarioError  # noqa: PLC0415

    rec = renter2("c1", disability_placement="special-school")
    with pytest.raises(ScenarioError, match="disability-not-verified"):
        scenario_from_mapping({**D2, "applicants": [rec]})


def test_the_explanation_names_the_request_set_aside_and_why() -> None:
    from allocation import Explainer, rehearsal_contributions, run_plan  # noqa: PLC0415

    v2 = {
        **D2,
        "applicants": [
            _not_verified("special-school", "c1"),
            _not_verified("special-class", "c2"),
            _not_verified(None, "c3"),
            renter2("c4", categories=["disabled"], disability_placement="special-school"),
        ],
    }
    result = run_plan(
        shipped_policy(),
        scenario_from_mapping(v2),
        rehearsal_contributions(bytes(16)),
        rehearsal=True,
    )
    ex = Explainer(result)
    reason = "残疾儿童资格未通过相关职能部门核验：家长为残疾儿童申请的入学安置不予安排"
    school = ex.explain("c1")
    assert f"\n另：家长申请在特殊教育学校就读；{reason}" in school.text
    assert "（§三（三））。" in school.text and "不参加随机派位" not in school.text
    assert [r.code for r in school.unmet] == ["disability-not-verified"]
    assert school.to_json()["unmet"][0]["section"] == "§三（三）"
    assert result.outcome("c1").status == "placed" and school.rounds  # drawn, not arranged
    assert f"\n另：家长申请在小学附设特教班就读；{reason}" in ex.explain("c2").text
    assert f"\n另：{reason}" in ex.explain("c3").text
    verified = ex.explain("c4")
    assert "不参加随机派位" in verified.text and reason not in verified.text
