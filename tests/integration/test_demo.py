"""``paiwei demo`` end to end (smaller): the season on SQLite through the API and the bulk
import; every published bundle verifies with both keys, the API parents' locked choices
are exactly what the published bundles drew with, every applicant has a result file, the
database's audit chain verifies, the keys are private, and a second run starts clean."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import lottery
from paiwei.accounts.models import User
from paiwei.audit import service as audit
from paiwei.choices.models import ChoiceSet, RoutingRecord, SchoolCatalogue
from paiwei.cli import app
from paiwei.db import make_engine, make_session_factory
from paiwei.intake.models import Applicant, Status
from paiwei.intake.transfer import NO_PASSWORD
from paiwei.publication import RESULT_KEYS, read_index, read_result
from seeding import balls_of
from tests.integration.conftest import DEMO_API_APPLICANTS as API
from tests.integration.conftest import DEMO_SIZE as SIZE
from tests.integration.conftest import DemoRun

# The demo is run once for this module and test_reports_demo.py (conftest ``demo_run``;
# tests/scheduling.py runs both files on one worker).
LIST_OF_ROUND = {"private-boarding": "private_boarding", "multi-school": "zone"}


@pytest.fixture(scope="module")
def demo_root(demo_run: DemoRun) -> Path:
    root, result = demo_run.root, demo_run
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert str(root / "publication") in result.stdout and "GET /api/results/me" in result.stdout
    assert f"database: {root / 'paiwei.sqlite3'}" in result.stdout
    # The printed verify commands are exact (one per stage, every bundle of its folder): run them.
    commands = [line for line in result.stdout.splitlines() if "-m lottery.verify" in line]
    assert len(commands) == 2 and str(root / "publication-junior") in commands[1]
    for command in commands:
        verified = subprocess.run(shlex.split(command), capture_output=True, check=False)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert verified.stdout.count(b"VALID") >= 4, verified.stdout
    # Which steps ran over HTTP and which in-process is said, phase by phase.
    for phase in ("intake", "choices", "rounds", "results", "reports"):
        heading = next(line for line in result.stdout.splitlines() if line.startswith(phase))
        assert "HTTP" in heading or "in-process" in heading, heading
    assert "rounds (June-July)  (in-process" in result.stdout and "results (10 July)  (HTTP" in result.stdout
    return root


@pytest.fixture
def db(demo_root: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{demo_root / 'paiwei.sqlite3'}")
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


def _bundles(folder: Path) -> dict[str, dict[str, Any]]:
    return {e["round"]: lottery.parse_bundle((folder / e["bundle"]).read_bytes())
            for e in read_index(folder)["rounds"]}


def test_every_bundle_verifies_with_both_keys_and_a_real_ceremony(demo_root: Path) -> None:
    folder = demo_root / "publication"
    index = read_index(folder)
    assert index["final"] and len(index["rounds"]) == 4
    keys = json.loads((folder / "keys.json").read_bytes())["keys"]
    assert set(keys) == {"district", "notary"}
    for name, public in keys.items():  # the keys on disk signed, and only their owner reads them
        pem = demo_root / "keys" / f"{name}.pem"
        assert stat.S_IMODE(os.stat(pem).st_mode) == 0o600
        assert lottery.public_key_hex(lottery.load_private_key(pem.read_bytes())) == public
    trusted = {n: bytes.fromhex(k) for n, k in keys.items()}
    for entry in index["rounds"]:
        data = (folder / entry["bundle"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        bundle = lottery.parse_bundle(data)
        report = lottery.verify(bundle, trusted)
        assert report.valid and not report.rehearsal
        contributions = {c["contributor"]: c for c in bundle["ceremony"]["contributions"]}
        assert {"district", "parent-representative"} <= {
            n for n, c in contributions.items() if "commitment" in c}
        assert {"notary-live-draw", "beacon-simulated"} <= {
            n for n, c in contributions.items() if "commitment" not in c}
        # The notary's ten balls (0-9), in the encoding of docs/draw-spec.md §8.1.
        balls = balls_of(bytes.fromhex(contributions["notary-live-draw"]["value"]))
        assert balls is not None and len(balls) == 10 and all(0 <= b < 10 for b in balls)


def _api_users(db: Session, stage: str) -> list[int]:
    """The parents of ``stage`` who came through the API (their accounts have a password)."""
    return list(db.scalars(
        select(User.id).join(Applicant, Applicant.user_id == User.id)
        .join(RoutingRecord, RoutingRecord.applicant_id == Applicant.id)
        .where(User.role == "parent", User.password_hash != NO_PASSWORD, RoutingRecord.stage == stage)).all())


def test_api_parents_locked_choices_are_what_the_bundles_drew_with(demo_root: Path, db: Session) -> None:
    api_users = _api_users(db, "primary")
    assert len(api_users) == API
    locked: dict[tuple[str, str], list[str]] = {}
    for row, pseudonym in db.execute(
            select(ChoiceSet, Applicant.pseudonym).join(Applicant, Applicant.id == ChoiceSet.applicant_id)
            .where(Applicant.user_id.in_(api_users))):
        assert row.locked_at is not None and row.receipt_sha256 is not None
        locked[(pseudonym, row.kind)] = list(row.schools)
    assert locked, "the API parents submitted no choices"
    compared: set[tuple[str, str]] = set()
    for round_id, bundle in _bundles(demo_root / "publication").items():
        kind = LIST_OF_ROUND.get(round_id)
        if kind is None:
            continue
        for record in bundle["applicants"]:
            key = (record["id"], kind)
            if key in locked:
                assert record["choices"] == locked[key], key
                compared.add(key)
    assert any(kind == "zone" for _, kind in compared)
    # A list that no bundle drew with belongs to an applicant that round never entered
    # (placed in an earlier round, or in a single-school zone's round): so says its result.
    round_of_list = {kind: round_id for round_id, kind in LIST_OF_ROUND.items()}
    for pseudonym, kind in set(locked) - compared:
        doc = read_result(demo_root / "publication", pseudonym)
        assert doc is not None
        assert round_of_list[kind] not in {e["round"] for e in doc["rounds"]}, (pseudonym, kind)


def test_every_applicant_has_a_result_and_the_audit_chain_verifies(demo_root: Path, db: Session) -> None:
    folder = demo_root / "publication"
    pseudonyms = db.scalars(select(Applicant.pseudonym).join(
        RoutingRecord, RoutingRecord.applicant_id == Applicant.id).where(
        Applicant.status == Status.VERIFIED, RoutingRecord.stage == "primary")).all()
    assert len(pseudonyms) == 300
    assert len(list((folder / "results").rglob("*.json"))) == len(pseudonyms)
    for pseudonym in pseudonyms:
        doc = read_result(folder, pseudonym)
        assert doc is not None and set(doc) == RESULT_KEYS and doc["applicant"] == pseudonym
    assert audit.verify(db_session=db) > len(pseudonyms)
    # The bulk records' accounts carry no password hash at all, never a weak one.
    hashes = db.scalars(select(User.password_hash)).all()
    assert all(h == NO_PASSWORD or h.startswith("scrypt$15$8$1$") for h in hashes)


@pytest.mark.slow  # a second and third whole demo / a flood: CI runs them (make test-slow)
def test_demo_runs_again_from_a_clean_folder_and_refuses_foreign_ones(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    root.mkdir()
    (root / ".paiwei-demo").write_text("an earlier demo's", "utf-8")
    stray = root / "publication" / "stray.txt"
    stray.parent.mkdir()
    stray.write_text("left over", "utf-8")
    # One child is enough to show the folder is emptied (demo_root above runs the full size).
    again = CliRunner().invoke(app, ["demo", "--out", str(root), "--applicants", "1",
                                     "--api-applicants", "1"], catch_exceptions=False)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert not stray.exists()

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me", "utf-8")
    refused = CliRunner().invoke(app, ["demo", "--out", str(foreign), *SIZE])
    assert refused.exit_code == 2
    assert "refusing" in refused.stderr and "Traceback" not in refused.stderr
    assert (foreign / "thesis.tex").read_text("utf-8") == "keep me"


@pytest.mark.slow  # a second and third whole demo / a flood: CI runs them (make test-slow)
def test_a_season_with_rounds_nobody_is_left_for_still_publishes_and_closes(tmp_path: Path) -> None:
    """One child: the private/boarding and single-school rounds have nobody to place, the
    district round nobody left. The rounds between must publish, and the season close."""
    root = tmp_path / "tiny"
    result = CliRunner().invoke(
        app, ["demo", "--out", str(root), "--applicants", "1", "--api-applicants", "1"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    index = json.loads((root / "publication" / "index.json").read_text("utf-8"))
    held = {r["round"]: r.get("held", True) for r in index["rounds"]}
    assert held == {"private-boarding": False, "single-school": False,
                    "multi-school": True, "district": False}
    assert index["final"] is True
    results = list((root / "publication" / "results").rglob("*.json"))
    assert results
    assert all(json.loads(p.read_text("utf-8"))["final"] is True for p in results)


def test_paiwei_verify_accepts_every_published_bundle_with_both_keys(demo_root: Path) -> None:
    """The rounds issue: every bundle of the season through the `paiwei verify` command."""
    folder = demo_root / "publication"
    keys = json.loads((folder / "keys.json").read_bytes())["keys"]
    assert set(keys) == {"district", "notary"}
    bundles = [str(folder / e["bundle"]) for e in read_index(folder)["rounds"] if "bundle" in e]
    assert bundles
    args = ["verify", *bundles, "--json"]
    for name, key in keys.items():
        args += ["--key", f"{name}={key}"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(reports) == len(bundles)
    assert all(r["valid"] and not r["rehearsal"] for r in reports)
    assert {r["path"] for r in reports} == set(bundles)


def test_audit_verify_against_the_published_heads(demo_root: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16: every freeze statement in the folder names an audit head the log still holds;
    a statement whose head was altered is refused by name."""
    folder = demo_root / "publication"
    statements = sorted(folder.glob("rounds/*/freeze-statement.json"))
    assert statements
    monkeypatch.setenv("PAIWEI_DATABASE_URL", f"sqlite:///{demo_root / 'paiwei.sqlite3'}")
    ok = CliRunner().invoke(app, ["audit", "verify", "--against", str(folder)])
    assert ok.exit_code == 0, ok.output
    assert f"published heads OK: {len(statements)} freeze statements" in ok.stdout
    altered = tmp_path / "publication"
    shutil.copytree(folder, altered)
    target = altered / statements[0].relative_to(folder)
    statement = json.loads(target.read_bytes())
    statement["audit_head"]["seq"] += 1
    target.write_text(json.dumps(statement), encoding="utf-8")
    refused = CliRunner().invoke(app, ["audit", "verify", "--against", str(altered)])
    assert refused.exit_code == 2
    assert statements[0].relative_to(folder).as_posix() in refused.stderr


