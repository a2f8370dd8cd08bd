"""Tickets in, placement out: picks the NumPy path when asked for and available."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from lottery import _mechanisms, _tickets
from lottery._mechanisms import Mechanism, Placement
from lottery._table import DrawTable


def accelerator(accelerate: bool) -> ModuleType | None:
    """The NumPy engine module, or None when not asked for or NumPy is missing."""
    if not accelerate:
        return None
    try:
        from lottery import _accel  # noqa: PLC0415  optional: needs NumPy
    except ImportError:
        return None
    return _accel


def place(
    mechanism: Mechanism,
    table: DrawTable,
    tickets: Sequence[bytes],
    *,
    accelerate: bool = True,
) -> Placement:
    """Run ``mechanism`` over the table with the given tickets (one per applicant, in table order)."""
    fast = accelerator(accelerate)
    if fast is not None:
        ranks = fast.ticket_ranks(tickets, table.applicant_ids)
        placement: Placement = fast.assign(mechanism, table, ranks)
        return placement
    plain_ranks = _tickets.ticket_ranks(tickets, table.applicant_ids)
    return _mechanisms.assign_plain(mechanism, table, plain_ranks)
