"""The scenario format: strict validation with JSON pointers, and a lossless round trip."""

from __future__ import annotations

import json
from typing import Any

import pytest

from allocation import ScenarioError, generate_district, scenario_from_mapping, scenario_to_mapping
from tests.unit.allocation._helpers import child, district


def test_generator_output_round_trips_through_json() -> None:
    data = generate_district(400, 12, seed=7)
    text = json.dumps(data, ensure_ascii=False)
    sc = scenario_from_mapping(json.loads(text))
    assert scenario_to_mapping(sc) == data
    assert sc.applicants.size == 400


def test_generator_is_deterministic_and_seed_dependent() -> None:
    assert generate_district(200, 8, seed=1) == generate_district(200, 8, seed=1)
    assert generate_district(200, 8, seed=1) != generate_district(200, 8, seed=2)


def _error(data: dict[str, Any]) -> ScenarioError:
    with pytest.raises(ScenarioError) as err:
        scenario_from_mapping(data)
    return err.value


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["applicants"][0].update(birth_date="2018/01/01"), "/applicants/0/birth_date"),
        (lambda d: d["applicants"][0].update(nickname="x"), "/applicants/0/nickname"),
        (
            lambda d: d["applicants"][0]["choices"].update(zone=["P2", "P2"]),
            "/applicants/0/choices/zone",
        ),
        (
            lambda d: d["applicants"][0]["choices"].update(zone=["M1"]),
            "/applicants/0/choices/zone/0",
        ),
        (
            lambda d: d["applicants"][0]["choices"].update(private_boarding=["P1"]),
            "/applicants/0/choices/private_boarding/0",
        ),
        (
            lambda d: d["applicants"][0]["residence"].pop("certificate_date"),
            "/applicants/0/residence",
        ),
        (lambda d: d["applicants"][0].update(categories=["vip"]), "/applicants/0/categories/0"),
        (lambda d: d["zones"][2].update(area="Z2"), "/zones/2/area"),
        (lambda d: d["zones"][0]["schools"].append("P9"), "/zones/0/schools/3"),
        (lambda d: d["schools"][0].update(seats=-1), "/schools/0/seats"),
        (lambda d: d.update(format="v0"), "/format"),
    ],
)
def test_invalid_scenarios_name_the_value(mutate: Any, where: str) -> None:
    data = district([child("c1"), child("c2")])
    mutate(data)
    assert _error(data).where == where


def test_duplicate_applicant_is_rejected() -> None:
    err = _error(district([child("c1"), child("c1")]))
    assert err.where == "/applicants/1/id"


def test_embedded_policy_is_read_from_the_scenario() -> None:
    import tomllib  # noqa: PLC0415

    from allocation import embedded_policy, shipped_policy_text  # noqa: PLC0415

    data = district([child("c1")])
    assert embedded_policy(scenario_from_mapping(data)) is None  # a path: the shell reads it
    data["policy"] = {"embedded": tomllib.loads(shipped_policy_text())}
    policy = embedded_policy(scenario_from_mapping(data))
    assert policy is not None and policy.year == 2024
