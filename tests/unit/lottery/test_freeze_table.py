"""The columnar freeze (records and table from one builder) equals the record-by-record one."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

import lottery
from lottery import InvalidBundle

SCHOOLS = [{"id": "s1", "capacity": 1}, {"id": "s2", "capacity": 2}, {"id": "s3", "capacity": 0}]
APPLICANTS: list[dict[str, Any]] = [
    {"id": "a1", "choices": ["s2", "s1"], "priority": {"s1": 1, "s2": 1}},
    {"id": "a2", "choices": [], "priority": {}},
    {"id": "b\u00e9", "choices": ["s3", "s2", "s1"], "priority": {"s1": 0, "s2": 0, "s3": 0}},
    {"id": "c", "choices": ["s1"], "priority": {"s1": -4}},
]


def test_same_root_and_table_as_freeze() -> None:
    expected = lottery.freeze("draw/x", SCHOOLS, APPLICANTS)
    got = lottery.freeze_table("draw/x", SCHOOLS, APPLICANTS, expected.table)
    assert got.root == expected.root
    assert got.table == expected.table
    assert list(got.applicants) == APPLICANTS
    tickets = lottery.tickets(bytes(32), got.table.applicant_ids)
    da = lottery.Mechanism.DEFERRED_ACCEPTANCE
    assert list(lottery.place(da, got.table, tickets).school) == list(
        lottery.place(da, expected.table, tickets).school
    )


def _table() -> lottery.DrawTable:
    return lottery.freeze("draw/x", SCHOOLS, APPLICANTS).table


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"applicant_ids": ["a2", "a1", "b\u00e9", "c"]}, "ascending id order"),
        ({"applicant_ids": ["a1", "a1", "b\u00e9", "c"]}, "ascending id order"),
        ({"applicant_ids": ["", "a1", "b\u00e9", "c"]}, "non-empty"),
        ({"applicant_ids": ["a1", "a2", "be\u0301", "c"]}, "NFC"),
        ({"school_ids": ("s1", "s1", "s3")}, "duplicate school id"),
        ({"school_ids": ("s1", "s\u00e9", "s3")}, "ASCII"),
        ({"capacities": (1, -1, 0)}, "capacity"),
        ({"choice_school": [1, 0, 2, 1, 3, 0]}, "names no school"),
        ({"choice_school": [1, 1, 2, 1, 0, 0]}, "appears twice"),
        ({"choice_priority": [1, 1, 0, 0, 0, 2**53]}, "priority"),
        ({"offsets": [0, 2, 2, 5, 5]}, "offsets"),
    ],
)
def test_bulk_checks_refuse_what_freeze_refuses(change: dict[str, Any], message: str) -> None:
    table = replace(_table(), **change)
    with pytest.raises(InvalidBundle, match=message):
        lottery.freeze_table("draw/x", SCHOOLS, APPLICANTS, table)
    # The same columns as NumPy int64 arrays (how the allocation engine hands them over):
    # refused for the same reason by the NumPy checks.
    np = pytest.importorskip("numpy")
    as_arrays = replace(table, **_arrays(np, table))
    with pytest.raises(InvalidBundle, match=message):
        lottery.freeze_table("draw/x", SCHOOLS, APPLICANTS, as_arrays)


def _arrays(np: Any, table: lottery.DrawTable) -> dict[str, Any]:
    return {
        name: np.asarray(getattr(table, name), dtype=np.int64)
        for name in ("offsets", "choice_school", "choice_priority")
    }


@pytest.mark.parametrize("accelerate", [True, False])
def test_int64_columns_freeze_and_draw_as_lists_do(accelerate: bool) -> None:
    np = pytest.importorskip("numpy")
    expected = lottery.freeze("draw/x", SCHOOLS, APPLICANTS)
    table = replace(expected.table, **_arrays(np, expected.table))
    got = lottery.freeze_table("draw/x", SCHOOLS, APPLICANTS, table, accelerate=accelerate)
    assert got.root == expected.root
    tickets = lottery.tickets(bytes(32), got.table.applicant_ids)
    for mechanism in lottery.Mechanism:
        a = lottery.place(mechanism, got.table, tickets, accelerate=accelerate)
        b = lottery.place(mechanism, expected.table, tickets, accelerate=accelerate)
        assert (list(map(int, a.school)), list(map(int, a.rank))) == (
            list(map(int, b.school)),
            list(map(int, b.rank)),
        )
    # a column of another integer width or of floats is not taken for an int64 column
    other = replace(expected.table, choice_school=np.asarray(expected.table.choice_school, float))
    with pytest.raises(InvalidBundle, match="names no school"):
        lottery.freeze_table("draw/x", SCHOOLS, APPLICANTS, other)


def test_record_count_must_match_the_table() -> None:
    with pytest.raises(InvalidBundle, match="one record per row"):
        lottery.freeze_table("draw/x", SCHOOLS, APPLICANTS[:3], _table())
    with pytest.raises(InvalidBundle, match="draw id"):
        lottery.freeze_table("", SCHOOLS, APPLICANTS, _table())
