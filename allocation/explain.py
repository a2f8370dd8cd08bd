"""Explanations: for each applicant and round, why the assignment is what it is.

Structured for staff (:meth:`Explanation.to_json`) and in Chinese for parents
(:attr:`Explanation.text`): the eligibility rule, the zone and route, the priority
class, and per round each choice tried: direct admission, or the draw with the
child's position, the number competing, the seats on offer (left at that step
under preference-first) and the last admitted ticket.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from allocation._gc import collector_paused
from allocation.eligibility import RULES, Rule
from allocation.engine import AllocationResult, Outcome, RoundRecord
from allocation.policy import RoundKind
from allocation.scenario import IntArray
from lottery import Mechanism

TICKET_SHOWN = 12  # hex digits of a ticket shown to parents
ROW_BLOCK = 4096  # explanations built together (one lookup builds its block)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One choice the child applied to in one round."""

    school: str
    school_name: str
    zone: str | None  # the multi-school zone the school belongs to
    choice: int  # 1-based position in the round's list
    step: int | None  # preference-first: the step (1-based); None under deferred acceptance
    admitted: bool
    mode: str  # the school's mode in the round: "direct" | "drawn"
    priority: int
    position: int  # 1-based, among those competing (at that step)
    competitors: int
    seats: int  # seats on offer (left at that step)
    cutoff_priority: int | None
    cutoff_ticket: str | None  # the last admitted ticket there (at that step)

    def to_json(self) -> dict[str, Any]:
        return {
            "school": self.school,
            "zone": self.zone,
            "choice": self.choice,
            "step": self.step,
            "admitted": self.admitted,
            "mode": self.mode,
            "priority": self.priority,
            "position": self.position,
            "competitors": self.competitors,
            "seats": self.seats,
            "cutoff": None
            if self.cutoff_ticket is None
            else {"priority": self.cutoff_priority, "ticket": self.cutoff_ticket},
        }


@dataclass(frozen=True, slots=True)
class RoundExplanation:
    round: str
    title: str
    section: str
    draw_id: str
    mechanism: str
    ticket: str
    placed: bool
    attempts: tuple[Attempt, ...]
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "title": self.title,
            "section": self.section,
            "draw_id": self.draw_id,
            "mechanism": self.mechanism,
            "ticket": self.ticket,
            "placed": self.placed,
            "attempts": [a.to_json() for a in self.attempts],
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    applicant: str
    outcome: Outcome
    eligibility: Rule
    route: Rule
    priority: Rule
    zone: str | None
    rounds: tuple[RoundExplanation, ...]
    text: str

    def to_json(self) -> dict[str, Any]:
        def rule(r: Rule) -> dict[str, str]:
            return {"code": r.code, "section": r.section, "text": r.text}

        return {
            "applicant": self.applicant,
            "outcome": self.outcome.to_json(),
            "eligibility": rule(self.eligibility),
            "route": rule(self.route),
            "priority": rule(self.priority),
            "zone": self.zone,
            "rounds": [r.to_json() for r in self.rounds],
            "text": self.text,
        }


def _short(ticket: str | None) -> str:
    return "无" if ticket is None else ticket[:TICKET_SHOWN] + "…"


@dataclass(frozen=True, slots=True)
class _RoundIndex:
    """One round's explanations, one per member (draw table order), built column by column."""

    explanations: tuple[RoundExplanation, ...]


@dataclass(frozen=True, slots=True)
class _ApplicantIndex:
    """Per scenario row, as Python lists: what each explanation reads."""

    positions: tuple[IntArray, ...]  # per round: member index of the row, -1 when absent
    zone: list[str | None]
    outcomes: list[Outcome]
    rules: tuple[list[Rule], list[Rule], list[Rule]]  # eligibility, route, priority
    head: list[str]  # eligibility, route and priority lines, joined
    tail: list[str | None]  # the result line; None when not eligible


def _objects(values: list[Any], index: IntArray) -> list[Any]:
    """``[values[k] for k in index]`` through NumPy (one call, no Python loop)."""
    table = np.empty(len(values), dtype=object)
    table[:] = values
    out: list[Any] = table[index].tolist()
    return out


