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
from tests.cases.make_cases import D, child, renter

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
