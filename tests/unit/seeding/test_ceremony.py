"""The seed ceremony: commitments open only with the exact opening; the seed binds everything."""

from __future__ import annotations

import dataclasses
import hashlib
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seeding import (
    CeremonyError,
    Contribution,
    ProtocolValueError,
    check_opening,
    commit,
    commitment_of,
    derive_seed,
    frame,
    tagged_hash,
    text_bytes,
)

DRAW = "2026/朝阳/小学"
ROOT = bytes(range(32))


def test_tagged_hash_is_sha256_of_doubled_tag_hash_and_message() -> None:
    tag_hash = hashlib.sha256(b"paiwei/v1/commit").digest()
    assert (
        tagged_hash("paiwei/v1/commit", b"xyz")
        == hashlib.sha256(tag_hash + tag_hash + b"xyz").digest()
    )


def test_commitment_follows_the_protocol_formula() -> None:
    nonce, value = b"n" * 16, b"v" * 5
    body = b"".join(len(x).to_bytes(4, "big") + x for x in (DRAW.encode(), b"notary", nonce, value))
    assert commitment_of(DRAW, "notary", nonce, value) == tagged_hash("paiwei/v1/commit", body)


@settings(max_examples=30, deadline=None)
@given(value=st.binary(max_size=64), name=st.sampled_from(["notary", "公证处", "city"]))
def test_commitment_opens_with_its_own_opening(value: bytes, name: str) -> None:
    c = commit(DRAW, name, value)
    assert c.value == value
    assert c.nonce is not None and len(c.nonce) >= 16
    check_opening(DRAW, c)
    check_opening(DRAW, c, published=c.commitment)


def test_commit_without_value_draws_a_random_one() -> None:
    a, b = commit(DRAW, "notary"), commit(DRAW, "notary")
    assert len(a.value) == 32
    assert a.value != b.value
    assert a.nonce != b.nonce


def test_same_value_gives_a_fresh_commitment_each_time() -> None:
    assert commit(DRAW, "notary", b"x").commitment != commit(DRAW, "notary", b"x").commitment


@pytest.fixture
def opening() -> Contribution:
    return commit(DRAW, "notary", b"\x01\x02\x03")


def test_wrong_value_does_not_open(opening: Contribution) -> None:
    with pytest.raises(CeremonyError, match="does not match"):
        check_opening(DRAW, dataclasses.replace(opening, value=b"\x01\x02\x04"))


def test_wrong_nonce_does_not_open(opening: Contribution) -> None:
    assert opening.nonce is not None
    nonce = bytes([opening.nonce[0] ^ 1]) + opening.nonce[1:]
    with pytest.raises(CeremonyError, match="does not match"):
        check_opening(DRAW, dataclasses.replace(opening, nonce=nonce))


def test_wrong_draw_id_does_not_open(opening: Contribution) -> None:
    with pytest.raises(CeremonyError, match="does not match"):
        check_opening("2026/朝阳/初中", opening)


def test_wrong_contributor_does_not_open(opening: Contribution) -> None:
    with pytest.raises(CeremonyError, match="does not match"):
        check_opening(DRAW, dataclasses.replace(opening, contributor="city"))


def test_opening_that_differs_from_the_published_commitment_is_refused(
    opening: Contribution,
) -> None:
    other = commit(DRAW, "notary", opening.value)
    assert other.commitment is not None
    with pytest.raises(CeremonyError, match="differs from the one published"):
        check_opening(DRAW, opening, published=other.commitment)


def test_contribution_without_commitment_has_nothing_to_open() -> None:
    with pytest.raises(CeremonyError, match="no commitment"):
        check_opening(DRAW, Contribution("notary", b"x"))


@pytest.mark.parametrize("size", [0, 1, 15])
def test_nonce_shorter_than_16_bytes_is_refused(size: int) -> None:
    nonce = b"\x00" * size
    c = Contribution("notary", b"v", nonce, commitment_of(DRAW, "notary", nonce, b"v"))
    with pytest.raises(CeremonyError, match="shorter than 16"):
        check_opening(DRAW, c)


def test_nonce_of_exactly_16_bytes_is_accepted() -> None:
    nonce = b"\x00" * 16
    check_opening(
        DRAW, Contribution("notary", b"v", nonce, commitment_of(DRAW, "notary", nonce, b"v"))
    )


def test_duplicate_contributors_are_refused() -> None:
    with pytest.raises(CeremonyError, match="twice"):
        derive_seed(
            DRAW,
            ROOT,
            [
                Contribution("notary", b"a"),
                Contribution("city", b"c"),
                Contribution("notary", b"b"),
            ],
        )


def test_seed_needs_a_contribution() -> None:
    with pytest.raises(CeremonyError):
        derive_seed(DRAW, ROOT, [])


def test_seed_needs_a_32_byte_input_root() -> None:
    with pytest.raises(CeremonyError):
        derive_seed(DRAW, ROOT[:31], [Contribution("notary", b"a")])


def test_seed_follows_the_protocol_formula() -> None:
    items = [
        Contribution("notary", b"\x01"),
        Contribution("city", b"\x02", *_opened("city", b"\x02")),
    ]
    body = frame(DRAW) + ROOT + frame("city") + frame(b"\x02") + frame("notary") + frame(b"\x01")
    assert derive_seed(DRAW, ROOT, items) == tagged_hash("paiwei/v1/seed", body)


