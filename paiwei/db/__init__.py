"""Persistence: the one declarative base, engine and session factories, migrations."""

from paiwei.db.base import Base, UTCDateTime
from paiwei.db.engine import make_engine, make_session_factory
from paiwei.db.migrate import alembic_config, upgrade_to_head

__all__ = [
    "Base",
    "UTCDateTime",
    "alembic_config",
    "make_engine",
    "make_session_factory",
    "upgrade_to_head",
]
