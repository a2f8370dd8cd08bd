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
    {"c1": {"status": "ineligible", "eligibility": "renting-not-qualified"}},
    readings={"tenancy_anniversary_inclusive": False},
)

case(
    "case_renting_family_owning_beijing_property_not_eligible",
    "§三（一）1（3）",
    "A renter whose guardians own a flat elsewhere in Beijing is not a 无房家庭 (shipped reading: none in Beijing).",
    D,
    [renter("c1", property={"beijing": True, "chaoyang": False})],
    {"c1": {"status": "ineligible", "eligibility": "renting-not-qualified"}},
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
    {"c1": {"status": "ineligible", "eligibility": "renting-not-qualified"}},
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
    {"c1": {"status": "placed", "school": "J3", "round": "multi-school", "route": "school-zone"}},
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
