"""Which schools routing allows, the checks of a submitted list, and receipts."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lottery import canonical_json
from paiwei.choices.errors import ChoiceError
from paiwei.choices.rules import (
    allowed_schools,
    check_choices,
    policy_named,
    receipt_digest,
    receipt_matches_bundle_record,
)

SCHOOLS: list[dict[str, Any]] = [
    {"id": "P01", "kind": "public", "stage": "primary", "seats": 2, "zone": "Z1"},
    {"id": "P02", "kind": "public", "stage": "primary", "seats": 1, "zone": "Z1"},
    {"id": "P04", "kind": "public", "stage": "primary", "seats": 2, "zone": "Z2"},
    {"id": "S01", "kind": "public", "stage": "primary", "seats": 2},
    {"id": "PV1", "kind": "private", "stage": "primary", "seats": 1},
    {"id": "BD1", "kind": "boarding", "stage": "primary", "seats": 2},
]
ZONES: list[dict[str, Any]] = [
    {"id": "Z1", "kind": "multi-school", "stage": "primary", "schools": ["P01", "P02"]},
    {"id": "Z2", "kind": "multi-school", "stage": "primary", "schools": ["P04"]},
    {"id": "S1", "kind": "single-school", "stage": "primary", "schools": ["S01"]},
]


def record(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"birth_date": "2018-03-01", "hukou": {"kind": "chaoyang", "zone": "Z1"},
                            "residence": {"kind": "rented", "address": "a1", "zone": "Z1",
                                          "rental_start": "2020-01-01", "registered": True}}
    base.update(overrides)
    return base


def allowed(rec: dict[str, Any]) -> Any:
    return allowed_schools(policy=policy_named("chaoyang-2024"), year=2024, stage="primary",
                           schools=SCHOOLS, zones=ZONES, record=rec, pseudonym="A1")


def test_routing_decides_the_zone_and_the_private_boarding_schools() -> None:
    a = allowed(record())
    assert (a.eligible, a.zone) == (True, "Z1")
    assert a.schools["zone"] == ("P01", "P02")
    assert a.schools["private_boarding"] == ("PV1", "BD1")
    assert a.schools["groups"] == ()  # primary: no groups
    assert (a.max_choices["private_boarding"], a.max_choices["zone"]) == (1, 6)  # the policy's rounds


def test_an_owned_home_in_another_zone_lists_that_zones_schools() -> None:
    owned = record(residence={"kind": "owned", "address": "a2", "zone": "Z2",
                              "certificate_date": "2015-01-01"})
    a = allowed(owned)
    assert a.eligible and a.zone == "Z2" and a.schools["zone"] == ("P04",)


def test_a_used_address_lists_no_zone_schools() -> None:
    """§四（一）1: a rented home used in 2022 keeps the child out of Z1's draw (district round)."""
    a = allowed(record(address_uses=[{"year": 2022, "stage": "primary"}]))
    assert a.eligible and a.zone is None and a.schools["zone"] == ()
    assert a.schools["private_boarding"] == ("PV1", "BD1")


def test_an_ineligible_child_may_choose_nothing() -> None:
    a = allowed(record(birth_date="2018-09-01"))
    assert not a.eligible
    assert all(schools == () for schools in a.schools.values())


@pytest.mark.parametrize("bad", [{"id": "X"}, {"choices": {}}, {"hukou": {"kind": "mars"}},
                                 {"residence": {"kind": "rented", "address": "a", "zone": "NOPE",
                                                "rental_start": "2020-01-01"}}])
def test_a_malformed_routing_record_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ChoiceError) as caught:
        allowed(record(**bad))
    assert caught.value.code == "routing_record_invalid"


@pytest.mark.parametrize(("kind", "schools", "code"), [
    ("zone", [], "no_choices"),
    ("zone", ["P01", "P01"], "duplicate_choice"),
    ("zone", ["P04"], "school_not_allowed"),
    ("private_boarding", ["P01"], "school_not_allowed"),
    ("private_boarding", ["PV1", "BD1"], "too_many_choices"),
    ("groups", ["P01"], "school_not_allowed"),
])
def test_check_choices_refuses(kind: str, schools: list[str], code: str) -> None:
    with pytest.raises(ChoiceError) as caught:
        check_choices(kind, schools, allowed(record()))
    assert caught.value.code == code


def test_check_choices_keeps_the_order() -> None:
    assert check_choices("zone", ["P02", "P01"], allowed(record())) == ["P02", "P01"]


def receipt_of(choices: list[str]) -> dict[str, Any]:
    rec = {"format": "paiwei-choice-receipt/1", "applicant": {"id": "A1", "choices": choices},
           "kind": "zone", "year": 2024, "zone": None}
    return {"record": rec, "sha256": receipt_digest(rec)}


def test_receipt_digest_is_sha256_of_the_canonical_json() -> None:
    rec = receipt_of(["P01"])["record"]
    assert receipt_digest(rec) == hashlib.sha256(canonical_json(rec)).hexdigest()


school_ids = st.lists(st.sampled_from(["P01", "P02", "P03", "P04", "PV1"]), unique=True, max_size=4)


@given(mine=school_ids, published=school_ids)
def test_a_receipt_matches_a_bundle_record_exactly_when_id_and_choices_agree(
        mine: list[str], published: list[str]) -> None:
    receipt = receipt_of(mine)
    bundle_record = {"id": "A1", "choices": published, "priority": dict.fromkeys(published, 0)}
    assert receipt_matches_bundle_record(receipt, bundle_record) is (mine == published)
    assert not receipt_matches_bundle_record(receipt, {**bundle_record, "id": "A2"})


def test_an_altered_receipt_does_not_match() -> None:
    receipt = receipt_of(["P01"])
    forged = copy.deepcopy(receipt)
    forged["record"]["year"] = 2025
    assert not receipt_matches_bundle_record(forged, {"id": "A1", "choices": ["P01"], "priority": {}})
    assert not receipt_matches_bundle_record({"sha256": "x"}, {"id": "A1", "choices": []})
    assert not receipt_matches_bundle_record(receipt, {"id": "A1"})


def test_routing_input_joins_the_reviewers_findings_once_in_the_formats_order() -> None:
    from paiwei.choices.rules import routing_input  # noqa: PLC0415

    rec = record(review_findings=["garage"])
    joined = routing_input(rec, ["material-not-submitted", "empty-hukou", "garage"])
    assert joined["review_findings"] == ["empty-hukou", "garage", "material-not-submitted"]
    assert routing_input(rec, []) == rec and rec["review_findings"] == ["garage"]
    assert not allowed(routing_input(record(), ["material-not-submitted"])).eligible


def test_the_reviewers_see_every_finding_with_a_label() -> None:
    import typing  # noqa: PLC0415

    from allocation.scenario import REVIEW_FINDINGS  # noqa: PLC0415
    from paiwei.review.schemas import FINDING_LABELS, Finding  # noqa: PLC0415

    assert tuple(FINDING_LABELS) == REVIEW_FINDINGS == typing.get_args(Finding)
    assert all(label and label.isascii() is False for label in FINDING_LABELS.values())