def test_every_applicant_of_every_round_has_an_inclusion_proof_that_verifies(demo_root: Path) -> None:
    """Issue 19: proofs published at the freeze verify under the round's published, signed
    freeze statement for every applicant, and fail for a changed record."""
    import copy  # noqa: PLC0415

    from lottery._proofs import check_proof  # noqa: PLC0415

    folder = demo_root / "publication"
    checked = 0
    for entry in read_index(folder)["rounds"]:
        if "bundle" not in entry:
            continue
        statement = json.loads((folder / "rounds" / entry["round"] / "freeze-statement.json").read_bytes())
        bundle = json.loads((folder / entry["bundle"]).read_bytes())
        files = sorted((folder / "proofs" / entry["round"]).rglob("*.json"))
        assert len(files) == len(bundle["applicants"])
        for path in files:
            proof = json.loads(path.read_bytes())
            assert check_proof(proof, input_root=statement["input_root"]) == [], path
            checked += 1
        changed = copy.deepcopy(json.loads(files[0].read_bytes()))
        changed["record"]["choices"] = [*reversed(changed["record"]["choices"]), "X"]
        assert check_proof(changed, input_root=statement["input_root"]) == ["input root"]
    assert checked > 0


# --- the junior stage (issue 17, item 8) ------------------------------------------------------

