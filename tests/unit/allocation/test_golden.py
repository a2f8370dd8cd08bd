"""Golden cases (tests/cases/case_*.json): one per rule of §三 and §四 that decides an outcome.

Each file names the rule it exercises; expected outcomes are written by hand from
the policy text (tests/cases/make_cases.py). A known failure is marked
``xfail(strict=True)`` through the case's ``"xfail"`` field, never deleted.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from allocation import (
    ADDRESS_DECISIONS,
    RULES,
    Explainer,
    rehearsal_contributions,
    run_plan,
    scenario_from_mapping,
    shipped_policy,
)

CASES = sorted((Path(__file__).parents[2] / "cases").glob("case_*.json"))


def _params() -> list[Any]:
    out = []
    for path in CASES:
        data = json.loads(path.read_text(encoding="utf-8"))
        marks = [pytest.mark.xfail(strict=True, reason=data["xfail"])] if "xfail" in data else []
        out.append(pytest.param(path, id=path.stem, marks=marks))
    return out


def test_there_is_a_case_per_rule() -> None:
    """At least the rules of §三（一）–（五）and §四（一）1, 2, 5 and §四（二）have a case."""
    rules = " ".join(json.loads(p.read_text(encoding="utf-8"))["rule"] for p in CASES)
    for section in (
        "§三（一）1",
        "§三（一）1（1）",
        "§三（一）1（2）",
        "§三（一）1（3）",
        "§三（一）2",
        "§三（二）1（1）",
        "§三（二）2（1）",
        "§三（三）",
        "§三（四）",
        "§三（五）",
        "§四（一）1",
        "§四（一）2",
        "§四（一）5",
        "§四（二）1（1）",
        "§四（二）2（1）①",
        "§四（二）2（1）②",
        "§四（二）2（1）③",
    ):
        assert section in rules, section


@pytest.mark.parametrize("path", _params())
def test_golden_case(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert path.stem == data["name"]
    policy = shipped_policy().with_readings(**data.get("readings", {}))
    scenario = scenario_from_mapping(data["scenario"])
    result = run_plan(
        policy, scenario, rehearsal_contributions(bytes.fromhex(data["seed"])), rehearsal=True
    )
    codes = [r.code for r in RULES]
    explainer = Explainer(result)
    for aid, want in data["expected"].items():
        if aid == "@schools":
            got = Counter(s for s in result.assignment().values() if s is not None)
            assert dict(got) == want, f"{data['rule']}: seats filled"
            continue
        if aid == "@modes":  # "round/school" -> the school's mode in that round
            modes = {f"{sr.round}/{sr.school}": sr.mode for sr in result.school_rounds()}
            assert {k: modes.get(k) for k in want} == want, f"{data['rule']}: modes"
            continue
        out = result.outcome(aid)
        i = result.row_of(aid)
        where = f"{data['rule']} {aid}"
        assert out.status == want["status"], where
        if "school" in want:
            assert out.school == want["school"], where
        if "school_in" in want:
            assert out.school in want["school_in"], where
        if "round" in want:
            assert out.round == want["round"], where
        if "choice" in want:
            assert out.choice == want["choice"], where
        if "eligibility" in want:
            assert codes[int(result.routing.eligibility_rule[i])] == want["eligibility"], where
        if "route" in want:
            assert codes[int(result.routing.route_rule[i])] == want["route"], where
        if "priority" in want:
            assert codes[int(result.routing.priority_rule[i])] == want["priority"], where
        _check_v2(result, explainer, i, aid, want, where)
        if "mode" in want:
            rnd = next(r for r in result.rounds if r.spec.id == out.round)
            sr = next(s for s in rnd.results if s.school == out.school)
            assert sr.mode == want["mode"], where


def _check_v2(  # noqa: PLR0917  the case's row and expectations
    result: Any, explainer: Explainer, i: int, aid: str, want: dict[str, Any], where: str
) -> None:
    """The expectations added with scenario format 2: address, unmet conditions, texts."""
    codes = [r.code for r in RULES]
    rt = result.routing
    if "address" in want:
        assert ADDRESS_DECISIONS[int(rt.address[i])] == want["address"], where
    if "address_rule" in want:
        assert codes[int(rt.address_rule[i])] == want["address_rule"], where
    if "unmet" in want:
        assert [r.code for r in rt.unmet_rules(i)] == want["unmet"], where
    if "nine_year" in want:
        nine = int(rt.nine_year[i])
        assert (result.scenario.schools[nine].id if nine >= 0 else None) == want["nine_year"], where
    text = explainer.explain(aid).text
    for part in want.get("text_has", []):
        assert part in text, f"{where}: {part!r} not in the explanation"
    for part in want.get("text_lacks", []):
        assert part not in text, f"{where}: {part!r} in the explanation"


def _codes_in_cases() -> set[str]:
    out: set[str] = set()
    for p in CASES:
        for aid, want in json.loads(p.read_text(encoding="utf-8"))["expected"].items():
            if aid.startswith("@"):
                continue
            for key in ("eligibility", "route", "priority", "address_rule"):
                if key in want:
                    out.add(want[key])
            out.update(want.get("unmet", []))
    return out


def test_every_reason_code_has_a_golden_case() -> None:
    """Every rule code the engine can decide with is the expected code of some golden case."""
    missing = sorted({r.code for r in RULES} - _codes_in_cases())
    assert not missing, f"rule codes without a golden case: {missing}"


def test_golden_cases_name_only_real_codes() -> None:
    unknown = sorted(_codes_in_cases() - {r.code for r in RULES})
    assert not unknown, unknown


# Readings whose other value is flipped by a test outside the golden cases, and why.
FLIPPED_ELSEWHERE = {
    # the tie-break reading changes odds, not one outcome: test_readings.py draws 16 seeds
    ("preferential_care", "tie-break"): "tests/unit/allocation/test_readings.py",
}


def test_every_reading_value_has_a_golden_case() -> None:
    """Team rule: every open reading of the policy is flipped by a test, value by value."""
    from allocation import READING_SPECS  # noqa: PLC0415

    used = {
        (name, value)
        for p in CASES
        for name, value in json.loads(p.read_text(encoding="utf-8")).get("readings", {}).items()
    }
    for name, spec in READING_SPECS.items():
        for value in spec.options:
            if value == spec.default or (name, value) in FLIPPED_ELSEWHERE:
                continue
            assert (name, value) in used, f"no golden case runs {name} = {value!r}"
