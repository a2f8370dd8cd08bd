"""Properties over random districts (Hypothesis picks the generator's size, shape and seed)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation import (
    Stage,
    Target,
    generate_district,
    generate_junior_district,
    rehearsal_contributions,
    run_plan,
    scenario_from_mapping,
    shipped_policy,
)
from lottery import Mechanism

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def districts(draw: st.DrawFn) -> dict[str, Any]:
    """Random primary or junior-high districts from the synthetic generators."""
    size, schools = draw(st.integers(0, 160)), draw(st.integers(2, 14))
    seed = draw(st.integers(0, 2**32 - 1))
    ratio = draw(st.sampled_from([0.4, 0.8, 1.0, 1.3, 2.0]))
    if draw(st.booleans()):
        return generate_junior_district(size, schools, seed=seed, seat_ratio=ratio)
    return generate_district(size, schools, seed=seed, seat_ratio=ratio)


seeds = st.binary(min_size=1, max_size=8)
POLICY = shipped_policy()
ALL_DA = (
    POLICY.with_mechanism(Stage.PRIMARY, "multi-school", Mechanism.DEFERRED_ACCEPTANCE)
    .with_mechanism(Stage.JUNIOR, "multi-school", Mechanism.DEFERRED_ACCEPTANCE)
    .with_mechanism(Stage.JUNIOR, "first-batch", Mechanism.DEFERRED_ACCEPTANCE)
)


def run(data: dict[str, Any], seed: bytes, policy: Any = POLICY) -> Any:
    return run_plan(policy, scenario_from_mapping(data), rehearsal_contributions(seed))


@SETTINGS
@given(districts(), seeds)
def test_no_school_over_its_seats_and_nobody_placed_twice(
    data: dict[str, Any], seed: bytes
) -> None:
    res = run(data, seed)
    seats = {s["id"]: s["seats"] for s in data["schools"]}
    filled = Counter(s for s in res.assignment().values() if s is not None)
    assert all(filled[s] <= seats[s] for s in filled)
    placements: Counter[str] = Counter()
    for b in res.bundles().values():
        placements.update(a["applicant"] for a in b["assignments"] if a["school"] is not None)
    assert all(v == 1 for v in placements.values())
    assert sum(placements.values()) == sum(filled.values())


@SETTINGS
@given(districts(), seeds)
def test_every_school_whose_applicants_fit_admits_them_all(
    data: dict[str, Any], seed: bytes
) -> None:
    res = run(data, seed)
    for r in res.rounds:
        for sr in r.results:
            if sr.seats == 0:  # nothing to admit, nothing drawn
                assert sr.admitted == 0 and sr.mode == "no-seats", (r.spec.id, sr.school)
            elif sr.applied <= sr.seats:
                assert sr.admitted == sr.applied, (r.spec.id, sr.school)
                assert sr.mode == "direct"
            else:
                assert sr.admitted == sr.seats and sr.mode == "drawn"


def _key(rec: dict[str, Any], school: str, ticket: str) -> tuple[int, str, str]:
    return (rec["priority"][school], ticket, rec["id"])


def _check_da_stable(bundle: dict[str, Any]) -> None:
    cap = {s["id"]: s["capacity"] for s in bundle["schools"]}
    got = {a["applicant"]: (a["school"], a["ticket"]) for a in bundle["assignments"]}
    recs = {a["id"]: a for a in bundle["applicants"]}
    tenants: dict[str, list[tuple[int, str, str]]] = {s: [] for s in cap}
    for aid, (school, ticket) in got.items():
        if school is not None:
            tenants[school].append(_key(recs[aid], school, ticket))
    worst = {s: max(t) if t else None for s, t in tenants.items()}
    for aid, rec in recs.items():
        school, ticket = got[aid]
        wanted = (
            rec["choices"] if school is None else rec["choices"][: rec["choices"].index(school)]
        )
        for s in wanted:
            assert len(tenants[s]) >= cap[s], f"{aid} wants {s}, which has a free seat"
            w = worst[s]
            assert w is None or w < _key(rec, s, ticket), f"{aid} and {s} block"


def _check_pf_steps(bundle: dict[str, Any]) -> None:
    """Preference-first: at each step, nobody turned away from a school that admitted a worse key then."""
    got = {a["applicant"]: (a["school"], a["ticket"]) for a in bundle["assignments"]}
    steps: dict[tuple[str, int], list[tuple[tuple[int, str, str], bool]]] = {}
    for rec in bundle["applicants"]:
        school, ticket = got[rec["id"]]
        reach = len(rec["choices"]) if school is None else rec["choices"].index(school) + 1
        for k in range(reach):
            s = rec["choices"][k]
            steps.setdefault((s, k), []).append((_key(rec, s, ticket), s == school))
    for entries in steps.values():
        admitted = [k for k, won in entries if won]
        rejected = [k for k, won in entries if not won]
        if admitted and rejected:
            assert max(admitted) < min(rejected)


@SETTINGS
@given(districts(), seeds)
def test_assignment_is_stable_for_priority_and_ticket(data: dict[str, Any], seed: bytes) -> None:
    """Deferred-acceptance rounds admit no blocking pair; preference-first rounds are step-wise ordered."""
    for policy in (POLICY, ALL_DA):
        res = run(data, seed, policy)
        for r in res.rounds:
            if r.bundle is None:
                continue
            if r.spec.mechanism is Mechanism.DEFERRED_ACCEPTANCE:
                _check_da_stable(r.bundle)
            else:
                _check_pf_steps(r.bundle)


@SETTINGS
@given(districts(), seeds, st.randoms(use_true_random=False))
def test_same_seed_same_result_and_input_order_does_not_matter(
    data: dict[str, Any], seed: bytes, rnd: random.Random
) -> None:
    first = run(data, seed)
    again = run(data, seed)
    assert first.bundles() == again.bundles()
    shuffled = dict(data)
    for key in ("applicants", "schools", "zones"):
        shuffled[key] = rnd.sample(data[key], len(data[key]))
    other = run(shuffled, seed)
    assert other.assignment() == first.assignment()
    assert {k: b["ceremony"] for k, b in other.bundles().items()} == {
        k: b["ceremony"] for k, b in first.bundles().items()
    }


@SETTINGS
@given(districts(), seeds)
def test_every_eligible_child_is_placed_when_seats_suffice(
    data: dict[str, Any], seed: bytes
) -> None:
    res = run(data, seed)
    public = sum(s["seats"] for s in data["schools"] if s["kind"] == "public")
    eligible = int(res.routing.eligible.sum())
    unplaced = [o for o in res.outcomes() if o.status == "unplaced"]
    if public >= eligible:
        assert unplaced == []
    # and never more unplaced than the seats are short
    assert len(unplaced) <= max(0, eligible - public)


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@SETTINGS
@given(districts(), seeds)
def test_address_reuse_and_property_date_rules_are_applied(
    data: dict[str, Any], seed: bytes
) -> None:
    """§四（一）1–2, re-derived in plain Python from the records: who goes to a single school.

    The window is six years for primary, three for junior high (from the year of use).
    """
    res = run(data, seed)
    stage = data["stage"]
    window = 6 if stage == "primary" else 3
    zones = {z["id"]: z for z in data["zones"]}
    single_round = set()
    if "single-school" in res.bundles():
        single_round = {a["id"] for a in res.bundles()["single-school"]["applicants"]}
    for i, rec in enumerate(data["applicants"]):
        if not res.routing.eligible[i]:
            continue
        r = rec["residence"]
        local = (
            rec["hukou"]["kind"] != "other"
            or rec.get("treated_as_local")
            or "talent" in rec.get("categories", [])
        )
        single_zone = r["kind"] == "owned" and zones[r["zone"]]["kind"] == "single-school"
        after = r["kind"] == "owned" and _date(r["certificate_date"]) > dt.date(2017, 6, 30)
        uses = [u["year"] for u in rec.get("address_uses", []) if u["stage"] == stage]
        reused = bool(uses) and 2024 - max(uses) < window and not rec.get("family_planning_exempt")
        expect_single = bool(local and single_zone and not after and not reused)
        assert (int(res.routing.target[i]) == Target.SINGLE) == expect_single, rec["id"]
        assert (rec["id"] in single_round) <= expect_single
        if expect_single and res.outcome(rec["id"]).round == "single-school":
            assert res.outcome(rec["id"]).school == zones[r["zone"]]["schools"][0]


@SETTINGS
@given(districts(), seeds)
def test_explanations_agree_with_outcomes(data: dict[str, Any], seed: bytes) -> None:
    """Every explanation ends where the outcome is; its numbers are consistent with the draw."""
    from allocation import Explainer  # noqa: PLC0415

    res = run(data, seed)
    for e in Explainer(res):
        admitted = [(r.round, a) for r in e.rounds for a in r.attempts if a.admitted]
        if e.outcome.status == "placed":
            assert len(admitted) == 1
            rnd, att = admitted[0]
            assert (rnd, att.school, att.choice) == (
                e.outcome.round,
                e.outcome.school,
                e.outcome.choice,
            )
        else:
            assert admitted == []
        if e.outcome.status == "ineligible":
            assert e.rounds == ()
        for r in e.rounds:
            for a in r.attempts:
                assert 1 <= a.position <= a.competitors
                if a.step is None:  # deferred acceptance: admitted exactly when within the seats
                    assert a.admitted == (a.position <= a.seats)
                else:  # preference-first: the seats left at that step decide
                    assert a.admitted == (a.position <= a.seats)
                if a.admitted or a.seats > 0:
                    assert a.cutoff_ticket is not None
