"""Seed derivation: the input root and every contribution, in contributor byte order."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from seeding._contributions import CeremonyError, Contribution
from seeding._primitives import frame, tagged_hash, text_bytes

SEED_TAG = "paiwei/v1/seed"


def ordered(contributions: Iterable[Contribution]) -> list[Contribution]:
    """Contributions in ascending UTF-8 byte order of contributor; raises CeremonyError on duplicates."""
    items = sorted(contributions, key=lambda c: text_bytes(c.contributor))
    for earlier, later in itertools.pairwise(items):
        if earlier.contributor == later.contributor:
            raise CeremonyError(f"contributor {later.contributor} appears twice")
    return items


def derive_seed(draw_id: str, input_root: bytes, contributions: Iterable[Contribution]) -> bytes:
    """seed = TH("paiwei/v1/seed", F(draw_id) || input_root || F(contributor) || F(value) ...).

    Raises CeremonyError on duplicate contributors or when there is no contribution.
    """
    if len(input_root) != 32:
        raise CeremonyError("input root must be 32 bytes")
    items = ordered(contributions)
    if not items:
        raise CeremonyError("a seed needs at least one contribution")
    body = bytearray(frame(draw_id))
    body += input_root
    for c in items:
        body += frame(c.contributor) + frame(c.value)
    return tagged_hash(SEED_TAG, bytes(body))
