"""Reading a bundle: bytes to a shape-checked JSON value, or InvalidBundle."""

from __future__ import annotations

import gc
import json
import re
from typing import Any

from lottery._canonical import CanonicalError, check_domain
from lottery._errors import InvalidBundle

HEX = re.compile(r"(?:[0-9a-f]{2})*")
TOP_KEYS = ("format", "draw_id", "ceremony", "schools", "applicants", "assignments", "signatures")
BULK_KEYS = frozenset(("schools", "applicants", "assignments"))


def _no_floats(text: str) -> Any:
    raise InvalidBundle(f"floats are not allowed ({text})")


def _no_constants(text: str) -> Any:
    raise InvalidBundle(f"{text} is not JSON")


def load_json(data: bytes) -> Any:
    """Parse JSON bytes with the standard library; floats and NaN are refused as they are read.

    orjson is not used here although it is an accelerator elsewhere: on a 219 MB bundle
    it parses only about 0.15 s faster but peaks about 400 MB higher, which would put
    a notary's 1M-applicant verification over 2 GB (docs/benchmarks.md). The garbage
    collector is paused while the parser builds millions of small objects: none of
    them can be part of a cycle yet.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidBundle(f"not UTF-8 at byte {exc.start}") from None
        try:
            return json.loads(text, parse_float=_no_floats, parse_constant=_no_constants)
        except json.JSONDecodeError as exc:
            raise InvalidBundle(
                f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        except RecursionError:
            raise InvalidBundle("JSON nested too deeply") from None
    finally:
        if enabled:
            gc.enable()


def hex_field(value: Any, where: str, *, size: int | None = None, minimum: int = 0) -> bytes:
    """Lowercase, even-length hex of ``size`` bytes (or at least ``minimum``). Raises InvalidBundle."""
    if type(value) is not str or not HEX.fullmatch(value):
        raise InvalidBundle("must be lowercase hex of whole bytes", where)
    raw = bytes.fromhex(value)
    if size is not None and len(raw) != size:
        raise InvalidBundle(f"must be {size} bytes", where)
    if len(raw) < minimum:
        raise InvalidBundle(f"must be at least {minimum} bytes", where)
    return raw


def text_field(value: Any, where: str) -> str:
    if type(value) is not str or not value:
        raise InvalidBundle("must be non-empty text", where)
    return value


def require_object(value: Any, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
    if type(value) is not dict:
        raise InvalidBundle("must be an object", where)
    for key in keys:
        if key not in value:
            raise InvalidBundle(f"missing key {key!r}", where)
    return value


def require_list(value: Any, where: str) -> list[Any]:
    if type(value) is not list:
        raise InvalidBundle("must be a list", where)
    return value


def check_small_parts(bundle: dict[str, Any]) -> None:
    """Domain check of everything but the bulk record lists, which the table code checks."""
    rest = {k: v for k, v in bundle.items() if k not in BULK_KEYS}
    try:
        check_domain(rest, "")
    except CanonicalError as exc:
        raise InvalidBundle(str(exc)) from exc
