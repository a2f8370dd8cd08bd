"""``audit.append_many`` (the bulk use cases' audit events): the same chain, event for
event, as one ``append`` per event; the log verifies, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from paiwei.audit import service as audit
from paiwei.audit.models import AuditEvent

NOW = datetime(2024, 5, 6, 1, 2, 3, 456789, tzinfo=UTC)
ACTOR = audit.Actor(None, "system")
ENTRIES = [audit.Entry("imported_verified", f"A{i:032x}", to_state="verified") for i in range(3)] + [
    audit.Entry("choices_imported", "A" + "0" * 32, from_state=None, to_state="zone@1", reason='["P01"]')]


def _chain(session: Session) -> list[tuple[int, str, str]]:
    return [(e.seq, e.action, e.hash) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


def test_append_many_gives_the_chain_one_append_per_event_gives(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        audit.append(db_session=s, actor=ACTOR, action="window_loaded", subject="w", now=NOW)
        assert audit.append_many(db_session=s, actor=ACTOR, entries=ENTRIES, now=NOW) == len(ENTRIES)
        assert audit.append_many(db_session=s, actor=ACTOR, entries=[], now=NOW) == 0
        s.commit()
        bulk = _chain(s)
        assert audit.verify(db_session=s) == 1 + len(ENTRIES)
        assert audit.head(db_session=s) == {"seq": bulk[-1][0], "hash": bulk[-1][2]}
    # The same events one by one, recomputed: the same hashes.
    prev, expected = bulk[0][2], []
    for seq, e in enumerate(ENTRIES, start=2):
        prev = audit.event_hash(seq=seq, at=NOW, actor_id=None, actor_role="system", action=e.action,
                                subject=e.subject, from_state=e.from_state, to_state=e.to_state,
                                reason=e.reason, prev_hash=prev)
        expected.append((seq, e.action, prev))
    assert bulk[1:] == expected
