"""``paiwei rehearse --compare``: the staff-only analysis of what the other mechanism would do
(preference-first issue: "A comparison for staff, from the same frozen inputs and seed ... It is
an analysis, never a published or signed result, and it says so on its face")."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import lottery
from allocation import generate_district
from paiwei.cli import app


def _run(tmp_path: Path, *extra: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    scenario = tmp_path / "district.json"
    scenario.write_text(json.dumps(generate_district(applicants=1500, seed=7)), "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["rehearse", str(scenario), "--seed", "ab", "--out", str(out), *extra]
    )
    assert result.exit_code == 0, result.output
    return out


def test_comparison_counts_partition_each_zone_and_match_a_rerun(tmp_path: Path) -> None:
    out = _run(tmp_path, "--compare")
    report = json.loads((out / "comparison.json").read_text("utf-8"))
    assert report["analysis_only"] is True
    assert report["note"] == "仅供分析，非正式派位结果"
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    drawn = {r["round"] for r in summary["rounds"] if r["held"]}
    assert {r["round"] for r in report["rounds"]} == drawn
    for r in report["rounds"]:
        assert r["other_mechanism"] != r["mechanism"]
        for zone in r["zones"]:
            assert zone["better"] + zone["worse"] + zone["same"] == zone["applicants"]
        # The multi-school round's alternative, recomputed from the published bundle alone.
        bundle = json.loads((out / "bundles" / f"{r['round']}.json").read_text("utf-8"))
        frozen = lottery.freeze(bundle["draw_id"], bundle["schools"], bundle["applicants"])
        tickets = [bytes.fromhex(a["ticket"]) for a in bundle["assignments"]]
        alt = lottery.place(lottery.Mechanism(r["other_mechanism"]), frozen.table, tickets)
        unplaced = sum(1 for s in alt.school if int(s) < 0)
        assert unplaced == sum(z["none"] for z in r["zones"])


def test_the_mechanisms_differ_somewhere_in_a_realistic_district(tmp_path: Path) -> None:
    report = json.loads((_run(tmp_path, "--compare") / "comparison.json").read_text("utf-8"))
    multi = next(r for r in report["rounds"] if r["mechanism"] == "preference-first")
    moved = sum(z["better"] + z["worse"] for z in multi["zones"])
    assert moved > 0


def test_comparison_is_not_written_unless_asked_and_never_signed(tmp_path: Path) -> None:
    out = _run(tmp_path)
    assert not (out / "comparison.json").exists()
    out2 = _run(tmp_path / "again", "--compare")
    report = json.loads((out2 / "comparison.json").read_text("utf-8"))
    assert "signatures" not in report
    assert all("signatures" not in r for r in report["rounds"])
