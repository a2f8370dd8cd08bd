"""``paiwei rehearse`` (模拟派位) and ``paiwei scenario generate`` end to end, in process.

The golden cases of the allocation issue run through the command with the same
inputs and must give the same outcomes; malformed scenarios give exit 2, one line
and no output; a seed reproduces every byte; bundles pass ``paiwei verify`` with the
rehearsal mark; and a forecast over 2000 runs of a k-of-n pool finds k/n inside
its interval.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from allocation import (
    RULES,
    rehearsal_contributions,
    run_plan,
    scenario_from_mapping,
    shipped_policy,
    shipped_policy_text,
)
from paiwei.cli import app
from tests.cases.make_cases import child, primary_district

CASES = sorted((Path(__file__).parents[1] / "cases").glob("case_*.json"))
CODES = [r.code for r in RULES]


def paiwei(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``paiwei`` in process in ``cwd``; an exception other than SystemExit fails the test."""
    here = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess(
        ["paiwei", *map(str, args)], result.exit_code, result.stdout, result.stderr
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    return lines[0]


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def embedded_policy(readings: dict[str, Any]) -> dict[str, Any]:
    """The shipped policy's data with some readings changed: a scenario can carry it."""
    data = tomllib.loads(shipped_policy_text())
    for name, value in readings.items():
        data["readings"][name]["value"] = value
    return data


def small_scenario(applicants: int = 6, seats: int = 2) -> dict[str, Any]:
    """The golden cases' district; ``applicants`` children of P1's catchment, P1 has ``seats``."""
    data = primary_district({"P1": seats})
    data["applicants"] = [child(f"c{i:03d}") for i in range(applicants)]
    return data


# --- the golden cases through the command ----------------------------------------------------


def _case_params() -> list[Any]:
    out = []
    for path in CASES:
        data = json.loads(path.read_text(encoding="utf-8"))
        marks = [pytest.mark.xfail(strict=True, reason=data["xfail"])] if "xfail" in data else []
        out.append(pytest.param(path, id=path.stem, marks=marks))
    return out


def _check_row_v2(row: dict[str, Any], want: dict[str, Any], where: str) -> None:
    """applicants.json carries the §四（一）1 decision and every unmet condition (format 2)."""
    if "address" in want:
        assert row["address"]["decision"] == want["address"], f"{where} address"
    if "address_rule" in want:
        assert row["address"]["code"] == want["address_rule"], f"{where} address"
    if "unmet" in want:
        assert [r["code"] for r in row["unmet"]] == want["unmet"], f"{where} unmet"
    if "nine_year" in want:
        assert row["route"]["nine_year_school"] == want["nine_year"], where
    for part in want.get("text_has", []):
        assert part in row["explanation"], f"{where} {part}"
    for part in want.get("text_lacks", []):
        assert part not in row["explanation"], f"{where} {part}"


@pytest.mark.parametrize("path", _case_params())
def test_golden_case_through_rehearse(path: Path, tmp_path: Path) -> None:
    """Same inputs as tests/unit/allocation/test_golden.py, through the file format and the CLI."""
    case = json.loads(path.read_text(encoding="utf-8"))
    scenario = dict(case["scenario"])
    if case.get("readings"):  # the file format carries a policy under other readings embedded
        scenario["policy"] = {"embedded": embedded_policy(case["readings"])}
    write_json(tmp_path / "scenario.json", scenario)
    result = paiwei(
        "rehearse", "scenario.json", "--seed", case["seed"], "--out", "out", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    rows = {
        a["applicant"]: a
        for a in json.loads((tmp_path / "out/applicants.json").read_bytes())["applicants"]
    }
    where = case["rule"]
    for aid, want in case["expected"].items():
        if aid == "@schools":
            got = Counter(r["outcome"]["school"] for r in rows.values() if r["outcome"]["school"])
            assert dict(got) == want, f"{where}: seats filled"
            continue
        if aid == "@modes":  # schools.json: each school's mode per round
            schools = json.loads((tmp_path / "out/schools.json").read_bytes())["schools"]
            modes = {f"{r['round']}/{s['school']}": r["mode"] for s in schools for r in s["rounds"]}
            assert {k: modes.get(k) for k in want} == want, f"{where}: modes"
            continue
        row, out = rows[aid], rows[aid]["outcome"]
        assert out["status"] == want["status"], f"{where} {aid}"
        for key in ("school", "round", "choice"):
            if key in want:
                assert out[key] == want[key], f"{where} {aid} {key}"
        if "school_in" in want:
            assert out["school"] in want["school_in"], f"{where} {aid}"
        for key in ("eligibility", "route", "priority"):
            if key in want:
                assert row[key]["code"] == want[key], f"{where} {aid} {key}"
        _check_row_v2(row, want, f"{where} {aid}")
        if "mode" in want:
            placed = next(r for r in row["rounds"] if r["round"] == out["round"])
            assert placed["mode"] == want["mode"], f"{where} {aid} mode"
    # ... and exactly the engine's outcomes for the case's own inputs, applicant by applicant
    policy = shipped_policy().with_readings(**case.get("readings", {}))
    direct = run_plan(
        policy,
        scenario_from_mapping(case["scenario"]),
        rehearsal_contributions(bytes.fromhex(case["seed"])),
        rehearsal=True,
    )
    assert {o.applicant: o.to_json() for o in direct.outcomes()} == {
        aid: r["outcome"] for aid, r in rows.items()
    }
    assert {
        aid: CODES[int(direct.routing.eligibility_rule[direct.row_of(aid)])] for aid in rows
    } == {aid: r["eligibility"]["code"] for aid, r in rows.items()}


# --- outputs ----------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_output(tmp_path: Path) -> None:
    write_json(tmp_path / "s.json", small_scenario())
    for out in ("a", "b", "c"):
        seed = "00ff" if out != "c" else "00fe"
        result = paiwei("rehearse", "s.json", "--seed", seed, "--out", out, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    a, b, c = tree(tmp_path / "a"), tree(tmp_path / "b"), tree(tmp_path / "c")
    assert {"summary.json", "applicants.json", "schools.json"} <= a.keys()
    assert any(name.startswith("bundles/") for name in a)
    assert a == b
    assert a.keys() == c.keys()
    assert a["bundles/single-school.json"] != c["bundles/single-school.json"]


def test_without_a_seed_the_secret_seed_is_written_and_reproduces_the_run(tmp_path: Path) -> None:
    write_json(tmp_path / "s.json", small_scenario())
    for out in ("x", "y"):
        assert paiwei("rehearse", "s.json", "--out", out, cwd=tmp_path).returncode == 0
    sx = json.loads((tmp_path / "x/summary.json").read_bytes())
    sy = json.loads((tmp_path / "y/summary.json").read_bytes())
    assert sx["seed_source"] == "secrets"
    assert len(bytes.fromhex(sx["seed"])) == 32
    assert sx["seed"] != sy["seed"]
    assert sx["key"]["public_key"] != sy["key"]["public_key"]
    again = paiwei("rehearse", "s.json", "--seed", sx["seed"], "--out", "z", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    x, z = tree(tmp_path / "x"), tree(tmp_path / "z")
    assert {k: v for k, v in x.items() if k != "summary.json"} == {
        k: v for k, v in z.items() if k != "summary.json"
    }
    sz = json.loads(z["summary.json"])
    assert sz["seed_source"] == "--seed"
    assert {k: v for k, v in sz.items() if k != "seed_source"} == {
        k: v for k, v in sx.items() if k != "seed_source"
    }


def test_rehearsal_bundles_pass_verify_with_the_rehearsal_mark(tmp_path: Path) -> None:
    write_json(tmp_path / "s.json", small_scenario(applicants=8, seats=3))
    result = paiwei("rehearse", "s.json", "--seed", "01", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "out/summary.json").read_bytes())
    key = f"{summary['key']['signer']}={summary['key']['public_key']}"
    assert summary["key"]["public_key"] in result.stdout
    bundles = sorted((tmp_path / "out/bundles").glob("*.json"))
    assert [b.stem for b in bundles] == sorted(r["round"] for r in summary["rounds"] if r["held"])
    text = paiwei("verify", *bundles, "--key", key, cwd=tmp_path)
    assert text.returncode == 0, text.stdout + text.stderr
    assert text.stdout.count("rehearsal, not a published draw") == len(bundles)
    report = paiwei("verify", *bundles, "--key", key, "--json", cwd=tmp_path)
    assert report.returncode == 0
    reports = [json.loads(line) for line in report.stdout.splitlines() if line.strip()]
    assert len(reports) == len(bundles)
    for r in reports:
        assert r["valid"] and r["rehearsal"]
        assert r["kind"] == "rehearsal, not a published draw"
        assert r["draw_id"].startswith("rehearsal/chaoyang/2024/primary/")
    wrong = paiwei("verify", bundles[0], "--key", "rehearsal=" + "11" * 32, cwd=tmp_path)
    assert wrong.returncode == 1


def test_applicant_records_carry_rule_route_rounds_and_explanation(tmp_path: Path) -> None:
    data = small_scenario(applicants=5, seats=2)
    data["applicants"].append(child("late", birth_date="2018-09-01"))
    write_json(tmp_path / "s.json", data)
    assert paiwei("rehearse", "s.json", "--seed", "02", "--out", "o", cwd=tmp_path).returncode == 0
    rows = json.loads((tmp_path / "o/applicants.json").read_bytes())["applicants"]
    assert [r["applicant"] for r in rows] == sorted(r["applicant"] for r in rows)
    late = next(r for r in rows if r["applicant"] == "late")
    assert not late["eligible"]
    assert late["eligibility"]["code"] == "age"
    assert late["eligibility"]["section"] == "§三（一）1"
    assert late["outcome"]["status"] == "ineligible"
    assert late["rounds"] == []
    drawn = [r for r in rows if r["eligible"]]
    assert len(drawn) == 5
    for r in drawn:
        assert r["route"]["target"] == "single-school"
        assert r["route"]["school"] == "P1"
        first = r["rounds"][0]
        assert first["round"] == "single-school"
        assert first["draw_id"] == "rehearsal/chaoyang/2024/primary/single-school"
        assert len(first["ticket"]) == 64
        assert r["explanation"].startswith("资格：符合")
    winners = [r for r in drawn if r["rounds"][0]["school"] == "P1"]
    assert len(winners) == 2
    assert all(r["rounds"][0]["mode"] == "drawn" and r["rounds"][0]["choice"] == 1 for r in winners)
    schools = json.loads((tmp_path / "o/schools.json").read_bytes())["schools"]
    p1 = next(s for s in schools if s["school"] == "P1")
    single = next(x for x in p1["rounds"] if x["round"] == "single-school")
    assert (single["seats"], single["applied"], single["admitted"], single["mode"]) == (
        2,
        5,
        2,
        "drawn",
    )
    tickets = {r["rounds"][0]["ticket"] for r in winners}
    assert single["cutoff"]["ticket"] == max(tickets)


def test_an_earlier_rehearsal_is_replaced_but_nothing_else(tmp_path: Path) -> None:
    write_json(tmp_path / "s.json", small_scenario())
    assert paiwei("rehearse", "s.json", "--seed", "03", "--out", "o", cwd=tmp_path).returncode == 0
    first = tree(tmp_path / "o")
    assert paiwei("rehearse", "s.json", "--seed", "04", "--out", "o", cwd=tmp_path).returncode == 0
    assert tree(tmp_path / "o") != first
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine/notes.txt").write_text("keep")
    line = one_line_error(
        paiwei("rehearse", "s.json", "--seed", "03", "--out", "mine", cwd=tmp_path)
    )
    assert "mine" in line
    assert tree(tmp_path / "mine") == {"notes.txt": b"keep"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "o", "s.json"]


# --- bad input ----------------------------------------------------------------------------------


def _drop_hukou(d: dict[str, Any]) -> None:
    del d["applicants"][0]["hukou"]


def _seats_as_text(d: dict[str, Any]) -> None:
    d["schools"][0]["seats"] = "2"


def _choice_naming_no_school(d: dict[str, Any]) -> None:
    d["applicants"][1]["choices"]["zone"] = ["P2", "P9"]


def _unknown_policy_key(d: dict[str, Any]) -> None:
    d["policy"] = {"path": "chaoyang-2024.toml", "version": 2}


def _unknown_reading(d: dict[str, Any]) -> None:
    policy = embedded_policy({})
    policy["readings"]["lucky_numbers"] = {"value": True, "section": "§九"}
    d["policy"] = {"embedded": policy}


def _embedded_policy_of_wrong_type(d: dict[str, Any]) -> None:
    d["policy"] = {"embedded": "chaoyang-2024"}


def _too_many_choices(d: dict[str, Any]) -> None:
    d["applicants"][0]["choices"]["private_boarding"] = ["M1", "B1"]


def _other_year(d: dict[str, Any]) -> None:
    d["year"] = 2023


def _no_such_policy(d: dict[str, Any]) -> None:
    d["policy"] = {"path": "haidian-2031.toml"}


MALFORMED = [
    pytest.param(_drop_hukou, "/applicants/0", "missing key 'hukou'", id="missing-field"),
    pytest.param(_seats_as_text, "/schools/0/seats", "integer", id="wrong-type"),
    pytest.param(
        _choice_naming_no_school, "/applicants/1/choices/zone/1", "no school 'P9'", id="no-school"
    ),
    pytest.param(_unknown_policy_key, "/policy", "policy must be", id="unknown-policy-key"),
    pytest.param(
        _unknown_reading, "/policy/embedded/readings", "lucky_numbers", id="unknown-reading"
    ),
    pytest.param(
        _embedded_policy_of_wrong_type, "/policy/embedded", "object", id="embedded-not-object"
    ),
    pytest.param(
        _too_many_choices,
        "/applicants/0/choices/private_boarding",
        "allows 1",
        id="list-longer-than-round",
    ),
    pytest.param(_other_year, "/district", "2023", id="policy-of-another-year"),
    pytest.param(_no_such_policy, "/policy/path", "haidian-2031", id="no-such-policy"),
]


@pytest.mark.parametrize(("mutate", "pointer", "words"), MALFORMED)
def test_malformed_scenario_exit_2_one_line_nothing_written(
    mutate: Any, pointer: str, words: str, tmp_path: Path
) -> None:
    data = small_scenario()
    mutate(data)
    write_json(tmp_path / "s.json", data)
    line = one_line_error(paiwei("rehearse", "s.json", "--seed", "00", "--out", "o", cwd=tmp_path))
    assert f"s.json: {pointer}" in line
    assert words in line
    assert not (tmp_path / "o").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


def test_unknown_top_level_key_of_an_embedded_policy_is_rejected(tmp_path: Path) -> None:
    data = small_scenario()
    policy = embedded_policy({})
    policy["lottery_weights"] = {"P1": 2}
    data["policy"] = {"embedded": policy}
    write_json(tmp_path / "s.json", data)
    line = one_line_error(paiwei("rehearse", "s.json", "--seed", "00", "--out", "o", cwd=tmp_path))
    assert "s.json: /policy/embedded/lottery_weights" in line
    assert "policy format" in line
    assert not (tmp_path / "o").exists()


def _junk(n: int) -> bytes:
    return random.Random(20240501).randbytes(n)


JUNK = [
    pytest.param(_junk(10 * 2**20), "not valid JSON", id="10MB-random-bytes"),
    pytest.param(b"[" * (10 * 2**20), "not valid JSON", id="10MB-nesting"),
    pytest.param(
        json.dumps(["x" * 1000] * 10_000).encode(), "must be an object", id="10MB-json-array"
    ),
    pytest.param(b"", "not valid JSON", id="empty"),
    pytest.param(b'{"format": "paiwei-scenario/1", "year": NaN}', "not valid JSON", id="nan"),
    pytest.param(b'{"id": "\\ud800"}', "not valid JSON", id="lone-surrogate"),
]


@pytest.mark.parametrize(("content", "words"), JUNK)
def test_junk_exit_2_one_line(content: bytes, words: str, tmp_path: Path) -> None:
    (tmp_path / "junk.json").write_bytes(content)
    line = one_line_error(
        paiwei("rehearse", "junk.json", "--seed", "00", "--out", "o", cwd=tmp_path)
    )
    assert "junk.json" in line
    assert words in line
    assert len(line) < 400
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("seed", ["0", "zz", "0x00", "00" * 65])
def test_bad_seed_exit_2(seed: str, tmp_path: Path) -> None:
    write_json(tmp_path / "s.json", small_scenario())
    assert "--seed" in one_line_error(
        paiwei("rehearse", "s.json", "--seed", seed, "--out", "o", cwd=tmp_path)
    )
    assert not (tmp_path / "o").exists()


def test_missing_scenario_file_exit_2(tmp_path: Path) -> None:
    assert "cannot read" in one_line_error(paiwei("rehearse", "nowhere.json", cwd=tmp_path))


# --- forecast ---------------------------------------------------------------------------------


@pytest.mark.slow  # 2,000 rehearsals: statistical
def test_forecast_of_a_k_of_n_pool_finds_k_over_n_in_its_interval(tmp_path: Path) -> None:
    """n = 7 children of P1's catchment, k = 3 seats: each child's chance there is 3/7."""
    k, n, runs = 3, 7, 2000
    write_json(tmp_path / "pool.json", small_scenario(applicants=n, seats=k))
    result = paiwei(
        "rehearse", "pool.json", "--runs", str(runs), "--seed", "5eed", "--out", "f", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert sorted(tree(tmp_path / "f")) == ["forecast.json", "summary.json"]
    report = json.loads((tmp_path / "f/forecast.json").read_bytes())
    assert report["staff_only"] is True
    assert report["note"] == "仅供内部分析"
    assert report["runs"] == runs
    assert report["confidence"] == 0.999
    p1 = next(s for s in report["schools"] if s["school"] == "P1")
    row = next(r for r in p1["rows"] if r["round"] == "single-school")
    assert (row["class"], row["rank"], row["listed"]) == (2, 1, n * runs)
    lo, hi = row["interval"]
    assert lo <= k / n <= hi
    assert hi - lo < 0.05
    assert row["probability"] == pytest.approx(row["admitted"] / row["listed"], abs=1e-6)
    # per child, the runs are independent trials: each child's share of P1 is near k/n
    children = {a["applicant"]: a["outcomes"] for a in report["applicants"]}
    assert len(children) == n
    for outcomes in children.values():
        assert sum(o["runs"] for o in outcomes) == runs
        p1_share = next(o for o in outcomes if o["school"] == "P1")
        lo, hi = p1_share["interval"]
        assert lo <= k / n <= hi, p1_share
        assert hi - lo < 0.1
    # losers go on to Z1's allocation, where P2 and P3 (2 seats each) take all four
    zone = next(z for z in report["zones"] if z["zone"] == "Z1")
    assert zone["eligible_children"] == n
    assert zone["expected_unplaced"] == 0
    same = paiwei(
        "rehearse", "pool.json", "--runs", "50", "--seed", "5eed", "--out", "g", cwd=tmp_path
    )
    again = paiwei(
        "rehearse", "pool.json", "--runs", "50", "--seed", "5eed", "--out", "h", cwd=tmp_path
    )
    assert same.returncode == again.returncode == 0
    assert tree(tmp_path / "g") == tree(tmp_path / "h")


def test_forecast_counts_unplaced_children_per_zone(tmp_path: Path) -> None:
    """Ten children, six seats in the whole district: four are left unplaced in every run."""
    data = primary_district({"P1": 1, "P2": 1, "P3": 1, "P4": 1, "M1": 1, "B1": 1})
    data["applicants"] = [child(f"c{i}") for i in range(10)]
    write_json(tmp_path / "s.json", data)
    result = paiwei(
        "rehearse", "s.json", "--runs", "20", "--seed", "07", "--out", "f", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    zones = json.loads((tmp_path / "f/forecast.json").read_bytes())["zones"]
    z1 = next(z for z in zones if z["zone"] == "Z1")
    assert (z1["eligible_children"], z1["expected_unplaced"], z1["min"], z1["max"]) == (10, 6, 6, 6)


# --- scenario generate: the README's command ------------------------------------------------------


def test_generate_then_rehearse_then_verify(tmp_path: Path) -> None:
    gen = paiwei(
        "scenario", "generate", "--out", "var/cy.json", "--applicants", "400", "--schools", "8",
        "--seed", "7", cwd=tmp_path,
    )  # fmt: skip
    assert gen.returncode == 0, gen.stderr
    data = json.loads((tmp_path / "var/cy.json").read_bytes())
    assert data["format"] == "paiwei-scenario/1"
    assert len(data["applicants"]) == 400
    assert scenario_from_mapping(data).applicants.size == 400
    before = (tmp_path / "var/cy.json").read_bytes()
    same = paiwei(
        "scenario", "generate", "--out", "var/cy.json", "--applicants", "400", "--schools", "8",
        "--seed", "7", cwd=tmp_path,
    )  # fmt: skip
    assert same.returncode == 0, same.stderr  # the same district again: nothing to overwrite
    other = paiwei("scenario", "generate", "--out", "var/cy.json", cwd=tmp_path)
    assert "exists" in one_line_error(other)
    assert (tmp_path / "var/cy.json").read_bytes() == before
    run = paiwei("rehearse", "var/cy.json", "--seed", "00", "--out", "var/rehearsal", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    summary = json.loads((tmp_path / "var/rehearsal/summary.json").read_bytes())
    assert summary["policy"]["source"] == "shipped:chaoyang-2024"
    assert summary["counts"]["applicants"] == 400
    bundles = sorted((tmp_path / "var/rehearsal/bundles").glob("*.json"))
    assert len(bundles) == 4
    key = f"rehearsal={summary['key']['public_key']}"
    verified = paiwei("verify", *bundles, "--key", key, cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout
    assert verified.stdout.count("rehearsal, not a published draw") == 4


def test_the_installed_command_in_a_subprocess(tmp_path: Path) -> None:
    """The real entry point: start-up, the progress bar without a terminal, exit codes."""
    exe = str(Path(sys.executable).parent / "paiwei")
    write_json(tmp_path / "s.json", small_scenario())

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, *args], capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False
        )

    done = run("rehearse", "s.json", "--runs", "5", "--seed", "0a", "--out", "f")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads((tmp_path / "f/forecast.json").read_bytes())["runs"] == 5
    (tmp_path / "junk.json").write_bytes(b"\x00\xff" * 1000)
    bad = run("rehearse", "junk.json")
    assert bad.returncode == 2
    assert len(bad.stderr.splitlines()) == 1
    assert "Traceback" not in bad.stderr