def _or_none(values: list[Any], index: IntArray) -> list[Any]:
    """``values[k]``, or None where ``k`` is -1."""
    table = np.empty(len(values) + 1, dtype=object)
    table[: len(values)] = values
    table[len(values)] = None
    out: list[Any] = table[np.where(index >= 0, index, len(values))].tolist()
    return out


class Explainer:
    """Indexes a result once, then explains any applicant cheaply.

    Columnar: each round's attempts are computed for all its members at once with
    NumPy (on first use of the round), so explaining every applicant costs a few
    list operations per applicant.
    """

    def __init__(self, result: AllocationResult) -> None:
        self.result = result
        self._rounds: list[_RoundIndex | None] = [None] * len(result.rounds)
        self._applicants: _ApplicantIndex | None = None
        self._rows: dict[str, int] | None = None
        self._blocks: dict[int, list[Explanation]] = {}
        sc = result.scenario
        zone_of = {sid: z.id for z in sc.zones if z.kind == "multi-school" for sid in z.schools}
        self._school_ids = [s.id for s in sc.schools]
        self._school_names = [s.name for s in sc.schools]
        self._school_zones: list[str | None] = [zone_of.get(s.id) for s in sc.schools]

    # --- one round, all members -------------------------------------------------------

    def _round_index(self, ri: int) -> _RoundIndex:
        cached = self._rounds[ri]
        if cached is None:
            with collector_paused():  # a round's attempts: acyclic values (allocation/_gc.py)
                cached = self._rounds[ri] = self._build_round(self.result.rounds[ri])
        return cached

    def _build_round(self, r: RoundRecord) -> _RoundIndex:
        members = r.members.size
        pf = r.spec.mechanism is Mechanism.PREFERENCE_FIRST
        # pairs by member, then by position in the member's list
        order = np.lexsort((r.pair_choice, r.pair_member))
        owner = r.pair_member[order]
        local = r.pair_school[order]
        starts = np.searchsorted(owner, np.arange(members + 1)).tolist()
        school = r.schools[local]
        choice = (r.pair_choice[order] + 1).tolist()
        count = r.pair_count[order]
        seats = r.pair_seats[order]
        if pf:
            # whether the school drew at that step (§四（一）5 reading for equal counts)
            equal_direct = self.result.policy.readings.equal_counts_as_direct
            direct = (count < seats) | ((count == seats) & equal_direct)
            mode = _objects(["drawn", "direct"], direct.astype(np.int64))
        else:
            by_id = {sr.school: sr.mode for sr in r.results}
            modes = [by_id[self._school_ids[j]] for j in r.schools.tolist()]
            mode = _objects(modes, local)
        # one priority class per child within a round (the engine builds them so)
        prio = np.zeros(members, dtype=np.int64)
        prio[r.pair_member] = r.pair_priority
        tickets = [t.hex() for t in r.tickets]
        cut = r.pair_cut_member[order]
        cut_ticket = _or_none(tickets, cut)
        cut_prio = _or_none(prio.tolist(), cut)
        sid = _objects(self._school_ids, school)
        name = _objects(self._school_names, school)
        zone = _objects(self._school_zones, school)
        admitted = (r.placed[owner] == local).tolist()
        position = r.pair_position[order].tolist()
        competitors = count.tolist()
        seat_list = seats.tolist()
        attempts = list(
            map(
                Attempt,
                sid,
                name,
                zone,
                choice,
                choice if pf else [None] * len(choice),
                admitted,
                mode,
                r.pair_priority[order].tolist(),
                position,
                competitors,
                seat_list,
                cut_prio,
                cut_ticket,
            )
        )
        parts = _attempt_texts(
            r,
            pf,
            (local.tolist(), choice, admitted, mode, position, competitors, seat_list, cut_ticket),
            [f"{nm}（{si}）" for si, nm in zip(sid, name, strict=True)],
            zone,
        )
        title = f"【{r.spec.title}】"
        placed = (r.placed >= 0).tolist()
        spec = r.spec
        rid, rtitle, section, draw_id = spec.id, spec.title, spec.section, r.draw_id
        mechanism = spec.mechanism.value
        out = tuple(
            RoundExplanation(
                rid,
                rtitle,
                section,
                draw_id,
                mechanism,
                tickets[m],
                placed[m],
                tuple(attempts[a:b]),
                title + ("".join(parts[a:b]) or "未参加。"),
            )
            for m, a, b in zip(range(members), starts, starts[1:], strict=False)
        )
        return _RoundIndex(out)

    # --- every applicant ----------------------------------------------------------------------

    def _applicant_index(self) -> _ApplicantIndex:
        if self._applicants is None:
            with collector_paused():  # per-row outcomes and lines: acyclic values
                self._applicants = self._build_applicants()
        return self._applicants

    def _build_applicants(self) -> _ApplicantIndex:
        res = self.result
        rt = res.routing
        sc = res.scenario
        n = sc.applicants.size
        positions = []
        for r in res.rounds:
            pos = np.full(n, -1, dtype=np.int64)
            pos[r.members] = np.arange(r.members.size, dtype=np.int64)
            positions.append(pos)
        zone = _or_none([z.id for z in sc.zones], rt.zone)
        placed = res.school >= 0
        status = _objects(
            ["ineligible", "unplaced", "placed"],
            np.where(rt.eligible, np.where(placed, 2, 1), 0),
        )
        school = _or_none(self._school_ids, res.school)
        round_id = _or_none([r.spec.id for r in res.rounds], res.round_index)
        choice = _or_none(list(range(1, int(res.choice.max(initial=0)) + 2)), res.choice)
        outcomes = list(map(Outcome, sc.applicants.ids, status, school, round_id, choice))
        rules = list(RULES)
        codes = (rt.eligibility_rule, rt.route_rule, rt.priority_rule)
        elig, route, prio = (_objects(rules, c) for c in codes)
        # The lines before the rounds depend on (eligible, rules, zone) only, the result
        # line on (school, round): a few hundred distinct texts, each formatted once.
        keys = zip(rt.eligible.tolist(), *(c.tolist() for c in codes), zone, strict=True)
        heads: dict[tuple[Any, ...], str] = {}
        head = [heads.get(k) or heads.setdefault(k, _head_lines(*k)) for k in keys]
        results: dict[tuple[int, int], str] = {}
        tail: list[str | None] = []
        for ok, s, k in zip(
            rt.eligible.tolist(), res.school.tolist(), res.round_index.tolist(), strict=True
        ):
            if not ok:
                tail.append(None)
            elif (line := results.get((s, k))) is None:
                line = results[s, k] = _result_line(res, s, k)
                tail.append(line)
            else:
                tail.append(line)
        return _ApplicantIndex(tuple(positions), zone, outcomes, (elig, route, prio), head, tail)

    def _build_rows(self, lo: int, hi: int) -> list[Explanation]:
        """Explanations of rows ``lo..hi-1``, built together."""
        idx = self._applicant_index()
        rounds: list[list[RoundExplanation]] = [[] for _ in range(hi - lo)]
        for ri, pos in enumerate(idx.positions):
            window = pos[lo:hi]
            rows = np.flatnonzero(window >= 0)
            if rows.size:
                built = self._round_index(ri).explanations
                for k, m in zip(rows.tolist(), window[rows].tolist(), strict=True):
                    rounds[k].append(built[m])
        with collector_paused():  # a block of explanations: acyclic values
            texts = [
                head if tail is None else "\n".join([head, *[r.text for r in rs], tail])
                for head, tail, rs in zip(idx.head[lo:hi], idx.tail[lo:hi], rounds, strict=True)
            ]
            outcomes = idx.outcomes[lo:hi]
            return list(
                map(
                    Explanation,
                    [o.applicant for o in outcomes],
                    outcomes,
                    idx.rules[0][lo:hi],
                    idx.rules[1][lo:hi],
                    idx.rules[2][lo:hi],
                    idx.zone[lo:hi],
                    map(tuple, rounds),
                    texts,
                )
            )

    def explain_row(self, i: int) -> Explanation:
        """Row ``i``'s explanation; rows are built a block at a time and kept."""
        block, k = divmod(i, ROW_BLOCK)
        built = self._blocks.get(block)
        if built is None:
            n = self.result.scenario.applicants.size
            if not 0 <= i < n:
                raise IndexError(i)
            built = self._blocks[block] = self._build_rows(
                block * ROW_BLOCK, min(n, (block + 1) * ROW_BLOCK)
            )
        return built[k]

    def explain(self, applicant: str) -> Explanation:
        """Raises KeyError for an unknown applicant."""
        if self._rows is None:
            self._rows = {aid: i for i, aid in enumerate(self.result.scenario.applicants.ids)}
        return self.explain_row(self._rows[applicant])

    def __iter__(self) -> Iterator[Explanation]:
        return (self.explain_row(i) for i in range(self.result.scenario.applicants.size))


