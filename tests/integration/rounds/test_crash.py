"""A run killed part-way (SIGKILL, inside its open transaction) leaves the database as it
was; running again gives byte-identical bundles to an uninterrupted run. A publication
that dies while writing the folder leaves the round ``publishing`` (committed, shown to
nobody), and publishing again finishes the folder."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session

from paiwei.audit import service as audit
from paiwei.audit.models import AuditEvent
from paiwei.cli.rounds import PAUSE_ENV
from paiwei.db import make_engine, make_session_factory, upgrade_to_head
from paiwei.publication import _files, dump, read_index, result_path
from paiwei.rounds import service
from paiwei.rounds.errors import RoundError
from paiwei.rounds.models import Round, RoundResult, State
from tests.integration.rounds.helpers import NOTARY, NOW, Season, scenario

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


class _Died(BaseException):
    """The process dying part-way: nothing in the service catches it (not an Exception)."""


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _actions(db: Session, row: Round) -> list[str]:
    return list(db.scalars(sql_select(AuditEvent.action).where(AuditEvent.subject == f"round:{row.id}")
                           .order_by(AuditEvent.seq)))


def test_a_crash_while_writing_the_folder_leaves_publishing_and_publishing_again_finishes_it(
        db_url: str, db_session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    season = Season(db_session)
    row = season.sign(season.run(season.ready(scenario(120, 10))))
    folder = tmp_path / "pub"
    written: list[Path] = []
    real = _files.write_file

    def dies_after_ten(path: Path, data: bytes, **kw: Any) -> bool:  # the 11th file never comes
        if len(written) == 10:
            raise _Died
        written.append(path)
        return real(path, data, **kw)

    monkeypatch.setattr(_files, "write_file", dies_after_ten)
    with pytest.raises(_Died):
        season.countersign(row, folder=folder)
    monkeypatch.undo()
    db_session.rollback()  # what the dead process held is gone with it
    db_session.expire_all()

    # The countersignature is committed; the round is publishing, not published.
    fresh = db_session.get(Round, row.id)
    assert fresh is not None and fresh.state == State.PUBLISHING
    assert fresh.published_sha256 and fresh.published_at is None
    assert _actions(db_session, fresh)[-2:] == ["round_signed", "round_publishing"]
    # The folder is part-written: the round's directory and ten result files, no index.
    assert (folder / "rounds" / fresh.round / "bundle.json").is_file() and len(written) == 10
    assert not (folder / "index.json").exists()
    # Nobody sees a result the folder does not hold yet, and the next round cannot freeze.
    aid = scenario(120, 10)["applicants"][0]["id"]
    with pytest.raises(RoundError) as caught:
        service.result_for(db_session=db_session, applicant=aid)
    assert caught.value.code == "result_not_published"
    with pytest.raises(RoundError) as caught:
        service.write_folder(db_session=db_session, round_pk=fresh.id, folder=tmp_path / "elsewhere")
    assert caught.value.code == "out_of_order" and "publishing" in (caught.value.detail or "")
    nxt = season.create()
    season.commit(nxt)
    with pytest.raises(RoundError) as caught:
        season.freeze(nxt)
    assert caught.value.code == "out_of_order"
    db_session.rollback()

    # Publishing again (the CLI, no keys needed) finishes the folder and the round.
    again = _cli(db_url, "round", "publish", str(row.id), "--folder", str(folder))
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert "published" in out
    db_session.expire_all()
    fresh = db_session.get(Round, row.id)
    assert fresh is not None and fresh.state == State.PUBLISHED and fresh.published_at is not None
    assert _actions(db_session, fresh)[-2:] == ["round_publishing", "round_published"]
    assert [r["round"] for r in read_index(folder)["rounds"]] == [fresh.round]
    # The folder is the one an uninterrupted publication writes, byte for byte ...
    reference = tmp_path / "reference"
    assert service.write_folder(db_session=db_session, round_pk=fresh.id, folder=reference)
    assert _tree(folder) == _tree(reference)
    # ... and the parent's lookup is the published file.
    salt = service.season_of(db_session=db_session, row=fresh).salt
    season_id = service.season_id(fresh)
    assert dump(service.result_for(db_session=db_session, applicant=aid)) == \
        (folder / result_path(season_id, salt, aid)).read_bytes()
    # A published round is not published again.
    with pytest.raises(RoundError) as caught:
        service.publish(db_session=db_session, actor=NOTARY, round_pk=fresh.id, folder=folder, now=NOW)
    assert caught.value.code == "round_published"


def test_a_folder_that_refuses_the_round_leaves_it_publishing_until_fixed(db_session: Session,
                                                                          tmp_path: Path) -> None:
    season = Season(db_session)
    row = season.sign(season.run(season.ready(scenario(60, 10))))
    folder = tmp_path / "pub"
    folder.mkdir()
    (folder / "index.json").write_bytes(b'{"season": "another"}')  # another season's folder
    with pytest.raises(RoundError) as caught:
        season.countersign(row, folder=folder)
    assert caught.value.code == "publication_failed" and "stays publishing" in (caught.value.detail or "")
    db_session.expire_all()
    fresh = db_session.get(Round, row.id)
    assert fresh is not None and fresh.state == State.PUBLISHING
    (folder / "index.json").unlink()
    done = service.publish(db_session=db_session, actor=NOTARY, round_pk=row.id, folder=folder, now=NOW)
    assert done.state == State.PUBLISHED
    assert [r["round"] for r in read_index(folder)["rounds"]] == [done.round]
