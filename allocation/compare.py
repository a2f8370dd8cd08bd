"""A staff-only comparison: the other mechanism's assignment from the same frozen inputs and seed.

It is an analysis, never a published or signed result, and says so on its face:
``"analysis_only": true`` and the note 「仅供分析，非正式派位结果」.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import lottery
from allocation._errors import AllocationError
from allocation.engine import AllocationResult
from lottery import Mechanism

ANALYSIS_NOTE = "仅供分析，非正式派位结果"


@dataclass(frozen=True, slots=True)
class ZoneComparison:
    zone: str | None
    applicants: int
    better: int  # a more wanted choice under the other mechanism
    worse: int  # a less wanted choice (or none) under the other mechanism
    same: int
    none: int  # no seat in this round under the other mechanism

    def to_json(self) -> dict[str, Any]:
        return {
            "zone": self.zone,
            "applicants": self.applicants,
            "better": self.better,
            "worse": self.worse,
            "same": self.same,
            "none": self.none,
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    round: str
    draw_id: str
    seed: str
    input_root: str
    mechanism: str
    other_mechanism: str
    zones: tuple[ZoneComparison, ...]
    assignments: tuple[tuple[str, str | None], ...]  # the other mechanism's (applicant, school)
    analysis_only: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "analysis_only": True,
            "note": ANALYSIS_NOTE,
            "round": self.round,
            "draw_id": self.draw_id,
            "seed": self.seed,
            "input_root": self.input_root,
            "mechanism": self.mechanism,
            "other_mechanism": self.other_mechanism,
            "zones": [z.to_json() for z in self.zones],
            "assignments": [{"applicant": a, "school": s} for a, s in self.assignments],
        }


def compare_round(
    result: AllocationResult, round_id: str, *, accelerate: bool = True
) -> Comparison:
    """Re-run one round's frozen inputs with the same tickets under the other mechanism.

    Per zone (the zone each child was routed to), count the children who would get a
    more wanted choice, a less wanted one, the same, or no seat in this round. Raises
    AllocationError when the round is unknown or held no draw.
    """
    record = next((r for r in result.rounds if r.spec.id == round_id), None)
    if record is None or record.bundle is None:
        raise AllocationError("no draw was held in this round", round_id)
    bundle = record.bundle
    table = lottery.freeze(
        record.draw_id, bundle["schools"], bundle["applicants"], accelerate=accelerate
    ).table
    actual = record.spec.mechanism
    other = (
        Mechanism.DEFERRED_ACCEPTANCE
        if actual is Mechanism.PREFERENCE_FIRST
        else Mechanism.PREFERENCE_FIRST
    )
    alt = lottery.place(other, table, list(record.tickets), accelerate=accelerate)
    alt_school = np.asarray(alt.school, dtype=np.int64)
    alt_rank = np.asarray(alt.rank, dtype=np.int64)
    big = np.iinfo(np.int64).max
    have = np.where(record.placed >= 0, record.rank, big)
    would = np.where(alt_school >= 0, alt_rank, big)
    zone_of = result.routing.zone[record.members]
    zones = result.scenario.zones
    out = []
    for z in np.unique(zone_of).tolist():
        m = zone_of == z
        out.append(
            ZoneComparison(
                zone=zones[z].id if z >= 0 else None,
                applicants=int(m.sum()),
                better=int((m & (would < have)).sum()),
                worse=int((m & (would > have)).sum()),
                same=int((m & (would == have)).sum()),
                none=int((m & (alt_school < 0)).sum()),
            )
        )
    ids = table.applicant_ids
    names = list(table.school_ids)
    assignments = tuple(
        (ids[i], names[s] if s >= 0 else None) for i, s in enumerate(alt_school.tolist())
    )
    return Comparison(
        round=round_id,
        draw_id=record.draw_id,
        seed=bundle["ceremony"]["seed"],
        input_root=bundle["ceremony"]["input_root"],
        mechanism=actual.value,
        other_mechanism=other.value,
        zones=tuple(out),
        assignments=assignments,
    )
