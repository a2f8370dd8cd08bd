"""§四（一）5: the district places everyone eligible still unplaced, when the district has seats."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from allocation import (
    Explainer,
    rehearsal_contributions,
    run_plan,
    scenario_from_mapping,
    shipped_policy,
)
from tests.unit.allocation._helpers import renter


def line_district(seats: list[int], applicants: list[dict[str, Any]]) -> dict[str, Any]:
    """Zones Z0 - Z1 - ... in a line (each the neighbour of the next), one school each; plus a zoneless school."""
    n = len(seats)
    return {
        "format": "paiwei-scenario/1",
        "district": "chaoyang",
        "year": 2024,
        "stage": "primary",
        "schools": [
            {"id": f"S{i}", "kind": "public", "stage": "primary", "seats": s}
            for i, s in enumerate(seats)
        ]
        + [{"id": "SX", "kind": "public", "stage": "primary", "seats": 3}],
        "zones": [
            {
                "id": f"Z{i}",
                "kind": "multi-school",
                "stage": "primary",
                "schools": [f"S{i}"],
                "neighbours": [f"Z{j}" for j in (i - 1, i + 1) if 0 <= j < n],
            }
            for i in range(n)
        ],
        "applicants": applicants,
    }


def kids(zone: str, count: int, prefix: str) -> list[dict[str, Any]]:
    return [
        renter(
            f"{prefix}{k}",
            residence={
                "kind": "rented",
                "address": f"a{prefix}{k}",
                "zone": zone,
                "rental_start": "2020-01-01",
                "registered": True,
            },
            choices={},
        )
        for k in range(count)
    ]


@pytest.mark.parametrize(
    ("seats", "groups", "where"),
    [
        # Z0's children fit in Z1 (a neighbour)
        ([0, 5, 0, 0], [("Z0", 4)], {"S1": 4}),
        # two hops: Z0 and Z1 full, Z2 has the seats
        ([0, 0, 6, 0], [("Z0", 3), ("Z1", 3)], {"S2": 6}),
        # beyond the neighbours of neighbours: Z3 is three hops from Z0
        ([0, 0, 0, 4], [("Z0", 4)], {"S3": 4}),
        # more children than zone seats: the zoneless school takes the rest
        ([1, 1, 1, 1], [("Z0", 3), ("Z3", 4)], {"S0": 1, "S1": 1, "S2": 1, "S3": 1, "SX": 3}),
    ],
)
def test_district_places_everyone_when_seats_suffice(
    seats: list[int], groups: list[tuple[str, int]], where: dict[str, int]
) -> None:
    applicants = [a for zone, count in groups for a in kids(zone, count, zone.lower())]
    sc = scenario_from_mapping(line_district(seats, applicants))
    res = run_plan(shipped_policy(), sc, rehearsal_contributions(b"district"))
    assert all(o.status == "placed" for o in res.outcomes())
    assert dict(Counter(res.assignment().values())) == where
    ex = Explainer(res).explain(applicants[0]["id"])
    assert "区教委" in ex.text
    district_round = next(r for r in ex.rounds if r.round == "district")
    placed = next(a for a in district_round.attempts if a.admitted)
    assert placed.zone == ("Z" + placed.school[1:] if placed.school != "SX" else None)
    assert f"{placed.zone or '区内'}片区" in ex.text


def test_district_leaves_unplaced_exactly_the_shortfall() -> None:
    applicants = kids("Z0", 10, "a")
    sc = scenario_from_mapping(line_district([1, 1], applicants))
    res = run_plan(shipped_policy(), sc, rehearsal_contributions(b"district"))
    statuses = Counter(o.status for o in res.outcomes())
    assert statuses == {"placed": 5, "unplaced": 5}
