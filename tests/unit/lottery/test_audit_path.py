"""Merkle audit paths (RFC 6962 PATH, RFC 9162 verification) over the protocol's trees."""

from __future__ import annotations

import hashlib

import pytest

import lottery
from lottery._merkle import merkle_root_recursive


@pytest.mark.parametrize("n", [*range(1, 18), 31, 32, 33, 100])
def test_every_leaf_proves_its_way_to_the_root(n: int) -> None:
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]
    root = lottery.merkle_root(leaves)
    assert root == merkle_root_recursive(leaves)
    for i, leaf in enumerate(leaves):
        path = lottery.audit_path(leaves, i)
        assert len(path) <= max(1, (n - 1).bit_length())
        assert lottery.root_from_path(leaf, i, n, path) == root
        # Another leaf, another index or a path with one hash changed: not this root.
        assert lottery.root_from_path(hashlib.sha256(leaf).digest(), i, n, path) != root
        if n > 1:
            assert lottery.root_from_path(leaf, (i + 1) % n, n, path) != root
            changed = [*path[:-1], bytes(32)]
            assert lottery.root_from_path(leaf, i, n, changed) != root


def test_out_of_range() -> None:
    with pytest.raises(IndexError):
        lottery.audit_path([b"x" * 32], 1)
    assert lottery.root_from_path(b"x" * 32, 2, 2, [b"y" * 32]) is None
    assert lottery.root_from_path(b"x" * 32, 0, 2, []) is None
