"""The rounds engine: a stage's plan as an ordered list of protocol draws.

Each round builds its school records (``{"id", "capacity"}``, the seats left) and
applicant records (``{"id", "choices", "priority"}``: opaque ids, nothing
personal), freezes them with :func:`lottery.freeze` and runs ONE draw with
:func:`lottery.run_draw` under the mechanism the policy names. Nobody placed in an
earlier round appears in a later one, and each round's seats are those left by
the previous round's published result.

The caller supplies each round's seed contributions (the real ceremony happens in
the shell): a mapping ``round id -> contributions`` or a callable
``(round_id, frozen_inputs) -> contributions``. :func:`rehearsal_contributions`
derives them from one seed for rehearsals and tests.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

import numpy as np
import numpy.typing as npt

import lottery
from allocation._errors import AllocationError, ScenarioError
from allocation._gc import collector_paused
from allocation.eligibility import RULES, R, Routing, Rule, Target, route
from allocation.policy import Policy, RoundKind, RoundSpec, SchoolKind, Stage
from allocation.reporter import Reporter
from allocation.scenario import IntArray, Scenario, Zone
from lottery import FrozenInputs, Mechanism
from seeding import Contribution, frame, tagged_hash

ContributionSource = (
    Callable[[str, FrozenInputs], Sequence[Contribution]] | Mapping[str, Sequence[Contribution]]
)


REHEARSAL_CONTRIBUTION_TAG = "paiwei/v1/rehearsal-contribution"
REHEARSAL_CONTRIBUTION_RULE = (
    'each round: one contribution {"contributor": "rehearsal", "value": '
    f'TH("{REHEARSAL_CONTRIBUTION_TAG}", F(rehearsal seed) ‖ F(UTF-8 draw id))}} '
    "made after the freeze"
)


def rehearsal_contribution_value(seed: bytes, draw_id: str) -> bytes:
    """TH(tag, F(seed) ‖ F(draw id)): the protocol's tagged hash over framed fields.

    Framing (a four-byte length before each field) keeps (seed, draw id) pairs apart
    that plain concatenation would merge, and the tag keeps the value apart from every
    other hash of the protocol. Raises seeding's ProtocolValueError for a draw id that
    is not NFC text.
    """
    return tagged_hash(REHEARSAL_CONTRIBUTION_TAG, frame(seed) + frame(draw_id))


def rehearsal_contributions(seed: bytes) -> Callable[[str, FrozenInputs], Sequence[Contribution]]:
    """Per-round contributions derived from one seed: for rehearsals and tests only.

    The value for a round is :func:`rehearsal_contribution_value` of the seed and the
    round's draw id (see ``REHEARSAL_CONTRIBUTION_RULE``); it is a contribution made
    after the freeze (no commitment), so the same seed and inputs always give the same
    draw.
    """

    def source(round_id: str, frozen: FrozenInputs) -> Sequence[Contribution]:
        del round_id
        return [Contribution("rehearsal", rehearsal_contribution_value(seed, frozen.draw_id))]

    return source


def draw_id_of(policy: Policy, stage: Stage, round_id: str, *, rehearsal: bool) -> str:
    """``{district}/{year}/{stage}/{round}``, prefixed ``rehearsal/`` for a rehearsal."""
    base = f"{policy.district}/{policy.year}/{stage.value}/{round_id}"
    return lottery.REHEARSAL_PREFIX + base if rehearsal else base


# --- frozen results ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchoolRound:
    """One school in one round: seats offered, demand, admissions and the cut-off."""

    round: str
    school: str
    seats: int
    listed: int
    applied: int
    admitted: int
    mode: str  # "direct" | "drawn" (under the reading of §四（一）5) | "no-seats"
    cutoff_priority: int | None
    cutoff_ticket: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "school": self.school,
            "seats": self.seats,
            "listed": self.listed,
            "applied": self.applied,
            "admitted": self.admitted,
            "mode": self.mode,
            "cutoff": None
            if self.cutoff_ticket is None
            else {"priority": self.cutoff_priority, "ticket": self.cutoff_ticket},
        }


@dataclass(frozen=True, slots=True)
class RoundRecord:
    """A round's draw and the columns its explanations are read from.

    Member arrays are in the draw's table order (applicants sorted by id). Pair
    arrays hold one row per (member, choice) the member actually applied to.
    """

    spec: RoundSpec
    draw_id: str
    bundle: dict[str, Any] | None
    members: IntArray  # scenario rows
    schools: IntArray  # scenario school index of each round school
    capacities: IntArray
    tickets: tuple[bytes, ...]
    placed: IntArray  # round school index or -1
    rank: IntArray  # 0-based choice index (preference-first: step - 1) or -1
    pair_member: IntArray
    pair_school: IntArray
    pair_choice: IntArray  # 0-based position in the member's list (the step under preference-first)
    pair_priority: IntArray
    pair_position: IntArray  # 1-based position among those competing for the school (at that step)
    pair_count: IntArray  # how many competed
    pair_seats: IntArray  # seats on offer (left at that step under preference-first)
    pair_cut_member: IntArray  # member index of the last admitted there (at that step), -1 none
    results: tuple[SchoolRound, ...]

    @property
    def held(self) -> bool:
        return self.bundle is not None


@dataclass(frozen=True, slots=True)
class Outcome:
    applicant: str
    status: str  # "placed" | "unplaced" | "ineligible"
    school: str | None
    round: str | None
    choice: int | None  # 1-based position in the round's list

    def to_json(self) -> dict[str, Any]:
        return {
            "applicant": self.applicant,
            "status": self.status,
            "school": self.school,
            "round": self.round,
            "choice": self.choice,
        }


@dataclass(frozen=True, slots=True)
class AllocationResult:
    policy: Policy
    scenario: Scenario
    stage: Stage
    routing: Routing
    rounds: tuple[RoundRecord, ...]
    school: IntArray  # per scenario row: final school index or -1
    round_index: IntArray  # index into rounds of the placing round, -1
    choice: IntArray  # 0-based choice index in that round, -1

    def row_of(self, applicant: str) -> int:
        """Scenario row of ``applicant``. Raises KeyError when unknown."""
        try:
            return self.scenario.applicants.ids.index(applicant)
        except ValueError:
            raise KeyError(applicant) from None

    def outcome_at(self, i: int) -> Outcome:
        aid = self.scenario.applicants.ids[i]
        if not self.routing.eligible[i]:
            return Outcome(aid, "ineligible", None, None, None)
        s = int(self.school[i])
        if s < 0:
            return Outcome(aid, "unplaced", None, None, None)
        r = self.rounds[int(self.round_index[i])]
        return Outcome(
            aid, "placed", self.scenario.schools[s].id, r.spec.id, int(self.choice[i]) + 1
        )

    def outcome(self, applicant: str) -> Outcome:
        return self.outcome_at(self.row_of(applicant))

    def outcomes(self) -> Iterator[Outcome]:
        return (self.outcome_at(i) for i in range(self.scenario.applicants.size))

    def assignment(self) -> dict[str, str | None]:
        """applicant id -> school id (None when not placed)."""
        sids = [s.id for s in self.scenario.schools]
        return {
            aid: (sids[s] if s >= 0 else None)
            for aid, s in zip(self.scenario.applicants.ids, self.school.tolist(), strict=True)
        }

    def school_rounds(self) -> tuple[SchoolRound, ...]:
        return tuple(sr for r in self.rounds for sr in r.results)

    def bundles(self) -> dict[str, dict[str, Any]]:
        """round id -> unsigned bundle, for the rounds that held a draw."""
        return {r.spec.id: r.bundle for r in self.rounds if r.bundle is not None}


# --- building each round's inputs ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RoundInputs:
    members: IntArray  # scenario rows, sorted by id
    schools: IntArray  # scenario school indices
    offsets: IntArray
    choice: IntArray  # round-local school index
    priority: IntArray


def _csr_filter(
    owners_rows: IntArray,
    offsets: IntArray,
    flat: IntArray,
    keep: Callable[[IntArray, IntArray], Any],
) -> tuple[IntArray, IntArray, IntArray]:
    """For the given rows, the CSR sub-lists of ``flat`` whose entries pass ``keep(owner, school)``.

    Returns (owner per kept entry as a row, kept schools, per-row lengths).
    """
    starts, ends = offsets[owners_rows], offsets[owners_rows + 1]
    lengths = ends - starts
    slot = np.repeat(np.arange(owners_rows.size, dtype=np.int64), lengths)
    owner = owners_rows[slot]
    pos = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(lengths) - lengths, lengths
    )
    entries = flat[np.repeat(starts, lengths) + pos]
    mask = np.asarray(keep(owner, entries), dtype=np.bool_)
    kept_owner = owner[mask]
    new_len = np.bincount(slot[mask], minlength=owners_rows.size)
    return kept_owner, entries[mask], new_len.astype(np.int64)


class _Builder:
    def __init__(self, policy: Policy, scenario: Scenario, routing: Routing) -> None:
        self.policy = policy
        self.sc = scenario
        self.rt = routing
        self.stage = scenario.stage
        n = scenario.applicants.size
        self.by_id = np.asarray(
            sorted(range(n), key=scenario.applicants.ids.__getitem__), dtype=np.int64
        )
        self.id_rank = np.empty(n, dtype=np.int64)
        self.id_rank[self.by_id] = np.arange(n, dtype=np.int64)
        self.schools = scenario.schools
        self.zindex = scenario.zone_index()
        self.sindex = scenario.school_index()
        n_s = len(self.schools)
        self.zone_of_school = np.full(n_s, -1, dtype=np.int64)
        for zi, z in enumerate(scenario.zones):
            if z.kind == "multi-school":
                for sid in z.schools:
                    self.zone_of_school[self.sindex[sid]] = zi

    def stage_schools(self, kinds: Sequence[SchoolKind]) -> IntArray:
        return np.asarray(
            [i for i, s in enumerate(self.schools) if s.stage is self.stage and s.kind in kinds],
            dtype=np.int64,
        )

    def sorted_rows(self, mask: Any) -> IntArray:
        rows = self.by_id[np.asarray(mask, dtype=np.bool_)[self.by_id]]
        return rows

    def finish(
        self,
        spec: RoundSpec,
        rows: IntArray,
        round_schools: IntArray,
        lists: tuple[IntArray, IntArray, IntArray],
        list_name: str,
    ) -> _RoundInputs:
        """Drop members with empty lists, check list lengths, map schools to round indices.

        ``lists`` is (owner row per entry, school per entry, list length per row of ``rows``).
        """
        owner, entries, lengths = lists
        too_long = np.flatnonzero(lengths > spec.max_choices)
        if too_long.size:
            row = int(rows[too_long[0]])
            raise ScenarioError(
                f"lists {int(lengths[too_long[0]])} schools; the policy allows {spec.max_choices} "
                f"in round {spec.id!r}",
                f"/applicants/{row}/choices/{list_name}",
                spec.section,
            )
        keep = lengths > 0
        members = rows[keep]
        offsets = np.zeros(members.size + 1, dtype=np.int64)
        np.cumsum(lengths[keep], out=offsets[1:])
        local = np.full(len(self.schools), -1, dtype=np.int64)
        local[round_schools] = np.arange(round_schools.size, dtype=np.int64)
        choice = local[entries]
        if choice.size and choice.min() < 0:
            raise AllocationError("a choice names a school outside the round", spec.id)
        prio = (
            self.rt.priority[owner]
            if spec.priority_classes
            else np.zeros(owner.size, dtype=np.int64)
        )
        return _RoundInputs(members, round_schools, offsets, choice, prio.astype(np.int64))

    def build(self, spec: RoundSpec, unplaced: Any, seats_left: IntArray) -> _RoundInputs:
        rt, a = self.rt, self.sc.applicants
        # target NONE: ineligible, or eligible for a place arranged outside the draws
        # (§四（二）1（4）a special school or class requested)
        free = rt.eligible & unplaced & (rt.target != Target.NONE)
        kind = spec.kind
        if kind is RoundKind.APPLICATION:
            schools = self.stage_schools(spec.school_kinds)
            cl = a.choices["private_boarding"]
            rows = self.sorted_rows(free & (cl.lengths > 0))
            in_round = np.zeros(len(self.schools), dtype=np.bool_)
            in_round[schools] = True
            owner, entries, lengths = _csr_filter(
                rows, cl.offsets, cl.schools, lambda o, s: in_round[s]
            )
            return self.finish(spec, rows, schools, (owner, entries, lengths), "private_boarding")
        if kind is RoundKind.GROUPS:
            schools = np.asarray(
                [
                    i
                    for i, s in enumerate(self.schools)
                    if s.stage is self.stage and s.group is not None
                ],
                dtype=np.int64,
            )
            cl = a.choices["groups"]
            rows = self.sorted_rows(free & (cl.lengths > 0))
            owner, entries, lengths = _csr_filter(rows, cl.offsets, cl.schools, lambda o, s: s >= 0)
            if self.policy.readings.junior_group_order == "group-1-first" and entries.size:
                group = np.asarray([s.group or 0 for s in self.schools], dtype=np.int64)
                order = np.lexsort((group[entries], self.id_rank[owner]))
                owner, entries = owner[order], entries[order]
            return self.finish(spec, rows, schools, (owner, entries, lengths), "groups")
        if kind is RoundKind.NINE_YEAR:
            link = np.full(len(self.schools), -1, dtype=np.int64)
            juniors = []
            for i, s in enumerate(self.schools):
                if (
                    s.stage is self.stage
                    and s.primary_section is not None
                    and s.kind in spec.school_kinds
                ):
                    link[self.sindex[s.primary_section]] = i
                    juniors.append(i)
            sor = a.school_of_record
            target = np.where(sor >= 0, link[np.where(sor >= 0, sor, 0)], -1)
            rows = self.sorted_rows(free & (target >= 0))
            return self.finish(
                spec,
                rows,
                np.asarray(juniors, dtype=np.int64),
                (rows, target[rows], np.ones(rows.size, dtype=np.int64)),
                "school_of_record",
            )
        if kind is RoundKind.SINGLE_SCHOOL:
            rows = self.sorted_rows(free & (rt.target == Target.SINGLE))
            schools = np.unique(rt.school[rows]) if rows.size else np.zeros(0, dtype=np.int64)
            return self.finish(
                spec,
                rows,
                schools,
                (rows, rt.school[rows], np.ones(rows.size, dtype=np.int64)),
                "zone",
            )
        if kind is RoundKind.ZONE:
            schools = np.flatnonzero(
                (self.zone_of_school >= 0)
                & np.asarray(
                    [s.stage is self.stage and s.kind in spec.school_kinds for s in self.schools],
                    dtype=np.bool_,
                )
            ).astype(np.int64)
            # Only schools of the child's own zone take part: §四（二）1（1）"按划定服务片所属
            # 学校学位情况…统筹安排", 2（1）③"填报统筹分配服务片内初中学校的入学志愿". A
            # listed school outside the zone is not a choice this round can offer, so it is
            # left out of the round (the platform offers no others); the district round
            # (§四（一）5) looks further. Special-education schools take part only where the
            # round's school_kinds (policy file) name them; the shipped plan names none, as
            # §四（二）1（4）、2（4）place by application and the child's disability, not by draw.
            cl = a.choices["zone"]
            # §四（一）1: a child whose used address keeps it out of the zone's draw has
            # target DISTRICT with its zone kept (the district round places it near home).
            in_zone = (rt.zone >= 0) & (rt.target != Target.DISTRICT)
            rows = self.sorted_rows(free & in_zone & (cl.lengths > 0))
            zos = self.zone_of_school
            ok_kind = np.zeros(len(self.schools), dtype=np.bool_)
            ok_kind[schools] = True
            owner, entries, lengths = _csr_filter(
                rows, cl.offsets, cl.schools, lambda o, s: (zos[s] == rt.zone[o]) & ok_kind[s]
            )
            return self.finish(spec, rows, schools, (owner, entries, lengths), "zone")
        if kind is RoundKind.DISTRICT:
            return self.district(spec, free, seats_left)
        raise AllocationError(f"unknown round kind {kind!r}", spec.id)

    def district(self, spec: RoundSpec, free: Any, seats_left: IntArray) -> _RoundInputs:
        """Everyone eligible still unplaced, over the seats left: own zone, neighbours, further.

        The zones' children are gathered into groups that own disjoint sets of schools:
        each group starts with its own zone's open schools and claims the schools of
        neighbouring zones and their neighbours (breadth first; meeting another group's
        school merges the two groups), then unowned schools anywhere, then merges with the
        groups with most seats to spare, until its seats cover its children. Each child lists
        the group's schools, own zone first. As no one outside a group lists its
        schools, a child turned away from every school on the list would mean those
        schools are full of others: more than the group's seats. So everyone is placed
        whenever the district's seats suffice (see the property tests).
        """
        kinds_ok = np.asarray(
            [s.stage is self.stage and s.kind in spec.school_kinds for s in self.schools],
            dtype=np.bool_,
        )
        open_mask = kinds_ok & (seats_left > 0)
        open_ = np.flatnonzero(open_mask).astype(np.int64)
        rows = self.sorted_rows(free)
        zone_rows = self.rt.zone[rows]
        plan = _DistrictGroups(self.sc.zones, self.zindex, self.sindex, open_mask, seats_left)
        lists = plan.lists(np.unique(zone_rows).tolist(), np.bincount(zone_rows + 1).tolist())
        too_long = max((len(v) for v in lists.values()), default=0)
        if too_long > spec.max_choices:
            raise AllocationError(
                f"a district list needs {too_long} schools; the policy allows {spec.max_choices}",
                spec.id,
            )
        # Each child's list is its zone's: gathered from the zones' lists laid end to end.
        zkeys = np.unique(zone_rows)
        zlists = [np.asarray(lists[z], dtype=np.int64) for z in zkeys.tolist()]
        zlen = np.asarray([a.size for a in zlists], dtype=np.int64)
        flat = np.concatenate(zlists) if zlists else np.zeros(0, dtype=np.int64)
        zpos = np.searchsorted(zkeys, zone_rows)
        lengths = zlen[zpos]
        owner = np.repeat(rows, lengths)
        within = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(
            np.cumsum(lengths) - lengths, lengths
        )
        entries = flat[np.repeat((np.cumsum(zlen) - zlen)[zpos], lengths) + within]
        return self.finish(spec, rows, open_, (owner, entries, lengths), "zone")


NEIGHBOUR_DEPTH = 2  # the district looks at neighbours and their neighbours before further zones


class _DistrictGroups:
    """Groups of zones owning disjoint open schools, grown until seats cover children."""

    def __init__(
        self,
        zones: Sequence[Zone],
        zindex: Mapping[str, int],
        sindex: Mapping[str, int],
        open_mask: Any,
        seats_left: IntArray,
    ) -> None:
        self.zones = zones
        self.zindex = zindex
        self.seats = [int(x) for x in seats_left.tolist()]
        self.zone_open = [
            [sindex[sid] for sid in z.schools if open_mask[sindex[sid]]] for z in zones
        ]
        in_zone = {j for js in self.zone_open for j in js}
        # Orders that depend on ids only, never on the order of the input records.
        school_ids = list(sindex)
        self.orphans = sorted(
            (j for j in np.flatnonzero(open_mask).tolist() if j not in in_zone),
            key=school_ids.__getitem__,
        )
        zone_order = sorted(range(len(zones)), key=lambda y: zones[y].id)
        # Every open school, zone by zone, then those in no zone: claimed past the neighbours.
        self.spare = [j for y in zone_order for j in self.zone_open[y]] + self.orphans
        self.cursor = 0
        self.owner: dict[int, int] = {}  # school -> group id
        self.parent: dict[int, int] = {}
        self.schools: dict[int, list[int]] = {}
        self.demand: dict[int, int] = {}
        self.supply: dict[int, int] = {}
        self.queue: dict[int, deque[tuple[int, int]]] = {}
        self.seen: dict[int, set[int]] = {}

    def _key(self, g: int) -> str:
        """A group's sort key: its founding zone's id ("" for children without a zone)."""
        return self.zones[g - 1].id if g > 0 else ""

    def find(self, g: int) -> int:
        while self.parent[g] != g:
            g = self.parent[g]
        return g

    def _claim(self, g: int, schools: Sequence[int]) -> None:
        for j in schools:
            if j not in self.owner:
                self.owner[j] = g
                self.schools[g].append(j)
                self.supply[g] += self.seats[j]

    def _visit(self, g: int, y: int, depth: int) -> None:
        if y in self.seen[g]:
            return
        self.seen[g].add(y)
        for j in self.zone_open[y]:
            h = self.owner.get(j)
            if h is None:
                self._claim(g, (j,))
            elif (root := self.find(h)) != g:
                self._merge(g, root)  # a neighbour's school is shared: the groups become one
        if depth < NEIGHBOUR_DEPTH:
            self.queue[g].extend((self.zindex[nb], depth + 1) for nb in self.zones[y].neighbours)

    def _merge(self, g: int, h: int) -> None:
        self.parent[h] = g
        self.schools[g].extend(self.schools.pop(h))
        self.demand[g] += self.demand.pop(h)
        self.supply[g] += self.supply.pop(h)
        self.queue[g].extend(self.queue.pop(h))
        self.seen[g] |= self.seen.pop(h)

    def _grow(self, g: int) -> None:
        while self.supply[g] < self.demand[g] and self.queue[g]:
            self._visit(g, *self.queue[g].popleft())
        while self.supply[g] < self.demand[g] and self.cursor < len(self.spare):
            j = self.spare[self.cursor]
            self.cursor += 1
            self._claim(g, (j,))
        while self.supply[g] < self.demand[g]:
            others = [h for h in self.schools if h != g and self.parent[h] == h]
            if not others:
                return
            self._merge(
                g, min(others, key=lambda h: (self.demand[h] - self.supply[h], self._key(h)))
            )

    def lists(self, zone_ids: Sequence[int], counts: Sequence[int]) -> dict[int, list[int]]:
        """Per zone of the children (-1: none), the schools its children list, own zone first."""
        for z in zone_ids:
            g = z + 1  # group ids: zone index + 1; 0 for children without a zone
            self.parent[g] = g
            self.schools[g] = []
            self.demand[g] = counts[z + 1]
            self.supply[g] = 0
            self.queue[g] = deque()
            self.seen[g] = set()
            if z >= 0:
                self._visit(g, z, 0)
        for z in sorted(zone_ids, key=lambda z: (z < 0, self._key(z + 1))):
            self._grow(self.find(z + 1))
        out: dict[int, list[int]] = {}
        for z in zone_ids:
            g = self.find(z + 1)
            own = [j for j in self.zone_open[z] if self.find(self.owner[j]) == g] if z >= 0 else []
            mine = set(own)
            out[z] = own + [j for j in self.schools[g] if j not in mine]
        return out


# --- running ---------------------------------------------------------------------------------


def _group_positions(groups: IntArray) -> IntArray:
    if groups.size == 0:
        return groups
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, groups.size]))
    return np.arange(groups.size, dtype=np.int64) - first


def _group_sizes(groups: IntArray) -> IntArray:
    if groups.size == 0:
        return groups
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    sizes = np.diff(np.r_[starts, groups.size])
    return np.repeat(sizes, sizes)


def _sort_pairs(school: IntArray, step: IntArray, prio: IntArray, ticket: IntArray) -> IntArray:
    """The order of ``np.lexsort((ticket, prio, step, school))``, by one int64 key when it fits.

    Packing the four non-negative columns into one key and sorting it stably gives
    exactly the lexsort's order (ties, which a round does not have, keep input order).
    """
    if school.size == 0:
        return np.zeros(0, dtype=np.int64)
    low = int(prio.min())
    widths = [max(1, int(col.max()).bit_length()) for col in (step, prio - low, ticket)]
    if max(1, int(school.max()).bit_length()) + sum(widths) > 62:
        return np.lexsort((ticket, prio, step, school))
    key = school.copy()
    for col, width in zip((step, prio - low, ticket), widths, strict=True):
        key <<= width
        key |= col
    return np.argsort(key, kind="stable")


def _pairs(
    inputs: _RoundInputs,
    *,
    caps: IntArray,
    placed: IntArray,
    rank: IntArray,
    tickets: Sequence[bytes],
    applicant_ids: Sequence[str],
    mechanism: Mechanism,
    ticket_ranks: Sequence[int] | None = None,
) -> dict[str, IntArray]:
    m = inputs.members.size
    lengths = np.diff(inputs.offsets)
    reach = np.where(placed >= 0, rank + 1, lengths)
    owner = np.repeat(np.arange(m, dtype=np.int64), lengths)
    k = np.arange(lengths.sum(), dtype=np.int64) - np.repeat(inputs.offsets[:-1], lengths)
    applied = k < reach[owner]
    owner, k = owner[applied], k[applied]
    school = inputs.choice[applied]
    prio = inputs.priority[applied]
    # The lottery order the draw used (given by run_draw), or sorted again (adopted rounds).
    if ticket_ranks is None:
        ticket_ranks = lottery.rank_tickets(tickets, applicant_ids)
    tr = np.asarray(ticket_ranks, dtype=np.int64)
    step = k if mechanism is Mechanism.PREFERENCE_FIRST else np.zeros_like(k)
    order = _sort_pairs(school, step, prio, tr[owner])
    owner, k, school, prio, step = owner[order], k[order], school[order], prio[order], step[order]
    n_s = caps.size
    group = school * (int(step.max()) + 1 if step.size else 1) + step
    position = _group_positions(group) + 1
    count = _group_sizes(group)
    won = placed[owner] == school
    if mechanism is Mechanism.PREFERENCE_FIRST:
        # seats left at (school, step): capacity minus admissions at earlier steps
        steps = int(step.max()) + 1 if step.size else 1
        adm = np.bincount(school[won] * steps + step[won], minlength=n_s * steps).reshape(
            n_s, steps
        )
        before = np.cumsum(adm, axis=1) - adm
        seats = caps[school] - before[school, step]
    else:
        seats = caps[school]
    # last admitted in each group: the admitted pair with the largest position
    cut = np.full(group.size, -1, dtype=np.int64)
    if group.size:
        last_won = np.full(int(group.max()) + 1, -1, dtype=np.int64)
        idx = np.flatnonzero(won)
        last_won[group[idx]] = idx  # sorted ascending: the last write is the largest position
        li = last_won[group]
        cut = np.where(li >= 0, owner[np.where(li >= 0, li, 0)], -1)
    return {
        "member": owner,
        "school": school,
        "choice": k,
        "priority": prio,
        "position": position,
        "count": count,
        "seats": seats,
        "cut": cut,
    }


def _resolve(
    source: ContributionSource, round_id: str, frozen: FrozenInputs
) -> Sequence[Contribution]:
    if isinstance(source, Mapping):
        if round_id not in source:
            raise AllocationError("no contributions supplied", round_id)
        return source[round_id]
    return source(round_id, frozen)


@dataclass(frozen=True, slots=True)
class RoundInputs:
    """The inputs of one round of a season: what its freeze publishes and its draw takes.

    ``frozen`` is None when nobody is left to place (the round holds no draw).
    Made by :meth:`SeasonSteps.next_inputs`; given back to :meth:`SeasonSteps.place`,
    :meth:`SeasonSteps.adopt` or :meth:`SeasonSteps.skip` to take the step.
    """

    position: int  # index of the round in the stage's plan
    spec: RoundSpec
    draw_id: str
    frozen: FrozenInputs | None
    capacities: IntArray  # seats on offer per round school
    members: IntArray  # scenario rows, sorted by id
    _inputs: _RoundInputs

    @property
    def held(self) -> bool:
        return self.frozen is not None


class Disposition(StrEnum):
    """Where each applicant of the stage stands when a round's inputs are built."""

    IN_ROUND = "in-round"  # one of the round's applicants
    PLACED_EARLIER = "placed-earlier"  # placed by an earlier round of the season
    INELIGIBLE = "ineligible"  # not eligible under the eligibility rule named
    NO_LIST = "no-list"  # eligible, but listed no school this round offers
    OTHER_ROUTE = "other-route"  # eligible, routed past this round by the rule named


