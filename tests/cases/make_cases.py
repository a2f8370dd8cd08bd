"""Writes the golden cases of tests/cases/*.json: one per rule of §三 and §四 that decides an outcome.

Each case is a small scenario (``paiwei-scenario/1``), the readings it runs under
(the shipped policy's unless overridden), a rehearsal seed, and the expected
outcome per applicant, written by hand from the policy text (never computed by the
engine). Outcomes are chosen so the tickets cannot change them, or the case lists
the schools the child may end up in. Run ``python -m tests.cases.make_cases`` to
rewrite the files; CI can diff them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def primary_district(seats: dict[str, int] | None = None) -> dict[str, Any]:
    """Two multi-school zones; P1 has its own single-school catchment Z1-P1 inside Z1."""
    s = {"P1": 2, "P2": 2, "P3": 2, "P4": 5, "M1": 1, "B1": 1, **(seats or {})}
    return {
        "format": "paiwei-scenario/1",
        "district": "chaoyang",
        "year": 2024,
        "stage": "primary",
        "policy": {"path": "chaoyang-2024.toml"},
        "schools": [
            {
                "id": "P1",
                "name": "第一小学",
                "kind": "public",
                "stage": "primary",
                "seats": s["P1"],
                "zone": "Z1",
            },
            {
                "id": "P2",
                "name": "第二小学",
                "kind": "public",
                "stage": "primary",
                "seats": s["P2"],
                "zone": "Z1",
            },
            {
                "id": "P3",
                "name": "第三小学",
                "kind": "public",
                "stage": "primary",
                "seats": s["P3"],
                "zone": "Z1",
            },
            {
                "id": "P4",
                "name": "第四小学",
                "kind": "public",
                "stage": "primary",
                "seats": s["P4"],
                "zone": "Z2",
            },
            {
                "id": "M1",
                "name": "民办小学",
                "kind": "private",
                "stage": "primary",
                "seats": s["M1"],
            },
            {
                "id": "B1",
                "name": "寄宿小学",
                "kind": "boarding",
                "stage": "primary",
                "seats": s["B1"],
            },
        ],
        "zones": [
            {
                "id": "Z1",
                "kind": "multi-school",
                "stage": "primary",
                "schools": ["P1", "P2", "P3"],
                "neighbours": ["Z2"],
            },
            {
                "id": "Z2",
                "kind": "multi-school",
                "stage": "primary",
                "schools": ["P4"],
                "neighbours": ["Z1"],
            },
            {
                "id": "Z1-P1",
                "kind": "single-school",
                "stage": "primary",
                "schools": ["P1"],
                "area": "Z1",
            },
        ],
        "applicants": [],
    }


def child(cid: str, **kw: Any) -> dict[str, Any]:
    """A Chaoyang-hukou child owning a pre-2017 flat in P1's single-school catchment."""
    rec: dict[str, Any] = {
        "id": cid,
        "birth_date": "2018-03-01",
        "hukou": {"kind": "chaoyang", "zone": "Z1"},
        "residence": {
            "kind": "owned",
            "address": f"a-{cid}",
            "zone": "Z1-P1",
            "certificate_date": "2015-01-01",
        },
        "property": {"beijing": True, "chaoyang": True},
        "choices": {"zone": ["P2", "P3"]},
    }
    rec.update(kw)
    return rec


def renter(cid: str, **kw: Any) -> dict[str, Any]:
    rec = child(
        cid,
        hukou={"kind": "beijing"},
        residence={
            "kind": "rented",
            "address": f"a-{cid}",
            "zone": "Z1",
            "rental_start": "2021-05-01",
            "registered": True,
        },
        property={"beijing": False, "chaoyang": False},
        employment_start="2020-01-01",
    )
    rec.update(kw)
    return rec


def junior_district() -> dict[str, Any]:
    return {
        "format": "paiwei-scenario/1",
        "district": "chaoyang",
        "year": 2024,
        "stage": "junior",
        "schools": [
            {"id": "X1", "name": "小学甲", "kind": "public", "stage": "primary", "seats": 0},
            {"id": "X2", "name": "小学乙", "kind": "public", "stage": "primary", "seats": 0},
            {
                "id": "G1",
                "name": "第一组中学",
                "kind": "public",
                "stage": "junior",
                "seats": 1,
                "group": 1,
            },
            {
                "id": "G2",
                "name": "第二组中学",
                "kind": "public",
                "stage": "junior",
                "seats": 1,
                "group": 2,
            },
            {
                "id": "N1",
                "name": "九年一贯制中学",
                "kind": "public",
                "stage": "junior",
                "seats": 2,
                "zone": "J1",
                "primary_section": "X1",
            },
            {
                "id": "J2",
                "name": "中学乙",
                "kind": "public",
                "stage": "junior",
                "seats": 2,
                "zone": "J1",
            },
            {
                "id": "J3",
                "name": "中学丙",
                "kind": "public",
                "stage": "junior",
                "seats": 2,
                "zone": "J1",
            },
        ],
        "zones": [
            {"id": "J1", "kind": "multi-school", "stage": "junior", "schools": ["N1", "J2", "J3"]},
            {
                "id": "J1-J2",
                "kind": "single-school",
                "stage": "junior",
                "schools": ["J2"],
                "area": "J1",
            },
            {"id": "PX", "kind": "multi-school", "stage": "primary", "schools": ["X1", "X2"]},
        ],
        "applicants": [],
    }


def pupil(cid: str, **kw: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": cid,
        "hukou": {"kind": "chaoyang"},
        "residence": {
            "kind": "rented",
            "address": f"a-{cid}",
            "zone": "J1",
            "rental_start": "2020-01-01",
            "registered": True,
        },
        "property": {"beijing": False, "chaoyang": False},
        "school_of_record": "X2",
        "school_zone": "J1",
        "choices": {"zone": ["J3", "J2"]},
    }
    rec.update(kw)
    return rec


CASES: list[dict[str, Any]] = []


def case(  # noqa: PLR0917  name, rule, description, district, applicants, expected read as a table
    name: str,
    rule: str,
    description: str,
    scenario: dict[str, Any],
    applicants: list[dict[str, Any]],
    expected: dict[str, dict[str, Any]],
    readings: dict[str, Any] | None = None,
    xfail: str | None = None,
) -> None:
    sc = copy.deepcopy(scenario)
    sc["applicants"] = applicants
    out: dict[str, Any] = {
        "name": name,
        "rule": rule,
        "description": description,
        "seed": "0f" * 16,
        "scenario": sc,
        "expected": expected,
    }
    if readings:
        out["readings"] = readings
    if xfail:
        out["xfail"] = xfail
    CASES.append(out)


D = primary_district()