def _opened(name: str, value: bytes) -> tuple[bytes, bytes]:
    c = commit(DRAW, name, value)
    assert c.nonce is not None and c.commitment is not None
    return c.nonce, c.commitment


names = st.lists(
    st.text(alphabet="aZ09_é中文Ωー", min_size=1, max_size=4), min_size=1, max_size=5, unique=True
)


@settings(max_examples=50, deadline=None)
@given(contributors=names, data=st.data())
def test_seed_depends_on_contributor_byte_order_not_input_order(
    contributors: list[str], data: st.DataObject
) -> None:
    items = [Contribution(name, name.encode() + b"!") for name in contributors]
    shuffled = data.draw(st.permutations(items))
    seed = derive_seed(DRAW, ROOT, items)
    assert derive_seed(DRAW, ROOT, shuffled) == seed
    in_byte_order = sorted(items, key=lambda c: c.contributor.encode("utf-8"))
    body = (
        frame(DRAW) + ROOT + b"".join(frame(c.contributor) + frame(c.value) for c in in_byte_order)
    )
    assert seed == tagged_hash("paiwei/v1/seed", body)


def test_contributor_order_is_utf8_bytes_not_case_folded() -> None:
    # "Z" (0x5a) < "a" (0x61) < "é" (0xc3 0xa9) < "中" (0xe4 ...): byte order, whatever the input order.
    items = [
        Contribution("中", b"1"),
        Contribution("a", b"2"),
        Contribution("é", b"3"),
        Contribution("Z", b"4"),
    ]
    body = (
        frame(DRAW)
        + ROOT
        + b"".join(
            frame(n) + frame(v) for n, v in [("Z", b"4"), ("a", b"2"), ("é", b"3"), ("中", b"1")]
        )
    )
    assert derive_seed(DRAW, ROOT, items) == tagged_hash("paiwei/v1/seed", body)


@settings(max_examples=50, deadline=None)
@given(
    contributors=names,
    data=st.data(),
)
def test_seed_changes_when_any_contribution_changes(
    contributors: list[str], data: st.DataObject
) -> None:
    items = [Contribution(name, b"v" + name.encode()) for name in contributors]
    seed = derive_seed(DRAW, ROOT, items)
    i = data.draw(st.integers(0, len(items) - 1))
    new_value = data.draw(st.binary(max_size=8).filter(lambda v: v != items[i].value))
    changed = [*items[:i], dataclasses.replace(items[i], value=new_value), *items[i + 1 :]]
    assert derive_seed(DRAW, ROOT, changed) != seed
    renamed = data.draw(
        st.text(alphabet="xyzΣ", min_size=1, max_size=3).filter(lambda n: n not in contributors)
    )
    moved = [*items[:i], dataclasses.replace(items[i], contributor=renamed), *items[i + 1 :]]
    assert derive_seed(DRAW, ROOT, moved) != seed
    dropped = items[:i] + items[i + 1 :]
    if dropped:
        assert derive_seed(DRAW, ROOT, dropped) != seed


def test_seed_changes_with_input_root_and_draw_id() -> None:
    items = [Contribution("notary", b"x")]
    seed = derive_seed(DRAW, ROOT, items)
    assert derive_seed(DRAW, bytes(32), items) != seed
    assert derive_seed("2026/朝阳/初中", ROOT, items) != seed


def test_framing_keeps_boundaries_apart() -> None:
    # Without length prefixes ("ab", "c") and ("a", "bc") would hash alike.
    one = derive_seed(DRAW, ROOT, [Contribution("ab", b"c")])
    two = derive_seed(DRAW, ROOT, [Contribution("a", b"bc")])
    assert one != two


NOT_NFC = "e\u0301"  # "é" decomposed


def test_non_nfc_text_is_refused() -> None:
    assert not unicodedata.is_normalized("NFC", NOT_NFC)
    with pytest.raises(ProtocolValueError, match="NFC"):
        text_bytes(NOT_NFC)
    with pytest.raises(ProtocolValueError):
        frame("caf" + NOT_NFC)


def test_non_nfc_contributor_is_refused_not_normalised() -> None:
    with pytest.raises(ProtocolValueError):
        commit(DRAW, "caf" + NOT_NFC, b"x")
    with pytest.raises(ProtocolValueError):
        derive_seed(DRAW, ROOT, [Contribution("caf" + NOT_NFC, b"x")])


def test_non_nfc_draw_id_is_refused() -> None:
    with pytest.raises(ProtocolValueError):
        derive_seed("draw/" + NOT_NFC, ROOT, [Contribution("notary", b"x")])
    with pytest.raises(ProtocolValueError):
        commitment_of("draw/" + NOT_NFC, "notary", b"n" * 16, b"x")


def test_lone_surrogate_is_refused() -> None:
    with pytest.raises(ProtocolValueError):
        text_bytes("a\ud800")


def test_nfc_text_is_utf8() -> None:
    assert text_bytes("café派位") == "café派位".encode()
    assert frame("派") == b"\x00\x00\x00\x03" + "派".encode()


def test_contribution_json_carries_opening_only_when_committed() -> None:
    plain = Contribution("city", b"\xab")
    assert plain.to_json() == {"contributor": "city", "value": "ab"}
    c = commit(DRAW, "notary", b"\xcd")
    assert c.nonce is not None and c.commitment is not None
    assert c.to_json() == {
        "contributor": "notary",
        "value": "cd",
        "nonce": c.nonce.hex(),
        "commitment": c.commitment.hex(),
    }
