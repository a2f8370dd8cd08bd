"""docs/scenario-schema.json describes the format allocation.scenario_from_mapping accepts."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from allocation import ScenarioError, generate_district, scenario_from_mapping
from tests.unit.rehearsal.helpers import scenario

ROOT = Path(__file__).parents[3]
SCHEMA = json.loads((ROOT / "docs/scenario-schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
CASES = sorted((ROOT / "tests/cases").glob("case_*.json"))


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_every_golden_case_scenario_is_valid(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))["scenario"]
    assert list(VALIDATOR.iter_errors(data)) == []


def test_the_generated_district_is_valid() -> None:
    assert list(VALIDATOR.iter_errors(generate_district(300, 8, seed=3))) == []


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        *head, last = path.split("/")
        node: Any = d
        for key in head:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        *head, last = path.split("/")
        node: Any = d
        for key in head:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[last]

    return mutate


# Structural faults: both the schema and the loader reject them.
BOTH_REJECT = {
    "wrong format": _set("format", "paiwei-scenario/3"),
    "missing applicants": _delete("applicants"),
    "unknown top-level key": _set("colour", "red"),
    "seats as text": _set("schools/0/seats", "2"),
    "negative seats": _set("schools/0/seats", -1),
    "unknown school kind": _set("schools/0/kind", "elite"),
    "missing hukou": _delete("applicants/0/hukou"),
    "non-ASCII applicant id": _set("applicants/0/id", "张三"),
    "bad birth date": _set("applicants/0/birth_date", "2018/03/01"),
    "unknown category": _set("applicants/0/categories", ["vip"]),
    "owned without certificate": _delete("applicants/0/residence/certificate_date"),
    "unknown choice list": _set("applicants/0/choices/lottery", ["P1"]),
    "a school twice in a list": _set("applicants/0/choices/zone", ["P2", "P2"]),
    "unknown policy key": _set("policy", {"path": "x.toml", "version": 2}),
    "two schools in a single-school zone": _set("zones/2/schools", ["P1", "P2"]),
    "group out of range": _set("schools/1/group", 3),
}


@pytest.mark.parametrize("mutate", BOTH_REJECT.values(), ids=BOTH_REJECT.keys())
def test_structural_faults_are_rejected_by_schema_and_loader(mutate: Mutation) -> None:
    data = copy.deepcopy(scenario())
    mutate(data)
    assert list(VALIDATOR.iter_errors(data)), "schema accepted it"
    with pytest.raises(ScenarioError):
        scenario_from_mapping(data)


# References between values: beyond a schema, the loader's to check (docs/rehearsal.md says so).
LOADER_ONLY = {
    "a choice naming no school": _set("applicants/0/choices/zone", ["P9"]),
    "a zone listing no school": _set("zones/0/schools", ["P1", "Q7"]),
    "a duplicate applicant": lambda d: d["applicants"].append(copy.deepcopy(d["applicants"][0])),
    "a private school in the zone list": _set("applicants/0/choices/zone", ["M1"]),
}


@pytest.mark.parametrize("mutate", LOADER_ONLY.values(), ids=LOADER_ONLY.keys())
def test_reference_faults_pass_the_schema_and_fail_the_loader(mutate: Mutation) -> None:
    data = copy.deepcopy(scenario())
    mutate(data)
    assert list(VALIDATOR.iter_errors(data)) == []
    with pytest.raises(ScenarioError):
        scenario_from_mapping(data)


def _v2(*mutations: Mutation) -> Mutation:
    """The same scenario in format version 2, then ``mutations``."""

    def mutate(d: dict[str, Any]) -> None:
        d["format"] = "paiwei-scenario/2"
        for m in mutations:
            m(d)

    return mutate


def _v2_guardians(guardians: Any) -> Mutation:
    return _v2(
        _set("applicants/0/employment_start", None), _set("applicants/0/guardians", guardians)
    )


GOOD_GUARDIAN = {
    "relation": "mother",
    "employment_place": "in-district",
    "employment_start": "2020-01-01",
    "labour_contract": True,
    "social_insurance_place": "in-district",
}

# Version-2 fields: accepted by both in version 2 ...
V2_ACCEPTED = {
    "findings": _v2(_set("applicants/0/review_findings", ["empty-hukou", "garage"])),
    "guardians": _v2_guardians([GOOD_GUARDIAN, {**GOOD_GUARDIAN, "relation": "father"}]),
    "certificate": _v2(
        _delete("applicants/0/residence/certificate_date"),
        _set(
            "applicants/0/residence/certificate",
            {"holder": "relative", "type": "other", "date": "2016-01-01", "address": "a9"},
        ),
    ),
    "use by whom": _v2(
        _set("applicants/0/address_uses", [{"year": 2020, "stage": "primary", "by": "sibling"}])
    ),
    "not submitted": _v2(_set("applicants/0/non_local_review", "not-submitted")),
    "school record place": _v2(_set("applicants/0/school_record_place", "other-province")),
    "special school": _v2(
        _set("applicants/0/categories", ["disabled"]),
        _set("applicants/0/disability_placement", "special-school"),
    ),
    "special school set aside": _v2(
        _set("applicants/0/review_findings", ["disability-not-verified"]),
        _set("applicants/0/disability_placement", "special-school"),
    ),
}


@pytest.mark.parametrize("mutate", V2_ACCEPTED.values(), ids=V2_ACCEPTED.keys())
def test_version_2_fields_are_accepted_by_schema_and_loader(mutate: Mutation) -> None:
    data = copy.deepcopy(scenario())
    mutate(data)
    assert list(VALIDATOR.iter_errors(data)) == []
    assert scenario_from_mapping(data).version == 2


# ... and rejected by both in version 1, or when malformed.
V2_REJECTED = {
    "findings in version 1": _set("applicants/0/review_findings", ["garage"]),
    "not-submitted in version 1": _set("applicants/0/non_local_review", "not-submitted"),
    "use by whom in version 1": _set(
        "applicants/0/address_uses", [{"year": 2020, "stage": "primary", "by": "sibling"}]
    ),
    "unknown finding": _v2(_set("applicants/0/review_findings", ["noisy"])),
    "three guardians": _v2_guardians([GOOD_GUARDIAN] * 3),
    "guardian without relation": _v2_guardians([{"labour_contract": True}]),
    "guardian employed on the moon": _v2_guardians([{**GOOD_GUARDIAN, "employment_place": "moon"}]),
    "guardians and employment_start": _v2(
        _set("applicants/0/employment_start", "2020-01-01"),
        _set("applicants/0/guardians", [GOOD_GUARDIAN]),
    ),
    "certificate and certificate_date": _v2(
        _set(
            "applicants/0/residence/certificate",
            {"holder": "parent", "type": "other", "date": "2016-01-01"},
        )
    ),
    "unknown certificate holder": _v2(
        _delete("applicants/0/residence/certificate_date"),
        _set(
            "applicants/0/residence/certificate",
            {"holder": "neighbour", "type": "other", "date": "2016-01-01"},
        ),
    ),
    "tenancy condition on an owned home": _v2(_set("applicants/0/residence/continuous", False)),
    "unknown school record place": _v2(_set("applicants/0/school_record_place", "abroad")),
    "placement in version 1": _set("applicants/0/disability_placement", "special-school"),
    "unknown placement": _v2(_set("applicants/0/disability_placement", "home-schooling")),
}


@pytest.mark.parametrize("mutate", V2_REJECTED.values(), ids=V2_REJECTED.keys())
def test_version_2_faults_are_rejected_by_schema_and_loader(mutate: Mutation) -> None:
    data = copy.deepcopy(scenario())
    mutate(data)
    assert list(VALIDATOR.iter_errors(data)), "schema accepted it"
    with pytest.raises(ScenarioError):
        scenario_from_mapping(data)


def test_a_school_record_elsewhere_cannot_name_a_district_school() -> None:
    """Beyond the schema: a school_of_record of the scenario is in the district."""
    data = copy.deepcopy(scenario())
    _v2(
        _set("applicants/0/school_of_record", "P1"),
        _set("applicants/0/school_record_place", "other-province"),
    )(data)
    assert list(VALIDATOR.iter_errors(data)) == []
    with pytest.raises(ScenarioError, match="in the district"):
        scenario_from_mapping(data)


def test_a_placement_needs_the_disabled_category() -> None:
    """Beyond the schema: §四（二）1（4） is for disabled children only."""
    data = copy.deepcopy(scenario())
    _v2(_set("applicants/0/disability_placement", "special-class"))(data)
    assert list(VALIDATOR.iter_errors(data)) == []
    with pytest.raises(ScenarioError, match="disabled"):
        scenario_from_mapping(data)


def test_the_disability_not_verified_with_the_disabled_category_is_a_contradiction() -> None:
    """Beyond the schema: §三（三） the finding says 相关职能部门 did not confirm what the
    category says they did."""
    data = copy.deepcopy(scenario())
    _v2(
        _set("applicants/0/categories", ["disabled"]),
        _set("applicants/0/review_findings", ["disability-not-verified"]),
    )(data)
    assert list(VALIDATOR.iter_errors(data)) == []
    with pytest.raises(ScenarioError, match="contradicts"):
        scenario_from_mapping(data)
