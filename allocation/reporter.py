"""Observation hooks (as in resolvelib): the shell subclasses Reporter to show progress.

Every hook is a no-op here; the core never prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from allocation.engine import AllocationResult
    from allocation.policy import RoundSpec
    from lottery import FrozenInputs


class Reporter:
    """No-op base: override the hooks you need."""

    def plan_started(self, stage: str, rounds: int, applicants: int) -> None:
        """The plan of ``rounds`` rounds is about to run over ``applicants`` applicants."""

    def round_started(self, spec: RoundSpec, draw_id: str, applicants: int, schools: int) -> None:
        """A round's inputs are being built."""

    def round_frozen(self, spec: RoundSpec, frozen: FrozenInputs) -> None:
        """A round's inputs are frozen (the input root can be published)."""

    def round_drawn(self, spec: RoundSpec, bundle: dict[str, Any]) -> None:
        """A round's draw is done; ``bundle`` is unsigned."""

    def round_skipped(self, spec: RoundSpec, reason: str) -> None:
        """A round had nobody to place and held no draw."""

    def plan_finished(self, result: AllocationResult) -> None:
        """All rounds are done."""
