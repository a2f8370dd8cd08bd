"""Staff-only comparison of mechanisms over a rehearsal: what the other rule would have done.

Every drawn round is re-run from its own frozen inputs and tickets under the other
mechanism (``allocation.compare_round``). The file says on its face that it is an
analysis (``analysis_only``, 仅供分析，非正式派位结果), and it never goes into a
publication folder.
"""

from __future__ import annotations

from typing import Any

from allocation import AllocationResult, compare_round
from allocation.compare import ANALYSIS_NOTE


def comparison_report(result: AllocationResult, *, accelerate: bool = True) -> dict[str, Any]:
    """Per drawn round: per zone, how many children would get a better, worse, same or no seat."""
    rounds = []
    for record in result.rounds:
        if record.bundle is None:
            continue
        comparison = compare_round(result, record.spec.id, accelerate=accelerate).to_json()
        comparison.pop("assignments", None)  # per-child detail stays out of the summary file
        rounds.append(comparison)
    return {
        "analysis_only": True,
        "staff_only": True,
        "note": ANALYSIS_NOTE,
        "rounds": rounds,
    }