case(
    "case_born_after_2018_08_31_not_eligible",
    "§三（一）1",
    "A child born on 1 September 2018 is not of age in 2024 and takes part in no round.",
    D,
    [child("c1", birth_date="2018-09-01"), child("c2")],
    {
        "c1": {"status": "ineligible", "eligibility": "age"},
        "c2": {"status": "placed", "school": "P1", "round": "single-school"},
    },
)

case(
    "case_born_on_2018_08_31_eligible_inclusive_reading",
    "§三（一）1",
    "Born on 31 August 2018: '以前出生' read inclusive (shipped reading) makes the child eligible.",
    D,
    [child("c1", birth_date="2018-08-31")],
    {"c1": {"status": "placed", "school": "P1", "eligibility": "hukou-chaoyang"}},
)

case(
    "case_born_on_2018_08_31_not_eligible_exclusive_reading",
    "§三（一）1",
    "Born on 31 August 2018 under the exclusive reading of '以前出生': not eligible.",
    D,
    [child("c1", birth_date="2018-08-31")],
    {"c1": {"status": "ineligible", "eligibility": "age"}},
    readings={"birth_cutoff_inclusive": False},
)

case(
    "case_chaoyang_hukou_without_property_joins_hukou_zone",
    "§三（一）1（1）、§四（二）1（1）",
    "A Chaoyang-hukou child with no property is placed by the zone's allocation of the hukou zone.",
    D,
    [
        child(
            "c1",
            residence={"kind": "none"},
            property={"beijing": False, "chaoyang": False},
            hukou={"kind": "chaoyang", "zone": "Z2"},
            choices={"zone": ["P4"]},
        )
    ],
    {"c1": {"status": "placed", "school": "P4", "round": "multi-school", "route": "hukou-zone"}},
)

case(
    "case_beijing_hukou_with_property_single_school",
    "§三（一）1（2）、§四（二）1（1）",
    "Beijing hukou (another district) and a pre-2017 flat in P1's catchment: admitted to P1 directly.",
    D,
    [child("c1", hukou={"kind": "beijing"})],
    {
        "c1": {
            "status": "placed",
            "school": "P1",
            "round": "single-school",
            "eligibility": "beijing-property",
            "route": "single-school-address",
        }
    },
)

case(
    "case_single_school_needs_hukou_in_catchment_reading",
    "§四（二）1（1）",
    "Under the reading single_school_basis = hukou-and-residence, only the child whose hukou lies in "
    "P1's catchment too (人户一致) gets P1; a Beijing-hukou owner and a Chaoyang child with hukou "
    "elsewhere in Z1 join Z1's multi-school draw.",
    D,
    [
        child("c1", hukou={"kind": "chaoyang", "zone": "Z1-P1"}),
        child("c2", hukou={"kind": "beijing"}, choices={"zone": ["P3"]}),
        child("c3", choices={"zone": ["P2"]}),
    ],
    {
        "c1": {"status": "placed", "school": "P1", "route": "single-school-address"},
        "c2": {
            "status": "placed",
            "school": "P3",
            "round": "multi-school",
            "route": "hukou-not-in-catchment",
        },
        "c3": {
            "status": "placed",
            "school": "P2",
            "round": "multi-school",
            "route": "hukou-not-in-catchment",
        },
    },
    readings={"single_school_basis": "hukou-and-residence"},
)

case(
    "case_renting_three_years_on_anniversary_eligible",
    "§三（一）1（3）",
    "Renting since 2021-05-01, registered, no property in Beijing, guardian employed 3 years: eligible, zone allocation.",
    D,
    [renter("c1")],
    {
        "c1": {
            "status": "placed",
            "school": "P2",
            "round": "multi-school",
            "eligibility": "beijing-renting",
            "route": "rented-address",
        }
    },
)

case(
    "case_renting_anniversary_exclusive_reading_not_eligible",
    "§三（一）1（3）",
    "The same tenancy under the reading that the anniversary day does not complete 3 years: not eligible.",
    D,
    [renter("c1")],
    {
        "c1": {
            "status": "ineligible",
            "eligibility": "renting-under-three-years",
            "unmet": ["renting-under-three-years"],
        }
    },
    readings={"tenancy_anniversary_inclusive": False},
)

case(
    "case_renting_family_owning_beijing_property_not_eligible",
    "§三（一）1（3）",
    "A renter whose guardians own a flat elsewhere in Beijing is not a 无房家庭 (shipped reading: none in Beijing).",
    D,
    [renter("c1", property={"beijing": True, "chaoyang": False})],
    {"c1": {"status": "ineligible", "eligibility": "renting-owns-property"}},
)

case(
    "case_renting_family_owning_beijing_property_eligible_chaoyang_reading",
    "§三（一）1（3）",
    "Under the reading 无房 = no property in Chaoyang, the same renter is eligible.",
    D,
    [renter("c1", property={"beijing": True, "chaoyang": False})],
    {"c1": {"status": "placed", "school": "P2", "eligibility": "beijing-renting"}},
    readings={"no_property_means": "none-in-chaoyang"},
)

case(
    "case_renting_unregistered_tenancy_not_eligible",
    "§三（一）1（3）",
    "A tenancy not registered on the rental supervision platform does not qualify.",
    D,
    [
        renter(
            "c1",
            residence={
                "kind": "rented",
                "address": "a-c1",
                "zone": "Z1",
                "rental_start": "2019-01-01",
                "registered": False,
            },
        )
    ],
    {"c1": {"status": "ineligible", "eligibility": "renting-not-registered"}},
)

case(
    "case_non_local_review_approved_joins_zone",
    "§三（二）2（1）、§四（二）1（5）",
    "A non-local child who passed the material review is placed by the zone's allocation.",
    D,
    [renter("c1", hukou={"kind": "other"}, non_local_review="approved")],
    {
        "c1": {
            "status": "placed",
            "school": "P2",
            "eligibility": "non-local-approved",
            "route": "non-local-zone",
        }
    },
)

case(
    "case_non_local_review_rejected_not_eligible",
    "§三（二）2（1）",
    "A non-local child whose material review failed is not eligible.",
    D,
    [renter("c1", hukou={"kind": "other"}, non_local_review="rejected")],
    {"c1": {"status": "ineligible", "eligibility": "non-local-not-approved"}},
)

case(
    "case_non_local_owner_in_single_school_catchment_joins_zone",
    "§四（二）1（5）、§四（二）1（1）",
    "A non-local child (review approved) whose family owns a pre-2017 flat in P1's catchment joins Z1's "
    "multi-school draw, not P1's single-school round (shipped reading non_local_route = multi-school).",
    D,
    [child("c1", hukou={"kind": "other"}, non_local_review="approved", choices={"zone": ["P3"]})],
    {
        "c1": {
            "status": "placed",
            "school": "P3",
            "round": "multi-school",
            "eligibility": "non-local-approved",
            "route": "non-local-zone",
        }
    },
)

