"""Explanations: for each applicant and round, why the assignment is what it is.

Structured for staff (:meth:`Explanation.to_json`) and in Chinese for parents
(:attr:`Explanation.text`): the eligibility rule, the zone and route, the priority
class, and per round each choice tried: direct admission, or the draw with the
child's position, the number competing, the seats on offer (left at that step
under preference-first) and the last admitted ticket.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from allocation._gc import collector_paused
from allocation.eligibility import _BIT, RULES, UNMET, R, Rule
from allocation.engine import AllocationResult, Outcome, RoundRecord
from allocation.policy import RoundKind
from allocation.scenario import IntArray
from lottery import Mechanism

_T = TypeVar("_T")

MODES = ("direct", "drawn", "no-seats")  # a school's mode in a round (at a step)
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
    mode: str  # the school's mode in the round: "direct" | "drawn" | "no-seats"
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
    address: Rule  # §四（一）1: the decision on the address (every applicant)
    unmet: tuple[Rule, ...]  # every condition found not met, in the order of the text

    def to_json(self) -> dict[str, Any]:
        def rule(r: Rule) -> dict[str, str]:
            return {"code": r.code, "section": r.section, "text": r.text}

        return {
            "applicant": self.applicant,
            "outcome": self.outcome.to_json(),
            "eligibility": rule(self.eligibility),
            "route": rule(self.route),
            "priority": rule(self.priority),
            "address": rule(self.address),
            "unmet": [rule(r) for r in self.unmet],
            "zone": self.zone,
            "rounds": [r.to_json() for r in self.rounds],
            "text": self.text,
        }


def _short(ticket: str | None) -> str:
    return "无" if ticket is None else ticket[:TICKET_SHOWN] + "…"


def _bulk_constructor(cls: type[_T]) -> Callable[..., _T]:
    """``cls(*fields)`` for a frozen slots dataclass, about twice as fast, for bulk building.

    The generated ``__init__`` of a frozen dataclass sets each field through
    ``object.__setattr__``; this sets each slot through its descriptor directly. The
    object is the same (``==``, hash, repr): only for classes without ``__post_init__``
    and with every field passed positionally (tests/unit/allocation/test_explain.py
    compares whole explanations built both ways).
    """
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: not a plain dataclass")
    names = [f.name for f in dataclasses.fields(cls)]
    args = ", ".join(f"a{i}" for i in range(len(names)))
    body = "".join(f"    s{i}(o, a{i})\n" for i in range(len(names)))
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    namespace.update({f"s{i}": getattr(cls, name).__set__ for i, name in enumerate(names)})
    exec(f"def make({args}):\n    o = new(cls)\n{body}    return o\n", namespace)  # noqa: S102  code built from field names above
    make: Callable[..., _T] = namespace["make"]
    return make


_new_attempt = _bulk_constructor(Attempt)
_new_round_explanation = _bulk_constructor(RoundExplanation)
_new_explanation = _bulk_constructor(Explanation)
_new_outcome = _bulk_constructor(Outcome)


def _table(values: Sequence[Any], *, none: bool = False) -> npt.NDArray[np.object_]:
    """``values`` as a NumPy object array, with a trailing None when ``none`` (index -1)."""
    table = np.empty(len(values) + int(none), dtype=object)
    table[: len(values)] = values
    return table


def _take(table: npt.NDArray[np.object_], index: IntArray) -> list[Any]:
    """``[table[k] for k in index]`` in one NumPy call; with a None-ended table, -1 is None."""
    out: list[Any] = table[index].tolist()
    return out


@dataclass(frozen=True, slots=True)
class _RoundColumns:
    """A round's pairs ordered by member, then by position in the member's list."""

    order: IntArray  # pair indices
    starts: IntArray  # per member: first entry in ``order`` (members + 1)
    mode: IntArray  # per pair: MODES index of the school (at that step)
    classes: npt.NDArray[np.object_]  # per member: priority class (one per child), None at end
    tickets: npt.NDArray[np.object_]  # per member: ticket hex, None at the end
    shorts: npt.NDArray[np.object_]  # per member: ticket as shown to parents, None at the end
    heads: dict[tuple[int, int], str]  # (round school, choice) -> text before the position


class Explainer:
    """Indexes a result once, then explains any applicant cheaply.

    Columnar: explanations are built a block of rows at a time (``ROW_BLOCK``), each
    field of every attempt of the block taken from the round's pair columns with
    NumPy, and kept; a single lookup builds one block, ``explain_all`` every block
    with the cyclic GC paused.
    """

    def __init__(self, result: AllocationResult) -> None:
        self.result = result
        self._rows: dict[str, int] | None = None
        self._blocks: dict[int, list[Explanation]] = {}
        self._rounds: list[_RoundColumns | None] = [None] * len(result.rounds)
        self._positions: list[IntArray | None] = [None] * len(result.rounds)
        self._heads: dict[tuple[Any, ...], str] = {}
        self._results: dict[tuple[int, int], str] = {}
        sc = result.scenario
        zone_of = {sid: z.id for z in sc.zones if z.kind == "multi-school" for sid in z.schools}
        self._school_ids = [s.id for s in sc.schools]
        self._school_names = [s.name for s in sc.schools]
        self._school_zones: list[str | None] = [zone_of.get(s.id) for s in sc.schools]
        self._sid_table = _table(self._school_ids, none=True)
        self._zone_table = _table([z.id for z in sc.zones], none=True)
        self._round_table = _table([r.spec.id for r in result.rounds], none=True)
        self._rule_table = _table(RULES)
        self._status_table = _table(["ineligible", "unplaced", "placed"])
        details = sc.applicants.details  # version 1: no placement is ever requested
        self._placement = None if details is None else details.disability_placement

    # --- per round: columns shared by every block ---------------------------------------

    def _columns(self, ri: int) -> _RoundColumns:
        cols = self._rounds[ri]
        if cols is None:
            cols = self._rounds[ri] = self._build_columns(self.result.rounds[ri])
        return cols

    def _build_columns(self, r: RoundRecord) -> _RoundColumns:
        members = r.members.size
        order = np.lexsort((r.pair_choice, r.pair_member))
        starts = np.searchsorted(r.pair_member[order], np.arange(members + 1))
        count, seats = r.pair_count, r.pair_seats
        if r.spec.mechanism is Mechanism.PREFERENCE_FIRST:
            # whether the school drew at that step (§四（一）5 reading for equal counts);
            # with no seats left it admits nobody and draws nothing
            equal_direct = self.result.policy.readings.equal_counts_as_direct
            direct = (count < seats) | ((count == seats) & equal_direct)
            mode = np.where(seats == 0, 2, np.where(direct, 0, 1))
        else:
            by_id = {sr.school: sr.mode for sr in r.results}
            mode_at = [MODES.index(by_id[self._school_ids[j]]) for j in r.schools.tolist()]
            mode = np.asarray(mode_at, dtype=np.int64)[r.pair_school]
        # one priority class per child within a round (the engine builds them so)
        member_class = np.zeros(members, dtype=np.int64)
        member_class[r.pair_member] = r.pair_priority
        hexes = [t.hex() for t in r.tickets]
        return _RoundColumns(
            order=order,
            starts=starts,
            mode=mode.astype(np.int64),
            classes=_table(member_class.tolist(), none=True),
            tickets=_table(hexes, none=True),
            shorts=_table([_short(t) for t in hexes], none=True),
            heads={},
        )

    def _position(self, ri: int) -> IntArray:
        """Per scenario row: the row's member index in round ``ri``, -1 when absent."""
        pos = self._positions[ri]
        if pos is None:
            r = self.result.rounds[ri]
            pos = np.full(self.result.scenario.applicants.size, -1, dtype=np.int64)
            pos[r.members] = np.arange(r.members.size, dtype=np.int64)
            self._positions[ri] = pos
        return pos

    def _round_block(self, ri: int, ms: IntArray) -> list[RoundExplanation]:
        """Round ``ri``'s explanations of members ``ms`` (in that order)."""
        r = self.result.rounds[ri]
        cols = self._columns(ri)
        pf = r.spec.mechanism is Mechanism.PREFERENCE_FIRST
        first, last = cols.starts[ms], cols.starts[ms + 1]
        lengths = last - first
        bounds = np.zeros(ms.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=bounds[1:])
        p = cols.order[
            np.arange(int(bounds[-1]), dtype=np.int64) + np.repeat(first - bounds[:-1], lengths)
        ]
        owner = r.pair_member[p]
        local = r.pair_school[p]
        school = r.schools[local]
        choice0 = r.pair_choice[p]
        choice = (choice0 + 1).tolist()
        mode = cols.mode[p]
        admitted_col = r.placed[owner] == local
        cut = r.pair_cut_member[p]
        position = r.pair_position[p].tolist()
        competitors = r.pair_count[p].tolist()
        seats = r.pair_seats[p].tolist()
        attempts = list(
            map(
                _new_attempt,
                _take(self._sid_table, school),
                [self._school_names[j] for j in school.tolist()],
                [self._school_zones[j] for j in school.tolist()],
                choice,
                choice if pf else [None] * len(choice),
                admitted_col.tolist(),
                [MODES[m] for m in mode.tolist()],
                r.pair_priority[p].tolist(),
                position,
                competitors,
                seats,
                _take(cols.classes, cut),
                _take(cols.tickets, cut),
            )
        )
        parts = self._attempt_texts(
            r,
            cols.heads,
            (local, choice0),
            np.where(admitted_col, np.where(mode == 0, 0, 1), np.where(mode == 2, 3, 2)),
            (position, competitors, seats),
            _take(cols.shorts, cut),
        )
        spec = r.spec
        title = f"【{spec.title}】"
        rid, rtitle, section, draw_id = spec.id, spec.title, spec.section, r.draw_id
        mechanism = spec.mechanism.value
        b = bounds.tolist()
        return [
            _new_round_explanation(
                rid,
                rtitle,
                section,
                draw_id,
                mechanism,
                ticket,
                placed,
                tuple(attempts[b[k] : b[k + 1]]),
                title + ("".join(parts[b[k] : b[k + 1]]) or "未参加。"),
            )
            for k, ticket, placed in zip(
                range(ms.size),
                _take(cols.tickets, ms),
                (r.placed[ms] >= 0).tolist(),
                strict=True,
            )
        ]

    def _attempt_texts(  # noqa: PLR0917  the round's pair columns
        self,
        r: RoundRecord,
        heads: dict[tuple[int, int], str],
        where: tuple[IntArray, IntArray],
        outcome: IntArray,
        columns: tuple[list[int], list[int], list[int]],
        cut_text: list[str | None],
    ) -> list[str]:
        """Each attempt's sentence for parents, from the pair columns of a block.

        ``outcome`` per pair: 0 admitted directly, 1 admitted by the draw, 2 not
        admitted, 3 not admitted as no seat was left (no draw). The part before the child's own position (school, choice or step,
        seats and demand) is the same at one (school, choice): formatted once each.
        """
        pf = r.spec.mechanism is Mechanism.PREFERENCE_FIRST
        district = r.spec.kind is RoundKind.DISTRICT
        # §四（二）1（1）、2（1）②: the single-school and nine-year rounds admit the
        # children the school serves; they list no choice of the family's
        assigned = r.spec.kind in (RoundKind.SINGLE_SCHOOL, RoundKind.NINE_YEAR)
        this_step = "本轮" if pf else ""
        position, competitors, seats = columns
        local, choice0 = where
        keys = list(zip(local.tolist(), choice0.tolist(), strict=True))
        for k, key in enumerate(keys):
            if key in heads:
                continue
            j = int(r.schools[key[0]])
            name = f"{self._school_names[j]}（{self._school_ids[j]}）"
            c = key[1] + 1
            if pf:
                place, offer = f"第{c}轮（第{c}志愿）{name}", f"剩余学位{seats[k]}个"
            elif assigned:
                place, offer = f"对口学校{name}", f"学位{seats[k]}个"
            elif district:
                zone = self._school_zones[j] or "区内"
                place, offer = f"区教委安排第{c}所：{zone}片区{name}", f"学位{seats[k]}个"
            else:
                place, offer = f"第{c}志愿{name}", f"学位{seats[k]}个"
            heads[key] = f"{place}：{offer}，{competitors[k]}人申请，"
        return [
            heads[key] + "未超额，直接录取。"
            if o == 0
            else f"{heads[key]}随机派位，您按类别和派位号排第{p}位，录取；{this_step}最后录取派位号{c or '无'}。"
            if o == 1
            else f"{heads[key]}您按类别和派位号排第{p}位，未录取；{this_step}最后录取派位号{c or '无'}。"
            if o == 2
            else f"{heads[key]}已无剩余学位，未录取（不派位）。"
            for key, o, p, c in zip(keys, outcome.tolist(), position, cut_text, strict=True)
        ]

    # --- blocks of rows -------------------------------------------------------------------

    def _build_rows(self, lo: int, hi: int) -> list[Explanation]:
        """Explanations of rows ``lo..hi-1``, built together."""
        res = self.result
        rt = res.routing
        ids = res.scenario.applicants.ids[lo:hi]
        rounds: list[list[RoundExplanation]] = [[] for _ in range(hi - lo)]
        for ri, r in enumerate(res.rounds):
            if not r.members.size:
                continue
            window = self._position(ri)[lo:hi]
            rows = np.flatnonzero(window >= 0)
            if rows.size:
                built = self._round_block(ri, window[rows])
                for k, rx in zip(rows.tolist(), built, strict=True):
                    rounds[k].append(rx)
        eligible = rt.eligible[lo:hi]
        school = res.school[lo:hi]
        round_index = res.round_index[lo:hi]
        status = _take(self._status_table, np.where(eligible, np.where(school >= 0, 2, 1), 0))
        choice = res.choice[lo:hi]
        outcomes = list(
            map(
                _new_outcome,
                ids,
                status,
                _take(self._sid_table, school),
                _take(self._round_table, round_index),
                [c + 1 if c >= 0 else None for c in choice.tolist()],
            )
        )
        codes = (rt.eligibility_rule[lo:hi], rt.route_rule[lo:hi], rt.priority_rule[lo:hi])
        zone = _take(self._zone_table, rt.zone[lo:hi])
        address = rt.address_rule[lo:hi].tolist()
        unmet = rt.unmet[lo:hi].tolist()
        # §三（三）: the placement a request set aside asked for (0: none, or a regular class)
        if self._placement is None:
            placement = [0] * (hi - lo)
        else:
            aside = (rt.unmet[lo:hi] & _NOT_VERIFIED_BIT) != 0
            placement = np.where(aside, self._placement[lo:hi], 0).tolist()
        # The lines before the rounds depend on (eligible, rules, zone) only, the result
        # line on (school, round): a few hundred distinct texts, each formatted once.
        heads = self._heads
        texts = []
        for key, rs, s, k in zip(
            zip(
                eligible.tolist(),
                *(c.tolist() for c in codes),
                zone,
                address,
                unmet,
                placement,
                strict=True,
            ),
            rounds,
            school.tolist(),
            round_index.tolist(),
            strict=True,
        ):
            head = heads.get(key)
            if head is None:
                head = heads[key] = _head_lines(*key)
            if not key[0]:  # not eligible: took part in no round
                texts.append(head)
                continue
            if key[2] in _ARRANGED:  # a special school or class requested: no round
                section = RULES[key[2]].section
                texts.append(
                    f"{head}\n结果：不参加随机派位，由区教委根据残疾程度安排（{section}）。"
                )
                continue
            tail = self._results.get((s, k))
            if tail is None:
                tail = self._results[s, k] = _result_line(res, s, k)
            texts.append("\n".join([head, *[x.text for x in rs], tail]))
        return list(
            map(
                _new_explanation,
                ids,
                outcomes,
                *(_take(self._rule_table, c) for c in codes),
                zone,
                map(tuple, rounds),
                texts,
                _take(self._rule_table, rt.address_rule[lo:hi]),
                [self._unmet(u) for u in unmet],
            )
        )

    def _unmet(self, bits: int) -> tuple[Rule, ...]:
        if not bits:
            return ()
        return tuple(RULES[r] for k, r in enumerate(UNMET) if bits >> k & 1)

    def explain_row(self, i: int) -> Explanation:
        """Row ``i``'s explanation; rows are built a block at a time and kept."""
        block, k = divmod(i, ROW_BLOCK)
        built = self._blocks.get(block)
        if built is None:
            n = self.result.scenario.applicants.size
            if not 0 <= i < n:
                raise IndexError(i)
            with collector_paused():  # a block of acyclic values (allocation/_gc.py)
                built = self._blocks[block] = self._build_rows(
                    block * ROW_BLOCK, min(n, (block + 1) * ROW_BLOCK)
                )
        return built[k]

    def explain(self, applicant: str) -> Explanation:
        """Raises KeyError for an unknown applicant."""
        if self._rows is None:
            self._rows = {aid: i for i, aid in enumerate(self.result.scenario.applicants.ids)}
        return self.explain_row(self._rows[applicant])

    def explain_all(self) -> list[Explanation]:
        """Every applicant's explanation, in scenario row order."""
        n = self.result.scenario.applicants.size
        with collector_paused():  # hundreds of thousands of acyclic values (allocation/_gc.py)
            for block in range(0, n, ROW_BLOCK):
                self.explain_row(block)
        return [e for block in range(0, n, ROW_BLOCK) for e in self._blocks[block // ROW_BLOCK]]

    def __iter__(self) -> Iterator[Explanation]:
        return iter(self.explain_all())


def _head_lines(  # noqa: PLR0917  one cache key, spread
    eligible: bool,
    elig_code: int,
    route_code: int,
    prio_code: int,
    zone: str | None,
    address_code: int = R.ADDRESS_NONE,
    unmet: int = 0,
    placement: int = 0,
) -> str:
    """The explanation's lines before the rounds: eligibility (and every unmet condition),
    the address decision (§四（一）1), route and zone, class. ``placement``: the
    DISABILITY_PLACEMENTS index a request set aside (§三（三）) asked for, named in words."""
    elig, rte, prio = RULES[elig_code], RULES[route_code], RULES[prio_code]
    others = [RULES[r] for k, r in enumerate(UNMET) if unmet >> k & 1 and r != elig_code]
    asked = f"家长申请{PLACEMENT_TEXT[placement]}；" if placement else ""
    also = "".join(
        f"\n另：{asked if o.code == 'disability-not-verified' else ''}{o.text}（{o.section}）。"
        for o in others
    )
    if not eligible:
        return f"资格：不符合本区登记入学条件——{elig.text}（{elig.section}）。未参加派位。{also}"
    lines = [f"资格：符合本区登记入学条件——{elig.text}（{elig.section}）。{also}"]
    if address_code != R.ADDRESS_NONE:
        addr = RULES[address_code]
        lines.append(f"地址：{addr.text}（{addr.section}）。")
    if route_code == R.NINE_YEAR_SECTION or route_code in _ARRANGED:
        lines.append(f"途径：{rte.text}（{rte.section}）。")
    else:
        where = f"服务片区{zone}" if zone is not None else "无对应服务片区"
        lines.append(f"途径：{rte.text}（{rte.section}）；{where}。")
    if prio.code != "ordinary":
        lines.append(f"类别：{prio.text}（{prio.section}）。")
    return "\n".join(lines)


_ARRANGED = frozenset((R.DISABILITY_SPECIAL_SCHOOL, R.DISABILITY_SPECIAL_CLASS))
_NOT_VERIFIED_BIT = _BIT[R.DISABILITY_NOT_VERIFIED]
# DISABILITY_PLACEMENTS (scenario.py) in words, as the parent's request reads
PLACEMENT_TEXT = ("在普通学校随班就读", "在小学附设特教班就读", "在特殊教育学校就读")


def _result_line(res: AllocationResult, school: int, round_index: int) -> str:
    if school < 0:
        return "结果：暂未安排学位——区内可用学位不足，由区教委另行统筹（§四（一）5）。"
    sch = res.scenario.schools[school]
    spec = res.rounds[round_index].spec
    return f"结果：录取于{sch.name}（{sch.id}），{spec.title}（{spec.section}）。"


def explain(result: AllocationResult, applicant: str) -> Explanation:
    """One applicant's explanation. Raises KeyError for an unknown applicant."""
    return Explainer(result).explain(applicant)
