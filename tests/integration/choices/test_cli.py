"""``paiwei windows load | list | extend`` against a migrated database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from allocation.policy import shipped_policy_text
from paiwei.audit.models import AuditEvent
from paiwei.cli import app
from paiwei.settings import Settings
from paiwei.windows.models import ApplicationWindow


def _future_policy() -> str:
    """The shipped policy moved to 2099, its timetable one window: a window still to come."""
    text = shipped_policy_text("chaoyang-2024").replace("year = 2024", "year = 2099")
    return text[:text.index("[[timetable]]")] + """[[timetable]]
kind = "primary.private_boarding"
first_day = "2099-06-06"
last_day = "2099-06-09"
section = "§四（二）1（2）（3）"
source = "test"
"""


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIWEI_DATABASE_URL", settings.database_url)


def test_load_list_and_extend(env: None, tmp_path: Path, db_session: Session) -> None:
    runner = CliRunner()
    loaded = runner.invoke(app, ["windows", "load"])
    assert loaded.exit_code == 0, loaded.output
    assert "5 window(s) loaded for 110105/2024" in loaded.output
    assert "0 window(s)" in runner.invoke(app, ["windows", "load"]).output  # idempotent
    listed = runner.invoke(app, ["windows", "list", "--district", "110105", "--year", "2024"])
    assert listed.exit_code == 0
    assert "primary.private_boarding  2024-06-06 00:00 – 2024-06-10 00:00 +08:00  closed" in listed.output
    # The 2024 windows closed long ago: no extension.
    window_id = db_session.scalar(select(ApplicationWindow.id).where(
        ApplicationWindow.kind == "primary.private_boarding", ApplicationWindow.year == 2024))
    late = runner.invoke(app, ["windows", "extend", "--id", str(window_id), "--until",
                               "2024-06-11T00:00+08:00", "--reason", "too late"])
    assert late.exit_code == 2 and "window_already_closed" in late.output
    path = tmp_path / "future.toml"
    path.write_text(_future_policy(), encoding="utf-8")
    assert runner.invoke(app, ["windows", "load", "--policy", str(path)]).exit_code == 0
    future_id = db_session.scalar(select(ApplicationWindow.id).where(ApplicationWindow.year == 2099))
    done = runner.invoke(app, ["windows", "extend", "--id", str(future_id), "--until",
                               "2099-06-10T12:00+08:00", "--reason", "平台维护，顺延半天"])
    assert done.exit_code == 0, done.output
    assert "now closes 2099-06-10 12:00 +08:00" in done.output
    db_session.expire_all()
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "window_extended")).one()
    assert (event.reason, event.actor_role) == ("平台维护，顺延半天", "operator")
    listed = runner.invoke(app, ["windows", "list", "--district", "110105", "--year", "2099"])
    assert "2099-06-06 00:00 – 2099-06-10 12:00 +08:00 (extended)  closed" in listed.output


@pytest.mark.parametrize("args", [
    ["windows", "extend", "--id", "1", "--until", "tomorrow", "--reason", "x"],
    ["windows", "extend", "--id", "1", "--until", "2099-06-10T12:00", "--reason", "x"],
    ["windows", "extend", "--id", "999", "--until", "2099-06-10T12:00+08:00", "--reason", "x"],
    ["windows", "extend", "--id", "1", "--until", "2099-06-10T12:00+08:00", "--reason", " "],
    ["windows", "load", "--policy", "no-such-file"],
    ["windows", "load", "--policy", "/nonexistent/x.toml"],
])
def test_bad_input_is_one_line_exit_2(env: None, args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.output.count("\n") == 1
