"""The live draw's value (docs/draw-spec.md §8.1): the spec's table, the vectors' live draws,
the one-to-one property, and what is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seeding import balls_of, balls_value, parse_balls

VECTORS = Path(__file__).resolve().parents[2] / "vectors"

TABLE = [  # docs/draw-spec.md §8.1
    ([7, 21, 13, 36, 2], "07 21 13 36 02", "3037203231203133203336203032"),
    ([5, 11, 28, 33, 40], "05 11 28 33 40", "3035203131203238203333203430"),
    ([3, 0, 7], "03 00 07", "3033203030203037"),
    ([100, 9], "100 09", "313030203039"),
]


@pytest.mark.parametrize(("balls", "text", "hex_value"), TABLE)
def test_the_spec_table(balls: list[int], text: str, hex_value: str) -> None:
    assert balls_value(balls) == text.encode("utf-8")
    assert balls_value(balls).hex() == hex_value
    assert balls_of(bytes.fromhex(hex_value)) == balls


@pytest.mark.parametrize(("vector", "contributor", "balls"), [
    ("a_tiny_deferred_acceptance.json", "notary-balls", [7, 21, 13, 36, 2]),
    ("d_text.json", "家长代表", [5, 11, 28, 33, 40]),
])
def test_the_vectors_live_draws_are_in_this_encoding(vector: str, contributor: str, balls: list[int]) -> None:
    """The encoding is the one vectors a and d already used: no bundle's bytes change."""
    doc = json.loads((VECTORS / vector).read_text(encoding="utf-8"))
    (c,) = [c for c in doc["bundle"]["ceremony"]["contributions"] if c["contributor"] == contributor]
    assert c["value"] == balls_value(balls).hex()
    assert balls_of(bytes.fromhex(c["value"])) == balls


def test_every_draw_of_up_to_three_balls_round_trips_and_no_two_collide() -> None:
    numbers = [0, 1, 9, 10, 42, 99, 100, 101, 999]
    seen: dict[bytes, list[int]] = {}
    for a in numbers:
        for b in numbers:
            for draw in ([a], [a, b], [a, b, a]):
                value = balls_value(draw)
                assert balls_of(value) == draw
                assert seen.setdefault(value, draw) == draw


@pytest.mark.parametrize("value", [
    b"7 21", b"07  21", b" 07", b"07 ", b"07,21", b"007", b"1000", b"-1", b"", b"\x00\x01",
    bytes.fromhex("fb8f7bc29bf24db51871ec8c79f3a1e4bd0557bc0dfcee9ed1d924e69d1c60dc"),
    "07 ２1".encode(),
])
def test_values_not_in_the_encoding_are_not_read_as_balls(value: bytes) -> None:
    assert balls_of(value) is None


@pytest.mark.parametrize("balls", [[], [-1], [1000], [True], [3.0]])
def test_bad_draws_are_refused(balls: list[int]) -> None:
    with pytest.raises(ValueError):
        balls_value(balls)


@pytest.mark.parametrize(("text", "balls"), [
    ("3,17,42", [3, 17, 42]), ("03 17 42", [3, 17, 42]), ("3，17、42", [3, 17, 42]),
    (" 0 ; 9 ", [0, 9]), ("100", [100]),
])
def test_typed_ball_numbers(text: str, balls: list[int]) -> None:
    assert parse_balls(text) == balls


@pytest.mark.parametrize("text", ["", " , ", "3,x", "3,-1", "1000", "３"])
def test_typed_ball_numbers_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_balls(text)
