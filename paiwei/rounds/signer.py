"""What runs on a signer's own machine: the private key is used here and never leaves it.

The API and the lifecycle (``service``) take public keys and signatures only; these
helpers make those signatures for the CLI (``paiwei round freeze``/``publish``,
``paiwei sign``, ``paiwei notary countersign``), the demo and the tests, and hand only
the signature to the service. ``api/`` never imports this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from lottery import sign_bundle
from paiwei.audit.service import Actor
from paiwei.rounds import service
from paiwei.rounds.models import Round


def bundle_signature(bundle: Mapping[str, Any], signer: str, key: Ed25519PrivateKey) -> dict[str, str]:
    """The signature entry ``{"signer", "public_key", "signature"}`` of ``signer`` over the
    bundle's digest (docs/draw-spec.md §14), ready to hand to the service."""
    signed = sign_bundle({**bundle, "signatures": []}, signer, key)
    entry: dict[str, str] = signed["signatures"][0]
    return entry


def freeze(*, db_session: Session, actor: Actor, round_pk: int, district_key: Ed25519PrivateKey,
           now: datetime, beacon: Mapping[str, Any] | None = None) -> Round:
    """Prepare the freeze statement, sign it with the district key here, hand in the signed statement."""
    statement = service.prepare_freeze(db_session=db_session, round_pk=round_pk, now=now, beacon=beacon)
    signed = None if statement is None else service.sign_statement(
        statement, service.FREEZE_TAG, service.DISTRICT, district_key)
    return service.freeze(db_session=db_session, actor=actor, round_pk=round_pk, statement=signed, now=now)


def sign(*, db_session: Session, actor: Actor, round_pk: int, district_key: Ed25519PrivateKey,
         now: datetime) -> Round:
    """Sign the stored drawn bundle with the district key here; hand in the signature only."""
    row = service.get_or_raise(db_session=db_session, round_pk=round_pk)
    bundle = json.loads(row.bundle or "{}")
    entry = bundle_signature(bundle, service.DISTRICT, district_key)
    return service.sign(db_session=db_session, actor=actor, round_pk=round_pk, signature=entry, now=now)


def countersign(*, db_session: Session, actor: Actor, round_pk: int, notary_key: Ed25519PrivateKey,
                now: datetime, **kw: Any) -> Round:
    """Countersign the stored signed bundle with the notary key here; hand in the signature only."""
    row = service.get_or_raise(db_session=db_session, round_pk=round_pk)
    bundle = json.loads(row.bundle or "{}")
    entry = bundle_signature(bundle, service.NOTARY, notary_key)
    return service.countersign(db_session=db_session, actor=actor, round_pk=round_pk, signature=entry,
                               now=now, **kw)