JUNIOR_ROUNDS = ["private-boarding", "first-batch", "nine-year", "single-school", "multi-school", "district"]


def test_junior_every_applicant_placed_or_with_a_reason(demo_root: Path, db: Session) -> None:
    folder = demo_root / "publication-junior"
    index = read_index(folder)
    assert index["season"]["stage"] == "junior" and index["final"]
    assert [r["round"] for r in index["rounds"]] == JUNIOR_ROUNDS
    # The first batch (two groups), the nine-year and the multi-school rounds were drawn.
    assert {"first-batch", "nine-year", "multi-school"} <= {r["round"] for r in index["rounds"] if "bundle" in r}
    pseudonyms = db.scalars(select(Applicant.pseudonym).join(
        RoutingRecord, RoutingRecord.applicant_id == Applicant.id).where(
        Applicant.status == Status.VERIFIED, RoutingRecord.stage == "junior")).all()
    assert len(pseudonyms) == 300
    assert len(list((folder / "results").rglob("*.json"))) == len(pseudonyms)
    statuses: set[str] = set()
    for pseudonym in pseudonyms:
        doc = read_result(folder, pseudonym)
        assert doc is not None and set(doc) == RESULT_KEYS and doc["final"] is True, pseudonym
        statuses.add(doc["status"])
        if doc["status"] == "placed":
            assert doc["school"] and doc["decided_by"] in JUNIOR_ROUNDS, pseudonym
        else:  # not placed: the rule that says why, with its section of the policy
            assert doc["status"] in ("unplaced", "ineligible") and "§" in doc["explanation"], doc
    assert "placed" in statuses
    # The primary folder holds no junior applicant, and the other way round.
    assert all(read_result(demo_root / "publication", p) is None for p in pseudonyms)


