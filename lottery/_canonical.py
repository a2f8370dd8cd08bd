"""Canonical JSON (RFC 8785, JCS) for the value domain of protocol v1.

Within the domain (ASCII object keys, integers within +-(2**53 - 1), valid Unicode
strings, no floats) JCS output equals ``json.dumps(sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`` and orjson's sorted-keys output, byte
for byte. Values outside it raise :class:`CanonicalError`: never re-encoded silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1

_stdlib_encode = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


class CanonicalError(ValueError):
    """A value lies outside the canonical JSON domain of protocol v1."""


def check_domain(value: Any, where: str = "$") -> None:
    """Raise CanonicalError naming the JSON path of the first value outside the domain."""
    if not _in_domain(value):
        _check_domain_paths(value, where)


def _in_domain(value: Any) -> bool:
    """Whether ``value`` lies in the domain: the walk of :func:`_check_domain_paths` without
    building a path for every value (those are only needed for the error message)."""
    stack: list[Any] = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str:
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return False
        elif kind is dict:
            for key in item:
                if type(key) is not str or not key.isascii():
                    return False
            extend(item.values())
        elif kind is list:
            extend(item)
        elif kind is int:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return False
        elif item is None or kind is bool:
            continue
        else:
            return False
    return True


def _check_domain_paths(value: Any, where: str) -> None:
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, path = stack.pop()
        kind = type(item)
        if kind is str:
            _check_text(item, path)
        elif kind is int:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                raise CanonicalError(f"{path}: integer outside +-(2^53 - 1)")
        elif kind is dict:
            for key, sub in item.items():
                if type(key) is not str or not key.isascii():
                    raise CanonicalError(f"{path}: object key {key!r} is not ASCII text")
                stack.append((sub, f"{path}.{key}"))
        elif kind is list:
            stack.extend((sub, f"{path}[{i}]") for i, sub in enumerate(item))
        elif item is None or kind is bool:
            continue
        elif kind is float:
            raise CanonicalError(f"{path}: floats are not allowed")
        else:
            raise CanonicalError(f"{path}: {kind.__name__} is not a JSON value")


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalError(f"{path}: string holds a lone surrogate") from exc


def canonical_json(value: Any) -> bytes:
    """JCS bytes of ``value``, checked against the domain first. Raises CanonicalError."""
    check_domain(value)
    return _stdlib_encode(value).encode("utf-8")


def encoder(*, accelerate: bool) -> Callable[[Any], bytes]:
    """A fast encoder for values already checked to lie in the domain.

    With ``accelerate`` and orjson importable it is orjson's sorted-keys output;
    otherwise the standard library's. Both give the same bytes within the domain.
    """
    if accelerate:
        try:
            # Optional accelerator: without orjson the standard library gives the same bytes.
            import orjson  # noqa: PLC0415

            option = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER

            def fast(value: Any) -> bytes:
                return orjson.dumps(value, option=option)

            return fast
        except ImportError:
            pass

    def plain(value: Any) -> bytes:
        return _stdlib_encode(value).encode("utf-8")

    return plain
