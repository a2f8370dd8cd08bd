"""Migration 0008: rounds, plans and season keys stored the policy's slug (``chaoyang``);
upgraded, they hold the district code (``110105``), on SQLite and PostgreSQL alike, and a
downgrade gives the slugs back."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from alembic import command
from paiwei.db import make_engine
from paiwei.db.migrate import alembic_config

AT = datetime(2024, 6, 1, tzinfo=UTC)


def _districts(url: str) -> dict[str, list[str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {t: sorted(conn.execute(text(f"SELECT district FROM {t}")).scalars())  # noqa: S608
                    for t in ("rounds", "plans", "season_keys")}
    finally:
        engine.dispose()


def test_stored_slugs_become_district_codes_and_back(empty_db: str) -> None:
    config = alembic_config(empty_db)
    command.upgrade(config, "0007_19_season_keys")
    engine = make_engine(empty_db)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO rounds (district, year, stage, round, position, draw_id, state, created_at) "
                "VALUES ('chaoyang', 2024, 'primary', 'private-boarding', 0, "
                "'chaoyang/2024/primary/private-boarding', 'published', :at), "
                "('haidian', 2024, 'primary', 'private-boarding', 0, "
                "'haidian/2024/primary/private-boarding', 'created', :at)"), {"at": AT})
            conn.execute(text(
                "INSERT INTO plans (district, year, schools, zones, source, source_sha256, imported_at) "
                "VALUES ('chaoyang', 2024, '[]', '[]', 'plan.csv', :sha, :at)"), {"sha": "0" * 64, "at": AT})
            conn.execute(text(
                "INSERT INTO season_keys (district, year, stage, signer, public_key, pinned_at) "
                "VALUES ('chaoyang', 2024, 'primary', 'district', :k, :at), "
                "('chaoyang', 2024, 'primary', 'notary', :k2, :at)"), {"k": "1" * 64, "k2": "2" * 64, "at": AT})
    finally:
        engine.dispose()

    command.upgrade(config, "head")
    assert _districts(empty_db) == {"rounds": ["110105", "110108"], "plans": ["110105"],
                                    "season_keys": ["110105", "110105"]}
    engine = make_engine(empty_db)
    try:
        with engine.connect() as conn:  # draw ids keep the slug: the draw protocol is unchanged
            assert sorted(conn.execute(text("SELECT draw_id FROM rounds")).scalars()) == [
                "chaoyang/2024/primary/private-boarding", "haidian/2024/primary/private-boarding"]
    finally:
        engine.dispose()

    command.downgrade(config, "0007_19_season_keys")
    assert _districts(empty_db) == {"rounds": ["chaoyang", "haidian"], "plans": ["chaoyang"],
                                    "season_keys": ["chaoyang", "chaoyang"]}
