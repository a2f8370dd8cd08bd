"""The columnar Explainer gives exactly the explanations of the first, per-applicant one.

The first implementation is kept as an oracle in ``_explain_reference.py``; both run
over every golden case (each under its readings) and over generated districts
(primary 20,000 applicants, and a junior one), and every explanation must be equal,
field by field and text by text, whether asked in bulk, row by row or by id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from allocation import (
    Explainer,
    explain,
    generate_junior_district,
    rehearsal_contributions,
    run_plan,
    scenario_from_mapping,
    shipped_policy,
)
from allocation.generator import generate_scenario
from tests.unit.allocation._explain_reference import ReferenceExplainer

CASES = sorted((Path(__file__).parents[2] / "cases").glob("case_*.json"))


def _same(result: Any) -> int:
    new = list(Explainer(result))
    old = list(ReferenceExplainer(result))
    assert len(new) == len(old) == result.scenario.applicants.size
    for a, b in zip(new, old, strict=True):
        assert a == b, a.applicant
        assert a.to_json() == b.to_json(), a.applicant
    return sum(len(e.rounds) for e in new)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_same_explanations_on_golden_cases(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    policy = shipped_policy().with_readings(**data.get("readings", {}))
    result = run_plan(
        policy,
        scenario_from_mapping(data["scenario"]),
        rehearsal_contributions(bytes.fromhex(data["seed"])),
        rehearsal=True,
    )
    _same(result)
    for aid in data["expected"]:
        if not aid.startswith("@"):
            assert explain(result, aid) == ReferenceExplainer(result).explain(aid)


@pytest.mark.slow  # a 20,000-applicant plan explained twice; the golden cases above run in `make test`
def test_same_explanations_on_a_generated_20k_district() -> None:
    result = run_plan(
        shipped_policy(), generate_scenario(20_000, 100, seed=11), rehearsal_contributions(b"x")
    )
    assert _same(result) > 20_000 * 0.8  # most children took part in a round
    # row by row (as the rehearsal asks), in an order that does not favour a cache
    ex, ref = Explainer(result), ReferenceExplainer(result)
    for i in range(result.scenario.applicants.size - 1, -1, -997):
        assert ex.explain_row(i) == ref.explain_row(i)


@pytest.mark.parametrize("reading", [True, False])
def test_same_explanations_on_a_junior_district(reading: bool) -> None:
    """Junior: groups (preference-first, group order), nine-year, single-school, zone, district."""
    policy = shipped_policy().with_readings(equal_counts_as_direct=reading)
    scenario = scenario_from_mapping(generate_junior_district(2_000, 24, seed=5))
    _same(run_plan(policy, scenario, rehearsal_contributions(b"junior")))