@dataclass(frozen=True, slots=True)
class Account:
    """One applicant's disposition in a round and the rule (or earlier round) behind it."""

    applicant: str
    disposition: Disposition
    rule: str  # a rule code of RULES, or the earlier round's id for placed-earlier
    section: str  # the policy section

    def to_json(self) -> dict[str, str]:
        return {"applicant": self.applicant, "disposition": self.disposition.value,
                "rule": self.rule, "section": self.section}


@dataclass(frozen=True, slots=True)
class RoundAccount:
    """Every applicant of the scenario accounted for at one round: nobody is dropped.

    ``members`` are in the round; ``others`` lists everyone else with the reason.
    """

    round: str
    members: int
    others: tuple[Account, ...]

    def counts(self) -> dict[str, int]:
        out = {d.value: 0 for d in Disposition}
        out[Disposition.IN_ROUND.value] = self.members
        for a in self.others:
            out[a.disposition.value] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {"round": self.round, "counts": self.counts(),
                "others": [a.to_json() for a in self.others]}


class FrozenInputsCache:
    """Frozen inputs of rounds built before, for seasons run again over the same scenario.

    A forecast runs the same season many times with other seeds; a round whose inputs
    come out the same (always the first round, and any round the earlier draws did not
    change) is frozen once: the records, their checks and the input root are reused.
    Keyed by the round's draw id and SHA-256 of every array the round's records are
    built from (members, schools, seats, lists, priorities), so different inputs never
    share an entry.

    At most ``limit`` entries are kept, the first ones stored (the first run's rounds,
    among them the first round, which every run repeats): a later round's inputs depend
    on the earlier draws and seldom repeat, and keeping every run's would hold every
    run's records (gigabytes over a 2,000-run forecast of 20,000 children).
    """

    def __init__(self, limit: int = 16) -> None:
        self._entries: dict[tuple[str, bytes], FrozenInputs] = {}
        self.hits = 0
        self.limit = limit

    @staticmethod
    def key(draw_id: str, inputs: _RoundInputs, caps: IntArray) -> tuple[str, bytes]:
        h = hashlib.sha256()
        for arr in (inputs.members, inputs.schools, caps, inputs.offsets, inputs.choice,
                    inputs.priority):
            data = np.ascontiguousarray(arr, dtype=np.int64)
            h.update(data.size.to_bytes(8, "big"))
            h.update(data.tobytes())
        return draw_id, h.digest()

    def get(self, key: tuple[str, bytes]) -> FrozenInputs | None:
        found = self._entries.get(key)
        if found is not None:
            self.hits += 1
        return found

    def put(self, key: tuple[str, bytes], frozen: FrozenInputs) -> None:
        """Keep ``frozen`` under ``key`` unless ``limit`` entries are kept already."""
        if len(self._entries) < self.limit:
            self._entries[key] = frozen

    def __len__(self) -> int:
        return len(self._entries)


