"""A season's protocol-v1 bundles keep their bytes through the engine's speed work.

The digests below were computed by the code before the bulk leaf encoding and the
collector change (the main branch at 2b0711f, ``run_plan`` over the same scenarios and
contributions); each round's input root is also recomputed here by the slow path,
:func:`lottery.freeze` of the bundle's own records (validation and one JCS encoding
per record).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

import lottery
from allocation import (
    generate_district,
    rehearsal_contributions,
    run_plan,
    scenario_from_mapping,
    shipped_policy,
)
from allocation.generator import generate_scenario
from lottery import canonical_json
from lottery._canonical import encoder
from lottery._draw import APPLICANT_PREFIX
from lottery._inputs import bulk_leaf_hashes, leaf_hashes

EXPECTED = {
    ("district-900", "private-boarding"): "3d4fc9c01335dda0759df8105ee042c5586e14bf05c462416dffefbdd81afe56",
    ("district-900", "single-school"): "c7317870490aa73e8472645c1408fab0d84cef0eed0168ffd5df8214eed3a8b7",
    ("district-900", "multi-school"): "af1fe45027f943d0f7e472c2d2f078c50078c1475ef024c94e9fdd51898063ea",
    ("district-900", "district"): "b0c5792dbbea0c385ae6b624077bacf0c367170560a4563e139f0078ac6f70d3",
    ("city-3000", "private-boarding"): "231444962ec28674d6a8c7e3f22e10a22c6c8963812da0ccd40965cb0c40041a",
    ("city-3000", "single-school"): "9832eb1bafaf29ec4bc2878f6815475ad49157dfce7803c204dc919ba91e6d41",
    ("city-3000", "multi-school"): "87189cd70f641de6ac0420f8efc97c1f287bfb87ad1e05168ea5bbe146c2a9ce",
    ("city-3000", "district"): "3faf5589ef6de97c8d305358c0df6eb46ddc6a85e47cb23e73e5b01fa71c63ae",
}


def _scenario(name: str) -> Any:
    if name == "district-900":
        return scenario_from_mapping(generate_district(900, 16, seed=5))
    return generate_scenario(3000, 40, seed=7)


@pytest.mark.parametrize("accelerate", [True, False], ids=["accelerated", "plain"])
@pytest.mark.parametrize("name", ["district-900", "city-3000"])
def test_bundles_are_byte_identical_to_before(name: str, accelerate: bool) -> None:
    result = run_plan(
        shipped_policy(), _scenario(name), rehearsal_contributions(b"bundle-bytes"),
        accelerate=accelerate,
    )
    bundles = result.bundles()
    assert sorted(bundles) == sorted(r for n, r in EXPECTED if n == name)
    for round_id, bundle in bundles.items():
        assert hashlib.sha256(canonical_json(bundle)).hexdigest() == EXPECTED[name, round_id]
        slow = lottery.freeze(bundle["draw_id"], bundle["schools"], bundle["applicants"],
                              accelerate=False)
        assert slow.root.hex() == bundle["ceremony"]["input_root"]


RECORDS: list[dict[str, Any]] = [
    {"id": "a", "choices": ["S2", "S1"], "priority": {"S1": 0, "S2": 0}},
    {"id": 'q",{"choices":[', "choices": [], "priority": {}},
    {"id": "中文", "choices": ["S1"], "priority": {"S1": 3}},
]


@pytest.mark.parametrize("accelerate", [True, False])
def test_bulk_leaves_equal_one_encoding_per_record(accelerate: bool) -> None:
    encode = encoder(accelerate=accelerate)
    assert bulk_leaf_hashes(RECORDS, encode, APPLICANT_PREFIX) == leaf_hashes(RECORDS, encode)
    assert bulk_leaf_hashes([], encode, APPLICANT_PREFIX) == []


def test_bulk_leaves_refuse_records_that_do_not_split() -> None:
    encode = encoder(accelerate=True)
    # a record opening with another key: fewer pieces than records
    odd = [*RECORDS, {"age": 1, "id": "z", "choices": [], "priority": {}}]
    assert bulk_leaf_hashes(odd, encode, APPLICANT_PREFIX) is None
    # a nested object that opens like a record: more pieces than records
    nested = [{"id": "y", "choices": ["S1", {"choices": ["S1"]}], "priority": {}}]
    assert bulk_leaf_hashes(nested, encode, APPLICANT_PREFIX) is None


def test_freeze_table_with_extra_keys_takes_the_record_by_record_path() -> None:
    schools = [{"id": "S1", "capacity": 1}, {"id": "S2", "capacity": 1}]
    applicants = [
        {"age": 1, "id": "a", "choices": ["S1"], "priority": {"S1": 0}},
        {"id": "b", "choices": ["S2"], "priority": {"S2": 0}, "x": [{"choices": ["S1"]}]},
    ]
    expected = lottery.freeze("draw/x", schools, applicants)
    got = lottery.freeze_table("draw/x", schools, applicants, expected.table)
    assert got.root == expected.root
