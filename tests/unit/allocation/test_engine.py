"""The rounds engine: one verifiable protocol draw per round, explanations, comparison, hooks."""

from __future__ import annotations

from typing import Any

import pytest

import lottery
from allocation import (
    AllocationError,
    Explainer,
    Reporter,
    ScenarioError,
    compare_round,
    generate_district,
    rehearsal_contributions,
    run_plan,
    scenario_from_mapping,
    shipped_policy,
)
from allocation.generator import generate_scenario
from lottery import Mechanism
from tests.unit.allocation._helpers import child, district, junior, pupil, renter

SEED = b"engine-test"


@pytest.fixture(scope="module")
def result() -> Any:
    sc = scenario_from_mapping(generate_district(1500, 24, seed=11))
    return run_plan(shipped_policy(), sc, rehearsal_contributions(SEED), rehearsal=True)


def test_every_round_bundle_verifies_after_signing(result: Any) -> None:
    key = lottery.generate_key()
    trusted = {"bureau": bytes.fromhex(lottery.public_key_hex(key))}
    bundles = result.bundles()
    assert set(bundles) == {"private-boarding", "single-school", "multi-school", "district"}
    for rid, bundle in bundles.items():
        assert bundle["signatures"] == []
        assert bundle["draw_id"] == f"rehearsal/chaoyang/2024/primary/{rid}"
        signed = lottery.sign_bundle(bundle, "bureau", key)
        report = lottery.verify(signed, trusted)
        assert report.rehearsal
        assert all(c.ok for c in report.checks)
        assert bundle["allocation"]["round"] == rid


def test_bundle_records_are_pseudonymous(result: Any) -> None:
    for bundle in result.bundles().values():
        for rec in bundle["applicants"]:
            assert set(rec) == {"id", "choices", "priority"}
        for rec in bundle["schools"]:
            assert set(rec) == {"id", "capacity"}


def test_mechanism_of_each_round_is_the_policy_s(result: Any) -> None:
    b = result.bundles()
    assert b["multi-school"]["mechanism"] == "preference-first"
    assert b["single-school"]["mechanism"] == "deferred-acceptance"


def test_nobody_placed_earlier_appears_later(result: Any) -> None:
    placed_before: set[str] = set()
    for r in result.rounds:
        ids = {a["id"] for a in (r.bundle or {"applicants": []})["applicants"]}
        assert not ids & placed_before, r.spec.id
        if r.bundle:
            placed_before |= {
                a["applicant"] for a in r.bundle["assignments"] if a["school"] is not None
            }


def test_seats_of_a_round_are_those_left_by_the_previous_published_result(result: Any) -> None:
    sc = result.scenario
    left = {s.id: s.seats for s in sc.schools}
    for r in result.rounds:
        if r.bundle is None:
            continue
        for rec in r.bundle["schools"]:
            assert rec["capacity"] == left[rec["id"]], (r.spec.id, rec["id"])
        for a in r.bundle["assignments"]:
            if a["school"] is not None:
                left[a["school"]] -= 1


def test_missing_contributions_for_a_round_is_an_error() -> None:
    sc = scenario_from_mapping(district([child("c1")]))
    with pytest.raises(AllocationError) as err:
        run_plan(shipped_policy(), sc, {})
    assert err.value.round_id == "single-school"


def test_mapping_of_contributions_is_used_per_round() -> None:
    from seeding import Contribution  # noqa: PLC0415

    sc = scenario_from_mapping(district([child("c1")]))
    res = run_plan(shipped_policy(), sc, {"single-school": [Contribution("notary", b"\x01" * 32)]})
    assert res.bundles()["single-school"]["draw_id"] == "chaoyang/2024/primary/single-school"
    assert res.outcome("c1").school == "P1"


def test_a_list_longer_than_the_round_allows_is_rejected() -> None:
    sc = scenario_from_mapping(district([child("c1", choices={"private_boarding": ["M1", "B1"]})]))
    with pytest.raises(ScenarioError) as err:
        run_plan(shipped_policy(), sc, rehearsal_contributions(SEED))
    assert err.value.where == "/applicants/0/choices/private_boarding"


def test_scenario_of_another_year_is_rejected() -> None:
    data = district([child("c1")])
    data["year"] = 2023
    with pytest.raises(ScenarioError):
        run_plan(shipped_policy(), scenario_from_mapping(data), rehearsal_contributions(SEED))


class Recorder(Reporter):
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def round_started(self, spec: Any, draw_id: str, applicants: int, schools: int) -> None:
        self.events.append(("started", spec.id))

    def round_drawn(self, spec: Any, bundle: dict[str, Any]) -> None:
        self.events.append(("drawn", spec.id))

    def round_skipped(self, spec: Any, reason: str) -> None:
        self.events.append(("skipped", spec.id))


def test_reporter_hooks_follow_the_plan() -> None:
    rec = Recorder()
    sc = scenario_from_mapping(district([child("c1")]))
    run_plan(shipped_policy(), sc, rehearsal_contributions(SEED), reporter=rec)
    assert rec.events == [
        ("started", "private-boarding"),
        ("skipped", "private-boarding"),
        ("started", "single-school"),
        ("drawn", "single-school"),
        ("started", "multi-school"),
        ("skipped", "multi-school"),
        ("started", "district"),
        ("skipped", "district"),
    ]


