"""``paiwei demo`` end to end (smaller): every published bundle verifies with both keys,
every applicant has a result file, the ceremony is real, the keys are private, and a
second run starts clean."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

import lottery
from allocation import generate_district
from paiwei.cli import app
from paiwei.publication import RESULT_KEYS, read_index, read_result

SIZE = ("--applicants", "500", "--schools", "12", "--seed", "11")


def run_demo(root: Path) -> Any:
    return CliRunner().invoke(app, ["demo", "--out", str(root), *SIZE], catch_exceptions=False)


def test_demo_publishes_a_verifiable_season(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    result = run_demo(root)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    folder = root / "publication"
    assert str(folder) in result.stdout and "python -m lottery.verify" in result.stdout

    index = read_index(folder)
    assert index["final"] and index["rounds"]
    keys = json.loads((folder / "keys.json").read_bytes())["keys"]
    assert set(keys) == {"district", "notary"}
    # The keys on disk are the ones that signed, and only their owner can read them.
    for name, public in keys.items():
        pem = root / "keys" / f"{name}.pem"
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
        # Committed before the freeze (with commitment and nonce), and the live draws after it.
        assert {"district", "parent-representative"} <= {
            n for n, c in contributions.items() if "commitment" in c
        }
        assert {"notary-live-draw", "beacon-simulated"} <= {
            n for n, c in contributions.items() if "commitment" not in c
        }
        assert all(b < 10 for b in bytes.fromhex(contributions["notary-live-draw"]["value"]))

    ids = [a["id"] for a in generate_district(500, 12, seed=11)["applicants"]]
    assert len(list((folder / "results").rglob("*.json"))) == len(ids)
    for aid in ids:
        doc = read_result(folder, aid)
        assert doc is not None and set(doc) == RESULT_KEYS and doc["applicant"] == aid


def test_demo_runs_again_from_a_clean_folder_and_refuses_foreign_ones(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    assert run_demo(root).exit_code == 0
    stray = root / "publication" / "stray.txt"
    stray.write_text("left over", "utf-8")
    assert run_demo(root).exit_code == 0
    assert not stray.exists()

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me", "utf-8")
    refused = CliRunner().invoke(app, ["demo", "--out", str(foreign), *SIZE])
    assert refused.exit_code == 2
    assert "refusing" in refused.stderr and "Traceback" not in refused.stderr
    assert (foreign / "thesis.tex").read_text("utf-8") == "keep me"
