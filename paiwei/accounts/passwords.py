"""Password policy and hashing.

Hashing uses ``hashlib.scrypt`` (RFC 7914): memory-hard, in the standard library (no new
native dependency to audit or build), with a random 16-byte salt per password and a
constant-time comparison. The encoded form carries its parameters
(``scrypt$ln$r$p$salt$hash``) so they can be raised later without breaking old hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from paiwei.intake.errors import IntakeError

# \Z, not $: "$" also matches before a final newline, so "Abcdef12\n" passed the CLI
# and could then never log in.
_POLICY = re.compile(r"(?=.*\d)(?=.*[a-z])(?=.*[A-Z])[\x21-\x7e]{8,20}\Z")


def check_policy(password: str) -> None:
    """8–20 characters with a digit, a lower-case and an upper-case letter (manual §一 6).

    Raises ``IntakeError('password_policy')``.
    """
    if not _POLICY.match(password):  # anchored at the start by match(), at the end by \Z
        raise IntakeError("password_policy", field="password")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, ln: int, r: int, p: int) -> bytes:
    n = 1 << ln
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * n * r * p + 1024 * 1024, dklen=32)


def hash_password(password: str, *, log2_n: int, r: int, p: int) -> str:
    salt = os.urandom(16)
    return f"scrypt${log2_n}${r}${p}${_b64(salt)}${_b64(_derive(password, salt, log2_n, r, p))}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, ln, r, p, salt, digest = encoded.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = _derive(password, _unb64(salt), int(ln), int(r), int(p))
    return hmac.compare_digest(candidate, _unb64(digest))


DUMMY_HASH_PASSWORD = "Timing-Equaliser-1"  # noqa: S105 - hashed for unknown logins only
