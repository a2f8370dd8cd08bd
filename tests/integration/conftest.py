"""Database fixtures shared by the integration tests: SQLite always, PostgreSQL when reachable.

The schema is built through the Alembic migrations once per backend per run: a template
SQLite file copied for each test, and a uniquely named PostgreSQL database (dropped at
the end) whose tables are all truncated after each test. Use cases commit, so tests
cannot run inside a rolled-back outer transaction; copying/truncating keeps them
independent. Moved here from ``tests/integration/intake/conftest.py`` so that every
domain (intake, choices, ...) reuses them; the tables truncated are those in the database.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from paiwei.cli import app as cli_app
from paiwei.db import make_engine, make_session_factory, upgrade_to_head
from paiwei.settings import Settings
from paiwei.sms.sender import OutboxSender
from tests.integration.intake.helpers import FakeClock, Intake

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def _pg_admin_url() -> str | None:
    url = os.environ.get("PAIWEI_TEST_PG_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return DEFAULT_PG
    except OSError:
        return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("schema") / "template.sqlite3"
    upgrade_to_head(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    admin = _pg_admin_url()
    if admin is None:
        pytest.skip("PostgreSQL unavailable: set PAIWEI_TEST_PG_URL or run it on 127.0.0.1:5432")
    name = f"paiwei_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
            # This throwaway database only: a commit does not wait for its WAL to reach the
            # disk (visibility and locking are unchanged; only a server crash could lose it).
            conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL at {admin} refused to create a test database: {exc}")
    base, _, _ = admin.rpartition("/")
    url = f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    upgrade_to_head(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet (the migrations are run by the test): the migration tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    admin = _pg_admin_url()
    if admin is None:
        pytest.skip("PostgreSQL unavailable")
    name = f"paiwei_mig_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin.rpartition("/")
    try:
        yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def all_tables(engine: Engine) -> tuple[str, ...]:
    """Every table the migrations made (so a new domain's rows are truncated too)."""
    return tuple(sorted(set(inspect(engine).get_table_names()) - {"alembic_version"}))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "paiwei.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("pg_url")
    yield url
    engine = make_engine(url)
    with engine.begin() as conn:
        # The audit tables refuse DELETE and TRUNCATE; the test database's owner resets them
        # between tests with triggers (and so foreign-key checks) off for this transaction
        # only. DELETE, not TRUNCATE: the tables hold a few rows, and TRUNCATE of every table
        # (new files for each table and index) cost 0.6-0.9 s a test against 0.05 s.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in all_tables(engine):
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - names from the schema
        # What RESTART IDENTITY did: every sequence starts again at its start value.
        conn.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
                          "FROM pg_sequences WHERE schemaname = current_schema()"))
        conn.execute(text("INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, :h)"),
                     {"h": "0" * 64})
    engine.dispose()


@pytest.fixture
def pg_serial(db_url: str) -> Iterator[None]:
    """One many-connection test at a time across xdist workers: the concurrency tests open
    20-55 connections each and PostgreSQL allows 100. An advisory lock in the admin
    database (shared by every worker; each worker's test database is its own)."""
    admin = _pg_admin_url()
    if not db_url.startswith("postgresql") or admin is None:
        yield
        return
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(716016)")
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(716016)")


@pytest.fixture
def settings(db_url: str) -> Settings:
    # scrypt N=2**10 (1 MiB): still memory-hard, cheap enough for the suite.
    return Settings(database_url=db_url, scrypt_log2_n=10, cookie_secure=False, environment="test",
                    intake_year=2024)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def db_session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock, sms_sender=OutboxSender())
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


@pytest.fixture
def intake(client: TestClient, clock: FakeClock, sessions: sessionmaker[Session]) -> Intake:
    return Intake(client=client, clock=clock, sessions=sessions)


# --- one whole demo for test_demo.py and test_reports_demo.py ------------------------------------

DEMO_API_APPLICANTS = 5
DEMO_SIZE = ("--applicants", "300", "--api-applicants", str(DEMO_API_APPLICANTS), "--schools", "12",
             "--seed", "11")


@dataclass(frozen=True)
class DemoRun:
    root: Path
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """``paiwei demo`` run once per worker; its output folder is only read by the tests.

    ``tests/scheduling.py`` sends both modules that use it to one xdist worker, so that the
    demo (the suite's costliest fixture) runs once. Each module checks what the run printed
    in its own fixture.
    """
    root = tmp_path_factory.mktemp("season") / "demo"
    result = CliRunner().invoke(cli_app, ["demo", "--out", str(root), *DEMO_SIZE], catch_exceptions=False)
    return DemoRun(root=root, exit_code=result.exit_code, stdout=result.stdout, stderr=result.stderr)
