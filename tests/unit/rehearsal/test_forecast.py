"""Forecast statistics: the Wilson interval against SciPy's, run seeds, and the tally."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest

from paiwei.rehearsal import forecast, load_scenario, run_seed, wilson
from tests.unit.rehearsal.helpers import write_scenario


@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_matches_scipy(case: tuple[int, int]) -> None:
    k, n = case
    lo, hi = wilson(k, n)
    ref = binomtest(k, n).proportion_ci(confidence_level=0.999, method="wilson")
    assert lo == pytest.approx(ref.low, abs=1e-9)
    assert hi == pytest.approx(ref.high, abs=1e-9)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


@pytest.mark.parametrize(("k", "n"), [(-1, 3), (4, 3), (0, 0)])
def test_wilson_rejects_impossible_counts(k: int, n: int) -> None:
    with pytest.raises(ValueError):
        wilson(k, n)


def test_run_seeds_are_distinct_and_depend_on_the_seed() -> None:
    seeds = {run_seed(b"\x00", i) for i in range(1000)}
    assert len(seeds) == 1000
    assert run_seed(b"\x00", 0) != run_seed(b"\x01", 0)
    assert all(len(s) == 32 for s in seeds)


def test_forecast_rows_count_every_listed_child_of_every_run(tmp_path: Path) -> None:
    """5 children for P1's 2 seats, 40 runs: 200 trials, 80 admissions, always."""
    loaded = load_scenario(write_scenario(tmp_path, applicants=5, seats=2))
    seen: list[int] = []
    report = forecast(loaded, b"\x09", 40, on_run=seen.append)
    assert seen == list(range(40))
    p1 = next(s for s in report["schools"] if s["school"] == "P1")
    row = next(r for r in p1["rows"] if r["round"] == "single-school")
    assert (row["listed"], row["admitted"], row["rank"], row["class"]) == (200, 80, 1, 2)
    assert row["listed_per_run"] == 5
    assert report["staff_only"] is True
    shares = [o for a in report["applicants"] for o in a["outcomes"] if o["school"] == "P1"]
    assert sum(o["runs"] for o in shares) == 80


def test_forecast_needs_a_run(tmp_path: Path) -> None:
    loaded = load_scenario(write_scenario(tmp_path))
    with pytest.raises(ValueError):
        forecast(loaded, b"\x00", 0)


def test_the_columnar_tally_counts_what_the_records_walk_counts(tmp_path: Path) -> None:
    """Per run, the frozen tables' columns give the same (round, school, class, rank) cells
    as walking the bundles' applicant records (the former path)."""
    from allocation import generate_district  # noqa: PLC0415
    from paiwei.rehearsal import dump, run_season  # noqa: PLC0415
    from paiwei.rehearsal.forecast import _Tables, _Tally  # noqa: PLC0415

    path = tmp_path / "district.json"
    path.write_bytes(dump(generate_district(1500, 30, seed=11)))
    loaded = load_scenario(path)
    columns, records = _Tally(len(loaded.scenario.zones)), _Tally(len(loaded.scenario.zones))
    for i in range(4):
        seen = _Tables()
        result = run_season(loaded, run_seed(b"\x05", i), reporter=seen)
        assert {r.spec.id for r in result.rounds if r.bundle is not None} <= set(seen.tables)
        columns.add(result, seen.tables)
        records.add(result)
    assert columns.pairs == records.pairs
    assert sum(n for n, _ in columns.pairs.values()) > 1500
    assert sum(w for _, w in columns.pairs.values()) > 0
