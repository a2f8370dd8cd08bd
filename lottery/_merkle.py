"""Merkle tree head over leaf hashes, in the shape of RFC 6962 with protocol v1 tags."""

from __future__ import annotations

from collections.abc import Sequence

from seeding import tag_state, tagged_hash

LEAF_TAG = "paiwei/v1/leaf"
NODE_TAG = "paiwei/v1/node"
EMPTY_TAG = "paiwei/v1/empty"


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes already in record order.

    Computed bottom-up, carrying an unpaired last node up a level unchanged: this
    equals RFC 6962's recursive split at the largest power of two below n.
    """
    if not leaves:
        return tagged_hash(EMPTY_TAG, b"")
    copy = tag_state(NODE_TAG).copy
    level = list(leaves)
    while len(level) > 1:
        # A plain loop with the bound methods held locally: no Python call per node.
        paired: list[bytes] = []
        append = paired.append
        for left, right in zip(level[0::2], level[1::2], strict=False):
            h = copy()
            h.update(left + right)
            append(h.digest())
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def merkle_root_recursive(leaves: Sequence[bytes]) -> bytes:
    """The RFC 6962 recursive definition, kept as the readable reference (tests compare both)."""
    n = len(leaves)
    if n == 0:
        return tagged_hash(EMPTY_TAG, b"")
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return tagged_hash(
        NODE_TAG, merkle_root_recursive(leaves[:k]) + merkle_root_recursive(leaves[k:])
    )