class SeasonSteps:
    """A stage's plan as steps, one round at a time (resolvelib's rounds, not a replay).

    Routing is computed once. :meth:`next_inputs` builds the inputs of the next round
    from the policy, the scenario and the outcomes of the rounds before it; the round is
    then taken by :meth:`place` (drawn now from its frozen inputs and contributions),
    :meth:`adopt` (drawn before: its published bundle gives the outcome, after checking
    that the inputs give the bundle's input root) or :meth:`skip` (nobody to place).
    :meth:`result` is the season so far. :func:`run_plan` is these steps in a loop.

    Raises ScenarioError when the scenario does not fit the policy.
    """

    def __init__(
        self,
        policy: Policy,
        scenario: Scenario,
        *,
        reporter: Reporter | None = None,
        rehearsal: bool = False,
        accelerate: bool = True,
        frozen_cache: FrozenInputsCache | None = None,
    ) -> None:
        if scenario.district != policy.district or scenario.year != policy.year:
            raise ScenarioError(
                f"scenario is {scenario.district}/{scenario.year}, policy is "
                f"{policy.district}/{policy.year}",
                "/district",
                "the scenario must run under its own district's policy for that year",
            )
        self.policy = policy
        self.scenario = scenario
        self.stage = scenario.stage
        self.plan = policy.plan(self.stage)
        self.reporter = reporter or Reporter()
        self.rehearsal = rehearsal
        self.accelerate = accelerate
        self.frozen_cache = frozen_cache
        self.routing = route(policy, scenario)
        self._builder = _Builder(policy, scenario, self.routing)
        n = scenario.applicants.size
        self._seats_left = np.asarray([s.seats for s in scenario.schools], dtype=np.int64)
        self._school = np.full(n, -1, dtype=np.int64)
        self._round_index = np.full(n, -1, dtype=np.int64)
        self._choice = np.full(n, -1, dtype=np.int64)
        self._records: list[RoundRecord] = []
        self._sids = [s.id for s in scenario.schools]
        self.reporter.plan_started(self.stage.value, len(self.plan), n)

    @property
    def position(self) -> int:
        """Index of the next round in the plan (the number of rounds taken)."""
        return len(self._records)

    @property
    def done(self) -> bool:
        return self.position >= len(self.plan)

    def next_inputs(self) -> RoundInputs:
        """The next round's inputs (frozen with :func:`lottery.freeze`), and the account of
        every applicant. Raises AllocationError after the last round, ScenarioError for a
        list longer than the round allows, InvalidBundle for records the protocol refuses."""
        if self.done:
            raise AllocationError("every round of the plan is taken")
        ri = self.position
        spec = self.plan[ri]
        draw_id = draw_id_of(self.policy, self.stage, spec.id, rehearsal=self.rehearsal)
        with collector_paused():  # a round's records are acyclic (allocation/_gc.py)
            inputs = self._builder.build(spec, self._school < 0, self._seats_left)
            caps = self._seats_left[inputs.schools].copy()
            self.reporter.round_started(spec, draw_id, inputs.members.size, inputs.schools.size)
            frozen = None
            key = (
                None
                if self.frozen_cache is None or not inputs.members.size
                else self.frozen_cache.key(draw_id, inputs, caps)
            )
            if key is not None and self.frozen_cache is not None:
                frozen = self.frozen_cache.get(key)
            if frozen is not None:
                self.reporter.round_frozen(spec, frozen)
            elif inputs.members.size:
                school_records = [
                    {"id": self._sids[j], "capacity": int(c)}
                    for j, c in zip(inputs.schools.tolist(), caps.tolist(), strict=True)
                ]
                applicant_records, member_ids = _applicant_records(
                    self.scenario.applicants.ids, self._sids, inputs
                )
                # The records and these columns come from the same arrays: the columnar
                # freeze checks the columns in bulk instead of rebuilding them from records.
                for column in (inputs.offsets, inputs.choice, inputs.priority):
                    column.setflags(write=False)  # the frozen table's, from here on
                table = lottery.DrawTable(
                    school_ids=tuple(r["id"] for r in school_records),
                    capacities=tuple(caps.tolist()),
                    applicant_ids=member_ids,
                    # NumPy int64 columns on the accelerated path (checked by their dtype and
                    # in bulk, used by the placement as they are); lists for the plain one.
                    offsets=_column(inputs.offsets, self.accelerate),
                    choice_school=_column(inputs.choice, self.accelerate),
                    choice_priority=_column(inputs.priority, self.accelerate),
                )
                frozen = lottery.freeze_table(
                    draw_id, school_records, applicant_records, table, accelerate=self.accelerate
                )
                self.reporter.round_frozen(spec, frozen)
                if key is not None and self.frozen_cache is not None:
                    self.frozen_cache.put(key, frozen)
        return RoundInputs(ri, spec, draw_id, frozen, caps, inputs.members, inputs)

    def _check(self, inputs: RoundInputs) -> None:
        if inputs.position != self.position:
            raise AllocationError(
                f"these inputs are round {inputs.position}'s; the season is at round {self.position}",
                inputs.spec.id,
            )

    def skip(self, inputs: RoundInputs) -> RoundRecord:
        """Take a round with nobody to place. Raises AllocationError when it has applicants."""
        self._check(inputs)
        if inputs.frozen is not None:
            raise AllocationError("the round has applicants; place or adopt it", inputs.spec.id)
        self.reporter.round_skipped(inputs.spec, "nobody to place")
        empty = np.zeros(0, dtype=np.int64)
        record = RoundRecord(
            inputs.spec, inputs.draw_id, None, empty, inputs._inputs.schools, inputs.capacities,
            (), empty, empty, empty, empty, empty, empty, empty, empty, empty, empty, (),
        )
        self._records.append(record)
        return record

    def place(self, inputs: RoundInputs, contributions: Sequence[Contribution]) -> RoundRecord:
        """Draw the round from its frozen inputs and contributions (the seed's), and take it.

        Raises AllocationError (not the next round, or nobody to place), CeremonyError or
        InvalidBundle from the draw."""
        self._check(inputs)
        if inputs.frozen is None:
            raise AllocationError("nobody to place: skip the round", inputs.spec.id)
        spec = inputs.spec
        extra = {
            "allocation": {
                "district": self.policy.district,
                "year": self.policy.year,
                "stage": self.stage.value,
                "round": spec.id,
                "kind": spec.kind.value,
                "section": spec.section,
                "title": spec.title,
                "max_choices": spec.max_choices,
                "readings": self.policy.readings.to_mapping(),
            }
        }
        with collector_paused():
            outcome = lottery.run_draw(
                inputs.frozen,
                contributions,
                mechanism=spec.mechanism,
                extra=extra,
                accelerate=self.accelerate,
            )
            placed = np.asarray(outcome.placement.school, dtype=np.int64)
            rank = np.asarray(outcome.placement.rank, dtype=np.int64)
            return self._take(inputs, outcome.bundle, tickets=outcome.tickets,
                              applicant_ids=outcome.table.applicant_ids, placed=placed, rank=rank,
                              ticket_ranks=outcome.ticket_ranks)

    def adopt(self, inputs: RoundInputs, bundle: Mapping[str, Any]) -> RoundRecord:
        """Take a round drawn before from its bundle (published, or stored after its run):
        the assignments and tickets are the bundle's; nothing is drawn again.

        Raises AllocationError when the inputs do not give the bundle's draw id and input
        root (the inputs of that round changed since), or the bundle does not assign the
        round's applicants."""
        self._check(inputs)
        frozen = inputs.frozen
        spec = inputs.spec
        if frozen is None:
            raise AllocationError("nobody to place now, but a draw was held", spec.id)
        try:
            root = bundle["ceremony"]["input_root"]
            assignments = bundle["assignments"]
        except (KeyError, TypeError):
            raise AllocationError("the bundle is malformed", spec.id) from None
        if bundle.get("draw_id") != inputs.draw_id or root != frozen.root.hex():
            raise AllocationError(
                f"the inputs give input root {frozen.root.hex()}, the draw held was {root}: "
                "the inputs of this round changed",
                spec.id,
            )
        table = frozen.table
        if [a.get("applicant") for a in assignments] != list(table.applicant_ids):
            raise AllocationError("the bundle assigns other applicants", spec.id)
        index = {sid: j for j, sid in enumerate(table.school_ids)}
        placed = np.asarray(
            [-1 if a["school"] is None else index[a["school"]] for a in assignments],
            dtype=np.int64,
        )
        rank = np.asarray(
            [
                -1 if s < 0 else list(table.choices_of(i)).index(s)
                for i, s in enumerate(placed.tolist())
            ],
            dtype=np.int64,
        )
        tickets = [bytes.fromhex(a["ticket"]) for a in assignments]
        with collector_paused():
            return self._take(inputs, dict(bundle), tickets=tickets,
                              applicant_ids=table.applicant_ids, placed=placed, rank=rank)

    def _take(
        self,
        inputs: RoundInputs,
        bundle: dict[str, Any],
        *,
        tickets: Sequence[bytes],
        applicant_ids: Sequence[str],
        placed: IntArray,
        rank: IntArray,
        ticket_ranks: Sequence[int] | None = None,
    ) -> RoundRecord:
        spec, caps, ri = inputs.spec, inputs.capacities, inputs.position
        members = inputs.members
        won = placed >= 0
        rows = members[won]
        self._school[rows] = inputs._inputs.schools[placed[won]]
        self._round_index[rows] = ri
        self._choice[rows] = rank[won]
        if rows.size:
            self._seats_left -= np.bincount(self._school[rows], minlength=len(self._sids))
        pairs = _pairs(
            inputs._inputs,
            caps=caps,
            placed=placed,
            rank=rank,
            tickets=tickets,
            applicant_ids=applicant_ids,
            mechanism=spec.mechanism,
            ticket_ranks=ticket_ranks,
        )
        results = tuple(
            SchoolRound(
                round=spec.id,
                school=r["school"],
                seats=int(c),
                listed=r["listed"],
                applied=r["applied"],
                admitted=r["admitted"],
                mode=_mode(self.policy, r["applied"], int(c)),
                cutoff_priority=None if r["cutoff"] is None else r["cutoff"]["priority"],
                cutoff_ticket=None if r["cutoff"] is None else r["cutoff"]["ticket"],
            )
            for r, c in zip(bundle["school_results"], caps.tolist(), strict=True)
        )
        self.reporter.round_drawn(spec, bundle)
        record = RoundRecord(
            spec=spec,
            draw_id=inputs.draw_id,
            bundle=bundle,
            members=members,
            schools=inputs._inputs.schools,
            capacities=caps,
            tickets=tuple(tickets),
            placed=placed,
            rank=rank,
            pair_member=pairs["member"],
            pair_school=pairs["school"],
            pair_choice=pairs["choice"],
            pair_priority=pairs["priority"],
            pair_position=pairs["position"],
            pair_count=pairs["count"],
            pair_seats=pairs["seats"],
            pair_cut_member=pairs["cut"],
            results=results,
        )
        self._records.append(record)
        return record

    def account(self, inputs: RoundInputs) -> RoundAccount:
        """Every applicant of the scenario at the next round (before it is taken): in the
        round, or not with the reason (see :class:`Disposition`). Nobody is left out.
        Raises AllocationError when ``inputs`` are not the next round's."""
        self._check(inputs)
        spec = inputs.spec
        rt, ids = self.routing, self.scenario.applicants.ids
        n = len(ids)
        member = np.zeros(n, dtype=np.bool_)
        member[inputs.members] = True
        others: list[Account] = []
        plan_ids = [r.spec.id for r in self._records]
        never_here = spec.kind in (RoundKind.SINGLE_SCHOOL, RoundKind.NINE_YEAR)
        for i in np.flatnonzero(~member).tolist():
            if not rt.eligible[i]:
                r = RULES[int(rt.eligibility_rule[i])]
                others.append(Account(ids[i], Disposition.INELIGIBLE, r.code, r.section))
            elif self._school[i] >= 0:
                earlier = self._records[int(self._round_index[i])].spec
                others.append(
                    Account(ids[i], Disposition.PLACED_EARLIER, plan_ids[int(self._round_index[i])],
                            earlier.section)
                )
            elif never_here or (spec.kind is RoundKind.ZONE and rt.zone[i] < 0):
                r = RULES[int(rt.route_rule[i])]
                others.append(Account(ids[i], Disposition.OTHER_ROUTE, r.code, r.section))
            else:
                others.append(Account(ids[i], Disposition.NO_LIST, spec.id, spec.section))
        return RoundAccount(spec.id, int(inputs.members.size), tuple(others))

    def result(self) -> AllocationResult:
        """The season so far: the rounds taken, every applicant's outcome after them."""
        arrays = [a.copy() for a in (self._school, self._round_index, self._choice)]
        for arr in arrays:
            arr.setflags(write=False)
        return AllocationResult(
            self.policy, self.scenario, self.stage, self.routing, tuple(self._records), *arrays
        )


