"""The Alembic migrations build exactly the schema the models describe (``alembic check``)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from paiwei.db.base import Base, import_all_models


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    import_all_models()
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []
    assert "alembic_version" in inspect(engine).get_table_names()
