"""The demo's simulated clock: Beijing wall-clock times of the 2024 timetable, never sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from paiwei.windows.service import BEIJING


def beijing(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Beijing wall-clock time as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


class DemoClock:
    """An injectable clock (``paiwei.settings.Clock``) that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> None:
        if when < self.now:
            raise ValueError(f"the demo clock does not go back ({when} < {self.now})")
        self.now = when

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
