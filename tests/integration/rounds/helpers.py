"""Drivers for the round lifecycle tests: a small synthetic district, keys, a ceremony."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from allocation import generate_district, shipped_policy_text
from lottery import generate_key
from paiwei.audit.service import Actor
from paiwei.rounds import service, signer
from paiwei.rounds.models import Round, State
from seeding import Contribution, commit

NOW = datetime(2024, 6, 1, 2, 0, tzinfo=UTC)
STAFF = Actor(1, "district_staff")
NOTARY = Actor(2, "notary")


@cache
def _district(applicants: int, schools: int) -> dict[str, Any]:
    return generate_district(applicants, schools, seed=11)


def scenario(applicants: int = 240, schools: int = 10) -> dict[str, Any]:
    """A fresh copy of a small synthetic Chaoyang-shaped district (every round draws)."""
    return copy.deepcopy(_district(applicants, schools))


def policy_text() -> str:
    return shipped_policy_text("chaoyang-2024")


def key(n: int) -> Ed25519PrivateKey:
    """Deterministic test keys, so two runs sign identically."""
    return Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32)


@dataclass
class Season:
    """Drives rounds through the service layer, recording the openings it made."""

    db: Session
    district_key: Ed25519PrivateKey = field(default_factory=lambda: key(1))
    notary_key: Ed25519PrivateKey = field(default_factory=lambda: key(2))
    openings: dict[int, Contribution] = field(default_factory=dict)
    deterministic: bool = True

    def create(self, sc: dict[str, Any] | None = None, **kw: Any) -> Round:
        return service.create(db_session=self.db, actor=STAFF, policy_text=policy_text(), stage="primary",
                              scenario=sc, now=NOW, **kw)

    def commit(self, row: Round, contributor: str = "district") -> Contribution:
        value = bytes([7]) * 32 if self.deterministic else None
        c = commit(row.draw_id, contributor, value)
        if self.deterministic:  # a fixed nonce too, so reruns give identical bundles
            from seeding import commitment_of  # noqa: PLC0415

            nonce = bytes([9]) * 16
            c = Contribution(contributor, c.value, nonce, commitment_of(row.draw_id, contributor, nonce, c.value))
        assert c.commitment is not None
        service.record_commitment(db_session=self.db, actor=STAFF, round_pk=row.id, contributor=contributor,
                                  commitment=c.commitment.hex(), now=NOW)
        self.openings[row.id] = c
        return c

    def pin(self, row: Round) -> None:
        """Pin the season's public keys (a no-op once pinned with the same keys)."""
        from lottery import public_key_hex  # noqa: PLC0415

        service.pin_keys(db_session=self.db, actor=STAFF, round_pk=row.id,
                         keys={"district": public_key_hex(self.district_key),
                               "notary": public_key_hex(self.notary_key)}, now=NOW)

    def freeze(self, row: Round) -> Round:
        self.pin(row)
        return signer.freeze(db_session=self.db, actor=STAFF, round_pk=row.id,
                             district_key=self.district_key, now=NOW)

    def reveal(self, row: Round) -> None:
        c = self.openings[row.id]
        assert c.nonce is not None
        service.reveal(db_session=self.db, actor=STAFF, round_pk=row.id, contributor=c.contributor,
                       nonce=c.nonce.hex(), value=c.value.hex(), now=NOW)

    def contribute(self, row: Round, value: str = "0305") -> None:
        service.contribute(db_session=self.db, actor=NOTARY, round_pk=row.id, contributor="notary-draw",
                           value=value, now=NOW)

    def close(self, row: Round) -> Round:
        return service.close_ceremony(db_session=self.db, actor=STAFF, round_pk=row.id, now=NOW)

    def run(self, row: Round) -> Round:
        return service.run(db_session=self.db, actor=STAFF, round_pk=row.id, now=NOW)

    def sign(self, row: Round) -> Round:
        return signer.sign(db_session=self.db, actor=STAFF, round_pk=row.id, district_key=self.district_key,
                           now=NOW)

    def countersign(self, row: Round, **kw: Any) -> Round:
        return signer.countersign(db_session=self.db, actor=NOTARY, round_pk=row.id,
                                  notary_key=self.notary_key, now=NOW, **kw)

    def ready(self, sc: dict[str, Any] | None = None) -> Round:
        """create → commit → freeze → reveal → contribute → close."""
        row = self.create(sc)
        self.commit(row)
        row = self.freeze(row)
        assert row.state == State.FROZEN
        self.reveal(row)
        self.contribute(row)
        return self.close(row)

    def publish(self, row: Round, **kw: Any) -> Round:
        row = self.run(row)
        row = self.sign(row)
        return self.countersign(row, **kw)

    def whole(self, sc: dict[str, Any] | None = None, **kw: Any) -> list[Round]:
        """Every round of the primary plan, published in order."""
        rounds = []
        first = True
        while True:
            row = self.ready(sc if first else None)
            first = False
            rounds.append(self.publish(row, **kw))
            if len(rounds) == 4:
                return rounds


def keys_of(season: Season) -> dict[str, bytes]:
    from lottery import public_key_hex  # noqa: PLC0415

    return {"district": bytes.fromhex(public_key_hex(season.district_key)),
            "notary": bytes.fromhex(public_key_hex(season.notary_key))}


def new_key() -> Ed25519PrivateKey:
    return generate_key()
