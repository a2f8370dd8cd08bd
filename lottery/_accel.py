"""NumPy versions of ticket ordering and both mechanisms: same answers, columnar speed.

NumPy is an optional accelerator of the verifier (the notary's machine needs only
the standard library and ``cryptography``), so this module is imported lazily and
only when NumPy is present; ``tests/unit/lottery`` checks it against ``_mechanisms``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

# Optional accelerator: this module is imported only by lottery._engine.accelerator(), which
# falls back to the plain-Python engines when NumPy is missing (tests block it to prove that).
import numpy as np  # optional accelerator (see above): the verifier runs without it
import numpy.typing as npt  # optional, as numpy

from lottery._mechanisms import Mechanism, Placement
from lottery._table import DrawTable

IntArray = npt.NDArray[np.int64]


def ticket_ranks(tickets: Sequence[bytes], applicant_ids: Sequence[str]) -> IntArray:
    """Position of each applicant in (ticket, id) order; see ``_tickets.ticket_ranks``."""
    n = len(tickets)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    words = np.frombuffer(b"".join(tickets), dtype=">u8").reshape(n, 4)
    # Sort on the first 64 bits; equal prefixes (about n^2 / 2^65 odds) are re-sorted exactly,
    # so the sort need not be stable (NumPy's default sort is several times faster).
    order = np.argsort(words[:, 0])
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


def _seq(values: IntArray) -> Sequence[int]:
    """An int64 array as the ``Sequence[int]`` that ``Placement`` holds (NumPy's stubs
    do not declare arrays as sequences, though they index, slice and iterate as one)."""
    return cast("Sequence[int]", values)


def _keys(table: DrawTable, ranks: IntArray) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Per listed choice: owner applicant, school, and one int64 key ordering (priority, ticket)."""
    offsets = np.asarray(table.offsets, dtype=np.int64)
    lengths = np.diff(offsets)
    n = table.size
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    school = np.asarray(table.choice_school, dtype=np.int64)
    prio = np.asarray(table.choice_priority, dtype=np.int64)
    key = _levels(prio) * max(n, 1) + ranks[owner]
    return owner, school, key, offsets


def _levels(prio: IntArray) -> IntArray:
    """An order-preserving map of priorities to small non-negative integers.

    Few distinct classes (the usual case) need only a subtraction, not np.unique's sort.
    """
    low = int(prio.min()) if prio.size else 0
    if prio.size and int(prio.max()) - low < 2**20:
        return prio - low
    return np.unique(prio, return_inverse=True)[1].astype(np.int64).reshape(-1)


def _group_positions(groups: IntArray) -> IntArray:
    """For sorted group labels, each element's position within its group."""
    if groups.size == 0:
        return groups
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, groups.size]))
    return np.arange(groups.size, dtype=np.int64) - first


def _sort_by_school_key(school: IntArray, key: IntArray, n_schools: int) -> IntArray:
    """Order by (school, key). Keys are distinct within a school in any valid table, so an
    unstable sort gives the same order; repeated pairs (never valid) take the stable sort."""
    kmax = int(key.max()) + 1 if key.size else 1
    if n_schools * kmax < 2**62:
        combined = school * kmax + key
        order = np.argsort(combined)
        ordered = combined[order]
        if ordered.size > 1 and bool((ordered[1:] == ordered[:-1]).any()):
            order = np.argsort(combined, kind="stable")
        return order
    return np.lexsort((key, school))


def preference_first(table: DrawTable, ranks: IntArray) -> Placement:
    n, n_schools = table.size, len(table.capacities)
    _owner, school_of, key, offsets = _keys(table, ranks)
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
    return Placement(_seq(placed), _seq(rank))


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
    at = np.full(n, n_schools, dtype=np.int64)  # school of the seat held; n_schools when free
    cursor = offsets[:-1].copy()
    ends = offsets[1:]
    worst = np.full(
        n_schools, big, dtype=np.int64
    )  # worst tenant's key when full, else "anyone fits"
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
            reached = np.zeros(n_schools + 1, dtype=bool)  # the extra last slot stands for "free"
            reached[school_of[j]] = True
            tenants = held[np.flatnonzero(reached[at])]
            cand = np.concatenate((tenants, j))
            cs = school_of[cand]
            order = _sort_by_school_key(cs, key[cand], n_schools)
            fresh = order >= tenants.size  # a proposal of this round, not a tenant
            cand, cs = cand[order], cs[order]
            pos = _group_positions(cs)
            keep = pos < caps[cs]
            lost = cand[~keep]
            held[owner[lost]] = -1
            at[owner[lost]] = n_schools
            # Tenants kept stay where they are: only this round's newcomers are written.
            newcomers = keep & fresh
            held[owner[cand[newcomers]]] = cand[newcomers]
            at[owner[cand[newcomers]]] = cs[newcomers]
            counts = np.bincount(cs[keep], minlength=n_schools)
            touched = np.flatnonzero(reached[:n_schools])
            full = touched[counts[touched] >= caps[touched]]
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
    return Placement(_seq(placed), _seq(rank))


def assign(mechanism: Mechanism, table: DrawTable, ranks: IntArray) -> Placement:
    if mechanism is Mechanism.PREFERENCE_FIRST:
        return preference_first(table, ranks)
    return deferred_acceptance(table, ranks)


def school_counts(
    table: DrawTable, school: Sequence[int], rank: Sequence[int], tickets: Sequence[bytes]
) -> tuple[list[int], list[int], list[int], list[int]]:
    """Per school: listed, applied, admitted, and the cut-off applicant (-1 when nobody).

    Same definitions as ``_results.school_results``; the cut-off applicant is the admitted
    one with the largest (priority, ticket), found through each applicant's ticket rank.
    """
    n, n_schools = table.size, len(table.school_ids)
    offsets = np.asarray(table.offsets, dtype=np.int64)
    lengths = np.diff(offsets)
    cs = np.asarray(table.choice_school, dtype=np.int64)
    placed_at = np.asarray(school, dtype=np.int64)
    got = np.asarray(rank, dtype=np.int64)
    listed = np.bincount(cs, minlength=n_schools)
    reach = np.where(got < 0, lengths, got + 1)
    position = np.arange(cs.size, dtype=np.int64) - np.repeat(offsets[:-1], lengths)
    applied = np.bincount(cs[position < np.repeat(reach, lengths)], minlength=n_schools)
    who = np.flatnonzero(placed_at >= 0)
    at = placed_at[who]
    admitted = np.bincount(at, minlength=n_schools)
    cutoff = np.full(n_schools, -1, dtype=np.int64)
    if who.size:
        prio = np.asarray(table.choice_priority, dtype=np.int64)[offsets[who] + got[who]]
        key = _levels(prio) * max(n, 1) + ticket_ranks(tickets, table.applicant_ids)[who]
        order = _sort_by_school_key(at, key, n_schools)
        last = order[np.r_[at[order][1:] != at[order][:-1], True]]
        cutoff[at[last]] = who[last]
    return listed.tolist(), applied.tolist(), admitted.tolist(), cutoff.tolist()
