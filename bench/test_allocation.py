"""Allocation engine benchmark: a full primary plan for a 1,000,000-applicant, 5,000-school city.

All rounds run (private/boarding, single-school, multi-school preference-first,
district), each one protocol draw with freeze, seed, tickets, placement and the
bundle. Beside it, in the same run, the ticket-only floor: every applicant's ticket
hashed with hashlib and nothing else (``bench.workload.floor_tickets``). Figures go
to ``extra_info`` (plan seconds, floor seconds, ratio, peak RSS); see
docs/benchmarks.md. Run: ``.venv/bin/pytest bench/test_allocation.py -q``.
"""

from __future__ import annotations

import gc
import resource
import time
from collections.abc import Iterator
from typing import Any

import pytest

from allocation import rehearsal_contributions, run_plan, shipped_policy
from allocation.generator import generate_scenario
from bench.workload import floor_tickets

SEED = b"bench-allocation"


@pytest.fixture(scope="module", params=[100_000, 1_000_000], ids=["100k", "1M"])
def city(request: Any) -> Any:
    return generate_scenario(request.param, 5_000, seed=2024)


@pytest.fixture(params=["gc-on", "gc-off"])
def collector(request: Any) -> Iterator[str]:
    """The caller may pause Python's cyclic GC around a plan (the core never touches it).

    A plan allocates millions of small records that are never cyclic garbage; the
    collector's repeated passes over them cost more than building them.
    """
    was = gc.isenabled()
    if request.param == "gc-off":
        gc.disable()
    try:
        yield request.param
    finally:
        if was:
            gc.enable()


def test_full_primary_plan(benchmark: Any, city: Any, collector: str) -> None:
    policy = shipped_policy()
    ids = list(city.applicants.ids)
    start = time.perf_counter()
    floor_tickets(bytes(32), ids)
    floor = time.perf_counter() - start

    result = benchmark.pedantic(
        run_plan, args=(policy, city, rehearsal_contributions(SEED)), rounds=1, iterations=1
    )
    plan = benchmark.stats.stats.mean
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    benchmark.extra_info.update(
        {
            "applicants": city.applicants.size,
            "gc": collector,
            "schools": len(city.schools),
            "floor_s": round(floor, 3),
            "plan_s": round(plan, 3),
            "ratio_to_floor": round(plan / floor, 1),
            "peak_rss_mb": round(rss_mb),
            "rounds": {r.spec.id: int(r.members.size) for r in result.rounds},
        }
    )
    placed = int((result.school >= 0).sum())
    assert placed > 0
    assert placed <= sum(s.seats for s in city.schools)