case(
    "case_non_local_owner_in_single_school_catchment_by_residence_reading",
    "§四（二）1（5）、§四（二）1（1）",
    "Under the reading non_local_route = by-residence, the same child is routed by the flat like a "
    "Beijing child: P1's single-school round admits the child.",
    D,
    [child("c1", hukou={"kind": "other"}, non_local_review="approved", choices={"zone": ["P3"]})],
    {
        "c1": {
            "status": "placed",
            "school": "P1",
            "round": "single-school",
            "eligibility": "non-local-approved",
            "route": "single-school-address",
        }
    },
    readings={"non_local_route": "by-residence"},
)

case(
    "case_treated_as_local_with_property_single_school",
    "§三（二）1（1）",
    "A child treated as Beijing hukou (e.g. Taiwan compatriots' child) with a pre-2017 flat in P1's catchment goes to P1.",
    D,
    [child("c1", hukou={"kind": "other"}, treated_as_local=True)],
    {
        "c1": {
            "status": "placed",
            "school": "P1",
            "eligibility": "treated-as-local",
            "route": "single-school-address",
        }
    },
)

case(
    "case_property_after_2017_06_30_goes_to_multi_school_zone",
    "§四（一）2",
    "A certificate issued on 2017-07-01 no longer maps to P1: the child joins Z1's allocation.",
    D,
    [
        child(
            "c1",
            residence={
                "kind": "owned",
                "address": "a-c1",
                "zone": "Z1-P1",
                "certificate_date": "2017-07-01",
            },
            choices={"zone": ["P3"]},
        )
    ],
    {
        "c1": {
            "status": "placed",
            "school": "P3",
            "round": "multi-school",
            "route": "property-after-cutoff",
        }
    },
)

case(
    "case_property_on_2017_06_30_keeps_single_school",
    "§四（一）2",
    "A certificate issued on 2017-06-30 itself is not 'after' the date (strict reading): P1 admits the child.",
    D,
    [
        child(
            "c1",
            residence={
                "kind": "owned",
                "address": "a-c1",
                "zone": "Z1-P1",
                "certificate_date": "2017-06-30",
            },
        )
    ],
    {
        "c1": {
            "status": "placed",
            "school": "P1",
            "round": "single-school",
            "route": "single-school-address",
        }
    },
)

case(
    "case_property_on_2017_06_30_goes_to_zone_inclusive_reading",
    "§四（一）2",
    "Under the reading that 2017-06-30 itself counts as 'after', the child joins the zone's allocation.",
    D,
    [
        child(
            "c1",
            residence={
                "kind": "owned",
                "address": "a-c1",
                "zone": "Z1-P1",
                "certificate_date": "2017-06-30",
            },
            choices={"zone": ["P3"]},
        )
    ],
    {"c1": {"status": "placed", "school": "P3", "route": "property-after-cutoff"}},
    readings={"property_after_strict": False},
)

case(
    "case_address_used_within_six_years_goes_to_zone",
    "§四（一）1",
    "The address gave a primary seat in 2019 (within six years): no second P1 seat; the child joins Z1's allocation.",
    D,
    [child("c1", address_uses=[{"year": 2019, "stage": "primary"}], choices={"zone": ["P3"]})],
    {"c1": {"status": "placed", "school": "P3", "route": "address-reused"}},
)

case(
    "case_address_used_in_2018_reusable_in_2024",
    "§四（一）1",
    "Used in 2018, the sixth year is 2023: in 2024 the address gives a P1 seat again (from-year-of-use reading).",
    D,
    [child("c1", address_uses=[{"year": 2018, "stage": "primary"}])],
    {"c1": {"status": "placed", "school": "P1", "route": "single-school-address"}},
)

case(
    "case_address_used_in_2018_blocked_full_years_reading",
    "§四（一）1",
    "Under the reading that six full years must pass after the year of use, a 2018 use still blocks 2024.",
    D,
    [child("c1", address_uses=[{"year": 2018, "stage": "primary"}], choices={"zone": ["P3"]})],
    {"c1": {"status": "placed", "school": "P3", "route": "address-reused"}},
    readings={"address_window": "full-years-after"},
)

case(
    "case_address_reuse_family_planning_exemption",
    "§四（一）1",
    "A sibling under the national birth policy (符合国家生育政策) may use the address again: P1 admits the child.",
    D,
    [child("c1", address_uses=[{"year": 2021, "stage": "primary"}], family_planning_exempt=True)],
    {"c1": {"status": "placed", "school": "P1", "route": "single-school-address"}},
)

case(
    "case_address_used_for_junior_does_not_block_primary",
    "§四（一）1",
    "A junior-high use of the address in 2023 does not count against the primary window.",
    D,
    [child("c1", address_uses=[{"year": 2023, "stage": "junior"}])],
    {"c1": {"status": "placed", "school": "P1", "route": "single-school-address"}},
)

case(
    "case_single_school_fits_direct_admission",
    "§四（一）5、§四（二）1（1）",
    "Two children for P1's two seats: both admitted directly, no draw decides.",
    D,
    [child("c1"), child("c2")],
    {
        "c1": {"status": "placed", "school": "P1", "round": "single-school", "mode": "direct"},
        "c2": {"status": "placed", "school": "P1", "round": "single-school", "mode": "direct"},
    },
)

case(
    "case_equal_count_drawn_reading",
    "§四（一）5",
    "Under the reading that applicants equal to seats are drawn, the same two children are admitted by a draw.",
    D,
    [child("c1"), child("c2")],
    {
        "c1": {"status": "placed", "school": "P1", "mode": "drawn"},
        "c2": {"status": "placed", "school": "P1", "mode": "drawn"},
    },
    readings={"equal_counts_as_direct": False},
)

case(
    "case_single_school_loser_continues_in_zone",
    "§四（二）1（1）",
    "Three children for P1's two seats: the draw turns one away, who is placed by Z1's allocation (P2).",
    D,
    [
        child("c1", choices={"zone": ["P2"]}),
        child("c2", choices={"zone": ["P2"]}),
        child("c3", choices={"zone": ["P2"]}),
    ],
    {
        "c1": {"status": "placed", "school_in": ["P1", "P2"]},
        "c2": {"status": "placed", "school_in": ["P1", "P2"]},
        "c3": {"status": "placed", "school_in": ["P1", "P2"]},
        "@schools": {"P1": 2, "P2": 1},
    },
)

