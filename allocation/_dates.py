"""ISO dates as day numbers (proleptic ordinal): comparable integers, no clock."""

from __future__ import annotations

import re
from datetime import date

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NO_DATE = 0  # ordinal 0 is never a real date (date.min is ordinal 1)


def parse_date(value: object) -> int:
    """Day ordinal of an ISO ``YYYY-MM-DD`` text. Raises ValueError when not one."""
    if type(value) is not str or not _ISO.match(value):
        raise ValueError("expected an ISO date YYYY-MM-DD")
    return date.fromisoformat(value).toordinal()


def format_date(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def add_years(ordinal: int, years: int) -> int:
    """The same calendar day ``years`` later (29 February falls back to 28 February)."""
    d = date.fromordinal(ordinal)
    try:
        return d.replace(year=d.year + years).toordinal()
    except ValueError:
        return d.replace(year=d.year + years, day=28).toordinal()


def year_of(ordinal: int) -> int:
    return date.fromordinal(ordinal).year
