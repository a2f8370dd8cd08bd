"""The Explainer as first written (per applicant, per pair in Python): a test oracle.

The columnar :class:`allocation.Explainer` must give exactly the same explanations;
tests/unit/allocation/test_explain.py compares the two on the golden cases and a
generated district. Kept verbatim apart from the class name and the additions of issue
18 (the address line, every unmet condition, the nine-year route, the single-school and
nine-year rounds' "对口学校", schools with no seats left); not used elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from allocation.eligibility import RULES
from allocation.engine import AllocationResult, RoundRecord
from allocation.explain import Attempt, Explanation, RoundExplanation
from allocation.policy import RoundKind
from lottery import Mechanism

TICKET_SHOWN = 12


def _short(ticket: str | None) -> str:
    return "无" if ticket is None else ticket[:TICKET_SHOWN] + "…"


class ReferenceExplainer:
    """The first, per-applicant implementation (before the columnar one), kept as an oracle."""

    def __init__(self, result: AllocationResult) -> None:
        self.result = result
        n = result.scenario.applicants.size
        self._pos: list[Any] = []
        self._pair_start: list[Any] = []
        self._pair_order: list[Any] = []
        self._results: list[dict[str, Any]] = []
        self._prio: list[Any] = []
        self._rows: dict[str, int] | None = None
        self._zone_of = {
            sid: z.id
            for z in result.scenario.zones
            if z.kind == "multi-school"
            for sid in z.schools
        }
        for r in result.rounds:
            pos = np.full(n, -1, dtype=np.int64)
            pos[r.members] = np.arange(r.members.size, dtype=np.int64)
            order = np.argsort(r.pair_member, kind="stable")
            starts = np.searchsorted(r.pair_member[order], np.arange(r.members.size + 1))
            self._pos.append(pos)
            self._pair_order.append(order)
            self._pair_start.append(starts)
            self._results.append({sr.school: sr for sr in r.results})
            # Priorities are one class per child within a round (the engine builds them so).
            prio = np.zeros(r.members.size, dtype=np.int64)
            prio[r.pair_member] = r.pair_priority
            self._prio.append(prio)

    def _step_mode(self, ri: int, p: int) -> str:
        """Under preference-first, whether the school drew at that step (§四（一）5 reading)."""
        r = self.result.rounds[ri]
        applied, seats = int(r.pair_count[p]), int(r.pair_seats[p])
        equal_direct = self.result.policy.readings.equal_counts_as_direct
        if seats == 0:
            return "no-seats"
        return "direct" if applied < seats or (applied == seats and equal_direct) else "drawn"

    def _round(self, ri: int, r: RoundRecord, m: int) -> RoundExplanation:
        sc = self.result.scenario
        order = self._pair_order[ri]
        starts = self._pair_start[ri]
        pairs = order[starts[m] : starts[m + 1]]
        pairs = pairs[np.argsort(r.pair_choice[pairs], kind="stable")]
        pf = r.spec.mechanism is Mechanism.PREFERENCE_FIRST
        attempts = []
        for p in pairs.tolist():
            s_local = int(r.pair_school[p])
            school = sc.schools[int(r.schools[s_local])]
            cut_m = int(r.pair_cut_member[p])
            cut_ticket = r.tickets[cut_m].hex() if cut_m >= 0 else None
            cut_prio = int(self._prio[ri][cut_m]) if cut_m >= 0 else None
            attempts.append(
                Attempt(
                    school=school.id,
                    school_name=school.name,
                    zone=self._zone_of.get(school.id),
                    choice=int(r.pair_choice[p]) + 1,
                    step=int(r.pair_choice[p]) + 1 if pf else None,
                    admitted=int(r.placed[m]) == s_local,
                    mode=self._step_mode(ri, p) if pf else self._results[ri][school.id].mode,
                    priority=int(r.pair_priority[p]),
                    position=int(r.pair_position[p]),
                    competitors=int(r.pair_count[p]),
                    seats=int(r.pair_seats[p]),
                    cutoff_priority=cut_prio,
                    cutoff_ticket=cut_ticket,
                )
            )
        placed = int(r.placed[m]) >= 0
        text = _round_text(r, attempts, pf)
        return RoundExplanation(
            round=r.spec.id,
            title=r.spec.title,
            section=r.spec.section,
            draw_id=r.draw_id,
            mechanism=r.spec.mechanism.value,
            ticket=r.tickets[m].hex(),
            placed=placed,
            attempts=tuple(attempts),
            text=text,
        )

    def explain_row(self, i: int) -> Explanation:
        res = self.result
        rt = res.routing
        outcome = res.outcome_at(i)
        zone_i = int(rt.zone[i])
        zone = res.scenario.zones[zone_i].id if zone_i >= 0 else None
        rounds = []
        for ri, r in enumerate(res.rounds):
            m = int(self._pos[ri][i]) if r.members.size else -1
            if m >= 0:
                rounds.append(self._round(ri, r, m))
        elig, rte, prio = (
            RULES[int(rt.eligibility_rule[i])],
            RULES[int(rt.route_rule[i])],
            RULES[int(rt.priority_rule[i])],
        )
        lines = []
        unmet = rt.unmet_rules(i)
        details = res.scenario.applicants.details
        placement = 0 if details is None else int(details.disability_placement[i])
        asked = ("", "家长申请在小学附设特教班就读；", "家长申请在特殊教育学校就读；")[placement]
        also = "".join(
            f"\n另：{asked if o.code == 'disability-not-verified' else ''}{o.text}（{o.section}）。"
            for o in unmet
            if o != elig
        )
        address = RULES[int(rt.address_rule[i])]
        if not rt.eligible[i]:
            lines.append(
                f"资格：不符合本区登记入学条件——{elig.text}（{elig.section}）。未参加派位。{also}"
            )
        else:
            lines.append(f"资格：符合本区登记入学条件——{elig.text}（{elig.section}）。{also}")
            if address.code != "address-none":
                lines.append(f"地址：{address.text}（{address.section}）。")
            if rte.code in (
                "nine-year-section",
                "disability-special-school",
                "disability-special-class",
            ):
                lines.append(f"途径：{rte.text}（{rte.section}）。")
            else:
                where = f"服务片区{zone}" if zone is not None else "无对应服务片区"
                lines.append(f"途径：{rte.text}（{rte.section}）；{where}。")
            if prio.code != "ordinary":
                lines.append(f"类别：{prio.text}（{prio.section}）。")
            lines.extend(r.text for r in rounds)
            if rte.code in ("disability-special-school", "disability-special-class"):
                lines.append(f"结果：不参加随机派位，由区教委根据残疾程度安排（{rte.section}）。")
            elif outcome.status == "placed":
                sch = res.scenario.schools[int(res.school[i])]
                r = res.rounds[int(res.round_index[i])]
                lines.append(
                    f"结果：录取于{sch.name}（{sch.id}），{r.spec.title}（{r.spec.section}）。"
                )
            else:
                lines.append(
                    "结果：暂未安排学位——区内可用学位不足，由区教委另行统筹（§四（一）5）。"
                )
        return Explanation(
            applicant=outcome.applicant,
            outcome=outcome,
            eligibility=elig,
            route=rte,
            priority=prio,
            zone=zone,
            rounds=tuple(rounds),
            text="\n".join(lines),
            address=address,
            unmet=unmet,
        )

    def explain(self, applicant: str) -> Explanation:
        """Raises KeyError for an unknown applicant."""
        if self._rows is None:
            self._rows = {aid: i for i, aid in enumerate(self.result.scenario.applicants.ids)}
        return self.explain_row(self._rows[applicant])

    def __iter__(self) -> Iterator[Explanation]:
        return (self.explain_row(i) for i in range(self.result.scenario.applicants.size))


def _round_text(r: RoundRecord, attempts: list[Attempt], pf: bool) -> str:
    title = f"【{r.spec.title}】"
    district = r.spec.kind is RoundKind.DISTRICT
    assigned = r.spec.kind in (RoundKind.SINGLE_SCHOOL, RoundKind.NINE_YEAR)
    parts = []
    for a in attempts:
        name = f"{a.school_name}（{a.school}）"
        head = (
            f"第{a.step}轮（第{a.choice}志愿）{name}"
            if pf
            else (
                f"区教委安排第{a.choice}所：{a.zone or '区内'}片区{name}"
                if district
                else (f"对口学校{name}" if assigned else f"第{a.choice}志愿{name}")
            )
        )
        seats = f"剩余学位{a.seats}个" if pf else f"学位{a.seats}个"
        if a.admitted and a.mode == "direct":
            parts.append(f"{head}：{seats}，{a.competitors}人申请，未超额，直接录取。")
        elif a.admitted:
            parts.append(
                f"{head}：{seats}，{a.competitors}人申请，随机派位，您按类别和派位号排第{a.position}位，"
                f"录取；{'本轮' if pf else ''}最后录取派位号{_short(a.cutoff_ticket)}。"
            )
        elif a.mode == "no-seats":
            parts.append(
                f"{head}：{seats}，{a.competitors}人申请，已无剩余学位，未录取（不派位）。"
            )
        else:
            parts.append(
                f"{head}：{seats}，{a.competitors}人申请，您按类别和派位号排第{a.position}位，未录取；"
                f"{'本轮' if pf else ''}最后录取派位号{_short(a.cutoff_ticket)}。"
            )
    if not attempts:
        parts.append("未参加。")
    return title + "".join(parts)
