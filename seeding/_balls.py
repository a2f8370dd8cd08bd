"""A notary's live draw of numbered balls as one contribution value (docs/draw-spec.md §8.1).

The balls, in the order drawn, as the UTF-8 text of their numbers in decimal, each written
with at least two digits (a leading zero below 10), separated by one space: balls 7, 21, 13
give ``"07 21 13"``, the bytes ``30 37 20 32 31 20 31 33``. Each number is the one printed
on the ball (0-999); a ball put back may be drawn again. Nothing else is in the value: no
other separator, no leading or trailing space, no sign. The encoding is one-to-one, so the
balls can be read back from a published bundle (:func:`balls_of`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_BALL = 999
_CANONICAL = re.compile(r"(?:0[0-9]|[1-9][0-9]{1,2})(?: (?:0[0-9]|[1-9][0-9]{1,2}))*")
_SPLIT = re.compile(r"[\s,;，、]+")


def balls_value(balls: Sequence[int]) -> bytes:
    """The contribution value of ``balls`` (in the order drawn). Raises ValueError when
    there is no ball or a number is not an integer from 0 to 999."""
    if not balls:
        raise ValueError("a live draw has at least one ball")
    for n in balls:
        if type(n) is not int or not 0 <= n <= MAX_BALL:
            raise ValueError(f"a ball's number is an integer from 0 to {MAX_BALL}, not {n!r}")
    return " ".join(f"{n:02d}" for n in balls).encode("ascii")


def parse_balls(text: str) -> list[int]:
    """Ball numbers as a person types them (``"3,17,42"``, ``"03 17 42"``, ``"3，17，42"``).
    Raises ValueError naming what is not a ball number."""
    parts = [p for p in _SPLIT.split(text.strip()) if p]
    if not parts:
        raise ValueError("no ball numbers")
    balls = []
    for p in parts:
        if not p.isascii() or not p.isdigit():
            raise ValueError(f"{p!r} is not a ball number")
        n = int(p)
        if n > MAX_BALL:
            raise ValueError(f"ball {n} is above {MAX_BALL}")
        balls.append(n)
    return balls


def balls_of(value: bytes) -> list[int] | None:
    """The balls a contribution value encodes, or None when it is not in this encoding
    (for example a beacon's randomness)."""
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        return None
    if not _CANONICAL.fullmatch(text):
        return None
    return [int(p) for p in text.split(" ")]
