"""Append to and verify the hash-chained audit log.

Each event's hash is SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of
its fields and the previous event's hash. ``audit_head`` holds the tip; appending locks
that row (``SELECT ... FOR UPDATE``) so concurrent appends form one chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from paiwei.audit.models import GENESIS, AuditEvent, AuditHead


class AuditChainError(Exception):
    """The stored log does not verify; the message names the first bad event."""


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int | None
    role: str


def event_hash(*, seq: int, at: datetime, actor_id: int | None, actor_role: str, action: str,
               subject: str | None, from_state: str | None, to_state: str | None,
               reason: str | None, prev_hash: str) -> str:
    body = {
        "seq": seq, "at": at.isoformat(timespec="microseconds"), "actor_id": actor_id,
        "actor_role": actor_role, "action": action, "subject": subject,
        "from_state": from_state, "to_state": to_state, "reason": reason, "prev": prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(*, db_session: Session, actor: Actor, action: str, subject: str | None, now: datetime,
           from_state: str | None = None, to_state: str | None = None,
           reason: str | None = None) -> AuditEvent:
    """Add one event to the chain. Does not commit: it belongs to the caller's use case."""
    head = db_session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one_or_none()
    if head is None:
        head = AuditHead(id=1, last_seq=0, last_hash=GENESIS)
        db_session.add(head)
    seq = head.last_seq + 1
    at = now.replace(microsecond=now.microsecond)
    digest = event_hash(seq=seq, at=at, actor_id=actor.user_id, actor_role=actor.role,
                        action=action, subject=subject, from_state=from_state,
                        to_state=to_state, reason=reason, prev_hash=head.last_hash)
    event = AuditEvent(seq=seq, at=at, actor_id=actor.user_id, actor_role=actor.role,
                       action=action, subject=subject, from_state=from_state,
                       to_state=to_state, reason=reason, prev_hash=head.last_hash, hash=digest)
    db_session.add(event)
    head.last_seq = seq
    head.last_hash = digest
    db_session.flush()
    return event


@dataclass(frozen=True, slots=True)
class Entry:
    """One event of :func:`append_many`: the fields :func:`append` takes besides the actor and time."""

    action: str
    subject: str | None
    from_state: str | None = None
    to_state: str | None = None
    reason: str | None = None


def append_many(*, db_session: Session, actor: Actor, entries: Sequence[Entry], now: datetime) -> int:
    """Add ``entries`` to the chain in order, as many :func:`append` calls would (the same
    sequence numbers and hashes), with the head locked once and one batched insert: for a
    bulk use case. Does not commit. Returns how many were added."""
    if not entries:
        return 0
    head = db_session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one_or_none()
    if head is None:
        head = AuditHead(id=1, last_seq=0, last_hash=GENESIS)
        db_session.add(head)
    seq, prev = head.last_seq, head.last_hash
    at = now.replace(microsecond=now.microsecond)
    rows = []
    for e in entries:
        seq += 1
        digest = event_hash(seq=seq, at=at, actor_id=actor.user_id, actor_role=actor.role, action=e.action,
                            subject=e.subject, from_state=e.from_state, to_state=e.to_state, reason=e.reason,
                            prev_hash=prev)
        rows.append({"seq": seq, "at": at, "actor_id": actor.user_id, "actor_role": actor.role,
                     "action": e.action, "subject": e.subject, "from_state": e.from_state,
                     "to_state": e.to_state, "reason": e.reason, "prev_hash": prev, "hash": digest})
        prev = digest
    db_session.flush()
    db_session.execute(insert(AuditEvent), rows)
    head.last_seq, head.last_hash = seq, prev
    db_session.flush()
    return len(rows)


def events(*, db_session: Session, subject: str | None, after: int, limit: int) -> list[AuditEvent]:
    """Events after sequence number ``after``, optionally for one subject, oldest first."""
    query = select(AuditEvent).where(AuditEvent.seq > after)
    if subject:
        query = query.where(AuditEvent.subject == subject)
    return list(db_session.scalars(query.order_by(AuditEvent.seq).limit(limit)))


def verify(*, db_session: Session) -> int:
    """Recompute the chain; return the number of events. Raises ``AuditChainError``.

    Checks, in order: (1) sequence numbers run 1, 2, 3, … without gaps; (2) each event's
    ``prev_hash`` is the previous event's hash (genesis: 64 zeros); (3) each stored hash
    equals the recomputed one; (4) the head records the last event (so an emptied or
    shortened log fails: the head refuses to move backwards).
    """
    prev = GENESIS
    count = 0
    for event in db_session.scalars(select(AuditEvent).order_by(AuditEvent.seq)):
        count += 1
        if event.seq != count:  # step 1
            raise AuditChainError(f"event {count} is missing (found seq {event.seq})")
        if event.prev_hash != prev:  # step 2
            raise AuditChainError(f"event {event.seq}: prev_hash does not match event {event.seq - 1}")
        recomputed = event_hash(seq=event.seq, at=event.at, actor_id=event.actor_id,
                                actor_role=event.actor_role, action=event.action,
                                subject=event.subject, from_state=event.from_state,
                                to_state=event.to_state, reason=event.reason,
                                prev_hash=event.prev_hash)
        if recomputed != event.hash:  # step 3
            raise AuditChainError(f"event {event.seq}: content does not match its hash")
        prev = event.hash
    head = db_session.get(AuditHead, 1)  # step 4
    if head is None:
        raise AuditChainError("the audit head is missing")
    if head.last_seq != count or head.last_hash != prev:
        # Also an emptied log: the head (which refuses to move backwards) still names the
        # last event ever recorded.
        raise AuditChainError(f"the audit head records event {head.last_seq}, the log ends at {count}")
    return count


def head(*, db_session: Session) -> dict[str, int | str]:
    """The chain's tip as published in freeze statements: ``{"seq": n, "hash": hex}``."""
    row = db_session.get(AuditHead, 1)
    if row is None:
        return {"seq": 0, "hash": GENESIS}
    return {"seq": row.last_seq, "hash": row.last_hash}


def check_published_head(*, db_session: Session, seq: int, digest: str) -> None:
    """The log must still hold event ``seq`` with hash ``digest`` (a head published in a
    signed freeze statement): history before a published head cannot be rewritten
    unseen. Raises ``AuditChainError``."""
    if seq == 0:
        if digest != GENESIS:
            raise AuditChainError("a published head of event 0 must be the genesis hash")
        return
    event = db_session.get(AuditEvent, seq)
    if event is None:
        raise AuditChainError(f"published head {seq}: the event is missing from the log")
    if event.hash != digest:
        raise AuditChainError(f"published head {seq}: the log's event has another hash")
