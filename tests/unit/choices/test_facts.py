"""The parent's details in scenario-format terms (paiwei.choices.facts)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from paiwei.choices.facts import facts_of, hukou_kind_of, place_of, record_place_of
from paiwei.intake.models import Applicant, Guardian

CY, HD = "110105", "110108"


def test_places_of_work_insurance_and_school_record() -> None:
    assert [place_of(c, CY) for c in (CY, HD, "other", "none", None)] == [
        "in-district", "other-beijing", "outside-beijing", None, None]
    assert record_place_of("11", CY, CY) == "in-district"
    assert record_place_of("11", HD, CY) == "other-beijing"
    assert record_place_of("13", None, CY) == "other-province"
    assert record_place_of(None, None, CY) is None


def _guardian(position: int, **kw: object) -> Guardian:
    base: dict[str, object] = dict(position=position, relation="grandmother", work_nature="employed",
                                   employer_district=CY, employment_start=date(2019, 3, 1),
                                   labour_contract=True, social_insurance_district=HD)
    base.update(kw)
    return Guardian(**base)


def test_an_applicant_s_details_as_facts() -> None:
    a = Applicant(district=CY, dwelling_type="owned", property_holder="relative",
                  property_certificate_type="ownership_certificate", property_for_residence=False,
                  property_certificate_date=date(2015, 4, 1), review_findings=["basement"],
                  school_record_province="13", details_submitted_at=datetime(2024, 5, 6, tzinfo=UTC))
    a.guardians.extend([_guardian(1), _guardian(2, relation="mother", work_nature="unemployed",
                                                employer_district="none", employment_start=None,
                                                labour_contract=False, social_insurance_district="none")])
    facts = facts_of(a, stage="junior")
    assert facts.residence_kind == "owned" and facts.tenancy is None
    assert facts.certificate == {"holder": "relative", "type": "ownership-certificate", "date": "2015-04-01"}
    assert facts.certificate_for_residence is False
    assert facts.guardians == (
        {"relation": "other-guardian", "employment_place": "in-district", "employment_start": "2019-03-01",
         "labour_contract": True, "social_insurance_place": "other-beijing"},
        {"relation": "mother", "employment_place": None, "employment_start": None,
         "labour_contract": False, "social_insurance_place": None})
    assert facts.findings == ("basement",) and facts.school_record_place == "other-province"
    assert facts_of(a, stage="primary").school_record_place is None  # 学籍 is the junior stage's


def test_a_record_without_details_or_before_0008_states_nothing_more() -> None:
    imported = Applicant(district=CY, review_findings=[], details_submitted_at=None, dwelling_type=None)
    assert facts_of(imported, stage="primary").residence_kind is None
    old = Applicant(district=CY, dwelling_type="rented", rental_start_date=None, review_findings=[],
                    details_submitted_at=datetime(2024, 5, 6, tzinfo=UTC))
    old.guardians.append(_guardian(1, labour_contract=None))
    facts = facts_of(old, stage="primary")
    assert (facts.residence_kind, facts.tenancy, facts.guardians) == ("rented", None, None)


def test_the_hukou_kind_comes_from_the_registration() -> None:
    assert hukou_kind_of("11", CY, CY) == "chaoyang"  # the applicant's district (the policy's)
    assert hukou_kind_of("11", HD, CY) == "beijing"
    assert hukou_kind_of("11", None, CY) == "beijing"
    assert hukou_kind_of("13", None, CY) == "other"
    # an imported reviewed record (no details) still states it: the registration is verified
    imported = Applicant(district=CY, hukou_province="11", hukou_district=HD, review_findings=[],
                         details_submitted_at=None)
    assert facts_of(imported, stage="primary").hukou_kind == "beijing"


@pytest.mark.parametrize(("stated", "owned"), [
    ("none", {"beijing": False, "chaoyang": False}),
    ("beijing", {"beijing": True, "chaoyang": False}),
    ("district", {"beijing": True, "chaoyang": True}),
    (None, None),  # before 0011: not stated, the routing record's value stands
])
def test_family_property_as_the_scenario_s_property(stated: str | None, owned: object) -> None:
    a = Applicant(district=CY, hukou_province="13", dwelling_type="other", family_property=stated,
                  review_findings=[], details_submitted_at=datetime(2024, 5, 6, tzinfo=UTC))
    assert facts_of(a, stage="primary").property == owned


@pytest.mark.parametrize(("stated", "placement"), [
    ("regular_class", "regular-class"), ("special_class", "special-class"),
    ("special_school", "special-school"), (None, None)])
def test_the_requested_placement_as_the_scenario_s(stated: str | None, placement: str | None) -> None:
    a = Applicant(district=CY, hukou_province="13", dwelling_type="other", disability_placement=stated,
                  review_findings=[], details_submitted_at=datetime(2024, 5, 6, tzinfo=UTC))
    facts = facts_of(a, stage="junior")
    assert (facts.disability_placement, facts.stage) == (placement, "junior")
