"""A synthetic district for demos, tests and benchmarks, shaped like Chaoyang's primary intake.

About four public schools per multi-school zone, half of them with their own
single-school catchment inside the zone; private and public boarding schools
(about 6% of schools); seats adding up to about the eligible children, spread
0.5x–1.5x, with a Zipf-like popularity so a few schools are heavily
oversubscribed; Chaoyang, other-Beijing and non-local hukou; owners (30% with a
certificate after the multi-school date), renters (some not qualifying), hukou-only
children; the priority categories; earlier uses of addresses; and children born
after the cut-off. Ids are opaque pseudonyms. The same arguments always give the
same district.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from allocation._dates import NO_DATE, parse_date
from allocation.policy import SchoolKind, Stage
from allocation.scenario import (
    CATEGORY_BITS,
    Applicants,
    ChoiceList,
    Scenario,
    School,
    Zone,
    scenario_to_mapping,
)

SCHOOLS_PER_ZONE = 4
ZONE_CHOICES = 6


def generate_scenario(  # noqa: PLR0915  one step per feature of the synthetic district
    applicants: int = 20_000,
    schools: int = 100,
    *,
    seed: int = 2024,
    year: int = 2024,
    district: str = "chaoyang",
    seat_ratio: float = 1.05,
) -> Scenario:
    """A synthetic primary-stage scenario with ``schools`` public schools (columnar)."""
    rng = np.random.default_rng(seed)
    n = applicants
    n_zones = max(1, schools // SCHOOLS_PER_ZONE)
    n_private = max(1, schools // 30)
    n_boarding = max(1, schools // 40)
    # --- schools and zones ---------------------------------------------------------------
    zone_of_school = np.sort(rng.integers(0, n_zones, schools))
    zone_of_school[:n_zones] = np.arange(n_zones)  # every zone has a school
    zone_of_school.sort()
    popularity = 1.0 / np.arange(1, schools + 1) ** 0.8
    rng.shuffle(popularity)
    spread = rng.uniform(0.5, 1.5, schools)
    seats_total = int(n * 0.93 * seat_ratio)
    seats = np.maximum(1, np.floor(spread / spread.sum() * seats_total)).astype(np.int64)
    school_list: list[School] = []
    zones: list[Zone] = []
    members: list[list[str]] = [[] for _ in range(n_zones)]
    for i in range(schools):
        z = int(zone_of_school[i])
        sid = f"P{i:04d}"
        members[z].append(sid)
        school_list.append(
            School(
                sid, f"第{i + 1}小学", SchoolKind.PUBLIC, Stage.PRIMARY, int(seats[i]), f"Z{z:03d}"
            )
        )
    single_zone_school: list[int] = []
    for z in range(n_zones):
        neighbours = tuple(
            f"Z{(z + d) % n_zones:03d}" for d in (-1, 1) if n_zones > 1 and (z + d) % n_zones != z
        )
        zones.append(
            Zone(
                f"Z{z:03d}",
                "multi-school",
                Stage.PRIMARY,
                tuple(members[z]),
                neighbours=tuple(dict.fromkeys(neighbours)),
                name=f"第{z + 1}片区",
            )
        )
    for i in range(schools):
        if rng.random() < 0.5:
            z = int(zone_of_school[i])
            zones.append(
                Zone(
                    f"Z{z:03d}-S{i:04d}",
                    "single-school",
                    Stage.PRIMARY,
                    (f"P{i:04d}",),
                    area=f"Z{z:03d}",
                )
            )
            single_zone_school.append(i)
    for k in range(n_private):
        school_list.append(
            School(
                f"M{k:03d}",
                f"民办第{k + 1}小学",
                SchoolKind.PRIVATE,
                Stage.PRIMARY,
                max(20, int(n * 0.01)),
            )
        )
    for k in range(n_boarding):
        school_list.append(
            School(
                f"B{k:03d}",
                f"寄宿第{k + 1}小学",
                SchoolKind.BOARDING,
                Stage.PRIMARY,
                max(10, int(n * 0.005)),
            )
        )
    n_schools = len(school_list)
    zidx = {z.id: i for i, z in enumerate(zones)}
    single_zone_ids = np.asarray(
        [zidx[f"Z{int(zone_of_school[i]):03d}-S{i:04d}"] for i in single_zone_school],
        dtype=np.int64,
    )

    # --- applicants ------------------------------------------------------------------------
    cutoff = parse_date(f"{year - 6}-08-31")
    birth = cutoff - rng.integers(0, 365, n)
    late = rng.random(n) < 0.04
    birth[late] = cutoff + rng.integers(1, 120, int(late.sum()))
    hukou = rng.choice(3, n, p=[0.55, 0.15, 0.30])
    residence = rng.choice(3, n, p=[0.60, 0.35, 0.05])
    multi_zone = rng.integers(0, n_zones, n)
    in_single = (residence == 0) & (rng.random(n) < 0.5) & (single_zone_ids.size > 0)
    res_zone = multi_zone.copy()
    if single_zone_ids.size:
        pick = single_zone_ids[rng.integers(0, single_zone_ids.size, n)]
        res_zone = np.where(in_single, pick, res_zone)
        # the multi-school zone the single-school zone lies in
        area_of = np.full(len(zones), -1, dtype=np.int64)
        for zi, zone in enumerate(zones):
            area_of[zi] = zidx[zone.area] if zone.area is not None else zi
        multi_zone = area_of[res_zone]
    res_zone = np.where(residence == 2, -1, res_zone)
    ref = parse_date(f"{year}-05-01")
    prop_cut = parse_date("2017-06-30")
    certificate = np.where(
        residence == 0,
        np.where(
            rng.random(n) < 0.3,
            prop_cut + rng.integers(1, 2000, n),
            prop_cut - rng.integers(0, 5000, n),
        ),
        NO_DATE,
    )
    rental_start = np.where(residence == 1, ref - rng.integers(0, 3000, n), NO_DATE)
    rental_registered = (residence == 1) & (rng.random(n) < 0.85)
    owns_cy = residence == 0
    owns_bj = owns_cy | ((residence == 1) & (rng.random(n) < 0.1))
    employment_start = np.where(rng.random(n) < 0.9, ref - rng.integers(0, 4000, n), NO_DATE)
    review = np.where(hukou == 2, np.where(rng.random(n) < 0.8, 1, 2), 0)
    treated = (hukou == 2) & (rng.random(n) < 0.03)
    review = np.where(treated, 0, review)
    cats = np.zeros(n, dtype=np.int64)
    for name, share in (
        ("disabled", 0.01),
        ("martyr", 0.001),
        ("overseas-chinese", 0.003),
        ("serviceman", 0.005),
        ("model-worker", 0.001),
        ("taiwan", 0.001),
        ("talent", 0.005),
    ):
        cats |= np.where(rng.random(n) < share, CATEGORY_BITS[name], 0)
    hukou_zone = np.where(hukou == 0, multi_zone, -1)
    used = (residence == 0) & (rng.random(n) < 0.05)
    use_year = np.where(used, year - rng.integers(1, 9, n), 0)
    fp = used & (rng.random(n) < 0.3)
    # choices: one private/boarding application for some; zone preferences by popularity with noise
    pb_apply = rng.random(n) < 0.08
    pb_pop = rng.uniform(0.2, 1.0, n_private + n_boarding)
    pb_choice = schools + rng.choice(n_private + n_boarding, n, p=pb_pop / pb_pop.sum())
    pb_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(pb_apply.astype(np.int64), out=pb_offsets[1:])
    pb_flat = pb_choice[pb_apply]
    # zone lists: each applicant ranks its zone's schools by popularity * noise, up to ZONE_CHOICES
    zone_schools = [np.flatnonzero(zone_of_school == z) for z in range(n_zones)]
    z_of = np.where(residence == 2, np.where(hukou == 0, multi_zone, -1), multi_zone)
    lists_len = np.zeros(n, dtype=np.int64)
    flat_parts: list[Any] = []
    order_idx = np.argsort(z_of, kind="stable")
    z_sorted = z_of[order_idx]
    bounds = np.searchsorted(z_sorted, np.arange(-1, n_zones + 1))
    chunks: dict[int, tuple[Any, Any]] = {}
    for z in range(n_zones):
        rows = order_idx[bounds[z + 1] : bounds[z + 2]]
        ss = zone_schools[z]
        k = min(ZONE_CHOICES, ss.size)
        if rows.size == 0 or k == 0:
            continue
        score = popularity[ss][None, :] * rng.uniform(0.3, 1.0, (rows.size, ss.size))
        top = np.argsort(-score, axis=1)[:, :k]
        chunks[z] = (rows, ss[top])
        lists_len[rows] = k
    zone_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lists_len, out=zone_offsets[1:])
    zone_flat = np.zeros(int(zone_offsets[-1]), dtype=np.int64)
    for rows, picked in chunks.values():
        k = picked.shape[1]
        pos = zone_offsets[rows][:, None] + np.arange(k)[None, :]
        zone_flat[pos.ravel()] = picked.ravel()
    del flat_parts
    codes = (np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B1) + np.uint64(seed)) % np.uint64(
        2**40
    )
    ids = tuple(f"c{c:010x}" for c in codes.tolist())
    empty = np.zeros(n + 1, dtype=np.int64)
    uses = tuple(((int(y), "primary"),) if y else () for y in use_year.tolist())
    apps = Applicants(
        ids=ids,
        birth=birth.astype(np.int64),
        hukou=hukou.astype(np.int64),
        hukou_zone=hukou_zone.astype(np.int64),
        residence=residence.astype(np.int64),
        residence_zone=res_zone.astype(np.int64),
        address=tuple(
            f"a{c:010x}" if r != 2 else ""
            for c, r in zip(codes.tolist(), residence.tolist(), strict=True)
        ),
        certificate=certificate.astype(np.int64),
        rental_start=rental_start.astype(np.int64),
        rental_registered=rental_registered,
        owns_beijing=owns_bj,
        owns_chaoyang=owns_cy,
        employment_start=employment_start.astype(np.int64),
        review=review.astype(np.int64),
        treated_as_local=treated,
        categories=cats,
        family_planning_exempt=fp,
        address_uses=uses,
        last_use_primary=use_year.astype(np.int64),
        last_use_junior=np.zeros(n, dtype=np.int64),
        school_of_record=np.full(n, -1, dtype=np.int64),
        school_zone=np.full(n, -1, dtype=np.int64),
        returned=np.zeros(n, dtype=np.bool_),
        choices={
            "private_boarding": ChoiceList(pb_offsets, pb_flat.astype(np.int64)),
            "zone": ChoiceList(zone_offsets, zone_flat),
            "groups": ChoiceList(empty, np.zeros(0, dtype=np.int64)),
        },
    )
    del n_schools
    return Scenario(
        district=district,
        year=year,
        stage=Stage.PRIMARY,
        schools=tuple(school_list),
        zones=tuple(zones),
        applicants=apps,
        policy={"path": f"{district}-{year}.toml"},
    )


def generate_district(
    applicants: int = 20_000,
    schools: int = 100,
    *,
    seed: int = 2024,
    year: int = 2024,
    district: str = "chaoyang",
    seat_ratio: float = 1.05,
) -> dict[str, Any]:
    """The synthetic district as a scenario mapping (``paiwei-scenario/1``)."""
    return scenario_to_mapping(
        generate_scenario(
            applicants, schools, seed=seed, year=year, district=district, seat_ratio=seat_ratio
        )
    )


def generate_junior_district(  # noqa: PLR0912, PLR0915  one step per feature
    applicants: int = 5_000,
    schools: int = 40,
    *,
    seed: int = 2024,
    year: int = 2024,
    district: str = "chaoyang",
    seat_ratio: float = 1.05,
) -> dict[str, Any]:
    """A synthetic junior-high scenario mapping, for demos and tests (built record by record).

    ``schools`` public junior schools in multi-school zones of about four, a third of
    them with a single-school catchment; one in eight in each first-batch group; one
    in six a nine-year school linked to a primary section; primary schools of record
    (seats 0) spread over the zones; private and boarding junior schools; pupils with
    a Chaoyang school record (most), returned pupils, non-local pupils (reviewed), and
    the priority categories.
    """
    rng = np.random.default_rng(seed)
    n_zones = max(1, schools // SCHOOLS_PER_ZONE)
    seats = np.maximum(1, rng.uniform(0.5, 1.5, schools))
    seats = np.floor(seats / seats.sum() * applicants * 0.95 * seat_ratio).astype(int) + 1
    primaries = [f"X{i:04d}" for i in range(max(2, schools))]
    out_schools: list[dict[str, Any]] = [
        {"id": p, "name": f"第{i + 1}小学", "kind": "public", "stage": "primary", "seats": 0}
        for i, p in enumerate(primaries)
    ]
    zone_members: list[list[str]] = [[] for _ in range(n_zones)]
    for i in range(schools):
        z = i % n_zones
        rec: dict[str, Any] = {
            "id": f"J{i:04d}",
            "name": f"第{i + 1}中学",
            "kind": "public",
            "stage": "junior",
            "seats": int(seats[i]),
            "zone": f"JZ{z:03d}",
        }
        if i % 8 in (1, 2):
            rec["group"] = 1 if i % 8 == 1 else 2
        if i % 6 == 5:
            rec["primary_section"] = primaries[i]
        zone_members[z].append(rec["id"])
        out_schools.append(rec)
    for k in range(max(1, schools // 20)):
        out_schools.append(
            {
                "id": f"JM{k:03d}",
                "name": f"民办第{k + 1}中学",
                "kind": "private",
                "stage": "junior",
                "seats": max(5, applicants // 100),
            }
        )
        out_schools.append(
            {
                "id": f"JB{k:03d}",
                "name": f"寄宿第{k + 1}中学",
                "kind": "boarding",
                "stage": "junior",
                "seats": max(5, applicants // 200),
            }
        )
    zones: list[dict[str, Any]] = []
    for z in range(n_zones):
        zone: dict[str, Any] = {
            "id": f"JZ{z:03d}",
            "kind": "multi-school",
            "stage": "junior",
            "schools": zone_members[z],
        }
        if n_zones > 1:
            zone["neighbours"] = sorted(
                {f"JZ{(z - 1) % n_zones:03d}", f"JZ{(z + 1) % n_zones:03d}"}
            )
        zones.append(zone)
    singles = [s for s in out_schools if s["stage"] == "junior" and s["kind"] == "public"][::3]
    for s in singles:
        zones.append(
            {
                "id": f"{s['zone']}-{s['id']}",
                "kind": "single-school",
                "stage": "junior",
                "schools": [s["id"]],
                "area": s["zone"],
            }
        )
    group_schools = {g: [s["id"] for s in out_schools if s.get("group") == g] for g in (1, 2)}
    private = [s["id"] for s in out_schools if s["kind"] in ("private", "boarding")]
    out_applicants: list[dict[str, Any]] = []
    for i in range(applicants):
        aid = f"p{(i * 0x9E3779B1 + seed) % 2**40:010x}"
        z = int(rng.integers(0, n_zones))
        kind = str(rng.choice(["chaoyang", "beijing", "other"], p=[0.55, 0.2, 0.25]))
        r = float(rng.random())
        rec = {"id": aid, "hukou": {"kind": kind}}
        if r < 0.5 and singles:
            s = singles[int(rng.integers(0, len(singles)))]
            cert = "2012-05-01" if rng.random() < 0.7 else "2019-05-01"
            rec["residence"] = {
                "kind": "owned",
                "address": f"b{aid}",
                "zone": f"{s['zone']}-{s['id']}",
                "certificate_date": cert,
            }
            rec["property"] = {"beijing": True, "chaoyang": True}
            if rng.random() < 0.1:
                stage = "junior" if rng.random() < 0.6 else "primary"
                rec["address_uses"] = [{"year": year - int(rng.integers(1, 6)), "stage": stage}]
                rec["family_planning_exempt"] = bool(rng.random() < 0.2)
        else:
            rec["residence"] = {
                "kind": "rented",
                "address": f"b{aid}",
                "zone": f"JZ{z:03d}",
                "rental_start": "2019-09-01",
                "registered": True,
            }
            rec["property"] = {"beijing": False, "chaoyang": False}
        if rng.random() < 0.92:
            rec["school_of_record"] = primaries[int(rng.integers(0, len(primaries)))]
            rec["school_zone"] = f"JZ{z:03d}"
        else:
            rec["returned"] = bool(rng.random() < 0.5)
        if kind == "other":
            rec["non_local_review"] = "approved" if rng.random() < 0.8 else "rejected"
        if rng.random() < 0.01:
            rec["categories"] = ["disabled"]
        choices: dict[str, list[str]] = {}
        if private and rng.random() < 0.05:
            choices["private_boarding"] = [private[int(rng.integers(0, len(private)))]]
        if rng.random() < 0.4:
            picks = [
                group_schools[g][int(rng.integers(0, len(group_schools[g])))]
                for g in (1, 2)
                if group_schools[g] and rng.random() < 0.8
            ]
            if picks:
                choices["groups"] = picks
        members = zone_members[z]
        k = min(ZONE_CHOICES, len(members))
        if k:
            choices["zone"] = [members[j] for j in rng.permutation(len(members))[:k].tolist()]
        rec["choices"] = choices
        out_applicants.append(rec)
    return {
        "format": "paiwei-scenario/1",
        "district": district,
        "year": year,
        "stage": "junior",
        "policy": {"path": f"{district}-{year}.toml"},
        "schools": out_schools,
        "zones": zones,
        "applicants": out_applicants,
    }
