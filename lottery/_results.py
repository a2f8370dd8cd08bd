"""Derived, verifiable summaries of a placement: assignments and per-school results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lottery._mechanisms import Placement
from lottery._table import DrawTable


def assignment_records(
    table: DrawTable, placement: Placement, tickets: Sequence[bytes]
) -> list[dict[str, Any]]:
    """``{"applicant", "school", "ticket"}`` per applicant, in table order."""
    names: list[str | None] = [*table.school_ids, None]
    return [
        {"applicant": a, "school": names[s], "ticket": t.hex()}
        for a, s, t in zip(
            table.applicant_ids, list(map(int, placement.school)), tickets, strict=True
        )
    ]


def school_results(
    table: DrawTable, placement: Placement, tickets: Sequence[bytes]
) -> list[dict[str, Any]]:
    """Per school, in table order: listed, applied, admitted, direct or drawn, and the cut-off.

    An applicant applies to each choice up to the one it was placed at (all of them
    when unplaced); this holds for both mechanisms. A school is ``direct`` when
    everyone who applied was admitted, ``drawn`` when tickets turned someone away.
    The cut-off is the (priority, ticket) of the last admitted applicant.
    """
    n_schools = len(table.school_ids)
    listed = [0] * n_schools
    applied = [0] * n_schools
    admitted = [0] * n_schools
    cutoff: list[tuple[int, bytes] | None] = [None] * n_schools
    offsets, cs, cp = table.offsets, table.choice_school, table.choice_priority
    schools = list(map(int, placement.school))
    ranks = list(map(int, placement.rank))
    for a in range(table.size):
        start, end = offsets[a], offsets[a + 1]
        reach = end if ranks[a] < 0 else start + ranks[a] + 1
        for j in range(start, end):
            listed[cs[j]] += 1
            if j < reach:
                applied[cs[j]] += 1
        s = schools[a]
        if s >= 0:
            admitted[s] += 1
            key = (int(cp[start + ranks[a]]), tickets[a])
            current = cutoff[s]
            if current is None or key > current:
                cutoff[s] = key
    out = []
    for s in range(n_schools):
        last = cutoff[s]
        out.append(
            {
                "school": table.school_ids[s],
                "listed": listed[s],
                "applied": applied[s],
                "admitted": admitted[s],
                "mode": "direct" if admitted[s] == applied[s] else "drawn",
                "cutoff": None if last is None else {"priority": last[0], "ticket": last[1].hex()},
            }
        )
    return out
