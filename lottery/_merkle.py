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


def _split(n: int) -> int:
    """The largest power of two strictly less than ``n`` (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def audit_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(index, leaves): the sibling hashes from the leaf up to the root.

    With the leaf hash, its index and the number of leaves, they recompute the root
    (:func:`root_from_path`): a proof that one record is in a published root without the
    others. Raises ``IndexError`` when ``index`` is not a leaf's.
    """
    n = len(leaves)
    if not 0 <= index < n:
        raise IndexError(index)
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*audit_path(leaves[:k], index), merkle_root(leaves[k:])]
    return [*audit_path(leaves[k:], index - k), merkle_root(leaves[:k])]


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes | None:
    """The root an audit path leads to (RFC 9162 §2.1.3.2), or None when the path's length
    does not fit ``index`` and ``size``."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    node = tag_state(NODE_TAG).copy
    for p in path:
        if sn == 0:
            return None
        h = node()
        if fn & 1 or fn == sn:
            h.update(p + r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            h.update(r + p)
        r = h.digest()
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None
