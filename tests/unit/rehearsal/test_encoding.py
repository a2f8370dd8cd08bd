"""applicants.json from templates is the same bytes as the dict path it replaced.

``encode_applicants`` writes each row by hand (sorted keys, strings through orjson);
the reference is the former path: ``applicant_record`` dicts, sorted by id, through
``dump_rows``. Compared on every golden case (both stages, every rule, ineligible and
arranged children, unmet conditions, nine-year routes, both mechanisms) and on a
generated district with two seeds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from allocation import (
    Explainer,
    generate_district,
    rehearsal_contributions,
    run_plan,
    scenario_from_mapping,
    shipped_policy,
)
from paiwei.rehearsal.season import (
    NOTE,
    REHEARSAL_FORMAT,
    applicant_record,
    dump_rows,
    encode_applicants,
)

CASES = sorted((Path(__file__).parents[2] / "cases").glob("case_*.json"))
REST = {"format": REHEARSAL_FORMAT, "rehearsal": True, "note": NOTE}


def _reference(result: Any) -> bytes:
    explainer = Explainer(result)
    rows = [
        applicant_record(result, i, explainer.explain_row(i))
        for i in range(result.scenario.applicants.size)
    ]
    rows.sort(key=lambda a: a["applicant"].encode("utf-8"))
    return dump_rows("applicants", rows, REST)


def _both(policy: Any, mapping: dict[str, Any], seed: bytes) -> tuple[bytes, bytes]:
    result = run_plan(
        policy, scenario_from_mapping(mapping), rehearsal_contributions(seed), rehearsal=True
    )
    return encode_applicants(result, Explainer(result), REST), _reference(result)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_case_rows_are_the_dict_path_s_bytes(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    policy = shipped_policy().with_readings(**data.get("readings", {}))
    fast, slow = _both(policy, data["scenario"], bytes.fromhex(data["seed"]))
    assert fast == slow
    assert json.loads(fast)["applicants"]  # a non-empty file that parses


@pytest.mark.parametrize("seed", [b"\x00", b"\x2a"])
def test_generated_district_rows_are_the_dict_path_s_bytes(seed: bytes) -> None:
    fast, slow = _both(shipped_policy(), generate_district(3000, 60, seed=7), seed)
    assert fast == slow
    rows = json.loads(fast)["applicants"]
    assert len(rows) == 3000
    # the district exercises what the templates write differently: nulls, cutoffs, unmet
    assert any(r["unmet"] for r in rows)
    assert any(not r["eligible"] for r in rows)
    attempts = [a for r in rows for rd in r["rounds"] for a in rd["attempts"]]
    assert any(a["cutoff"] is None for a in attempts)
    assert any(a["cutoff"] is not None for a in attempts)
    assert any(a["step"] is not None for a in attempts)


def test_an_id_needing_escapes_is_written_as_orjson_writes_it() -> None:
    data = generate_district(200, 10, seed=3)
    data["applicants"][0]["id"] = 'c"\\/\t'  # ids are ASCII: quote, backslash, control
    data["applicants"][1]["id"] = "c\u007f\u0001"
    fast, slow = _both(shipped_policy(), data, b"\x01")
    assert fast == slow
    ids = {r["applicant"] for r in json.loads(fast)["applicants"]}
    assert {'c"\\/\t', "c\u007f\u0001"} <= ids
