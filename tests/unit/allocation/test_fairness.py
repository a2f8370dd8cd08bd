"""Fairness: in an oversubscribed pool of n for k seats, each child wins with frequency k/n.

Over 2,000 seeds, per applicant and per position in the input order (shuffled per
seed), the win counts pass a chi-square test against k/n (p > 0.001), under both
mechanisms (§四（一）5: the draw, not the order of registration, decides).
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from scipy.stats import chisquare

from allocation import (
    Stage,
    rehearsal_contributions,
    run_plan,
    scenario_from_mapping,
    shipped_policy,
)
from lottery import Mechanism
from tests.unit.allocation._helpers import district, renter

N, K, SEEDS = 20, 5, 2000


@pytest.mark.slow
@pytest.mark.parametrize("mechanism", [Mechanism.PREFERENCE_FIRST, Mechanism.DEFERRED_ACCEPTANCE])
def test_each_applicant_and_position_wins_k_of_n(mechanism: Mechanism) -> None:
    policy = shipped_policy().with_mechanism(Stage.PRIMARY, "multi-school", mechanism)
    base = district(
        [renter(f"k{i:02d}", choices={"zone": ["P2"]}) for i in range(N)],
        {"P1": 0, "P2": K, "P3": 0, "P4": 0},
    )
    by_id = dict.fromkeys((a["id"] for a in base["applicants"]), 0)
    by_pos = [0] * N
    for s in range(SEEDS):
        rnd = random.Random(s)
        data: dict[str, Any] = dict(base)
        data["applicants"] = rnd.sample(base["applicants"], N)
        res = run_plan(
            policy, scenario_from_mapping(data), rehearsal_contributions(s.to_bytes(4, "big"))
        )
        assert res.bundles()["multi-school"]["mechanism"] == mechanism.value
        for pos, rec in enumerate(data["applicants"]):
            if res.outcome(rec["id"]).school == "P2":
                by_id[rec["id"]] += 1
                by_pos[pos] += 1
    expected = [SEEDS * K / N] * N
    assert sum(by_id.values()) == SEEDS * K
    assert chisquare(list(by_id.values()), expected).pvalue > 0.001
    assert chisquare(by_pos, expected).pvalue > 0.001