case(
    "case_disabled_child_first_in_zone",
    "§三（三）",
    "One seat left at P2 and two renters want it; the disabled child is placed there first.",
    primary_district({"P1": 0, "P2": 1, "P3": 0}),
    [
        renter("c1", choices={"zone": ["P2"]}),
        renter("c2", choices={"zone": ["P2"]}, categories=["disabled"]),
    ],
    {
        "c2": {"status": "placed", "school": "P2", "priority": "disabled"},
        "c1": {"status": "placed", "school": "P4", "round": "district"},
    },
)

case(
    "case_preferential_category_priority_class",
    "§三（五）",
    "A serviceman's child and an ordinary child for one seat: under the shipped reading the serviceman's child wins.",
    primary_district({"P1": 0, "P2": 1, "P3": 0}),
    [
        renter("c1", choices={"zone": ["P2"]}),
        renter("c2", choices={"zone": ["P2"]}, categories=["serviceman"]),
    ],
    {
        "c2": {"status": "placed", "school": "P2", "priority": "preferential"},
        "c1": {"status": "placed", "school": "P4", "round": "district"},
    },
)

case(
    "case_private_boarding_winner_leaves_later_rounds",
    "§四（二）1（2）（3）",
    "Two children apply to the private school's one seat: the winner takes no P1 seat; the loser continues to P1.",
    primary_district({"M1": 1}),
    [
        child("c1", choices={"private_boarding": ["M1"]}),
        child("c2", choices={"private_boarding": ["M1"]}),
    ],
    {
        "c1": {"status": "placed", "school_in": ["M1", "P1"]},
        "c2": {"status": "placed", "school_in": ["M1", "P1"]},
        "@schools": {"M1": 1, "P1": 1},
    },
)

case(
    "case_district_places_unplaced_in_neighbour_zone",
    "§四（一）5",
    "Z1 has no seats left for a renter: the district places the child in the neighbouring zone Z2.",
    primary_district({"P1": 0, "P2": 0, "P3": 0}),
    [renter("c1", choices={"zone": ["P2", "P3"]})],
    {"c1": {"status": "placed", "school": "P4", "round": "district"}},
)

case(
    "case_talent_child_routed_by_residence_zone",
    "§三（四）",
    "A talent-programme child with non-local hukou renting in Z2 is served by Z2.",
    D,
    [
        renter(
            "c1",
            hukou={"kind": "other"},
            categories=["talent"],
            employment_start=None,
            residence={
                "kind": "rented",
                "address": "a-c1",
                "zone": "Z2",
                "rental_start": "2023-09-01",
                "registered": False,
            },
            choices={"zone": ["P4"]},
        )
    ],
    {"c1": {"status": "placed", "school": "P4", "eligibility": "talent"}},
)

J = junior_district()

case(
    "case_junior_not_chaoyang_pupil_not_eligible",
    "§三（一）2",
    "A Beijing pupil with no Chaoyang school record who has not returned to Chaoyang is not eligible.",
    J,
    [pupil("c1", hukou={"kind": "beijing"}, school_of_record=None)],
    {"c1": {"status": "ineligible", "eligibility": "junior-no-record"}},
)

case(
    "case_junior_first_batch_group_1_first",
    "§四（二）2（1）①",
    "Listing G2 before G1, the pupil is still drawn for group 1 first (shipped reading) and G1 has a seat.",
    J,
    [pupil("c1", choices={"groups": ["G2", "G1"]})],
    {"c1": {"status": "placed", "school": "G1", "round": "first-batch", "choice": 1}},
)

case(
    "case_junior_first_batch_parent_ordered",
    "§四（二）2（1）①",
    "Under the parent-ordered reading, the same pupil gets G2, the first school listed.",
    J,
    [pupil("c1", choices={"groups": ["G2", "G1"]})],
    {"c1": {"status": "placed", "school": "G2", "round": "first-batch", "choice": 1}},
    readings={"junior_group_order": "parent-ordered"},
)

case(
    "case_junior_nine_year_own_graduates",
    "§四（二）2（1）②",
    "A graduate of X1, the primary section of nine-year school N1, is admitted to N1.",
    J,
    [pupil("c1", school_of_record="X1")],
    {"c1": {"status": "placed", "school": "N1", "round": "nine-year"}},
)

case(
    "case_junior_single_school_zone",
    "§四（二）2（1）②",
    "A pupil whose pre-2017 flat lies in J2's catchment is admitted to J2.",
    J,
    [
        pupil(
            "c1",
            residence={
                "kind": "owned",
                "address": "a-c1",
                "zone": "J1-J2",
                "certificate_date": "2012-01-01",
            },
            property={"beijing": True, "chaoyang": True},
            school_zone=None,
        )
    ],
    {"c1": {"status": "placed", "school": "J2", "round": "single-school"}},
)

case(
    "case_junior_multi_school_by_school_zone",
    "§四（二）2（1）③",
    "Pupils of independent primary schools go to the multi-school draw of their school zone, in their order of preference.",
    J,
    [pupil("c1")],
    {
        "c1": {
            "status": "placed",
            "school": "J3",
            "round": "multi-school",
            "eligibility": "junior-record",
            "route": "school-zone",
            "priority": "ordinary",
        }
    },
)

case(
    "case_beijing_hukou_without_basis_not_eligible",
    "§三（一）1",
    "A child of another Beijing district with no property and no tenancy in the district has no basis.",
    D,
    [
        child(
            "c1",
            hukou={"kind": "beijing"},
            residence={"kind": "none"},
            property={"beijing": True, "chaoyang": False},
        )
    ],
    {"c1": {"status": "ineligible", "eligibility": "no-basis", "address": "none"}},
)


# --- paiwei-scenario/2: the conditions version 1 could not state (issue 18) ----------------


