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


def rank_tickets(
    tickets: Sequence[bytes], applicant_ids: Sequence[str], *, accelerate: bool = True
) -> Sequence[int]:
    """Each applicant's position (0 first) in the protocol's lottery order: by ticket bytes,
    ties by id bytes. A NumPy array on the accelerated path, a list otherwise."""
    fast = accelerator(accelerate)
    if fast is not None:
        ranks: Sequence[int] = fast.ticket_ranks(tickets, applicant_ids)
        return ranks
    return _tickets.ticket_ranks(tickets, applicant_ids)


def place(
    mechanism: Mechanism,
    table: DrawTable,
    tickets: Sequence[bytes],
    *,
    accelerate: bool = True,
) -> Placement:
    """Run ``mechanism`` over the table with the given tickets (one per applicant, in table order)."""
    ranks = rank_tickets(tickets, table.applicant_ids, accelerate=accelerate)
    return place_ranked(mechanism, table, ranks, accelerate=accelerate)


def place_ranked(
    mechanism: Mechanism,
    table: DrawTable,
    ranks: Sequence[int],
    *,
    accelerate: bool = True,
) -> Placement:
    """:func:`place` with the lottery order already computed (:func:`rank_tickets`)."""
    fast = accelerator(accelerate)
    if fast is not None:
        placement: Placement = fast.assign(mechanism, table, ranks)
        return placement
    return _mechanisms.assign_plain(mechanism, table, ranks)
