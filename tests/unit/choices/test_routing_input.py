"""The routing record with the parent's verified details joined in (issue 18): each field
taken once, a contradiction refused naming it, and the engine deciding on the joined record."""

from __future__ import annotations

from typing import Any

import pytest

from paiwei.choices.errors import ChoiceError
from paiwei.choices.rules import (
    OTHER_ADDRESS_SUFFIX,
    IntakeFacts,
    decide,
    policy_named,
    routing_input,
)
from tests.unit.choices.test_rules import SCHOOLS, ZONES

MOTHER = {"relation": "mother", "employment_place": "in-district", "employment_start": "2019-03-01",
          "labour_contract": True, "social_insurance_place": "in-district"}
TENANCY = {"rental_start": "2020-01-01", "registered": True, "continuous": True, "sole_tenancy": True}
CERT = {"holder": "parent", "type": "real-estate-certificate", "date": "2016-05-01"}


def staff(residence: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    """What district staff record: the hukou, the pseudonymous address and its zone."""
    return {"birth_date": "2018-03-01", "hukou": {"kind": "beijing"},
            "residence": residence or {"kind": "rented", "address": "a1", "zone": "Z1"},
            "property": {"beijing": False, "chaoyang": False}, **more}


def rule_of(rec: dict[str, Any]) -> str:
    d = decide(policy=policy_named("chaoyang-2024"), year=2024, stage="primary", schools=SCHOOLS,
               zones=ZONES, records={"A1": rec})["A1"]
    return d.eligibility_rule.code


def renting(**tenancy: Any) -> IntakeFacts:
    return IntakeFacts(residence_kind="rented", tenancy={**TENANCY, **tenancy}, guardians=(MOTHER,))


def test_findings_alone_keep_the_old_meaning() -> None:
    rec = staff()
    assert routing_input(rec, ()) == rec
    assert routing_input(rec, ["garage", "empty-hukou"])["review_findings"] == ["empty-hukou", "garage"]


@pytest.mark.parametrize(("tenancy", "code"), [
    ({}, "beijing-renting"),
    ({"continuous": False}, "renting-not-continuous"),
    ({"sole_tenancy": False}, "renting-not-sole"),
    ({"registered": False}, "renting-not-registered"),
    ({"rental_start": "2022-01-01"}, "renting-under-three-years"),
])
def test_each_tenancy_condition_of_the_details_decides_with_its_rule(tenancy: dict[str, Any], code: str) -> None:
    joined = routing_input(staff(), renting(**tenancy))
    assert joined["residence"] == {"kind": "rented", "address": "a1", "zone": "Z1", **TENANCY, **tenancy}
    assert joined["guardians"] == [MOTHER]
    assert rule_of(joined) == code


@pytest.mark.parametrize(("guardian", "code"), [
    ({"social_insurance_place": "other-beijing"}, "social-insurance-not-in-district"),
    ({"employment_place": "outside-beijing"}, "employment-not-in-district"),
    ({"labour_contract": False}, "employment-no-contract"),
    ({"employment_start": None}, "employment-under-three-years"),
])
def test_each_guardian_condition_decides_with_its_rule(guardian: dict[str, Any], code: str) -> None:
    facts = IntakeFacts(residence_kind="rented", tenancy=TENANCY, guardians=({**MOTHER, **guardian},))
    assert rule_of(routing_input(staff(), facts)) == code


@pytest.mark.parametrize(("cert", "for_residence", "code"), [
    (CERT, True, "beijing-property"),
    ({**CERT, "holder": "relative"}, True, "certificate-holder-not-guardian"),
    ({**CERT, "type": "other"}, True, "certificate-type-not-accepted"),
    (CERT, False, "certificate-address-mismatch"),
])
def test_the_certificate_of_the_details_decides(cert: dict[str, Any], for_residence: bool, code: str) -> None:
    facts = IntakeFacts(residence_kind="owned", certificate=cert, certificate_for_residence=for_residence)
    joined = routing_input(staff({"kind": "owned", "address": "a9", "zone": "Z1"}), facts)
    expected = cert if for_residence else {**cert, "address": f"a9{OTHER_ADDRESS_SUFFIX}"}
    assert joined["residence"]["certificate"] == expected
    assert rule_of(joined) == code


def test_a_value_stated_twice_must_agree() -> None:
    # version 1's shorthands, stated as the details say: joined, not refused
    v1 = staff({"kind": "owned", "address": "a9", "zone": "Z1", "certificate_date": "2016-05-01"},
               employment_start="2019-03-01")
    facts = IntakeFacts(residence_kind="owned", certificate=CERT, guardians=(MOTHER,))
    joined = routing_input(v1, facts)
    assert "certificate_date" not in joined["residence"] and "employment_start" not in joined
    assert rule_of(joined) == "beijing-property"
    # and every contradiction named, none silently preferred
    bad = staff({"kind": "owned", "address": "a9", "zone": "Z1", "certificate_date": "2017-08-01",
                 "certificate": {"holder": "parent", "type": "other", "date": "2016-05-01"}},
                employment_start="2020-01-01", guardians=[], school_record_place="in-district")
    with pytest.raises(ChoiceError) as caught:
        routing_input(bad, IntakeFacts(residence_kind="owned", certificate=CERT, guardians=(MOTHER,),
                                       school_record_place="other-province"))
    assert caught.value.code == "routing_record_invalid"
    for field in ("residence.certificate_date", "residence.certificate.type", "guardians",
                  "employment_start", "school_record_place"):
        assert field in (caught.value.detail or ""), field
    with pytest.raises(ChoiceError, match="routing_record_invalid") as kind:
        routing_input(staff({"kind": "none"}), renting())
    assert "residence.kind" in (kind.value.detail or "")


def test_the_dwelling_kind_fills_a_record_without_a_residence() -> None:
    rec = {"birth_date": "2018-03-01", "hukou": {"kind": "chaoyang", "zone": "Z1"}}
    joined = routing_input(rec, IntakeFacts(residence_kind="none", findings=("empty-hukou",)))
    assert joined["residence"] == {"kind": "none"}
    assert rule_of(joined) == "review-empty-hukou"
