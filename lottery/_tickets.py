"""Lottery numbers: ticket(applicant) = TH("paiwei/v1/ticket", seed || F(applicant id))."""

from __future__ import annotations

from collections.abc import Sequence

from seeding import tag_state, text_bytes

TICKET_TAG = "paiwei/v1/ticket"


def tickets(seed: bytes, applicant_ids: Sequence[str]) -> list[bytes]:
    """Every applicant's 32-byte ticket, in the order given. Lower tickets win."""
    state = tag_state(TICKET_TAG).copy()
    state.update(seed)
    # One midstate copy, one update and one digest per applicant, in a plain loop with
    # the bound methods held locally: this is the hot path of both draw and verify.
    copy = state.copy
    out: list[bytes] = []
    append = out.append
    for applicant_id in applicant_ids:
        raw = applicant_id.encode() if applicant_id.isascii() else text_bytes(applicant_id)
        h = copy()
        h.update(len(raw).to_bytes(4, "big") + raw)
        append(h.digest())
    return out


def ticket_ranks(tickets_: Sequence[bytes], applicant_ids: Sequence[str]) -> list[int]:
    """Each applicant's position when all are ordered by (ticket bytes, id bytes), 0 first.

    Python compares ``str`` by code point, which is the UTF-8 byte order, so ids
    need no encoding here.
    """
    n = len(tickets_)
    if len(set(tickets_)) == n:
        order = sorted(range(n), key=tickets_.__getitem__)
    else:  # equal tickets never happen in practice; the id breaks the tie.
        order = sorted(range(n), key=lambda i: (tickets_[i], applicant_ids[i]))
    ranks = [0] * n
    for position, applicant in enumerate(order):
        ranks[applicant] = position
    return ranks
