"""Seed contributions: committed in advance (with nonce and commitment) or made after the freeze."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from seeding._primitives import frame, tagged_hash

NONCE_BYTES = 32
MIN_NONCE_BYTES = 16
COMMIT_TAG = "paiwei/v1/commit"


class CeremonyError(ValueError):
    """A ceremony rule is broken: bad opening, duplicate contributor, short nonce."""


@dataclass(frozen=True, slots=True)
class Contribution:
    """One contributor's value; ``nonce`` and ``commitment`` are set when it was committed in advance."""

    contributor: str
    value: bytes
    nonce: bytes | None = None
    commitment: bytes | None = None

    @property
    def committed(self) -> bool:
        return self.commitment is not None

    def to_json(self) -> dict[str, str]:
        out = {"contributor": self.contributor, "value": self.value.hex()}
        if self.nonce is not None and self.commitment is not None:
            out["nonce"] = self.nonce.hex()
            out["commitment"] = self.commitment.hex()
        return out


def commitment_of(draw_id: str, contributor: str, nonce: bytes, value: bytes) -> bytes:
    """TH("paiwei/v1/commit", F(draw_id) || F(contributor) || F(nonce) || F(value))."""
    return tagged_hash(
        COMMIT_TAG, frame(draw_id) + frame(contributor) + frame(nonce) + frame(value)
    )


def commit(draw_id: str, contributor: str, value: bytes | None = None) -> Contribution:
    """Make a committed contribution with a fresh random nonce (and a random value if none is given).

    The caller publishes ``commitment`` before the inputs are frozen and keeps the
    rest (the opening) secret until the reveal.
    """
    if value is None:
        value = secrets.token_bytes(32)
    nonce = secrets.token_bytes(NONCE_BYTES)
    return Contribution(
        contributor, value, nonce, commitment_of(draw_id, contributor, nonce, value)
    )


def check_opening(draw_id: str, contribution: Contribution, published: bytes | None = None) -> None:
    """Check that a revealed contribution opens its commitment.

    ``published`` is the commitment recorded before the freeze, when the caller has it;
    otherwise the contribution's own ``commitment`` is checked. Raises CeremonyError.
    """
    if contribution.nonce is None or contribution.commitment is None:
        raise CeremonyError(f"contribution of {contribution.contributor} carries no commitment")
    if len(contribution.nonce) < MIN_NONCE_BYTES:
        raise CeremonyError(f"nonce of {contribution.contributor} is shorter than 16 bytes")
    expected = commitment_of(
        draw_id, contribution.contributor, contribution.nonce, contribution.value
    )
    if not hmac.compare_digest(expected, contribution.commitment):
        raise CeremonyError(f"commitment of {contribution.contributor} does not match its opening")
    if published is not None and not hmac.compare_digest(published, contribution.commitment):
        raise CeremonyError(
            f"commitment of {contribution.contributor} differs from the one published"
        )
