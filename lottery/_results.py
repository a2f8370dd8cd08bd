"""Derived, verifiable summaries of a placement: assignments and per-school results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lottery._engine import accelerator
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
    table: DrawTable, placement: Placement, tickets: Sequence[bytes], *, accelerate: bool = True
) -> list[dict[str, Any]]:
    """Per school, in table order: listed, applied, admitted, direct or drawn, and the cut-off.

    An applicant applies to each choice up to the one it was placed at (all of them
    when unplaced); this holds for both mechanisms. A school is ``direct`` when
    everyone who applied was admitted, ``drawn`` when tickets turned someone away.
    The cut-off is the (priority, ticket) of the last admitted applicant.
    With ``accelerate`` and NumPy present the counts are computed column-wise; same answer.
    """
    fast = accelerator(accelerate)
    if fast is not None:
        listed, applied, admitted, last_in = fast.school_counts(
            table, placement.school, placement.rank, tickets
        )
        cp, offs, ranks = table.choice_priority, table.offsets, placement.rank
        return _summaries(
            table,
            listed,
            applied,
            admitted,
            [None if a < 0 else (int(cp[offs[a] + int(ranks[a])]), tickets[a]) for a in last_in],
        )
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
    return _summaries(table, listed, applied, admitted, cutoff)


def _summaries(
    table: DrawTable,
    listed: Sequence[int],
    applied: Sequence[int],
    admitted: Sequence[int],
    cutoff: Sequence[tuple[int, bytes] | None],
) -> list[dict[str, Any]]:
    out = []
    for s in range(len(table.school_ids)):
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