def test_preference_first_explanation_names_step_seats_left_and_last_ticket() -> None:
    """P2 has 1 seat: three renters list P2 then P3; two miss P2 at step 1 and get P3 at step 2."""
    sc = scenario_from_mapping(
        district(
            [renter(f"c{i}", choices={"zone": ["P2", "P3"]}) for i in range(3)], {"P2": 1, "P3": 5}
        )
    )
    res = run_plan(shipped_policy(), sc, rehearsal_contributions(SEED))
    ex = Explainer(res)
    winners = [a for a in ("c0", "c1", "c2") if res.outcome(a).school == "P2"]
    assert len(winners) == 1
    bundle = res.bundles()["multi-school"]
    cut = next(s for s in bundle["school_results"] if s["school"] == "P2")["cutoff"]["ticket"]
    for aid in ("c0", "c1", "c2"):
        e = ex.explain(aid)
        rnd = next(r for r in e.rounds if r.round == "multi-school")
        first = rnd.attempts[0]
        assert (first.school, first.step, first.seats, first.competitors) == ("P2", 1, 1, 3)
        assert first.cutoff_ticket == cut
        assert "第1轮" in rnd.text and "剩余学位1个" in rnd.text
        if aid in winners:
            assert first.admitted and len(rnd.attempts) == 1
        else:
            second = rnd.attempts[1]
            assert not first.admitted and second.admitted
            assert (second.school, second.step, second.seats) == ("P3", 2, 5)
            assert second.mode == "direct"
        assert e.to_json()["outcome"]["school"] == res.outcome(aid).school


def test_deferred_acceptance_explanation_gives_position_of_n_and_cutoff() -> None:
    sc = scenario_from_mapping(district([child(f"c{i}") for i in range(5)], {"P1": 2, "P2": 10}))
    res = run_plan(shipped_policy(), sc, rehearsal_contributions(SEED))
    ex = Explainer(res)
    positions = []
    for i in range(5):
        e = ex.explain(f"c{i}")
        att = next(r for r in e.rounds if r.round == "single-school").attempts[0]
        assert att.competitors == 5 and att.seats == 2 and att.mode == "drawn"
        assert att.admitted == (att.position <= 2)
        positions.append(att.position)
        assert "共5人" in e.text or "5人申请" in e.text
    assert sorted(positions) == [1, 2, 3, 4, 5]


def test_ineligible_explanation_cites_the_rule() -> None:
    sc = scenario_from_mapping(district([child("c1", birth_date="2019-01-01")]))
    e = Explainer(run_plan(shipped_policy(), sc, rehearsal_contributions(SEED))).explain("c1")
    assert e.eligibility.code == "age" and "§三（一）1" in e.text and not e.rounds


def test_comparison_is_marked_analysis_only_and_counts_by_zone(result: Any) -> None:
    c = compare_round(result, "multi-school").to_json()
    assert c["analysis_only"] is True
    assert c["note"] == "仅供分析，非正式派位结果"
    assert c["mechanism"] == "preference-first" and c["other_mechanism"] == "deferred-acceptance"
    assert c["seed"] == result.bundles()["multi-school"]["ceremony"]["seed"]
    n = len(result.bundles()["multi-school"]["applicants"])
    assert sum(z["applicants"] for z in c["zones"]) == n
    for z in c["zones"]:
        assert z["better"] + z["worse"] + z["same"] == z["applicants"]
    # DA is applicant-optimal stable, so nobody it places ends up worse than... it differs somewhere
    assert any(z["better"] or z["worse"] for z in c["zones"])
    assert "signatures" not in c


def test_comparison_of_a_round_without_a_draw_is_an_error(result: Any) -> None:
    with pytest.raises(AllocationError):
        compare_round(result, "nine-year")


def test_junior_plan_runs_all_rounds_and_verifies() -> None:
    sc = scenario_from_mapping(
        junior(
            [
                pupil("c1", choices={"groups": ["G1"]}),
                pupil("c2", school_of_record="X1"),
                pupil("c3"),
                pupil("c4", choices={"groups": ["G1", "G2"]}),
            ]
        )
    )
    res = run_plan(shipped_policy(), sc, rehearsal_contributions(SEED), rehearsal=True)
    key = lottery.generate_key()
    for bundle in res.bundles().values():
        lottery.verify(lottery.sign_bundle(bundle, "b", key), {"b": bytes.fromhex(lottery.public_key_hex(key))})
    assert res.bundles()["first-batch"]["mechanism"] == Mechanism.PREFERENCE_FIRST.value
    assert res.outcome("c2").school == "N1"
    assert res.outcome("c4").school in {"G1", "G2"}  # lists both groups; two pupils, one seat each
    assert res.outcome("c1").status == "placed"