def run_plan(
    policy: Policy,
    scenario: Scenario,
    contributions: ContributionSource,
    *,
    reporter: Reporter | None = None,
    rehearsal: bool = False,
    accelerate: bool = True,
    frozen_cache: FrozenInputsCache | None = None,
) -> AllocationResult:
    """Run the stage's rounds in order (:class:`SeasonSteps` in a loop); return every
    round's bundle and every applicant's outcome.

    Raises ScenarioError when the scenario does not fit the policy (wrong district or
    year, a list longer than a round allows), AllocationError when a round's
    contributions are missing, and lottery's InvalidBundle / seeding's CeremonyError
    from the draw itself.
    """
    steps = SeasonSteps(
        policy,
        scenario,
        reporter=reporter,
        rehearsal=rehearsal,
        accelerate=accelerate,
        frozen_cache=frozen_cache,
    )
    # Each round builds about one protocol record per member, then lottery turns them
    # into leaves, tickets and the bundle: millions of small dicts, lists and strings
    # that never form reference cycles. The cyclic GC cannot free any of them, and its
    # passes over the growing heap cost more than building them (about 2.5 s of 9.7 s
    # at 1M applicants, docs/benchmarks.md), so it is paused for the rounds and
    # switched back on after (see allocation/_gc.py). Memory is freed by reference
    # counting as usual.
    with collector_paused():
        while not steps.done:
            inputs = steps.next_inputs()
            if inputs.frozen is None:
                steps.skip(inputs)
            else:
                steps.place(inputs, _resolve(contributions, inputs.spec.id, inputs.frozen))
    result = steps.result()
    steps.reporter.plan_finished(result)
    return result


