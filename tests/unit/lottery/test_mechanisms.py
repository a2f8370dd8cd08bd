"""Both mechanisms, both engines: the policy's properties, and plain and NumPy agree exactly.

Every property runs over the plain-Python engine (``lottery._mechanisms``) and the
NumPy engine (``lottery._accel``); a separate property checks the two give the
same placement, and that ``lottery.place`` with and without acceleration does too.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lottery
from lottery import (
    DrawTable,
    Mechanism,
    _accel,
    _mechanisms,
    _tickets,
    applicant_table,
    school_columns,
    tickets,
)
from seeding import Contribution
from tests.strategies import districts, seeds

DA = Mechanism.DEFERRED_ACCEPTANCE
PF = Mechanism.PREFERENCE_FIRST
ENGINES = ("plain", "numpy")
SAFE = 2**53 - 1

Records = list[dict[str, Any]]


def build(schools: Records, applicants: Records) -> DrawTable:
    ids, caps = school_columns(schools)
    return applicant_table(ids, caps, applicants)


def run(
    engine: str, mechanism: Mechanism, table: DrawTable, tix: Sequence[bytes]
) -> tuple[list[int], list[int]]:
    if engine == "plain":
        p = _mechanisms.assign_plain(
            mechanism, table, _tickets.ticket_ranks(tix, table.applicant_ids)
        )
    else:
        p = _accel.assign(mechanism, table, _accel.ticket_ranks(tix, table.applicant_ids))
    return [int(s) for s in p.school], [int(r) for r in p.rank]


def reference_ticket_rank(table: DrawTable, tix: Sequence[bytes]) -> list[int]:
    ids = table.applicant_ids
    order = sorted(range(table.size), key=lambda a: (tix[a], ids[a].encode("utf-8")))
    out = [0] * table.size
    for position, a in enumerate(order):
        out[a] = position
    return out


def key_at(table: DrawTable, ticket_rank: Sequence[int], a: int, s: int) -> tuple[int, int]:
    """(priority of ``a`` at school ``s``, ticket rank): lower is better. ``a`` must list ``s``."""
    choices = list(table.choices_of(a))
    j = table.offsets[a] + choices.index(s)
    return table.choice_priority[j], ticket_rank[a]


@st.composite
def instances(draw: st.DrawFn, **district_options: Any) -> tuple[Records, Records, list[bytes]]:
    """A district and one ticket per applicant (from a seed, or from a tiny pool that forces ties)."""
    schools, applicants = draw(districts(**district_options))
    ids = [a["id"] for a in applicants]
    if draw(st.booleans()):
        tix = tickets(draw(seeds), ids)
    else:
        pool = [bytes([b]) * 32 for b in (1, 2, 3)]
        tix = [draw(st.sampled_from(pool)) for _ in ids]
    return schools, applicants, tix


def check_well_formed(table: DrawTable, school: list[int], rank: list[int]) -> None:
    """Nobody placed twice or outside their list; no school over capacity."""
    assert len(school) == len(rank) == table.size
    load = [0] * len(table.capacities)
    for a in range(table.size):
        assert (school[a] == -1) == (rank[a] == -1)
        if school[a] >= 0:
            choices = table.choices_of(a)
            assert 0 <= rank[a] < len(choices)
            assert choices[rank[a]] == school[a]
            load[school[a]] += 1
    assert all(n <= cap for n, cap in zip(load, table.capacities, strict=True))


def pref_rank(rank: int, n_choices: int) -> int:
    """Choice rank with 'unplaced' worst."""
    return n_choices if rank < 0 else rank


common = settings(max_examples=120, deadline=None)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("mechanism", list(Mechanism))
@common
@given(instance=instances())
def test_no_school_over_capacity_and_nobody_placed_twice(
    engine: str, mechanism: Mechanism, instance: tuple[Records, Records, list[bytes]]
) -> None:
    schools, applicants, tix = instance
    table = build(schools, applicants)
    school, rank = run(engine, mechanism, table, tix)
    check_well_formed(table, school, rank)


@pytest.mark.parametrize("mechanism", list(Mechanism))
@common
@given(instance=instances(max_applicants=20, max_choices=4, max_schools=6))
def test_plain_and_numpy_engines_agree_exactly(
    mechanism: Mechanism, instance: tuple[Records, Records, list[bytes]]
) -> None:
    schools, applicants, tix = instance
    table = build(schools, applicants)
    plain = run("plain", mechanism, table, tix)
    assert run("numpy", mechanism, table, tix) == plain
    for accelerate in (True, False):
        p = lottery.place(mechanism, table, tix, accelerate=accelerate)
        assert ([int(s) for s in p.school], [int(r) for r in p.rank]) == plain


extreme_priorities = st.sampled_from([-SAFE, -1, 0, 1, SAFE])


@pytest.mark.parametrize("mechanism", list(Mechanism))
@settings(max_examples=60, deadline=None)
@given(instance=instances(max_applicants=15), data=st.data())
def test_engines_agree_with_priorities_at_the_integer_limits(
    mechanism: Mechanism, instance: tuple[Records, Records, list[bytes]], data: st.DataObject
) -> None:
    schools, applicants, tix = instance
    for a in applicants:
        a["priority"] = {s: data.draw(extreme_priorities) for s in a["priority"]}
    table = build(schools, applicants)
    assert run("numpy", mechanism, table, tix) == run("plain", mechanism, table, tix)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("mechanism", list(Mechanism))
@settings(max_examples=60, deadline=None)
@given(instance=instances(), data=st.data())
def test_input_order_does_not_matter(
    engine: str,
    mechanism: Mechanism,
    instance: tuple[Records, Records, list[bytes]],
    data: st.DataObject,
) -> None:
    schools, applicants, tix = instance
    ticket_of = dict(zip([a["id"] for a in applicants], tix, strict=True))

    def by_id(s: list[Records], a: list[Records]) -> dict[str, str | None]:
        table = build(s, a)  # type: ignore[arg-type]
        school, _ = run(engine, mechanism, table, [ticket_of[i] for i in table.applicant_ids])
        return {
            i: (table.school_ids[x] if x >= 0 else None)
            for i, x in zip(table.applicant_ids, school, strict=True)
        }

    expected = by_id(schools, applicants)  # type: ignore[arg-type]
    shuffled_schools = data.draw(st.permutations(schools))
    shuffled_applicants = data.draw(st.permutations(applicants))
    assert by_id(shuffled_schools, shuffled_applicants) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("mechanism", list(Mechanism))
@settings(max_examples=30, deadline=None)
@given(instance=instances(), seed=seeds)
def test_same_inputs_and_seed_give_the_same_bundle(
    mechanism: Mechanism, instance: tuple[Records, Records, list[bytes]], seed: bytes
) -> None:
    schools, applicants, _ = instance
    contributions = [Contribution("notary", seed)]
    outcomes = [
        lottery.run_draw(
            lottery.freeze(
                "d/1",
                schools,
                list(reversed(applicants)) if flip else applicants,
                accelerate=accelerate,
            ),
            contributions,
            mechanism=mechanism,
            accelerate=accelerate,
        ).bundle
        for flip in (False, True)
        for accelerate in (False, True)
    ]
    assert all(o == outcomes[0] for o in outcomes[1:])


# --- deferred acceptance -------------------------------------------------------------------


def blocking_pairs(
    table: DrawTable, ticket_rank: Sequence[int], school: Sequence[int], rank: Sequence[int]
) -> list[tuple[int, int]]:
    """(applicant, school) pairs where the applicant prefers the school and the school would take them."""
    tenants: dict[int, list[int]] = {}
    for a, s in enumerate(school):
        if s >= 0:
            tenants.setdefault(s, []).append(a)
    out = []
    for a in range(table.size):
        choices = list(table.choices_of(a))
        for s in choices[: pref_rank(rank[a], len(choices))]:
            held = tenants.get(s, [])
            mine = key_at(table, ticket_rank, a, s)
            if len(held) < table.capacities[s] or any(
                key_at(table, ticket_rank, t, s) > mine for t in held
            ):
                out.append((a, s))
    return out


@pytest.mark.parametrize("engine", ENGINES)
@common
@given(instance=instances(max_applicants=15, max_choices=4))
def test_deferred_acceptance_is_stable_for_priority_then_ticket(
    engine: str, instance: tuple[Records, Records, list[bytes]]
) -> None:
    schools, applicants, tix = instance
    table = build(schools, applicants)
    school, rank = run(engine, DA, table, tix)
    check_well_formed(table, school, rank)
    assert blocking_pairs(table, reference_ticket_rank(table, tix), school, rank) == []


def stable_matchings(
    table: DrawTable, ticket_rank: Sequence[int]
) -> list[tuple[list[int], list[int]]]:
    """Every stable assignment, by brute force over all ways to give each applicant a choice or none."""
    options = [
        [(-1, -1)] + [(s, j) for j, s in enumerate(table.choices_of(a))] for a in range(table.size)
    ]
    found = []
    for combo in itertools.product(*options):
        school = [s for s, _ in combo]
        if any(school.count(s) > cap for s, cap in enumerate(table.capacities)):
            continue
        rank = [j for _, j in combo]
        if not blocking_pairs(table, ticket_rank, school, rank):
            found.append((school, rank))
    return found


@st.composite
def contested_instances(draw: st.DrawFn) -> tuple[Records, Records, list[bytes]]:
    """Tiny districts with more than one stable assignment, most of the time: n schools of
    one seat, n applicants who each rank them in a different cyclic order, schools that
    prefer the applicants who like them least; plus a few random applicants."""
    n = draw(st.integers(2, 4))
    ids = draw(st.permutations([f"s{i}" for i in range(n)]))
    schools = [{"id": s, "capacity": 1} for s in ids]
    applicants = []
    for i in range(n):
        choices = [ids[(i + j) % n] for j in range(n)]
        applicants.append(
            {
                "id": f"p{i}",
                "choices": choices,
                "priority": {s: n - j for j, s in enumerate(choices)},
            }
        )
    for i in range(draw(st.integers(0, 2))):
        choices = draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))
        applicants.append(
            {
                "id": f"q{i}",
                "choices": choices,
                "priority": {s: draw(st.integers(0, n + 1)) for s in choices},
            }
        )
    return schools, applicants, tickets(draw(seeds), [a["id"] for a in applicants])


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=150, deadline=None)
@given(
    instance=st.one_of(
        instances(
            min_applicants=2, max_applicants=6, max_schools=4, max_capacity=2, priority_levels=6
        ),
        contested_instances(),
    )
)
def test_deferred_acceptance_is_the_applicant_optimal_stable_assignment(
    engine: str, instance: tuple[Records, Records, list[bytes]]
) -> None:
    schools, applicants, tix = instance
    table = build(schools, applicants)
    school, rank = run(engine, DA, table, tix)
    stable = stable_matchings(table, reference_ticket_rank(table, tix))
    assert (school, rank) in stable
    for other_school, other_rank in stable:
        for a in range(table.size):
            n = len(table.choices_of(a))
            assert pref_rank(rank[a], n) <= pref_rank(other_rank[a], n), (a, other_school)


def test_deferred_acceptance_picks_the_applicant_optimal_of_two_stable_assignments() -> None:
    # p1 prefers A, p2 prefers B; school A prefers p2 and B prefers p1. Both
    # "everyone gets their first choice" and "everyone gets their second" are stable.
    schools = [{"id": "A", "capacity": 1}, {"id": "B", "capacity": 1}]
    applicants = [
        {"id": "p1", "choices": ["A", "B"], "priority": {"A": 1, "B": 0}},
        {"id": "p2", "choices": ["B", "A"], "priority": {"A": 0, "B": 1}},
    ]
    table = build(schools, applicants)
    tix = [b"\x01" * 32, b"\x02" * 32]
    assert len(stable_matchings(table, reference_ticket_rank(table, tix))) == 2
    for engine in ENGINES:
        assert run(engine, DA, table, tix) == ([0, 1], [0, 0])


# --- direct admission ----------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("mechanism", list(Mechanism))
@common
@given(instance=instances(max_capacity=5))
def test_direct_admission_whenever_a_schools_applicants_fit(
    engine: str, mechanism: Mechanism, instance: tuple[Records, Records, list[bytes]]
) -> None:
    schools, applicants, tix = instance
    table = build(schools, applicants)
    _, rank = run(engine, mechanism, table, tix)
    listed = [0] * len(table.capacities)
    for s in table.choice_school:
        listed[s] += 1
    for a in range(table.size):
        for j, s in enumerate(table.choices_of(a)):
            if listed[s] <= table.capacities[s]:
                # Everyone who lists a school with room for all of them gets it or something better.
                assert 0 <= rank[a] <= j, (table.applicant_ids[a], table.school_ids[s])


@pytest.mark.parametrize("mechanism", list(Mechanism))
@settings(max_examples=60, deadline=None)
@given(instance=instances(max_capacity=5), seed=seeds)
def test_school_results_say_direct_exactly_when_everyone_who_applied_got_in(
    mechanism: Mechanism, instance: tuple[Records, Records, list[bytes]], seed: bytes
) -> None:
    schools, applicants, _ = instance
    outcome = lottery.run_draw(
        lottery.freeze("d/1", schools, applicants), [Contribution("n", seed)], mechanism=mechanism
    )
    table = outcome.table
    school = [int(s) for s in outcome.placement.school]
    rank = [int(r) for r in outcome.placement.rank]
    for s, result in enumerate(outcome.bundle["school_results"]):
        applied = [
            a
            for a in range(table.size)
            if s in list(table.choices_of(a))[: pref_rank(rank[a], 99) + 1]
        ]
        admitted = [a for a in range(table.size) if school[a] == s]
        assert result["school"] == table.school_ids[s]
        assert result["listed"] == sum(s in table.choices_of(a) for a in range(table.size))
        assert (result["applied"], result["admitted"]) == (len(applied), len(admitted))
        assert set(admitted) <= set(applied)
        assert result["mode"] == ("direct" if set(admitted) == set(applied) else "drawn")
        if result["listed"] <= table.capacities[s]:
            assert result["mode"] == "direct"


# --- preference-first ----------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@common
@given(instance=instances(max_applicants=15, max_choices=4))
def test_preference_first_turns_away_only_when_full_and_only_for_better_keys(
    engine: str, instance: tuple[Records, Records, list[bytes]]
) -> None:
    """Whenever an applicant is turned away at step k by school s, s had no seats left
    after step k, and everyone s took at step k ranks ahead of them."""
    schools, applicants, tix = instance
    table = build(schools, applicants)
    school, rank = run(engine, PF, table, tix)
    check_well_formed(table, school, rank)
    ticket_rank = reference_ticket_rank(table, tix)
    for a in range(table.size):
        choices = list(table.choices_of(a))
        for k in range(pref_rank(rank[a], len(choices))):
            s = choices[k]
            taken_by_step_k = [b for b in range(table.size) if school[b] == s and rank[b] <= k]
            assert len(taken_by_step_k) == table.capacities[s], "turned away while seats were left"
            mine = key_at(table, ticket_rank, a, s)
            for b in taken_by_step_k:
                if rank[b] == k:
                    assert key_at(table, ticket_rank, b, s) < mine, "a worse key took the seat"


def truncated(applicants: Records, k: int) -> Records:
    return [{**a, "choices": a["choices"][:k]} for a in applicants]


@pytest.mark.parametrize("engine", ENGINES)
@common
@given(instance=instances(max_applicants=15, max_choices=4))
def test_preference_first_never_undoes_an_earlier_place(
    engine: str, instance: tuple[Records, Records, list[bytes]]
) -> None:
    """The places made in steps 1..k are exactly the result of a draw over first k choices."""
    schools, applicants, tix = instance
    table = build(schools, applicants)
    school, rank = run(engine, PF, table, tix)
    for k in range(1, table.max_choices + 1):
        early_school, early_rank = run(engine, PF, build(schools, truncated(applicants, k)), tix)
        for a in range(table.size):
            if early_school[a] >= 0:
                assert (school[a], rank[a]) == (early_school[a], early_rank[a])
            if 0 <= rank[a] < k:
                assert (early_school[a], early_rank[a]) == (school[a], rank[a])


def test_preference_first_differs_from_deferred_acceptance_where_the_policy_says() -> None:
    # p1 wants A first but loses A at step 1; at step 2 B is already full with p2's
    # first choice, though p1 has the better priority at B. DA would give p1 the seat at B.
    schools = [{"id": "A", "capacity": 1}, {"id": "B", "capacity": 1}]
    applicants = [
        {"id": "p0", "choices": ["A"], "priority": {"A": 0}},
        {"id": "p1", "choices": ["A", "B"], "priority": {"A": 1, "B": 0}},
        {"id": "p2", "choices": ["B"], "priority": {"B": 1}},
    ]
    table = build(schools, applicants)
    tix = [b"\x01" * 32, b"\x02" * 32, b"\x03" * 32]
    for engine in ENGINES:
        assert run(engine, PF, table, tix) == ([0, -1, 1], [0, -1, 0])
        assert run(engine, DA, table, tix) == ([0, 1, -1], [0, 1, -1])


# --- larger randomized comparison ----------------------------------------------------------


def random_table(rng: random.Random, n: int, n_schools: int, n_choices: int) -> DrawTable:
    school_ids = [f"s{i:03d}" for i in range(n_schools)]
    capacities = [rng.choice([0, 1, 5, 20, 40, 80, 120]) for _ in school_ids]
    popular = school_ids[: n_schools // 10]
    records = []
    for i in range(n):
        k = rng.randint(0, n_choices)
        pool = popular if rng.random() < 0.5 and len(popular) >= k else school_ids
        choices = rng.sample(pool, k)
        levels = rng.choice([[0], [0, 1, 2], [-SAFE, 0, SAFE]])
        records.append(
            {
                "id": f"a{i:06d}",
                "choices": choices,
                "priority": {s: rng.choice(levels) for s in choices},
            }
        )
    return applicant_table(school_ids, capacities, records)


def tickets_with_prefix_ties(rng: random.Random, n: int) -> list[bytes]:
    """Random tickets where many share their first 8 bytes and some are wholly equal."""
    prefixes = [rng.randbytes(8) for _ in range(n // 50)]
    out = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.3:
            out.append(rng.choice(prefixes) + rng.randbytes(24))
        elif roll < 0.4:
            out.append(rng.choice(prefixes[:5]) + b"\x00" * 24)  # equal tickets: the id decides
        else:
            out.append(rng.randbytes(32))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("mechanism", list(Mechanism))
@pytest.mark.parametrize("ties", [False, True], ids=["hashed-tickets", "prefix-ties"])
def test_engines_agree_on_a_large_random_district(mechanism: Mechanism, ties: bool) -> None:
    rng = random.Random(f"{mechanism}-{ties}")
    table = random_table(rng, 20_000, 300, 3)
    tix = (
        tickets_with_prefix_ties(rng, table.size)
        if ties
        else tickets(rng.randbytes(32), table.applicant_ids)
    )
    if ties:
        assert len({t[:8] for t in tix}) < len(tix)
        assert len(set(tix)) < len(tix)
    assert _tickets.ticket_ranks(tix, table.applicant_ids) == list(
        map(int, _accel.ticket_ranks(tix, table.applicant_ids))
    )
    plain = run("plain", mechanism, table, tix)
    assert run("numpy", mechanism, table, tix) == plain
    check_well_formed(table, *plain)
    placed = sum(s >= 0 for s in plain[0])
    assert 0 < placed < table.size  # the district is contested: the comparison means something
