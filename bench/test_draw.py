"""Draw execution beside its floor, in the same run.

floor:  the tickets alone, with hashlib (``bench.workload.floor_tickets``).
draw:   ``lottery.tickets`` + ``lottery.place`` on the columnar table, per mechanism.
bundle: ``lottery.run_draw`` (seed, tickets, placement, assignment records and
        per-school results) from frozen inputs; shown for scale, not a target.
The table is built directly from the workload: a draw starts from frozen inputs.
"""

from __future__ import annotations

from typing import Any

import pytest

import lottery
from bench.conftest import SIZES, paired, rounds_for, workload
from bench.workload import contributions, floor_tickets

SEED = bytes(range(32))
MECHANISMS = list(lottery.Mechanism)


@pytest.mark.parametrize("n", SIZES)
def test_floor_tickets(benchmark: Any, n: int) -> None:
    w = workload(n)
    benchmark.group = f"draw {n}"
    out = benchmark.pedantic(
        floor_tickets, args=(SEED, w.applicant_ids), rounds=rounds_for(n), warmup_rounds=1
    )
    assert out == lottery.tickets(SEED, w.applicant_ids)


@pytest.mark.parametrize("mechanism", MECHANISMS, ids=[m.value for m in MECHANISMS])
@pytest.mark.parametrize("n", SIZES)
def test_draw(benchmark: Any, n: int, mechanism: lottery.Mechanism) -> None:
    w = workload(n)
    table = w.table()

    def draw() -> lottery.Placement:
        return lottery.place(mechanism, table, lottery.tickets(SEED, table.applicant_ids))

    benchmark.group = f"draw {n}"
    draw()  # warm-up
    placement = paired(
        benchmark, draw, lambda: floor_tickets(SEED, w.applicant_ids), rounds=rounds_for(n)
    )
    schools = [int(s) for s in placement.school]
    placed = sum(s >= 0 for s in schools)
    benchmark.extra_info["placed"] = placed
    assert 0 < placed <= sum(w.capacities)
    if n <= 10_000:  # the plain path gives the same answer
        plain = lottery.place(
            mechanism, table, lottery.tickets(SEED, table.applicant_ids), accelerate=False
        )
        assert schools == list(plain.school)


@pytest.mark.parametrize("n", SIZES)
def test_run_draw_bundle(benchmark: Any, n: int) -> None:
    w = workload(n)
    draw_id = f"bench/{n}"
    frozen = lottery.FrozenInputs(
        draw_id, w.school_records(), w.applicant_records(), w.table(), bytes(32)
    )
    benchmark.group = f"draw {n}"
    outcome = benchmark.pedantic(
        lottery.run_draw, args=(frozen, contributions(draw_id)), rounds=rounds_for(n)
    )
    assert len(outcome.bundle["assignments"]) == n
