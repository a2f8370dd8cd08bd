"""Building the publication's values from an in-memory allocation result.

The DB-backed lifecycle rebuilds the same :class:`~paiwei.publication.model.RoundPublication`
from what it stored; this module serves the demo, rehearsals and tests, and fixes
what every field means:

- ``ticket_rank``: 1-based rank of the applicant's ticket among everyone in that
  round's draw, in the protocol's order (lower ticket bytes first, ties to the lower
  id bytes); ``participants`` is how many took part.
- ``position`` / ``competitors``: at the school that decided the round for the
  applicant (the one admitting them, else their last choice tried), the 1-based place
  among those applying there (at that step under preference-first) ordered by
  (priority class, ticket, id), out of ``competitors``.
- ``cutoff_ticket``: the last admitted ticket there (at that step), or null.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from allocation import AllocationResult, Explainer, Explanation, RoundExplanation
from paiwei.publication.model import RoundPublication, Season

PENDING_LINE = "结果：后续派位轮次尚未公布，结果待定。"


def season_of(result: AllocationResult, *, salt: bytes, title: str = "") -> Season:
    """The season of ``result``: its rounds that held a draw, in order."""
    return Season(
        district=result.policy.district,
        year=result.policy.year,
        stage=result.stage.value,
        rounds=tuple(r.spec.id for r in result.rounds if r.bundle is not None),
        salt=salt,
        title=title or result.policy.title,
    )


def _ticket_ranks(tickets: Sequence[bytes], ids: Sequence[str]) -> list[int]:
    order = sorted(range(len(tickets)), key=lambda j: (tickets[j], ids[j].encode("utf-8")))
    ranks = [0] * len(tickets)
    for rank, j in enumerate(order, start=1):
        ranks[j] = rank
    return ranks


def _entry(
    rx: RoundExplanation, rank: int, participants: int, names: Mapping[str, str]
) -> dict[str, Any]:
    attempts = [
        {
            "school": a.school,
            "school_name": a.school_name,
            "choice": a.choice,
            "step": a.step,
            "admitted": a.admitted,
            "mode": a.mode,
            "priority": a.priority,
            "position": a.position,
            "competitors": a.competitors,
            "seats": a.seats,
            "cutoff": None
            if a.cutoff_ticket is None
            else {"priority": a.cutoff_priority, "ticket": a.cutoff_ticket},
        }
        for a in rx.attempts
    ]
    decisive = next(
        (a for a in rx.attempts if a.admitted), rx.attempts[-1] if rx.attempts else None
    )
    placed = decisive is not None and decisive.admitted
    return {
        "round": rx.round,
        "title": rx.title,
        "section": rx.section,
        "draw_id": rx.draw_id,
        "mechanism": rx.mechanism,
        "ticket": rx.ticket,
        "ticket_rank": rank,
        "participants": participants,
        "placed": placed,
        "school": {"id": decisive.school, "name": names[decisive.school]}
        if placed and decisive is not None
        else None,
        "choice": None if decisive is None else decisive.choice,
        "step": None if decisive is None else decisive.step,
        "mode": None if decisive is None else decisive.mode,
        "position": None if decisive is None else decisive.position,
        "competitors": None if decisive is None else decisive.competitors,
        "seats": None if decisive is None else decisive.seats,
        "cutoff_ticket": None if decisive is None else decisive.cutoff_ticket,
        "attempts": attempts,
        "text": rx.text,
    }


def _outcome(
    result: AllocationResult, exp: Explanation, row: int, upto: int, final: bool
) -> dict[str, Any]:
    """The applicant's status once rounds ``0..upto`` (indices into result.rounds) are out."""
    ri = int(result.round_index[row])
    if exp.outcome.status == "ineligible":
        return {"status": "ineligible", "school": None, "decided_by": None, "explanation": exp.text}
    if 0 <= ri <= upto:
        school = result.scenario.schools[int(result.school[row])]
        return {
            "status": "placed",
            "school": {"id": school.id, "name": school.name},
            "decided_by": result.rounds[ri].spec.id,
            "explanation": exp.text,
        }
    if final:
        return {"status": "unplaced", "school": None, "decided_by": None, "explanation": exp.text}
    shown = {r.spec.id for r in result.rounds[: upto + 1]}
    lines = [ln for ln in exp.text.split("\n") if not ln.startswith(("【", "结果："))]
    lines += [r.text for r in exp.rounds if r.round in shown]
    return {
        "status": "pending",
        "school": None,
        "decided_by": None,
        "explanation": "\n".join([*lines, PENDING_LINE]),
    }


def round_publications(
    result: AllocationResult, bundles: Mapping[str, Mapping[str, Any]], *, only: str | None = None
) -> list[RoundPublication]:
    """One publication per round that held a draw, in order (only round ``only`` when
    given); ``bundles`` the signed bundles by round id. ``result`` may be the season so
    far (``allocation.SeasonSteps.result``): an applicant still unplaced after its last
    round is then ``pending``, not ``unplaced``. Raises KeyError when a held round's
    signed bundle is missing."""
    explanations = list(Explainer(result))
    ids = result.scenario.applicants.ids
    names = {s.id: s.name for s in result.scenario.schools}
    held = [i for i, r in enumerate(result.rounds) if r.bundle is not None]
    complete = len(result.rounds) == len(result.policy.plan(result.stage))
    out: list[RoundPublication] = []
    for k, ri in enumerate(held):
        r = result.rounds[ri]
        if only is not None and r.spec.id != only:
            continue
        member_ids = [ids[int(g)] for g in r.members.tolist()]
        ranks = _ticket_ranks(r.tickets, member_ids)
        entries: dict[str, dict[str, Any]] = {}
        for m, row in enumerate(r.members.tolist()):
            rx = next(x for x in explanations[int(row)].rounds if x.round == r.spec.id)
            entries[member_ids[m]] = _entry(rx, ranks[m], len(member_ids), names)
        final = complete and k == len(held) - 1
        outcomes = {
            ids[i]: _outcome(result, explanations[i], i, ri, final) for i in range(len(ids))
        }
        schools = [
            {
                "school": sr.school,
                "name": names[sr.school],
                "seats": sr.seats,
                "listed": sr.listed,
                "applied": sr.applied,
                "admitted": sr.admitted,
                "mode": sr.mode,
                "cutoff_priority": sr.cutoff_priority,
                "cutoff_ticket": sr.cutoff_ticket,
            }
            for sr in r.results
        ]
        out.append(
            RoundPublication(
                round=r.spec.id,
                title=r.spec.title,
                section=r.spec.section,
                draw_id=r.draw_id,
                mechanism=r.spec.mechanism.value,
                bundle=bundles[r.spec.id],
                schools=schools,
                entries=entries,
                outcomes=outcomes,
            )
        )
    return out