def _applicant_records(
    ids: Sequence[str], sids: Sequence[str], inputs: _RoundInputs
) -> tuple[list[dict[str, Any]], list[str]]:
    """The round's protocol records ``{"id", "choices", "priority"}`` and their ids, in id order.

    A child has one priority class in a round (the engine builds it so: the zone
    class or 0), so the priority map is ``dict.fromkeys(choices, class)``.
    """
    offsets, choice, priority = inputs.offsets, inputs.choice, inputs.priority
    lengths = np.diff(offsets)
    if priority.size and np.any(priority != np.repeat(priority[offsets[:-1]], lengths)):
        raise AllocationError("a child has two priority classes in one round")
    local_ids = np.asarray([sids[j] for j in inputs.schools.tolist()], dtype=object)
    member_ids = _object_column(ids)[inputs.members]
    id_list: list[str] = member_ids.tolist()
    blocks = np.unique(lengths).tolist()
    out = np.empty(member_ids.size, dtype=object)
    # One block per list length: the school ids come out of NumPy as lists in one call,
    # and the block's records are built by one comprehension.
    for length in blocks:
        rows = np.flatnonzero(lengths == length)
        starts = offsets[rows]
        lists = local_ids[choice[starts[:, None] + np.arange(length)]].tolist()
        prios = priority[starts].tolist() if length else [0] * rows.size
        block = [
            {"id": i, "choices": c, "priority": dict.fromkeys(c, p)}
            for i, c, p in zip(member_ids[rows].tolist(), lists, prios, strict=True)
        ]
        if len(blocks) == 1:
            return block, id_list
        out[rows] = block
    records: list[dict[str, Any]] = out.tolist()
    return records, id_list


