"""One rehearsal in memory: throwaway keys, rehearsal draw ids, deterministic files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import lottery
from paiwei.rehearsal import (
    SIGNER,
    load_scenario,
    rehearse,
    throwaway_key,
)
from tests.unit.rehearsal.helpers import write_scenario


def test_throwaway_key_is_a_function_of_the_seed() -> None:
    a, b = throwaway_key(b"\x00"), throwaway_key(b"\x00")
    assert lottery.public_key_hex(a) == lottery.public_key_hex(b)
    assert lottery.public_key_hex(a) != lottery.public_key_hex(throwaway_key(b"\x01"))
    assert lottery.public_key_hex(a) != lottery.public_key_hex(throwaway_key(b"\x00\x00"))


@pytest.fixture
def loaded(tmp_path: Path) -> object:
    return load_scenario(write_scenario(tmp_path, applicants=7, seats=3))


def test_every_bundle_is_a_signed_rehearsal_that_verifies(loaded: object) -> None:
    run = rehearse(loaded, b"\x2a", seed_source="--seed")  # type: ignore[arg-type]
    assert run.bundles
    for rid, bundle in run.bundles.items():
        assert bundle["draw_id"] == f"rehearsal/chaoyang/2024/primary/{rid}"
        report = lottery.verify(bundle, {SIGNER: bytes.fromhex(run.public_key)})
        assert report.rehearsal
        assert lottery.parse_bundle(run.files[f"bundles/{rid}.json"]) == bundle
        assert run.files[f"bundles/{rid}.json"] == lottery.canonical_json(bundle) + b"\n"


def test_files_are_deterministic_and_seed_dependent(loaded: object) -> None:
    a = rehearse(loaded, b"\x2a", seed_source="--seed")  # type: ignore[arg-type]
    b = rehearse(loaded, b"\x2a", seed_source="--seed")  # type: ignore[arg-type]
    c = rehearse(loaded, b"\x2b", seed_source="--seed")  # type: ignore[arg-type]
    assert a.files == b.files
    assert a.files["bundles/single-school.json"] != c.files["bundles/single-school.json"]


def test_summary_and_applicants_agree_with_the_engine(loaded: object) -> None:
    run = rehearse(loaded, b"\x07", seed_source="secrets")  # type: ignore[arg-type]
    summary = run.summary
    assert summary["seed"] == "07"
    assert summary["seed_source"] == "secrets"
    assert summary["rehearsal"] is True
    assert summary["key"]["public_key"] == run.public_key
    rows = json.loads(run.files["applicants.json"])["applicants"]
    engine = {o.applicant: o.to_json() for o in run.result.outcomes()}
    assert {r["applicant"]: r["outcome"] for r in rows} == engine
    placed = sum(1 for o in engine.values() if o["status"] == "placed")
    assert summary["counts"]["placed"] == placed
    for r in summary["rounds"]:
        if r["held"]:
            bundle = run.bundles[r["round"]]
            assert r["input_root"] == bundle["ceremony"]["input_root"]
            assert r["seed"] == bundle["ceremony"]["seed"]
            assert r["placed"] == sum(1 for a in bundle["assignments"] if a["school"])


def test_the_readme_s_rehearsal_key_is_the_one_seed_00_derives() -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    match = re.search(r"--seed 00 .*\n.*--key rehearsal=([0-9a-f]{64})", readme)
    assert match is not None
    assert match.group(1) == lottery.public_key_hex(throwaway_key(bytes.fromhex("00")))