def test_columnar_generator_scenario_runs() -> None:
    sc = generate_scenario(3000, 30, seed=3)
    res = run_plan(shipped_policy(), sc, rehearsal_contributions(SEED))
    counts = {o.status for o in res.outcomes()}
    assert counts <= {"placed", "unplaced", "ineligible"} and "placed" in counts


def test_comparison_counts_better_worse_none_on_a_known_case() -> None:
    """Two disabled children want P2 (1 seat) then P3 (1 seat); an ordinary child wants P3 only.

    Preference-first (shipped): the loser at P2 finds P3 taken at step 1. Deferred
    acceptance would give the loser P3 (priority class 0 before 2) and leave the
    ordinary child without a seat in the round: one better, one worse, one the same.
    """
    sc = scenario_from_mapping(
        district(
            [
                renter("d1", categories=["disabled"], choices={"zone": ["P2", "P3"]}),
                renter("d2", categories=["disabled"], choices={"zone": ["P2", "P3"]}),
                renter("o1", choices={"zone": ["P3"]}),
            ],
            {"P1": 0, "P2": 1, "P3": 1},
        )
    )
    for k in range(4):
        res = run_plan(shipped_policy(), sc, rehearsal_contributions(bytes([k])))
        (zone,) = compare_round(res, "multi-school").zones
        assert (zone.zone, zone.applicants, zone.better, zone.worse, zone.same, zone.none) == (
            "Z1",
            3,
            1,
            1,
            1,
            1,
        )
        assert res.outcome("o1").school == "P3"


def test_rehearsal_contribution_is_a_tagged_framed_hash() -> None:
    """TH("paiwei/v1/rehearsal-contribution", F(seed) ‖ F(draw id)), per round.

    Framing keeps apart pairs that plain concatenation merges (seed "a" with id "bc"
    and seed "ab" with id "c").
    """
    import hashlib  # noqa: PLC0415

    from allocation import REHEARSAL_CONTRIBUTION_TAG, rehearsal_contribution_value  # noqa: PLC0415
    from seeding import frame, tagged_hash  # noqa: PLC0415

    value = rehearsal_contribution_value(b"\x00", "rehearsal/chaoyang/2024/primary/district")
    assert value == tagged_hash(
        REHEARSAL_CONTRIBUTION_TAG,
        frame(b"\x00") + frame("rehearsal/chaoyang/2024/primary/district"),
    )
    assert value != hashlib.sha256(b"\x00rehearsal/chaoyang/2024/primary/district").digest()
    assert rehearsal_contribution_value(b"a", "bc") != rehearsal_contribution_value(b"ab", "c")
    assert rehearsal_contribution_value(b"a", "x/1") != rehearsal_contribution_value(b"a", "x/2")


def test_pair_order_and_ticket_ranks_match_the_plain_lexsort() -> None:
    """The packed-key sort and the lottery order the engine takes from ``lottery.rank_tickets``
    give exactly lexsort's order (round members are id-sorted, so id ties follow index).

    Ties on the first 64 bits of a ticket (forced here) take the exact path.
    """
    import numpy as np  # noqa: PLC0415
    from hypothesis import given, settings  # noqa: PLC0415
    from hypothesis import strategies as st  # noqa: PLC0415

    import lottery  # noqa: PLC0415
    from allocation.engine import _sort_pairs  # noqa: PLC0415

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.integers(0, 40),
                st.integers(0, 6),
                st.integers(-3, 3),
                st.binary(min_size=32, max_size=32),
                st.booleans(),
            ),
            max_size=60,
        )
    )
    def check(rows: list[tuple[int, int, int, bytes, bool]]) -> None:
        tickets = [t if not same else bytes(8) + t[8:] for _, _, _, t, same in rows]
        ids = [f"A{i:04d}" for i in range(len(tickets))]  # id-sorted, as round members are
        tr = np.asarray(lottery.rank_tickets(tickets, ids), dtype=np.int64)
        if tickets:
            words = np.frombuffer(b"".join(tickets), dtype=">u8").reshape(len(tickets), 4)
            want = np.empty(len(tickets), dtype=np.int64)
            want[np.lexsort((words[:, 3], words[:, 2], words[:, 1], words[:, 0]))] = np.arange(
                len(tickets)
            )
            assert tr.tolist() == want.tolist()
        school = np.asarray([r[0] for r in rows], dtype=np.int64)
        step = np.asarray([r[1] for r in rows], dtype=np.int64)
        prio = np.asarray([r[2] for r in rows], dtype=np.int64)
        # ties on every column included (a round has none): the stable order is kept
        ticket = np.asarray([r[3][0] % 3 for r in rows], dtype=np.int64)
        got = _sort_pairs(school, step, prio, ticket)
        assert got.tolist() == np.lexsort((ticket, prio, step, school)).tolist()

    check()
    big = np.asarray([2**40, 1, 0], dtype=np.int64)  # too wide to pack: the lexsort path
    zeros = np.zeros(3, dtype=np.int64)
    order = _sort_pairs(big, zeros, zeros, np.asarray([2**30, 5, 7], dtype=np.int64))
    assert order.tolist() == [2, 1, 0]