def v2(district: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(district)
    out["format"] = "paiwei-scenario/2"
    return out


D2 = v2(D)
J2 = v2(J)


def guardian(
    relation: str = "mother",
    place: str | None = "in-district",
    start: str | None = "2020-01-01",
    contract: bool = True,
    insurance: str | None = "in-district",
) -> dict[str, Any]:
    return {
        "relation": relation,
        "employment_place": place,
        "employment_start": start,
        "labour_contract": contract,
        "social_insurance_place": insurance,
    }


def renter2(
    cid: str,
    tenancy: dict[str, Any] | None = None,
    guardians: list[dict[str, Any]] | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """A Beijing-hukou renter meeting every condition of §三（一）1（3）, stated one by one."""
    rec = renter(cid, employment_start=None, guardians=guardians or [guardian()])
    rec["residence"].update({"continuous": True, "sole_tenancy": True, **(tenancy or {})})
    rec.update(kw)
    return rec


def owned(cid: str, zone: str = "Z1-P1", **cert: Any) -> dict[str, Any]:
    """A version-2 owned residence with its certificate (parent, 不动产权证书, 2015)."""
    return {
        "kind": "owned",
        "address": f"a-{cid}",
        "zone": zone,
        "certificate": {
            "holder": "parent",
            "type": "real-estate-certificate",
            "date": "2015-01-01",
            **cert,
        },
    }


case(
    "case_address_used_multi_school_address_goes_to_district",
    "§四（一）1",
    "A multi-school address (Z1) that gave a primary seat in 2020 gives none in Z1's draw in 2024: "
    "the child is placed by the district (§四（一）5); the same flat unused joins Z1's draw.",
    D2,
    [
        child(
            "c1",
            residence=owned("c1", "Z1"),
            address_uses=[{"year": 2020, "stage": "primary", "by": "other-household"}],
            choices={"zone": ["P2"]},
        ),
        child("c2", residence=owned("c2", "Z1"), choices={"zone": ["P2"]}),
    ],
    {
        "c1": {
            "status": "placed",
            "round": "district",
            "school_in": ["P1", "P2", "P3"],
            "route": "address-used-district",
            "address": "used",
            "address_rule": "address-used",
            "text_has": ["§四（一）1、§四（一）5"],
            "text_lacks": ["【多校划片统筹派位】"],
        },
        "c2": {
            "status": "placed",
            "school": "P2",
            "round": "multi-school",
            "route": "multi-school-address",
            "address": "available",
            "address_rule": "address-available",
        },
    },
)

case(
    "case_address_used_certificate_after_2017_goes_to_district",
    "§四（一）1、§四（一）2",
    "A flat certified in 2018 (no longer one school's) used in 2021: no seat in its zone's draw; "
    "the district places the child. The same flat unused joins Z1's draw.",
    D2,
    [
        child(
            "c1",
            residence=owned("c1", date="2018-03-01"),
            address_uses=[{"year": 2021, "stage": "primary"}],
        ),
        child("c2", residence=owned("c2", date="2018-03-01")),
    ],
    {
        "c1": {
            "status": "placed",
            "round": "district",
            "route": "address-used-district",
            "address": "used",
        },
        "c2": {
            "status": "placed",
            "school": "P2",
            "round": "multi-school",
            "route": "property-after-cutoff",
            "address": "available",
        },
    },
)

case(
    "case_address_used_rented_home_goes_to_district",
    "§四（一）1",
    "A rented home that gave a primary seat in 2022 gives none in its zone's draw (shipped reading "
    "rented_address_recorded = true): the district places the child.",
    D2,
    [renter2("c1", address_uses=[{"year": 2022, "stage": "primary"}])],
    {
        "c1": {
            "status": "placed",
            "round": "district",
            "eligibility": "beijing-renting",
            "route": "address-used-district",
            "address": "used",
        }
    },
)

case(
    "case_address_rented_not_recorded_reading",
    "§四（一）1",
    "Under the reading that only certificate addresses are recorded, the same renter joins Z1's draw.",
    D2,
    [renter2("c1", address_uses=[{"year": 2022, "stage": "primary"}])],
    {
        "c1": {
            "status": "placed",
            "school": "P2",
            "round": "multi-school",
            "route": "rented-address",
            "address": "available",
            "address_rule": "address-rented-not-recorded",
        }
    },
    readings={"rented_address_recorded": False},
)

case(
    "case_address_used_single_school_zone_range_reading",
    "§四（一）1",
    "Under the reading that a single-school address's service range is the whole zone, a used P1 "
    "address gives no seat in Z1's draw either: the district places the child.",
    D2,
    [child("c1", address_uses=[{"year": 2020, "stage": "primary"}])],
    {
        "c1": {
            "status": "placed",
            "round": "district",
            "route": "address-used-district",
            "address": "used",
        }
    },
    readings={"address_used_range": "zone"},
)

case(
    "case_address_use_exemption_per_use",
    "§四（一）1",
    "符合国家生育政策的除外, per use: a sibling's use of the address is exempt for a child the "
    "policy exempts; another household's use is not; a use the record marks exempt is exempt.",
    D2,
    [
        child(
            "c1",
            family_planning_exempt=True,
            address_uses=[{"year": 2021, "stage": "primary", "by": "sibling"}],
        ),
        child(
            "c2",
            family_planning_exempt=True,
            address_uses=[{"year": 2021, "stage": "primary", "by": "other-household"}],
            choices={"zone": ["P3"]},
        ),
        child("c3", address_uses=[{"year": 2021, "stage": "primary", "exempt": True}]),
    ],
    {
        "c1": {
            "status": "placed",
            "school": "P1",
            "route": "single-school-address",
            "address": "exempt",
            "address_rule": "address-exempt",
        },
        "c2": {
            "status": "placed",
            "school": "P3",
            "route": "address-reused",
            "address": "used",
        },
        "c3": {"status": "placed", "school": "P1", "address": "exempt"},
    },
)

case(
    "case_joint_review_empty_hukou_not_a_basis",
    "§四（一）4",
    "空挂户: a Chaoyang hukou found registered where the family does not live is no basis by "
    "itself; the same child owning a pre-2017 flat in P1's catchment qualifies by the flat.",
    D2,
    [
        child(
            "c1",
            hukou={"kind": "chaoyang", "zone": "Z2"},
            residence={"kind": "none"},
            property={"beijing": False, "chaoyang": False},
            review_findings=["empty-hukou"],
        ),
        child("c2", review_findings=["empty-hukou"]),
    ],
    {
        "c1": {
            "status": "ineligible",
            "eligibility": "review-empty-hukou",
            "route": "not-eligible",
            "unmet": ["review-empty-hukou"],
            "address_rule": "address-none",
        },
        "c2": {
            "status": "placed",
            "school": "P1",
            "eligibility": "beijing-property",
            "route": "single-school-address",
            "unmet": ["review-empty-hukou"],
        },
    },
)

case(
    "case_joint_review_passage_basement_garage_not_a_basis",
    "§四（一）4",
    "过道房、地下室、车库房 are no basis: three Beijing-hukou owners are not eligible, each with "
    "its own finding; a Chaoyang-hukou child whose flat is a garage is placed by the hukou zone.",
    D2,
    [
        child("c1", hukou={"kind": "beijing"}, review_findings=["passage-room"]),
        child("c2", hukou={"kind": "beijing"}, review_findings=["basement"]),
        child("c3", hukou={"kind": "beijing"}, review_findings=["garage"]),
        child(
            "c4",
            hukou={"kind": "chaoyang", "zone": "Z2"},
            review_findings=["garage"],
            choices={"zone": ["P4"]},
        ),
    ],
    {
        "c1": {"status": "ineligible", "eligibility": "review-passage-room"},
        "c2": {"status": "ineligible", "eligibility": "review-basement"},
        "c3": {"status": "ineligible", "eligibility": "review-garage"},
        "c4": {
            "status": "placed",
            "school": "P4",
            "eligibility": "hukou-chaoyang",
            "route": "hukou-zone",
            "address": "none",
            "unmet": ["review-garage"],
        },
    },
)

case(
    "case_joint_review_not_actual_residence_not_eligible",
    "§四（一）4",
    "凡不符合实际居住等条件的，均不能作为入学资格条件: a renter and an approved non-local child "
    "found not living at the address are not eligible.",
    D2,
    [
        renter2("c1", review_findings=["not-actual-residence"]),
        renter2(
            "c2",
            hukou={"kind": "other"},
            non_local_review="approved",
            review_findings=["not-actual-residence"],
        ),
    ],
    {
        "c1": {"status": "ineligible", "eligibility": "review-not-actual-residence"},
        "c2": {"status": "ineligible", "eligibility": "review-not-actual-residence"},
    },
)

case(
    "case_material_not_submitted_not_eligible",
    "§四（一）4",
    "A review never completed because the material was not submitted (as distinct from rejected): "
    "not eligible, with its own reason.",
    D2,
    [child("c1", review_findings=["material-not-submitted"])],
    {
        "c1": {
            "status": "ineligible",
            "eligibility": "material-not-submitted",
            "unmet": ["material-not-submitted"],
        }
    },
)

case(
    "case_non_local_review_not_submitted_not_eligible",
    "§三（二）2（1）、§四（二）1（5）",
    "A non-local child whose material review was never submitted (not rejected): not eligible.",
    D2,
    [renter2("c1", hukou={"kind": "other"}, non_local_review="not-submitted")],
    {"c1": {"status": "ineligible", "eligibility": "non-local-not-submitted"}},
)

for _name, _desc, _rec, _code in (
    (
        "case_renting_not_continuous_not_eligible",
        "连续: a tenancy with a break is not continuous renting.",
        renter2("c1", tenancy={"continuous": False}),
        "renting-not-continuous",
    ),
    (
        "case_renting_not_sole_tenancy_not_eligible",
        "单独承租: a shared or sub-let tenancy is not sole tenancy.",
        renter2("c1", tenancy={"sole_tenancy": False}),
        "renting-not-sole",
    ),
    (
        "case_renting_under_three_years_not_eligible",
        "A tenancy from 2022-01-01 is under 3 years at 2024-05-01.",
        renter2("c1", tenancy={"rental_start": "2022-01-01"}),
        "renting-under-three-years",
    ),
    (
        "case_renting_guardian_employed_under_three_years_not_eligible",
        "The guardian employed in the district since 2022-06-01: under 3 years.",
        renter2("c1", guardians=[guardian(start="2022-06-01")]),
        "employment-under-three-years",
    ),
    (
        "case_renting_guardian_without_labour_contract_not_eligible",
        "凭劳动合同: the guardian employed in the district has no labour contract.",
        renter2("c1", guardians=[guardian(contract=False)]),
        "employment-no-contract",
    ),
    (
        "case_renting_social_insurance_outside_district_not_eligible",
        "The guardian's social insurance record is in another Beijing district (shipped reading: "
        "it must be in the district).",
        renter2("c1", guardians=[guardian(insurance="other-beijing")]),
        "social-insurance-not-in-district",
    ),
):
    case(
        _name,
        "§三（一）1（3）",
        _desc,
        D2,
        [_rec],
        {"c1": {"status": "ineligible", "eligibility": _code, "unmet": [_code]}},
    )

case(
    "case_renting_guardian_employed_outside_district_not_eligible",
    "§三（一）1（3）",
    "Neither guardian works in the district (one in another Beijing district, one outside Beijing).",
    D2,
    [
        renter2(
            "c1",
            guardians=[
                guardian("father", place="other-beijing", insurance="other-beijing"),
                guardian("mother", place="outside-beijing", insurance="outside-beijing"),
            ],
        )
    ],
    {
        "c1": {
            "status": "ineligible",
            "eligibility": "employment-not-in-district",
            "unmet": ["employment-not-in-district", "social-insurance-not-in-district"],
        }
    },
)

case(
    "case_renting_social_insurance_in_beijing_eligible_beijing_reading",
    "§三（一）1（3）",
    "Under the reading that a Beijing social insurance record suffices, the same renter is eligible.",
    D2,
    [renter2("c1", guardians=[guardian(insurance="other-beijing")])],
    {"c1": {"status": "placed", "school": "P2", "eligibility": "beijing-renting"}},
    readings={"social_insurance_place": "beijing"},
)

case(
    "case_renting_second_guardian_meets_employment_conditions_eligible",
    "§三（一）1（3）",
    "父母或其他监护人至少一方: the father works outside Beijing, the mother meets every condition.",
    D2,
    [
        renter2(
            "c1",
            guardians=[
                guardian("father", place="outside-beijing", contract=False, insurance=None),
                guardian("mother"),
            ],
        )
    ],
    {"c1": {"status": "placed", "school": "P2", "eligibility": "beijing-renting", "unmet": []}},
)

case(
    "case_renting_every_unmet_condition_listed",
    "§三（一）1（3）",
    "A renter failing every condition: the first in the text's order decides, all are listed and "
    "explained.",
    D2,
    [
        renter2(
            "c1",
            tenancy={
                "continuous": False,
                "sole_tenancy": False,
                "rental_start": "2023-01-01",
                "registered": False,
            },
            property={"beijing": True, "chaoyang": False},
            guardians=[guardian(place=None, start=None, contract=False, insurance=None)],
        )
    ],
    {
        "c1": {
            "status": "ineligible",
            "eligibility": "renting-owns-property",
            "unmet": [
                "renting-owns-property",
                "renting-not-continuous",
                "renting-not-sole",
                "renting-under-three-years",
                "renting-not-registered",
                "employment-not-in-district",
                "employment-under-three-years",
                "employment-no-contract",
                "social-insurance-not-in-district",
            ],
            "text_has": ["另：不是单独承租", "另：父母或其他监护人均不在本区就业"],
        }
    },
)

case(
    "case_certificate_held_by_relative_not_a_basis",
    "§三（一）1（2）、§四（一）3",
    "凭父母或其他监护人的房屋所有权证或不动产权证书: a grandparent's flat is no basis; a "
    "Chaoyang-hukou child living there is placed by the hukou zone.",
    D2,
    [
        child("c1", hukou={"kind": "beijing"}, residence=owned("c1", holder="relative")),
        child(
            "c2",
            hukou={"kind": "chaoyang", "zone": "Z2"},
            residence=owned("c2", holder="relative"),
            choices={"zone": ["P4"]},
        ),
    ],
    {
        "c1": {"status": "ineligible", "eligibility": "certificate-holder-not-guardian"},
        "c2": {
            "status": "placed",
            "school": "P4",
            "eligibility": "hukou-chaoyang",
            "route": "hukou-zone",
            "address": "none",
            "unmet": ["certificate-holder-not-guardian"],
        },
    },
)

case(
    "case_certificate_type_not_accepted_not_a_basis",
    "§三（一）1（2）、§四（一）3",
    "A document that is neither 房屋所有权证 nor 不动产权证书 (e.g. a purchase contract) is no basis.",
    D2,
    [child("c1", hukou={"kind": "beijing"}, residence=owned("c1", type="other"))],
    {"c1": {"status": "ineligible", "eligibility": "certificate-type-not-accepted"}},
)

case(
    "case_certificate_for_another_address_not_a_basis",
    "§三（一）1（2）、§四（一）3",
    "A certificate for another address does not prove the claimed residence.",
    D2,
    [child("c1", hukou={"kind": "beijing"}, residence=owned("c1", address="a-elsewhere"))],
    {"c1": {"status": "ineligible", "eligibility": "certificate-address-mismatch"}},
)

case(
    "case_certificate_of_other_guardian_single_school",
    "§三（一）1（2）、§四（二）1（1）",
    "其他监护人's 房屋所有权证 from 2016 for the address itself: P1 admits the child.",
    D2,
    [
        child(
            "c1",
            hukou={"kind": "beijing"},
            residence=owned(
                "c1", holder="other-guardian", type="ownership-certificate", date="2016-05-01"
            ),
        )
    ],
    {
        "c1": {
            "status": "placed",
            "school": "P1",
            "eligibility": "beijing-property",
            "route": "single-school-address",
            "address": "available",
        }
    },
)

case(
    "case_no_zone_district_places_child",
    "§四（一）5",
    "A Chaoyang-hukou child with no zone on record and no address: the district places the child.",
    D2,
    [
        child(
            "c1",
            hukou={"kind": "chaoyang"},
            residence={"kind": "none"},
            property={"beijing": False, "chaoyang": False},
        )
    ],
    {
        "c1": {
            "status": "placed",
            "round": "district",
            "route": "no-zone",
            "address": "none",
            "text_has": ["无对应服务片区"],
        }
    },
)

case(
    "case_preferential_category_tie_break_reading",
    "§三（五）",
    "Under the tie-break reading a serviceman's child keeps the ordinary class in the draw.",
    D2,
    [renter2("c1", categories=["serviceman"])],
    {"c1": {"status": "placed", "school": "P2", "priority": "preferential-tie-only"}},
    readings={"preferential_care": "tie-break"},
)

case(
    "case_school_without_seats_left_is_not_drawn",
    "§四（一）5",
    "P1 has no seat: its single-school round admits nobody and draws nothing ('no-seats', never "
    "'drawn'); the child continues to Z1's draw and gets P2.",
    v2(primary_district({"P1": 0})),
    [child("c1")],
    {
        "c1": {
            "status": "placed",
            "school": "P2",
            "round": "multi-school",
            "text_has": ["已无剩余学位，未录取（不派位）"],
            "text_lacks": ["随机派位"],
        },
        "@modes": {"single-school/P1": "no-seats", "multi-school/P2": "direct"},
    },
)

case(
    "case_junior_nine_year_graduate_route_and_explanation",
    "§四（二）2（1）②",
    "Graduates of X1, the primary section of nine-year school N1, are routed to N1's junior section "
    "and told so under the junior section of the policy; no choice they never made is mentioned.",
    J2,
    [pupil("c1", school_of_record="X1"), pupil("c2", school_of_record="X1", school_zone=None)],
    {
        "c1": {
            "status": "placed",
            "school": "N1",
            "round": "nine-year",
            "route": "nine-year-section",
            "nine_year": "N1",
            "text_has": ["§四（二）2（1）②", "对口学校九年一贯制中学"],
            "text_lacks": ["第1志愿", "§四（一）5", "无对应服务片区"],
        },
        "c2": {
            "status": "placed",
            "school": "N1",
            "route": "nine-year-section",
            "text_lacks": ["第1志愿", "无对应服务片区"],
        },
    },
)

case(
    "case_junior_single_school_cites_junior_section",
    "§四（二）2（1）②",
    "A pupil whose pre-2017 flat lies in J2's catchment: the route cites the junior section "
    "§四（二）2（1）②, not the primary §四（二）1（1）.",
    J2,
    [
        pupil(
            "c1",
            residence=owned("c1", "J1-J2", date="2012-01-01"),
            property={"beijing": True, "chaoyang": True},
            school_zone=None,
        )
    ],
    {
        "c1": {
            "status": "placed",
            "school": "J2",
            "round": "single-school",
            "route": "single-school-address-junior",
            "address": "available",
            "text_has": ["§四（二）2（1）②", "对口学校中学乙"],
            "text_lacks": ["§四（二）1（1）", "第1志愿"],
        }
    },
)

case(
    "case_junior_single_school_needs_hukou_in_catchment_reading",
    "§四（二）2（1）②",
    "Under single_school_basis = hukou-and-residence, a Beijing-hukou owner in J2's catchment "
    "joins J1's draw.",
    J2,
    [
        pupil(
            "c1",
            hukou={"kind": "beijing"},
            residence=owned("c1", "J1-J2", date="2012-01-01"),
            property={"beijing": True, "chaoyang": True},
            school_zone=None,
        )
    ],
    {
        "c1": {
            "status": "placed",
            "school": "J3",
            "round": "multi-school",
            "route": "hukou-not-in-catchment-junior",
        }
    },
    readings={"single_school_basis": "hukou-and-residence"},
)

case(
    "case_junior_returned_pupil_routed_by_residence_zone",
    "§三（一）2（2）、§四（二）2（1）",
    "A Beijing pupil with a 学籍 in another district who returned to Chaoyang is eligible and, with "
    "no school zone, placed by the zone of the home; one from another province who did not return "
    "is not eligible.",
    J2,
    [
        pupil(
            "c1",
            hukou={"kind": "beijing"},
            school_of_record=None,
            school_record_place="other-beijing",
            returned=True,
            school_zone=None,
        ),
        pupil(
            "c2",
            hukou={"kind": "beijing"},
            school_of_record=None,
            school_record_place="other-province",
            school_zone=None,
        ),
    ],
    {
        "c1": {
            "status": "placed",
            "school": "J3",
            "eligibility": "junior-returned",
            "route": "junior-residence-zone",
        },
        "c2": {"status": "ineligible", "eligibility": "junior-no-record"},
    },
)

case(
    "case_junior_non_local_in_district_record_review",
    "§三（二）2（2）、§四（二）2（5）",
    "Non-local pupils with a Chaoyang 学籍: approved joins the school zone's draw; rejected "
    "(原则上不再参加) and never submitted are not eligible, each with its own reason.",
    J2,
    [
        pupil(
            "c1",
            hukou={"kind": "other"},
            school_record_place="in-district",
            non_local_review="approved",
        ),
        pupil(
            "c2",
            hukou={"kind": "other"},
            school_record_place="in-district",
            non_local_review="rejected",
        ),
        pupil(
            "c3",
            hukou={"kind": "other"},
            school_record_place="in-district",
            non_local_review="not-submitted",
        ),
    ],
    {
        "c1": {
            "status": "placed",
            "school": "J3",
            "eligibility": "junior-non-local-approved",
            "route": "school-zone",
            "text_has": ["§三（二）2（2）、§四（二）2（5）"],
            "text_lacks": ["§三（二）2（1）"],
        },
        "c2": {"status": "ineligible", "eligibility": "junior-non-local-not-approved"},
        "c3": {"status": "ineligible", "eligibility": "junior-non-local-not-submitted"},
    },
)

case(
    "case_junior_non_local_other_province_record_approved",
    "§三（二）2（2）、§四（二）2（5）",
    "A non-local pupil with a 学籍 in another province, through the street's first review and the "
    "joint review, is placed by the zone of the home.",
    J2,
    [
        pupil(
            "c1",
            hukou={"kind": "other"},
            school_of_record=None,
            school_record_place="other-province",
            school_zone=None,
            non_local_review="approved",
        )
    ],
    {
        "c1": {
            "status": "placed",
            "school": "J3",
            "eligibility": "junior-non-local-other-province-approved",
            "route": "junior-non-local-zone",
        }
    },
)

case(
    "case_junior_non_local_other_beijing_record_not_eligible",
    "§三（二）2（2）",
    "具有朝阳区学籍或外省市学籍: a non-local pupil with another Beijing district's 学籍 is not "
    "eligible here, review or not.",
    J2,
    [
        pupil(
            "c1",
            hukou={"kind": "other"},
            school_of_record=None,
            school_record_place="other-beijing",
            non_local_review="approved",
        )
    ],
    {"c1": {"status": "ineligible", "eligibility": "junior-non-local-other-beijing"}},
)

case(
    "case_junior_treated_as_local_pupil",
    "§三（二）1（2）",
    "A Chaoyang pupil treated as Beijing hukou is eligible under §三（二）1（2）.",
    J2,
    [pupil("c1", hukou={"kind": "other"}, treated_as_local=True)],
    {"c1": {"status": "placed", "school": "J3", "eligibility": "junior-treated-as-local"}},
)

case(
    "case_junior_address_used_within_three_years",
    "§四（一）1",
    "A J2-catchment flat used for junior high in 2022 (within three years) gives no J2 seat in 2024: "
    "the pupil without a school zone joins J1's draw; with a school zone, the 学籍 zone decides.",
    J2,
    [
        pupil(
            "c1",
            residence=owned("c1", "J1-J2", date="2012-01-01"),
            property={"beijing": True, "chaoyang": True},
            school_zone=None,
            address_uses=[{"year": 2022, "stage": "junior", "by": "other-household"}],
        ),
        pupil(
            "c2",
            residence=owned("c2", "J1-J2", date="2012-01-01"),
            property={"beijing": True, "chaoyang": True},
            address_uses=[{"year": 2022, "stage": "junior", "by": "other-household"}],
        ),
    ],
    {
        "c1": {
            "status": "placed",
            "school": "J3",
            "round": "multi-school",
            "route": "address-reused",
            "address": "used",
        },
        "c2": {
            "status": "placed",
            "school_in": ["J3", "J2"],
            "round": "multi-school",
            "route": "school-zone",
            "address": "used",
        },
    },
)


case(
    "case_disabled_child_requested_special_school_arranged_not_drawn",
    "§四（二）1（4）",
    "A disabled child whose guardians request a special school or a special class takes part in no "
    "draw: the district arranges the place; one requesting a regular class (随班就读) is placed "
    "first in the zone (§三（三）).",
    v2(primary_district({"P1": 0, "P2": 1, "P3": 0})),
    [
        renter2("c1", categories=["disabled"], disability_placement="special-school"),
        renter2("c2", categories=["disabled"], disability_placement="special-class"),
        renter2("c3", categories=["disabled"], disability_placement="regular-class"),
        renter2("c4"),
    ],
    {
        "c1": {
            "status": "unplaced",
            "route": "disability-special-school",
            "text_has": ["不参加随机派位", "§四（二）1（4）"],
            "text_lacks": ["区内可用学位不足", "无对应服务片区"],
        },
        "c2": {"status": "unplaced", "route": "disability-special-class"},
        "c3": {"status": "placed", "school": "P2", "priority": "disabled"},
        "c4": {"status": "placed", "school": "P4", "round": "district"},
    },
)

case(
    "case_junior_disabled_pupil_requested_special_school_arranged_not_drawn",
    "§四（二）2（4）",
    "A disabled pupil whose guardians request a special school is arranged by the district, not "
    "drawn, and the explanation cites the junior section.",
    J2,
    [pupil("c1", categories=["disabled"], disability_placement="special-school")],
    {
        "c1": {
            "status": "unplaced",
            "route": "disability-special-school",
            "text_has": ["§四（二）2（4）"],
        }
    },
)


case(
    "case_disability_not_verified_request_set_aside_drawn_by_route",
    "§三（三）",
    "The guardians request a special school, but 相关职能部门 did not confirm the disability (review "
    "finding disability-not-verified): the request is set aside with its reason, and the child is "
    "drawn as any renter of its zone, without the disabled class; the verified disabled child "
    "requesting a regular class takes the one seat at P2 first.",
    v2(primary_district({"P1": 0, "P2": 1, "P3": 0})),
    [
        renter2(
            "c1",
            choices={"zone": ["P2"]},
            disability_placement="special-school",
            review_findings=["disability-not-verified"],
        ),
        renter2(
            "c2",
            choices={"zone": ["P2"]},
            categories=["disabled"],
            disability_placement="regular-class",
        ),
    ],
    {
        "c1": {
            "status": "placed",
            "school": "P4",
            "round": "district",
            "eligibility": "beijing-renting",
            "route": "rented-address",
            "priority": "ordinary",
            "unmet": ["disability-not-verified"],
            "text_has": [
                "家长申请在特殊教育学校就读；残疾儿童资格未通过相关职能部门核验",
                "不予安排",
                "（§三（三））",
                "第二小学（P2）",
            ],
            "text_lacks": ["不参加随机派位", "类别：残疾儿童"],
        },
        "c2": {"status": "placed", "school": "P2", "priority": "disabled", "unmet": []},
    },
)


def main() -> None:
    for old in HERE.glob("case_*.json"):
        old.unlink()
    for c in CASES:
        (HERE / f"{c['name']}.json").write_text(
            json.dumps(c, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
