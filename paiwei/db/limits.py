"""Column limits, read from the models, for validation at the edge (API schemas, params)."""

from __future__ import annotations

from typing import Any

INT32_MAX = 2**31 - 1
"""The largest value of an ``INTEGER`` column on PostgreSQL (ids, counters, years)."""


def column_length(attribute: Any) -> int:
    """The declared length of a ``String(n)`` mapped attribute (``Model.column``)."""
    length = attribute.property.columns[0].type.length
    if length is None:
        raise ValueError(f"{attribute} has no declared length")
    return int(length)
