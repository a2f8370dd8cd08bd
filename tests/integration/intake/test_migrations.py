"""The Alembic migrations build exactly the schema the models describe (``alembic check``),
and migration 0011 goes up and down on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from alembic import command
from paiwei.db import make_engine
from paiwei.db.base import Base, import_all_models
from paiwei.db.migrate import alembic_config


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    import_all_models()
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []
    assert "alembic_version" in inspect(engine).get_table_names()


AT = datetime(2024, 6, 1, tzinfo=UTC)


def _columns(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("applicants")}
    finally:
        engine.dispose()


def test_0011_adds_family_property_and_placement_as_not_stated_and_drops_them_back(empty_db: str) -> None:
    """Migration 0011: rows entered before it keep NULL (not stated: the routing record's
    value stands); a downgrade to 0010 drops both columns and keeps the row."""
    config = alembic_config(empty_db)
    command.upgrade(config, "0010_draw_trust")
    assert not {"family_property", "disability_placement"} & _columns(empty_db)
    engine = make_engine(empty_db)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, login, role, password_hash, status, failed_logins, created_at) "
                "VALUES (1, '12345678', 'parent', 'x', 'active', 0, :at)"), {"at": AT})
            conn.execute(text(
                "INSERT INTO applicants (id, pseudonym, user_id, district, status, created_at, notice_shown_at, "
                "agreed_at, child_nationality, hukou_province, residence_district, child_name, child_sex, "
                "child_birth_date, child_id_type, child_id_number, guardian_name, guardian_mobile, categories, "
                "review_findings) VALUES (1, 'A0', 1, '110105', 'verified', :at, :at, :at, 'CHN', '13', '110105', "
                "'x', 'M', '2018-03-01', 'resident_id', '1', 'y', '13900000001', '[]', '[]')"), {"at": AT})
    finally:
        engine.dispose()

    command.upgrade(config, "0011_intake_property_disability")
    engine = make_engine(empty_db)
    try:
        with engine.begin() as conn:
            assert conn.execute(text("SELECT family_property, disability_placement FROM applicants")).one() == (
                None, None)
            conn.execute(text("UPDATE applicants SET family_property = 'beijing', "
                              "disability_placement = 'special_school'"))
    finally:
        engine.dispose()

    command.downgrade(config, "0010_draw_trust")
    assert not {"family_property", "disability_placement"} & _columns(empty_db)
    engine = make_engine(empty_db)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pseudonym FROM applicants")).scalars().all() == ["A0"]
    finally:
        engine.dispose()
