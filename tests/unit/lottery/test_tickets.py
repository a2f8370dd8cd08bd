"""Tickets: TH("paiwei/v1/ticket", seed || F(id)); order by (ticket bytes, id bytes)."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lottery import ticket_ranks, tickets
from lottery._accel import ticket_ranks as ticket_ranks_numpy
from seeding import ProtocolValueError
from tests.strategies import applicant_ids, seeds


def reference_ticket(seed: bytes, applicant: str) -> bytes:
    tag = hashlib.sha256(b"paiwei/v1/ticket").digest()
    raw = applicant.encode("utf-8")
    return hashlib.sha256(tag + tag + seed + len(raw).to_bytes(4, "big") + raw).digest()


@settings(max_examples=50, deadline=None)
@given(seed=seeds, ids=st.lists(applicant_ids, max_size=20, unique=True))
def test_ticket_is_the_tagged_hash_of_seed_and_framed_id(seed: bytes, ids: list[str]) -> None:
    assert tickets(seed, ids) == [reference_ticket(seed, a) for a in ids]


def test_tickets_depend_on_the_seed() -> None:
    assert tickets(b"\x00" * 32, ["a"]) != tickets(b"\x00" * 31 + b"\x01", ["a"])


def test_non_nfc_id_is_refused() -> None:
    with pytest.raises(ProtocolValueError):
        tickets(b"\x00" * 32, ["cafe\u0301"])


def reference_ranks(tix: list[bytes], ids: list[str]) -> list[int]:
    order = sorted(range(len(ids)), key=lambda i: (tix[i], ids[i].encode("utf-8")))
    ranks = [0] * len(ids)
    for position, i in enumerate(order):
        ranks[i] = position
    return ranks


tied_tickets = st.lists(
    st.tuples(
        st.sampled_from([b"\x00" * 8, b"\x00" * 7 + b"\x01", b"\xff" * 8]),
        st.sampled_from([b"\x00" * 24, b"\x01" + b"\x00" * 23, b"\xff" * 24]),
    ).map(lambda t: t[0] + t[1]),
)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_ranks_order_by_ticket_then_id_bytes_in_both_engines(data: st.DataObject) -> None:
    ids = data.draw(st.lists(applicant_ids, max_size=25, unique=True))
    tix = data.draw(
        st.one_of(
            st.lists(st.binary(min_size=32, max_size=32), min_size=len(ids), max_size=len(ids)),
            tied_tickets.filter(lambda t: len(t) >= len(ids)).map(lambda t: t[: len(ids)]),
            st.just([b"\x05" * 32] * len(ids)),
        )
    )
    expected = reference_ranks(tix, ids)
    assert ticket_ranks(tix, ids) == expected
    assert list(map(int, ticket_ranks_numpy(tix, ids))) == expected


def test_equal_64_bit_prefixes_are_ordered_by_the_rest_then_the_id() -> None:
    rng = random.Random(7)
    ids = [f"a{i:05d}" for i in range(3000)]
    rng.shuffle(ids)
    prefixes = [rng.randbytes(8) for _ in range(40)]
    tix = [
        rng.choice(prefixes) + (rng.randbytes(24) if rng.random() < 0.7 else b"\x00" * 24)
        for _ in ids
    ]
    expected = reference_ranks(tix, ids)
    assert ticket_ranks(tix, ids) == expected
    assert list(map(int, ticket_ranks_numpy(tix, ids))) == expected


def test_lower_ticket_wins_and_equal_tickets_go_to_the_lower_id() -> None:
    low, high = b"\x00" * 32, b"\x01" + b"\x00" * 31
    ids = ["b", "a", "c", "中"]
    tix = [low, high, high, high]
    # b holds the lowest ticket; a < c < 中 by id bytes.
    assert ticket_ranks(tix, ids) == [0, 1, 2, 3]
    assert list(map(int, ticket_ranks_numpy(tix, ids))) == [0, 1, 2, 3]