def _result_line(res: AllocationResult, school: int, round_index: int) -> str:
    if school < 0:
        return "结果：暂未安排学位——区内可用学位不足，由区教委另行统筹（§四（一）5）。"
    sch = res.scenario.schools[school]
    spec = res.rounds[round_index].spec
    return f"结果：录取于{sch.name}（{sch.id}），{spec.title}（{spec.section}）。"


def _head_lines(
    eligible: bool, elig_code: int, route_code: int, prio_code: int, zone: str | None
) -> str:
    """The explanation's lines before the rounds: eligibility, route and zone, class."""
    elig, rte, prio = RULES[elig_code], RULES[route_code], RULES[prio_code]
    if not eligible:
        return f"资格：不符合本区登记入学条件——{elig.text}（{elig.section}）。未参加派位。"
    lines = [f"资格：符合本区登记入学条件——{elig.text}（{elig.section}）。"]
    where = f"服务片区{zone}" if zone is not None else "无对应服务片区"
    lines.append(f"途径：{rte.text}（{rte.section}）；{where}。")
    if prio.code != "ordinary":
        lines.append(f"类别：{prio.text}（{prio.section}）。")
    return "\n".join(lines)


def _attempt_texts(
    r: RoundRecord,
    pf: bool,
    columns: tuple[list[Any], ...],
    labels: list[str],
    zones: list[str | None],
) -> list[str]:
    """Each attempt's sentence for parents, from the round's pair columns.

    The part before the child's own position (school, choice or step, seats and
    demand) is the same for every pair at one (school, choice): formatted once each.
    """
    district = r.spec.kind is RoundKind.DISTRICT
    this_step = "本轮" if pf else ""
    heads: dict[tuple[int, int], str] = {}
    parts = []
    for k, (local, choice, admitted, mode, position, competitors, seats, cut) in enumerate(
        zip(*columns, strict=True)
    ):
        head = heads.get((local, choice))
        if head is None:
            name = labels[k]
            if pf:
                where = f"第{choice}轮（第{choice}志愿）{name}"
                offer = f"剩余学位{seats}个"
            else:
                where = (
                    f"区教委安排第{choice}所：{zones[k] or '区内'}片区{name}"
                    if district
                    else f"第{choice}志愿{name}"
                )
                offer = f"学位{seats}个"
            head = heads[local, choice] = f"{where}：{offer}，{competitors}人申请，"
        if admitted and mode == "direct":
            parts.append(head + "未超额，直接录取。")
        elif admitted:
            parts.append(
                f"{head}随机派位，您按类别和派位号排第{position}位，"
                f"录取；{this_step}最后录取派位号{_short(cut)}。"
            )
        else:
            parts.append(
                f"{head}您按类别和派位号排第{position}位，未录取；"
                f"{this_step}最后录取派位号{_short(cut)}。"
            )
    return parts


def explain(result: AllocationResult, applicant: str) -> Explanation:
    """One applicant's explanation. Raises KeyError for an unknown applicant."""
    return Explainer(result).explain(applicant)