def test_junior_bundles_verify_and_the_first_batch_takes_one_school_per_group(demo_root: Path,
                                                                             db: Session) -> None:
    folder = demo_root / "publication-junior"
    keys = json.loads((folder / "keys.json").read_bytes())["keys"]
    primary_keys = json.loads((demo_root / "publication" / "keys.json").read_bytes())["keys"]
    assert keys == primary_keys and set(keys) == {"district", "notary"}
    trusted = {n: bytes.fromhex(k) for n, k in keys.items()}
    bundles = _bundles(folder)
    assert set(bundles) == {e["round"] for e in read_index(folder)["rounds"] if "bundle" in e}
    for round_id, bundle in bundles.items():
        assert "/junior/" in bundle["draw_id"], bundle["draw_id"]
        report = lottery.verify(bundle, trusted)
        assert report.valid and not report.rehearsal, round_id
        contributions = {c["contributor"] for c in bundle["ceremony"]["contributions"]}
        assert {"district", "parent-representative", "notary-live-draw", "beacon-simulated"} <= contributions
    catalogue = db.scalars(select(SchoolCatalogue).where(SchoolCatalogue.stage == "junior")).one()
    group_of = {s["id"]: s["group"] for s in catalogue.schools if s.get("group") is not None}
    assert set(group_of.values()) == {1, 2}
    assert {s["id"] for s in bundles["first-batch"]["schools"]} <= set(group_of)
    lists = [a["choices"] for a in bundles["first-batch"]["applicants"]]
    assert lists and all(len({group_of[c] for c in choices}) == len(choices) for choices in lists)
    assert any(len(choices) == 2 for choices in lists)
    season = _season(folder)
    assert season.returncode == 0 and "VALID" in season.stdout.splitlines(), season.stdout + season.stderr


