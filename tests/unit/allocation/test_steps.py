"""The stepping API: a season one round at a time, with earlier rounds adopted from their
bundles (never drawn again), the same bytes as run_plan, and every applicant accounted for."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from allocation import (
    AllocationError,
    Disposition,
    SeasonSteps,
    generate_district,
    rehearsal_contributions,
    run_plan,
    scenario_from_mapping,
    shipped_policy,
)
from lottery import canonical_json

SEED = b"steps-test"


@pytest.fixture(scope="module")
def world() -> Any:
    sc = scenario_from_mapping(generate_district(900, 16, seed=5))
    policy = shipped_policy()
    return policy, sc, run_plan(policy, sc, rehearsal_contributions(SEED))


def test_steps_adopting_earlier_bundles_give_run_plan_s_bytes(world: Any) -> None:
    policy, sc, whole = world
    contributions = rehearsal_contributions(SEED)
    for k in range(len(whole.rounds)):
        # A fresh season for round k, as the database lifecycle does at the round's run.
        steps = SeasonSteps(policy, sc)
        for j in range(k):
            inputs = steps.next_inputs()
            if whole.rounds[j].bundle is None:
                steps.skip(inputs)
            else:
                steps.adopt(inputs, whole.rounds[j].bundle)
        inputs = steps.next_inputs()
        if inputs.frozen is None:
            assert whole.rounds[k].bundle is None
            continue
        record = steps.place(inputs, contributions(inputs.spec.id, inputs.frozen))
        assert record.bundle is not None and whole.rounds[k].bundle is not None
        assert canonical_json(record.bundle) == canonical_json(whole.rounds[k].bundle)
        part = steps.result()
        assert len(part.rounds) == k + 1
        decided = (whole.round_index >= 0) & (whole.round_index <= k)
        assert np.array_equal(part.school[decided], whole.school[decided])
        assert (part.school[~decided] == -1).all()


def test_adopting_a_bundle_of_other_inputs_is_refused(world: Any) -> None:
    policy, sc, whole = world
    steps = SeasonSteps(policy, sc)
    first = steps.next_inputs()
    second_bundle = next(r.bundle for r in whole.rounds[1:] if r.bundle is not None)
    with pytest.raises(AllocationError, match=r"input root|changed"):
        steps.adopt(first, {**second_bundle, "draw_id": first.draw_id})
    steps.adopt(first, whole.rounds[0].bundle)
    with pytest.raises(AllocationError):  # inputs of a round already taken
        steps.skip(first)


def test_every_applicant_is_accounted_for_at_every_round(world: Any) -> None:
    policy, sc, whole = world
    steps = SeasonSteps(policy, sc)
    n = sc.applicants.size
    while not steps.done:
        inputs = steps.next_inputs()
        account = steps.account(inputs)
        counts = account.counts()
        assert sum(counts.values()) == n
        assert account.members == inputs.members.size
        named = {a.applicant for a in account.others}
        members = {sc.applicants.ids[int(i)] for i in inputs.members.tolist()}
        assert not named & members and len(named | members) == n
        for a in account.others:
            assert a.rule and a.section.startswith("§")
            if a.disposition is Disposition.PLACED_EARLIER:
                assert whole.outcome(a.applicant).round == a.rule
            if a.disposition is Disposition.INELIGIBLE:
                assert whole.outcome(a.applicant).status == "ineligible"
        if inputs.frozen is None:
            steps.skip(inputs)
        else:
            steps.adopt(inputs, whole.rounds[inputs.position].bundle)
    # The last round (the district's) takes every eligible child still unplaced.
    assert counts[Disposition.NO_LIST.value] == counts[Disposition.OTHER_ROUTE.value] == 0


def _columns(table: Any) -> tuple[list[Any], ...]:
    return tuple(
        [int(v) if not isinstance(v, str) else v for v in getattr(table, name)]
        for name in ("school_ids", "capacities", "applicant_ids", "offsets", "choice_school",
                     "choice_priority")
    )


def test_columnar_freeze_equals_freezing_the_records(world: Any) -> None:
    """Each round's inputs, frozen from the engine's columns, equal lottery.freeze of its records."""
    import lottery  # noqa: PLC0415

    policy, sc, _ = world
    steps = SeasonSteps(policy, sc)
    held = 0
    while not steps.done:
        inputs = steps.next_inputs()
        if inputs.frozen is None:
            steps.skip(inputs)
            continue
        f = inputs.frozen
        again = lottery.freeze(f.draw_id, list(f.schools), list(f.applicants))
        assert again.root == f.root
        # the engine hands its columns over as NumPy int64 arrays: compared as lists
        assert _columns(again.table) == _columns(f.table)
        assert list(again.applicants) == list(f.applicants)
        held += 1
        steps.place(inputs, rehearsal_contributions(SEED)(inputs.spec.id, f))
    assert held >= 2


def test_a_cache_of_frozen_inputs_changes_no_byte(world: Any) -> None:
    """Runs sharing a FrozenInputsCache reuse equal rounds and give each run's own bundles."""
    from allocation import FrozenInputsCache  # noqa: PLC0415

    policy, sc, _ = world
    cache = FrozenInputsCache()
    for seed in (b"run-0", b"run-1", b"run-0"):
        cached = run_plan(policy, sc, rehearsal_contributions(seed), frozen_cache=cache)
        fresh = run_plan(policy, sc, rehearsal_contributions(seed))
        assert [canonical_json(r.bundle) if r.bundle else None for r in cached.rounds] == [
            canonical_json(r.bundle) if r.bundle else None for r in fresh.rounds
        ]
        assert np.array_equal(cached.school, fresh.school)
    assert cache.hits >= 1 + len([r for r in fresh.rounds if r.bundle is not None])


def test_a_full_cache_of_frozen_inputs_keeps_its_first_entries_and_changes_no_byte(
    world: Any,
) -> None:
    """A cache holds at most ``limit`` rounds; runs after it is full still give the same bytes."""
    from allocation import FrozenInputsCache  # noqa: PLC0415

    policy, sc, _ = world
    cache = FrozenInputsCache(limit=1)
    for seed in (b"run-0", b"run-1", b"run-2"):
        cached = run_plan(policy, sc, rehearsal_contributions(seed), frozen_cache=cache)
        fresh = run_plan(policy, sc, rehearsal_contributions(seed))
        assert [canonical_json(r.bundle) if r.bundle else None for r in cached.rounds] == [
            canonical_json(r.bundle) if r.bundle else None for r in fresh.rounds
        ]
        assert np.array_equal(cached.school, fresh.school)
        assert len(cache) == 1
    assert cache.hits == 2  # the first round, kept from the first run, in runs 2 and 3
