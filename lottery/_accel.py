"""NumPy versions of ticket ordering and both mechanisms: same answers, columnar speed.

NumPy is an optional accelerator of the verifier (the notary's machine needs only
the standard library and ``cryptography``), so this module is imported lazily and
only when NumPy is present; ``tests/unit/lottery`` checks it against ``_mechanisms``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np  # optional accelerator: imported only through lottery._engine.numpy_or_none
import numpy.typing as npt

from lottery._mechanisms import Mechanism, Placement
from lottery._table import DrawTable

IntArray = npt.NDArray[np.int64]


def ticket_ranks(tickets: Sequence[bytes], applicant_ids: Sequence[str]) -> IntArray:
    """Position of each applicant in (ticket, id) order; see ``_tickets.ticket_ranks``."""
    n = len(tickets)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    words = np.frombuffer(b"".join(tickets), dtype=">u8").reshape(n, 4)
    # Sort on the first 64 bits; equal prefixes (about n^2 / 2^65 odds) are re-sorted exactly.
    order = np.argsort(words[:, 0], kind="stable")
    head = words[order, 0]
    ties = np.flatnonzero(head[1:] == head[:-1])
    if ties.size:
        order = _resolve_ties(order, head, tickets, applicant_ids)
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = np.arange(n, dtype=np.int64)
    return ranks


def _resolve_ties(
    order: IntArray, head: Any, tickets: Sequence[bytes], applicant_ids: Sequence[str]
) -> IntArray:
    order = order.copy()
    n = len(order)
    start = 0
    while start < n:
        end = start + 1
        while end < n and head[end] == head[start]:
            end += 1
        if end - start > 1:
            group = sorted(
                (int(i) for i in order[start:end]), key=lambda i: (tickets[i], applicant_ids[i])
            )
            order[start:end] = group
        start = end
    return order


def _keys(table: DrawTable, ranks: IntArray) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Per listed choice: owner applicant, school, and one int64 key ordering (priority, ticket)."""
    offsets = np.asarray(table.offsets, dtype=np.int64)
    lengths = np.diff(offsets)
    n = table.size
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    school = np.asarray(table.choice_school, dtype=np.int64)
    prio = np.asarray(table.choice_priority, dtype=np.int64)
    levels, dense = np.unique(prio, return_inverse=True)
    key = dense.astype(np.int64) * max(n, 1) + ranks[owner]
    return owner, school, key, offsets


def _group_positions(groups: IntArray) -> IntArray:
    """For sorted group labels, each element's position within its group."""
    if groups.size == 0:
        return groups
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, groups.size]))
    return np.arange(groups.size, dtype=np.int64) - first


def _sort_by_school_key(school: IntArray, key: IntArray, n_schools: int) -> IntArray:
    kmax = int(key.max()) + 1 if key.size else 1
    if n_schools * kmax < 2**62:
        return np.argsort(school * kmax + key, kind="stable")
    return np.lexsort((key, school))


def preference_first(table: DrawTable, ranks: IntArray) -> Placement:
    n, n_schools = table.size, len(table.capacities)
    owner, school_of, key, offsets = _keys(table, ranks)
    lengths = np.diff(offsets)
    seats = np.asarray(table.capacities, dtype=np.int64).copy()
    placed = np.full(n, -1, dtype=np.int64)
    rank = np.full(n, -1, dtype=np.int64)
    for k in range(int(lengths.max()) if n else 0):
        applicants = np.flatnonzero((placed < 0) & (lengths > k))
        if applicants.size == 0:
            break
        j = offsets[applicants] + k
        s, kk = school_of[j], key[j]
        order = _sort_by_school_key(s, kk, n_schools)
        s_sorted = s[order]
        admit = _group_positions(s_sorted) < seats[s_sorted]
        winners = applicants[order[admit]]
        placed[winners] = s_sorted[admit]
        rank[winners] = k
        seats -= np.bincount(s_sorted[admit], minlength=n_schools)
    return Placement(placed, rank)


def deferred_acceptance(table: DrawTable, ranks: IntArray) -> Placement:
    """Round-based applicant-proposing deferred acceptance.

    Each round, every free applicant proposes to their next choice. A full school
    rejects outright any proposal worse than its current worst tenant; the rest
    are merged with the tenants of the schools they reach and each such school
    keeps its best ``capacity``. The result is the unique applicant-optimal
    stable assignment, whatever the order of proposals.
    """
    n, n_schools = table.size, len(table.capacities)
    owner, school_of, key, offsets = _keys(table, ranks)
    caps = np.asarray(table.capacities, dtype=np.int64)
    big = np.iinfo(np.int64).max
    held = np.full(n, -1, dtype=np.int64)  # index into the flat choice arrays, -1 when free
    cursor = offsets[:-1].copy()
    ends = offsets[1:]
    load = np.zeros(n_schools, dtype=np.int64)
    worst = np.full(n_schools, big, dtype=np.int64)  # worst tenant's key when full, else "anyone fits"
    worst[caps == 0] = -1  # keys are >= 0: a school without seats turns everyone away at once
    free = np.flatnonzero(cursor < ends)
    while free.size:
        j = cursor[free]
        cursor[free] += 1
        s, kk = school_of[j], key[j]
        hopeful = kk < worst[s]
        rejected = free[~hopeful]
        j = j[hopeful]
        if j.size:
            reached = np.zeros(n_schools, dtype=bool)
            reached[school_of[j]] = True
            tenants = np.flatnonzero(held >= 0)
            tenants = held[tenants[reached[school_of[held[tenants]]]]]
            cand = np.concatenate((tenants, j))
            cs = school_of[cand]
            order = _sort_by_school_key(cs, key[cand], n_schools)
            cand, cs = cand[order], cs[order]
            pos = _group_positions(cs)
            keep = pos < caps[cs]
            kept, lost = cand[keep], cand[~keep]
            held[owner[lost]] = -1
            held[owner[kept]] = kept
            counts = np.bincount(cs[keep], minlength=n_schools)
            touched = np.flatnonzero(reached)
            load[touched] = counts[touched]
            full = touched[load[touched] >= caps[touched]]
            worst[touched] = big
            if full.size:
                # The last kept candidate of each full school is its worst tenant.
                last = np.flatnonzero(keep & ((pos + 1) == caps[cs]))
                worst[cs[last]] = key[cand[last]]
            rejected = np.concatenate((rejected, owner[lost]))
        free = rejected[cursor[rejected] < ends[rejected]]
    placed = np.full(n, -1, dtype=np.int64)
    rank = np.full(n, -1, dtype=np.int64)
    got = np.flatnonzero(held >= 0)
    placed[got] = school_of[held[got]]
    rank[got] = held[got] - offsets[got]
    return Placement(placed, rank)


def assign(mechanism: Mechanism, table: DrawTable, ranks: IntArray) -> Placement:
    if mechanism is Mechanism.PREFERENCE_FIRST:
        return preference_first(table, ranks)
    return deferred_acceptance(table, ranks)