def test_junior_api_parents_locked_lists_are_what_the_bundles_drew_with(demo_root: Path, db: Session) -> None:
    api_users = _api_users(db, "junior")
    assert len(api_users) == API
    locked = {(pseudonym, row.kind): list(row.schools) for row, pseudonym in db.execute(
        select(ChoiceSet, Applicant.pseudonym).join(Applicant, Applicant.id == ChoiceSet.applicant_id)
        .where(Applicant.user_id.in_(api_users)))}
    assert locked and all(row.locked_at is not None for row in db.scalars(
        select(ChoiceSet).where(ChoiceSet.stage == "junior")))
    list_of_round = {"private-boarding": "private_boarding", "first-batch": "groups", "multi-school": "zone"}
    compared = set()
    for round_id, bundle in _bundles(demo_root / "publication-junior").items():
        kind = list_of_round.get(round_id)
        if kind is None:
            continue
        for record in bundle["applicants"]:
            if (record["id"], kind) in locked:
                assert record["choices"] == locked[(record["id"], kind)]
                compared.add(kind)
    assert "groups" in compared


# --- season verification (issue 19, item 4) -------------------------------------------------


def _season(folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lottery.season", str(folder), "--keys",
                           str(folder / "keys.json"), *extra], capture_output=True, text=True,
                          check=False, timeout=300)


def _failed(result: subprocess.CompletedProcess[str]) -> set[str]:
    assert result.returncode == 1, result.stdout + result.stderr
    line = result.stdout.strip().splitlines()[-2]
    assert line.startswith("INVALID: "), result.stdout
    return set(line.removeprefix("INVALID: ").split(", "))


@pytest.fixture
def season_copy(demo_root: Path, tmp_path: Path) -> Path:
    import shutil  # noqa: PLC0415

    copy = tmp_path / "publication"
    shutil.copytree(demo_root / "publication", copy)
    return copy


def _drawn(folder: Path) -> list[str]:
    return [e["round"] for e in read_index(folder)["rounds"] if "bundle" in e]


def test_verify_season_accepts_the_demo_season(demo_root: Path) -> None:
    result = _season(demo_root / "publication")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VALID" in result.stdout.splitlines()
    doc = json.loads(_season(demo_root / "publication", "--json").stdout)
    assert doc["valid"] and doc["rounds"] == _drawn(demo_root / "publication")
    untrusted = subprocess.run([sys.executable, "-m", "lottery.season", str(demo_root / "publication")],
                               capture_output=True, text=True, check=False, timeout=300)
    assert untrusted.returncode == 1 and "no signature was checked against a trusted key" in untrusted.stdout


def test_verify_season_names_an_applicant_placed_in_two_rounds(season_copy: Path) -> None:
    first, second = _drawn(season_copy)[:2]
    one = json.loads((season_copy / "rounds" / first / "bundle.json").read_bytes())
    placed = next(a["applicant"] for a in one["assignments"] if a["school"])
    path = season_copy / "rounds" / second / "bundle.json"
    two = json.loads(path.read_bytes())
    victim = next(a for a in two["assignments"] if a["school"])
    old = victim["applicant"]
    for a in two["assignments"]:
        if a["applicant"] == old:
            a["applicant"] = placed
    for a in two["applicants"]:
        if a["id"] == old:
            a["id"] = placed
    path.write_text(json.dumps(two, ensure_ascii=False), encoding="utf-8")
    failed = _failed(_season(season_copy))
    assert {"placed twice", f"round {second}: placed earlier", f"round {second}: files"} <= failed


def test_verify_season_names_a_missing_or_altered_freeze_statement(season_copy: Path) -> None:
    first, second = _drawn(season_copy)[:2]
    (season_copy / "rounds" / first / "freeze-statement.json").unlink()
    path = season_copy / "rounds" / second / "freeze-statement.json"
    statement = json.loads(path.read_bytes())
    statement["applicants"] += 1
    path.write_text(json.dumps(statement), encoding="utf-8")
    failed = _failed(_season(season_copy))
    assert {f"round {first}: freeze statement", f"round {second}: freeze statement"} <= failed