def _column(values: IntArray, as_array: bool) -> Sequence[int]:
    """A table column: the int64 array itself (lottery checks it by its dtype), or a list."""
    return cast("Sequence[int]", values) if as_array else values.tolist()


def _object_column(values: Sequence[str]) -> npt.NDArray[np.object_]:
    """``values`` as a NumPy object array (the strings themselves, not copies)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _mode(policy: Policy, applied: int, seats: int) -> str:
    """Direct or drawn, under the reading of §四（一）5 for applicants equal to seats.

    A school with no seats left admits nobody and draws nothing: ``no-seats``.
    """
    if seats == 0:
        return "no-seats"
    if applied < seats or (applied == seats and policy.readings.equal_counts_as_direct):
        return "direct"
    return "drawn"


__all__ = [
    "REHEARSAL_CONTRIBUTION_RULE",
    "REHEARSAL_CONTRIBUTION_TAG",
    "RULES",
    "Account",
    "AllocationResult",
    "ContributionSource",
    "Disposition",
    "FrozenInputsCache",
    "Outcome",
    "R",
    "RoundAccount",
    "RoundInputs",
    "RoundRecord",
    "Rule",
    "SchoolRound",
    "SeasonSteps",
    "draw_id_of",
    "rehearsal_contribution_value",
    "rehearsal_contributions",
    "run_plan",
]
