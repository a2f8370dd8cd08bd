"""Rehearsal benchmark: ``paiwei rehearse`` on a 100,000-applicant scenario file, all rounds.

The synthetic Chaoyang-shaped district (``allocation.generate_district``, 500 public
schools, primary stage) is written once as a scenario file. The measured call is the
command's work minus process start-up: load and validate the file, resolve the
policy, run eligibility, routing and every round (private/boarding, single-school,
multi-school preference-first, district), explain every applicant, sign every
bundle with the throwaway key, and write the output directory atomically. Beside it,
in the same run, the ticket-only floor (``bench.workload.floor_tickets``) and the
phases on their own. Figures go to ``extra_info``; see docs/benchmarks.md.
Run: ``.venv/bin/pytest bench/test_rehearsal.py -q``.
"""

from __future__ import annotations

import resource
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from allocation import generate_district
from bench.workload import floor_tickets
from paiwei.rehearsal import dump, load_scenario, rehearse, run_season, write_tree

APPLICANTS = 100_000
SCHOOLS = 500
SEED = b"\x00"


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rehearsal") / "chaoyang-100k.json"
    path.write_bytes(dump(generate_district(APPLICANTS, SCHOOLS, seed=2024)))
    return path


def _rehearse_to_disk(scenario: Path, out: Path) -> Any:
    loaded = load_scenario(scenario)
    run = rehearse(loaded, SEED, seed_source="--seed")
    write_tree(out, run.files)
    return run


def test_rehearse_100k_all_rounds(benchmark: Any, scenario_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"

    def once() -> Any:
        shutil.rmtree(out, ignore_errors=True)
        return _rehearse_to_disk(scenario_file, out)

    run = benchmark.pedantic(once, rounds=3, iterations=1, warmup_rounds=0)
    total = benchmark.stats.stats.mean

    # Phases on their own, and the floor, in the same process.
    start = time.perf_counter()
    loaded = load_scenario(scenario_file)
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    result = run_season(loaded, SEED)
    plan_s = time.perf_counter() - start
    ids = list(loaded.scenario.applicants.ids)
    start = time.perf_counter()
    floor_tickets(bytes(32), ids)
    floor_s = time.perf_counter() - start

    sizes = {p.name: p.stat().st_size for p in out.rglob("*.json")}
    benchmark.extra_info.update(
        {
            "applicants": APPLICANTS,
            "schools": len(loaded.scenario.schools),
            "scenario_mb": round(scenario_file.stat().st_size / 1e6, 1),
            "rehearse_s": round(total, 3),
            "load_s": round(load_s, 3),
            "plan_s": round(plan_s, 3),
            "explain_sign_write_s": round(total - load_s - plan_s, 3),
            "floor_s": round(floor_s, 3),
            "ratio_to_floor": round(total / floor_s, 1),
            "plan_ratio_to_floor": round(plan_s / floor_s, 1),
            "output_mb": round(sum(sizes.values()) / 1e6, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "rounds": {r.spec.id: int(r.members.size) for r in result.rounds},
        }
    )
    assert run.summary["counts"]["applicants"] == APPLICANTS
    assert run.summary["counts"]["placed"] == int((result.school >= 0).sum())
    assert all(r["draw_id"].startswith("rehearsal/") for r in run.summary["rounds"])
