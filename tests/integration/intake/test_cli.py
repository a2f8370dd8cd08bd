"""``paiwei users create`` and ``paiwei audit verify`` against a migrated database."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from paiwei.accounts.models import User
from paiwei.cli import app
from paiwei.settings import Settings
from tests.integration.intake.helpers import STAFF_PASSWORD, STREET, Intake


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("PAIWEI_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PAIWEI_SCRYPT_LOG2_N", "10")
    monkeypatch.setenv("STAFF_PW", STAFF_PASSWORD)
    return {}


def test_users_create_then_staff_can_log_in(env: dict[str, str], intake: Intake, db_session: Session) -> None:
    result = CliRunner().invoke(app, ["users", "create", "--username", "jw01", "--role", "street_reviewer",
                                      "--district", "110105", "--street", STREET, "--password-env", "STAFF_PW"])
    assert result.exit_code == 0, result.output
    user = db_session.scalars(select(User).where(User.login == "jw01")).one()
    assert (user.role, user.street) == ("street_reviewer", STREET)
    assert intake.login("jw01", STAFF_PASSWORD).json()["role"] == "street_reviewer"


@pytest.mark.parametrize("args", [
    ["--role", "parent"],
    ["--role", "street_reviewer", "--district", "110105", "--street", "nowhere"],
    ["--role", "district_staff", "--district", "999999"],
])
def test_users_create_rejects_bad_input_with_exit_2(env: dict[str, str], args: list[str]) -> None:
    result = CliRunner().invoke(app, ["users", "create", "--username", "x1", *args, "--password-env", "STAFF_PW"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_users_create_refuses_a_weak_password_and_duplicates(env: dict[str, str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    base = ["users", "create", "--username", "aud1", "--role", "auditor", "--password-env", "STAFF_PW"]
    monkeypatch.setenv("STAFF_PW", "weak")
    assert CliRunner().invoke(app, base).exit_code == 2
    monkeypatch.setenv("STAFF_PW", STAFF_PASSWORD)
    assert CliRunner().invoke(app, base).exit_code == 0
    again = CliRunner().invoke(app, base)
    assert again.exit_code == 2 and "user_exists" in again.output


def test_audit_verify_ok_then_tampered(env: dict[str, str], intake: Intake, db_session: Session) -> None:
    assert intake.register(1).status_code == 201
    assert intake.register(2).status_code == 201
    ok = CliRunner().invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "2 events" in ok.output
    if db_session.get_bind().dialect.name == "postgresql":
        db_session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    else:
        db_session.execute(text("DROP TRIGGER audit_events_no_delete"))
    db_session.execute(text("DELETE FROM audit_events WHERE seq = 1"))
    db_session.commit()
    bad = CliRunner().invoke(app, ["audit", "verify"])
    assert bad.exit_code == 2
    assert "event 1" in bad.output
    if db_session.get_bind().dialect.name == "postgresql":
        db_session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        db_session.commit()


def test_cli_on_an_unmigrated_database_is_one_line_exit_2(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIWEI_DATABASE_URL", f"sqlite:///{tmp_path}/empty.sqlite3")
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert result.exit_code == 2
    assert "alembic upgrade head" in result.output and "Traceback" not in result.output
