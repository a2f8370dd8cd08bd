"""A run killed part-way (SIGKILL, inside its open transaction) leaves the database as it
was; running again gives byte-identical bundles to an uninterrupted run."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session

from paiwei.audit import service as audit
from paiwei.audit.models import AuditEvent
from paiwei.cli.rounds import PAUSE_ENV
from paiwei.db import make_engine, make_session_factory, upgrade_to_head
from paiwei.rounds import service
from paiwei.rounds.models import Round, RoundResult, State
from tests.integration.rounds.helpers import Season, scenario

APPLICANTS = 1200  # several chunks of results, so the kill lands between two of them
MAIN = "from paiwei.cli import main; main()"


def _cli(db_url: str, *args: str, pause: int | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIWEI_")}
    env["PAIWEI_DATABASE_URL"] = db_url
    if pause is not None:
        env[PAUSE_ENV] = str(pause)
    return subprocess.Popen([sys.executable, "-c", MAIN, *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for_pause(proc: subprocess.Popen[str], deadline_s: float = 300) -> str:
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 1.0)
        if ready:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
            seen += line
            if "paused after" in line:
                return line
    proc.kill()
    proc.communicate(timeout=30)
    raise AssertionError(f"the run never reached its pause point; stderr: {seen[-2000:]}")


def _uninterrupted_bundle(tmp_path: Path) -> tuple[str, str]:
    url = f"sqlite:///{tmp_path / 'reference.sqlite3'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as db:
            season = Season(db)
            row = season.run(season.ready(scenario(APPLICANTS, 30)))
            return row.bundle or "", row.bundle_sha256 or ""
    finally:
        engine.dispose()


def test_a_killed_run_leaves_nothing_and_a_rerun_is_byte_identical(db_url: str, db_session: Session,
                                                                    tmp_path: Path) -> None:
    season = Season(db_session)
    row = season.ready(scenario(APPLICANTS, 30))
    events_before = audit.verify(db_session=db_session)

    proc = _cli(db_url, "round", "run", str(row.id), pause=500)
    line = _wait_for_pause(proc)
    assert "paused after 500 rows" in line  # results are being written, not yet committed
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)  # reaps it and closes the pipes
    assert proc.returncode == -signal.SIGKILL

    db_session.expire_all()
    fresh = db_session.get(Round, row.id)
    assert fresh is not None
    assert fresh.state == State.READY
    assert fresh.bundle is None and fresh.bundle_sha256 is None and fresh.drawn_at is None
    assert db_session.scalar(sql_select(func.count()).select_from(RoundResult)) == 0
    assert audit.verify(db_session=db_session) == events_before
    assert db_session.scalar(sql_select(AuditEvent.seq).where(AuditEvent.action == "round_drawn")) is None
    db_session.rollback()

    rerun = _cli(db_url, "round", "run", str(row.id))
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert "drawn" in out

    db_session.expire_all()
    fresh = db_session.get(Round, row.id)
    assert fresh is not None and fresh.state == State.DRAWN
    reference, reference_sha = _uninterrupted_bundle(tmp_path)
    assert fresh.bundle == reference
    assert fresh.bundle_sha256 == reference_sha
    assert db_session.scalar(sql_select(func.count()).select_from(RoundResult)) == APPLICANTS
    # ... and it signs and publishes as usual.
    published = season.countersign(season.sign(fresh))
    assert published.state == State.PUBLISHED
    assert service.result_for(db_session=db_session, applicant=scenario(APPLICANTS, 30)["applicants"][0]["id"])