def test_verify_season_names_a_changed_result_file(season_copy: Path) -> None:
    path = next(p for p in sorted((season_copy / "results").rglob("*.json"))
                if json.loads(p.read_bytes())["rounds"])
    doc = json.loads(path.read_bytes())
    doc["rounds"][0]["ticket"] = "00" * 32
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert _failed(_season(season_copy)) == {"result files"}


def test_verify_season_names_a_commitment_made_after_the_freeze(demo_root: Path, season_copy: Path) -> None:
    """The freeze statement, re-signed with the real district key, no longer lists one
    commitment the bundle carries: that commitment was not made before the freeze."""
    from lottery import load_private_key  # noqa: PLC0415
    from paiwei.rounds.service import FREEZE_TAG, sign_statement  # noqa: PLC0415

    first = _drawn(season_copy)[0]
    path = season_copy / "rounds" / first / "freeze-statement.json"
    statement = json.loads(path.read_bytes())
    dropped = statement["commitments"].pop()["contributor"]
    key = load_private_key((demo_root / "keys" / "district.pem").read_bytes())
    path.write_text(json.dumps(sign_statement(statement, FREEZE_TAG, "district", key)), encoding="utf-8")
    result = _season(season_copy)
    failed = _failed(result)
    assert f"round {first}: commitments" in failed and f"round {first}: freeze statement" not in failed
    assert f"not committed before the freeze: {dropped}" in result.stdout


STANDALONE_RUNNER = """
import importlib.abc, runpy, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {"numpy", "orjson", "paiwei", "allocation", "api", "reports"}:
            raise ModuleNotFoundError(f"blocked: {name}", name=name)
        return None

sys.meta_path.insert(0, Block())
sys.argv = ["paiwei_verify.py", *sys.argv[1:]]
try:
    runpy.run_path("paiwei_verify.py", run_name="__main__")
finally:
    lottery = sys.modules.get("lottery")
    if lottery is not None and type(lottery.__spec__.loader).__name__ != "_Embedded":
        raise SystemExit("lottery was imported from an installed copy")
"""


def test_the_one_file_verifier_alone_verifies_the_whole_season(demo_root: Path, tmp_path: Path) -> None:
    """Issue 19, item 3: paiwei_verify.py, copied alone into an empty directory, with NumPy,
    orjson and the paiwei packages blocked, verifies the demo's season; its SHA-256 is the
    one in index.json."""
    import hashlib  # noqa: PLC0415
    import shutil  # noqa: PLC0415

    folder = demo_root / "publication"
    index = read_index(folder)
    data = (folder / "paiwei_verify.py").read_bytes()
    assert index["verifier"] == {"file": "paiwei_verify.py", "sha256": hashlib.sha256(data).hexdigest()}
    alone = tmp_path / "empty"
    alone.mkdir()
    shutil.copy(folder / "paiwei_verify.py", alone)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", STANDALONE_RUNNER, *args], cwd=alone, capture_output=True,
                              text=True, check=False, timeout=600)

    season = run("season", str(folder), "--keys", str(folder / "keys.json"), "--no-accel")
    assert season.returncode == 0, season.stdout + season.stderr
    assert "VALID" in season.stdout and "核验结论：全部检查通过" in season.stdout
    bundle = str(folder / index["rounds"][0]["bundle"]) if "bundle" in index["rounds"][0] else None
    if bundle is not None:
        one = run("bundle", bundle, "--keys", str(folder / "keys.json"), "--json")
        assert one.returncode == 0 and json.loads(one.stdout.splitlines()[0])["valid"] is True
        untrusted = run("bundle", bundle)
        assert untrusted.returncode == 1 and "核验结论：未通过" in untrusted.stdout
    proof = next((folder / "proofs").rglob("*.json"))
    round_id = proof.relative_to(folder / "proofs").parts[0]
    checked = run("proof", str(proof), "--statement", str(folder / "rounds" / round_id / "freeze-statement.json"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
