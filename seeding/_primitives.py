"""Hash primitives of draw protocol v1: tagged hashes and length-prefixed framing.

TH(tag, m) = SHA256(SHA256(tag) || SHA256(tag) || m). The 64-byte prefix is
exactly one SHA-256 block, so each tag's midstate is computed once and copied.
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hashlib import _Hash

MAX_FRAME = 0xFFFFFFFF


class ProtocolValueError(ValueError):
    """A value cannot be encoded under protocol v1 (too long, not text, not NFC)."""


@lru_cache(maxsize=64)
def tag_state(tag: str) -> _Hash:
    """Return a SHA-256 object that has absorbed SHA256(tag) || SHA256(tag).

    Callers must ``.copy()`` it before updating.
    """
    digest = hashlib.sha256(tag.encode("ascii")).digest()
    return hashlib.sha256(digest + digest)


def tagged_hash(tag: str, message: bytes) -> bytes:
    """TH(tag, message) of protocol v1: 32 bytes."""
    h = tag_state(tag).copy()
    h.update(message)
    return h.digest()


def u32(n: int) -> bytes:
    """Four-byte big-endian unsigned integer. Raises ProtocolValueError when out of range."""
    if not 0 <= n <= MAX_FRAME:
        raise ProtocolValueError(f"{n} does not fit in four bytes")
    return n.to_bytes(4, "big")


def text_bytes(text: str) -> bytes:
    """UTF-8 bytes of protocol text, which must already be NFC.

    Raises ProtocolValueError for text that is not NFC-normalised or holds lone
    surrogates: the protocol never re-encodes silently.
    """
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        raise ProtocolValueError("text is not NFC-normalised")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ProtocolValueError("text is not valid Unicode (lone surrogate)") from exc


def frame(data: bytes | str) -> bytes:
    """F(x) = u32(len(x)) || x; text is NFC UTF-8."""
    raw = text_bytes(data) if isinstance(data, str) else data
    return u32(len(raw)) + raw
