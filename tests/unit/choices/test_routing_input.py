"""The routing record with the parent's verified details joined in (issue 18): each field
taken once, a contradiction refused naming it, and the engine deciding on the joined record."""

from __future__ import annotations

from typing import Any

import pytest

from paiwei.choices.errors import ChoiceError
from paiwei.choices.rules import (
    OTHER_ADDRESS_SUFFIX,
    PLACEMENT_TEXT,
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


def test_the_hukou_kind_of_the_registration_agrees_or_is_refused_by_name() -> None:
    rec = staff(hukou={"kind": "beijing", "zone": "Z1"})
    joined = routing_input(rec, IntakeFacts(hukou_kind="beijing"))
    assert joined["hukou"] == {"kind": "beijing", "zone": "Z1"}  # the zone stays staff's
    # a record without the kind takes it from the registration
    no_kind = {**rec, "hukou": {"zone": "Z1"}}
    assert routing_input(no_kind, IntakeFacts(hukou_kind="chaoyang"))["hukou"] == {"kind": "chaoyang", "zone": "Z1"}
    with pytest.raises(ChoiceError) as caught:
        routing_input(rec, IntakeFacts(hukou_kind="other"))
    assert caught.value.code == "routing_record_invalid"
    assert "hukou.kind" in (caught.value.detail or "") and "不一致" in (caught.value.detail or "")
    assert routing_input(rec, IntakeFacts()) == rec  # not stated: the record's kind stands


def test_no_property_of_the_details_decides_the_renter_s_condition() -> None:
    """§三（一）1（3）无房 (reading no_property_means = none-in-beijing): a family owning a
    flat anywhere in Beijing is no 无房家庭."""
    record = {k: v for k, v in staff().items() if k != "property"}
    owns = IntakeFacts(residence_kind="rented", tenancy=TENANCY, guardians=(MOTHER,),
                       property={"beijing": True, "chaoyang": False})
    joined = routing_input(record, owns)
    assert joined["property"] == {"beijing": True, "chaoyang": False}
    assert rule_of(joined) == "renting-owns-property"
    none = IntakeFacts(residence_kind="rented", tenancy=TENANCY, guardians=(MOTHER,),
                       property={"beijing": False, "chaoyang": False})
    assert rule_of(routing_input(record, none)) == "beijing-renting"
    # stated by staff too: it must agree, else each key is named
    assert routing_input(staff(), none)["property"] == {"beijing": False, "chaoyang": False}
    with pytest.raises(ChoiceError) as caught:
        routing_input(staff(), owns)
    assert "property.beijing" in (caught.value.detail or "")
    assert "property.chaoyang" not in (caught.value.detail or "")
    # not stated (before 0011): staff's value stands
    assert routing_input(staff(), renting())["property"] == {"beijing": False, "chaoyang": False}


def _placement(rec: dict[str, Any], stage: str = "primary") -> Any:
    return decide(policy=policy_named("chaoyang-2024"), year=2024, stage=stage, schools=SCHOOLS,
                  zones=ZONES, records={"A1": rec})["A1"]


def _requesting(placement: str | None, stage: str = "primary") -> IntakeFacts:
    """A renter meeting every condition whose guardians request ``placement``."""
    return IntakeFacts(residence_kind="rented", tenancy=TENANCY, guardians=(MOTHER,),
                       disability_placement=placement, stage=stage)


def test_a_requested_placement_joins_a_verified_disabled_child() -> None:
    rec = staff(categories=["disabled"])
    joined = routing_input(rec, _requesting("special-school"))
    assert joined["disability_placement"] == "special-school"
    assert _placement(joined).route_rule.code == "disability-special-school"
    joined = routing_input(rec, _requesting("special-class"))
    assert _placement(joined).route_rule.code == "disability-special-class"
    regular = _placement(routing_input(rec, _requesting("regular-class")))
    assert (regular.eligible, regular.route, regular.priority_rule.code) == (True, "zone", "disabled")
    assert "disability_placement" not in routing_input(rec, _requesting(None))  # not stated
    # stated by staff too: must agree
    with pytest.raises(ChoiceError) as caught:
        routing_input({**rec, "disability_placement": "regular-class"},
                      IntakeFacts(disability_placement="special-school", stage="primary"))
    assert "disability_placement" in (caught.value.detail or "")


@pytest.mark.parametrize("placement", ["special-school", "special-class", "regular-class"])
def test_a_request_without_the_verified_disability_is_refused_not_dropped(placement: str) -> None:
    with pytest.raises(ChoiceError) as caught:
        routing_input(staff(), IntakeFacts(disability_placement=placement, stage="primary"))
    detail = caught.value.detail or ""
    assert caught.value.code == "routing_record_invalid"
    assert detail.startswith("disability_placement：") and "相关职能部门认定" in detail
    assert PLACEMENT_TEXT[placement] in detail


def test_a_junior_child_cannot_be_given_a_special_class() -> None:
    with pytest.raises(ChoiceError) as caught:
        routing_input(staff(categories=["disabled"]),
                      IntakeFacts(disability_placement="special-class", stage="junior"))
    assert "小学附设特教班仅适用于小学" in (caught.value.detail or "")
    joined = routing_input(staff(categories=["disabled"]),
                           IntakeFacts(disability_placement="special-school", stage="junior"))
    assert joined["disability_placement"] == "special-school"


def _not_verified(placement: str | None) -> IntakeFacts:
    """The same renter, with the reviewers' finding that 相关职能部门 did not confirm the
    disability (§三（三））."""
    return IntakeFacts(findings=("disability-not-verified",), residence_kind="rented", tenancy=TENANCY,
                       guardians=(MOTHER,), disability_placement=placement, stage="primary")


@pytest.mark.parametrize("placement", ["special-school", "special-class", "regular-class"])
def test_with_the_finding_the_request_is_joined_and_set_aside(placement: str) -> None:
    joined = routing_input(staff(), _not_verified(placement))
    assert joined["disability_placement"] == placement
    assert joined["review_findings"] == ["disability-not-verified"]
    got, plain = _placement(joined), _placement(routing_input(staff(), _requesting(None)))
    # routed as a child of its route who asked for nothing: the zone's draw, no disabled class
    assert (got.eligible, got.route, got.route_rule.code, got.zone) == (True, "zone", "rented-address", "Z1")
    assert (got.route, got.route_rule, got.zone, got.priority, got.priority_rule) == (
        plain.route, plain.route_rule, plain.zone, plain.priority, plain.priority_rule)
    assert got.priority_rule.code == "ordinary" and got.allowed.schools["zone"]


def test_the_finding_recorded_in_the_routing_record_sets_it_aside_too() -> None:
    rec = staff(review_findings=["disability-not-verified"])
    joined = routing_input(rec, _requesting("special-school"))
    assert joined["review_findings"] == ["disability-not-verified"]
    assert _placement(joined).route_rule.code == "rented-address"


@pytest.mark.parametrize("placement", ["special-school", None])
def test_the_finding_with_the_disabled_category_is_refused_by_name(placement: str | None) -> None:
    with pytest.raises(ChoiceError) as caught:
        routing_input(staff(categories=["disabled"]), _not_verified(placement))
    detail = caught.value.detail or ""
    assert caught.value.code == "routing_record_invalid"
    assert detail.startswith("review_findings：") and "disability-not-verified" in detail
    assert "§三（三）" in detail and "矛盾" in detail


def test_the_refusal_names_the_finding_as_the_way_forward() -> None:
    with pytest.raises(ChoiceError) as caught:
        routing_input(staff(), _requesting("special-school"))
    assert "残疾资格未通过相关职能部门核验" in (caught.value.detail or "")
