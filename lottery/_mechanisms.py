"""The two assignment mechanisms of protocol v1, in plain Python.

Both rank the applicants at a school by (priority at that school, ticket, id),
ascending; with ``ticket_rank`` holding each applicant's position in (ticket, id)
order the key is simply (priority, ticket_rank). The NumPy versions in
``_accel`` must give identical results; tests compare the two.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from lottery._table import DrawTable


class Mechanism(StrEnum):
    """How seats are assigned from choices, priorities and tickets."""

    DEFERRED_ACCEPTANCE = "deferred-acceptance"
    PREFERENCE_FIRST = "preference-first"


@dataclass(frozen=True, slots=True)
class Placement:
    """The outcome: per applicant the school index (-1 unplaced) and the choice rank (0 first, -1 unplaced).

    Under preference-first the rank is also the step at which the child was placed, minus one.
    """

    school: Sequence[int]
    rank: Sequence[int]


def deferred_acceptance(table: DrawTable, ticket_rank: Sequence[int]) -> Placement:
    """Applicant-proposing deferred acceptance; the applicant-optimal stable assignment."""
    n = table.size
    offsets, cs, cp, caps = (
        table.offsets,
        table.choice_school,
        table.choice_priority,
        table.capacities,
    )
    # Each school holds a heap of its worst-first tenants: (-priority, -ticket_rank, applicant).
    held: list[list[tuple[int, int, int]]] = [[] for _ in caps]
    cursor = list(offsets[:n])
    school = [-1] * n
    rank = [-1] * n
    free = list(range(n - 1, -1, -1))
    while free:
        a = free.pop()
        j = cursor[a]
        if j >= offsets[a + 1]:
            continue  # list exhausted: unplaced
        cursor[a] = j + 1
        s = cs[j]
        entry = (-cp[j], -ticket_rank[a], a)
        heap = held[s]
        if len(heap) < caps[s]:
            heapq.heappush(heap, entry)
            school[a], rank[a] = s, j - offsets[a]
        elif heap and entry > heap[0]:
            out = heapq.heapreplace(heap, entry)[2]
            school[out], rank[out] = -1, -1
            school[a], rank[a] = s, j - offsets[a]
            free.append(out)
        else:
            free.append(a)
    return Placement(school, rank)


def preference_first(table: DrawTable, ticket_rank: Sequence[int]) -> Placement:
    """志愿优先: step k places k-th choices into the seats left, smallest key first, for good."""
    n = table.size
    offsets, cs, cp = table.offsets, table.choice_school, table.choice_priority
    seats = list(table.capacities)
    school = [-1] * n
    rank = [-1] * n
    for k in range(table.max_choices):
        applying: dict[int, list[tuple[int, int, int]]] = {}
        for a in range(n):
            j = offsets[a] + k
            if school[a] == -1 and j < offsets[a + 1]:
                applying.setdefault(cs[j], []).append((cp[j], ticket_rank[a], a))
        for s, queue in applying.items():
            queue.sort()
            admitted = queue[: seats[s]]
            seats[s] -= len(admitted)
            for _, _, a in admitted:
                school[a], rank[a] = s, k
    return Placement(school, rank)


def assign_plain(mechanism: Mechanism, table: DrawTable, ticket_rank: Sequence[int]) -> Placement:
    if mechanism is Mechanism.PREFERENCE_FIRST:
        return preference_first(table, ticket_rank)
    return deferred_acceptance(table, ticket_rank)
