"""``paiwei round ...`` end to end against a migrated database: the whole lifecycle with
key files and a ceremony opening file, one-line errors with exit 2, the plan import,
and the migrations matching the models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import lottery
import paiwei.rounds.models  # noqa: F401  registers the tables in Base.metadata
from lottery import private_key_pem, public_key_hex
from paiwei.cli import app
from paiwei.db.base import Base, import_all_models
from paiwei.publication import read_result
from paiwei.rounds.models import Plan, Round, State
from paiwei.settings import Settings
from tests.integration.rounds.helpers import key, scenario

SAMPLE_PLAN = Path(__file__).resolve().parents[3] / "paiwei" / "plans" / "sample-chaoyang-2024.csv"


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIWEI_DATABASE_URL", settings.database_url)


def _run(*args: str, code: int = 0, stdin: str | None = None) -> str:
    result = CliRunner().invoke(app, list(args), input=stdin)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def test_the_lifecycle_from_the_command_line(env: None, tmp_path: Path, db_session: Session) -> None:
    sc = scenario()
    (tmp_path / "scenario.json").write_text(json.dumps(sc), encoding="utf-8")
    (tmp_path / "district.pem").write_bytes(private_key_pem(key(1), b"district-pass"))
    (tmp_path / "notary.pem").write_bytes(private_key_pem(key(2)))
    created = _run("round", "create", "--stage", "primary", "--scenario", str(tmp_path / "scenario.json"))
    assert "round 1 chaoyang/2024/primary/private-boarding: created" in created
    draw_id = "chaoyang/2024/primary/private-boarding"

    opening = tmp_path / "opening.json"
    commitment = json.loads(_run("ceremony", "commit", "--draw-id", draw_id, "--contributor", "district",
                                 "--opening", str(opening)))["commitment"]
    out = _run("round", "run", "1", code=2)
    assert "out_of_order" in out and len(out.strip().splitlines()) == 1
    _run("round", "commit", "1", "--contributor", "district", "--commitment", commitment)
    # encrypted: the passphrase is prompted for (never an argument); a wrong one is refused
    out = _run("round", "freeze", "1", "--key", str(tmp_path / "district.pem"), code=2, stdin="wrong\n")
    assert "passphrase for" in out and "not a usable Ed25519 private key" in out
    out = _run("round", "freeze", "1", "--key", str(tmp_path / "district.pem"), code=2,
               stdin="district-pass\n")
    assert "keys_not_pinned" in out  # the season's public keys come first
    pinned = _run("round", "pin-keys", "1", "--key", f"district={public_key_hex(key(1)).upper()}",
                  "--key", f"notary={public_key_hex(key(2))}")
    assert "keys pinned, fingerprint " in pinned
    # the notary's key file used as the district's: refused, nothing frozen
    out = _run("round", "freeze", "1", "--key", str(tmp_path / "notary.pem"), code=2)
    assert "key_mismatch" in out
    frozen = _run("round", "freeze", draw_id, "--key", str(tmp_path / "district.pem"),
                  "--statement", str(tmp_path / "freeze.json"), stdin="district-pass\n")
    assert ": frozen input_root=" in frozen
    statement = json.loads((tmp_path / "freeze.json").read_text(encoding="utf-8"))
    assert statement["commitments"] == [{"contributor": "district", "commitment": commitment}]
    out = _run("round", "commit", "1", "--contributor", "late", "--commitment", commitment, code=2)
    assert "out_of_order" in out
    _run("round", "reveal", "1", "--opening", str(opening))
    # The live draw as the balls announced (docs/draw-spec.md §8.1): stored as "06 09".
    for bad in (("--balls", "6,x"), ("--balls", "1000"), ("--balls", "6", "--value", "0609"), ()):
        out = _run("round", "contribute", "1", "--contributor", "notary-live-draw", *bad, code=2)
        assert len(out.strip().splitlines()) == 1
    _run("round", "contribute", "1", "--contributor", "notary-live-draw", "--balls", "6, 9")
    assert ": ready" in _run("round", "close-ceremony", "1")
    assert ": drawn" in _run("round", "run", "1")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DISTRICT_PASS", "district-pass")
        published = _run("round", "publish", "1", "--district-key", str(tmp_path / "district.pem"),
                         "--district-passphrase-env", "DISTRICT_PASS",
                         "--notary-key", str(tmp_path / "notary.pem"), "--folder", str(tmp_path / "pub"))
    assert ": published" in published
    out = _run("round", "publish", "1", "--notary-key", str(tmp_path / "notary.pem"), code=2)
    assert "round_published" in out and len(out.strip().splitlines()) == 1

    _run("round", "bundle", "1", "--out", str(tmp_path / "bundle.json"))
    bundle = json.loads((tmp_path / "bundle.json").read_bytes())
    lottery.verify(bundle, {"district": bytes.fromhex(public_key_hex(key(1))),
                            "notary": bytes.fromhex(public_key_hex(key(2)))})
    _run("verify", str(tmp_path / "bundle.json"), "--key", f"district={public_key_hex(key(1))}",
         "--key", f"notary={public_key_hex(key(2))}")
    first = next(a for a in bundle["assignments"])
    assert read_result(tmp_path / "pub", first["applicant"]) is not None
    # the same round written again (idempotent) and into a second folder: the same files
    assert "(already there)" in _run("round", "folder", "1", "--folder", str(tmp_path / "pub"))
    _run("round", "folder", "1", "--folder", str(tmp_path / "copy"))
    for path in sorted((tmp_path / "pub").rglob("*.json")):
        assert (tmp_path / "copy" / path.relative_to(tmp_path / "pub")).read_bytes() == path.read_bytes()
    out = _run("round", "folder", "2", "--folder", str(tmp_path / "pub"), code=2)  # no round 2 yet
    status = json.loads(_run("round", "status", "--json"))
    assert status[0]["state"] == "published"
    assert f"{draw_id}  published" in _run("round", "status")  # the whole draw id, whatever the width
    stats = json.loads(_run("round", "stats", "1", "--json", "--csv", str(tmp_path / "stats.csv")))[0]
    assert stats["applicants"] == len(bundle["assignments"]) == stats["placed"] + stats["unplaced"]
    assert sum(stats["placed_by_choice"].values()) == stats["placed"]
    assert sum(sc["admitted"] for sc in stats["schools"]) == stats["placed"]
    rows = (tmp_path / "stats.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("round,school,name,zone,seats") and len(rows) == 1 + len(stats["schools"])
    assert [c["contributor"] for c in status[0]["contributions"]] == ["district", "notary-live-draw"]
    assert status[0]["contributions"][1]["value"] == b"06 09".hex()
    # the next round follows with the same scenario
    assert ": created" in _run("round", "create")
    assert db_session.scalar(select(func.count()).select_from(Round)) == 2
    assert db_session.get(Round, 1).state == State.PUBLISHED  # type: ignore[union-attr]


def test_plan_import_into_the_database_is_all_or_nothing(env: None, tmp_path: Path,
                                                         db_session: Session) -> None:
    lines = SAMPLE_PLAN.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.csv"
    cells = lines[1].split(",")
    cells[0] = ""  # no school id
    bad.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8")
    out = _run("round", "plan-import", str(bad), "--district", "chaoyang", "--year", "2024", code=2)
    assert "nothing imported" in out and "第2行" in out
    assert db_session.scalar(select(func.count()).select_from(Plan)) == 0
    out = _run("round", "plan-import", str(SAMPLE_PLAN), "--district", "haidian", "--year", "2024", code=2)
    assert "unknown_district" in out and len(out.strip().splitlines()) == 1  # no Haidian policy
    out = _run("round", "plan-import", str(SAMPLE_PLAN), "--district", "chaoyang", "--year", "2024")
    assert f"{len(lines) - 1} schools" in out
    assert db_session.scalar(select(func.count()).select_from(Plan)) == 1


def test_operational_errors_are_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from paiwei.cli import main  # noqa: PLC0415

    for url in ("bogus://nowhere", "sqlite:////nonexistent-dir/x.sqlite3"):
        monkeypatch.setenv("PAIWEI_DATABASE_URL", url)
        monkeypatch.setattr("sys.argv", ["paiwei", "round", "status"])
        with pytest.raises(SystemExit) as exc:
            main()
        assert exc.value.code == 2
        printed = capsys.readouterr()
        assert "Traceback" not in printed.err and printed.err.startswith("error: database")
        assert len(printed.err.strip().splitlines()) == 1


def test_migrated_schema_matches_the_models_with_the_round_tables(engine: Engine) -> None:
    import_all_models()
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []
    assert {"plans", "rounds", "round_contributions", "round_results"} <= set(Base.metadata.tables)
