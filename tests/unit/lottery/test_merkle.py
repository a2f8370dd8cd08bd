"""Merkle roots: the bottom-up computation equals RFC 6962's recursive definition."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lottery import merkle_root
from lottery._merkle import merkle_root_recursive
from seeding import tagged_hash


def leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]


@pytest.mark.parametrize("n", range(71))
def test_iterative_root_equals_recursive_definition(n: int) -> None:
    assert merkle_root(leaves(n)) == merkle_root_recursive(leaves(n))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(71, 5000))
def test_iterative_root_equals_recursive_definition_for_larger_trees(n: int) -> None:
    assert merkle_root(leaves(n)) == merkle_root_recursive(leaves(n))


def node(left: bytes, right: bytes) -> bytes:
    return tagged_hash("paiwei/v1/node", left + right)


def test_small_trees_have_the_rfc6962_shape() -> None:
    a, b, c, d, e = leaves(5)
    assert merkle_root([]) == tagged_hash("paiwei/v1/empty", b"")
    assert merkle_root([a]) == a
    assert merkle_root([a, b]) == node(a, b)
    assert merkle_root([a, b, c]) == node(node(a, b), c)
    assert merkle_root([a, b, c, d, e]) == node(node(node(a, b), node(c, d)), e)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 40), data=st.data())
def test_root_changes_when_any_leaf_changes(n: int, data: st.DataObject) -> None:
    items = leaves(n)
    i = data.draw(st.integers(0, n - 1))
    changed = [*items[:i], hashlib.sha256(items[i]).digest(), *items[i + 1 :]]
    assert merkle_root(changed) != merkle_root(items)
