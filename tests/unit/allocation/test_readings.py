"""Each named reading flips an outcome (the golden cases flip the others with their files)."""

from __future__ import annotations

from collections import Counter

from allocation import (
    RULES,
    rehearsal_contributions,
    run_plan,
    scenario_from_mapping,
    shipped_policy,
)
from tests.unit.allocation._helpers import district, renter

SEED = b"readings"


def test_preferential_care_tie_break_reading_gives_no_lottery_advantage() -> None:
    """§三（五）: under 'tie-break', the categories leave the draw's order to the tickets.

    Over several seeds an ordinary child sometimes wins the single seat against a
    serviceman's child; under 'priority-class' never.
    """
    sc = scenario_from_mapping(
        district(
            [
                renter("c1", choices={"zone": ["P2"]}),
                renter("c2", choices={"zone": ["P2"]}, categories=["serviceman"]),
            ],
            {"P1": 0, "P2": 1, "P3": 0},
        )
    )
    for reading, ordinary_can_win in (("priority-class", False), ("tie-break", True)):
        policy = shipped_policy().with_readings(preferential_care=reading)
        wins: Counter[str | None] = Counter()
        for k in range(16):
            res = run_plan(policy, sc, rehearsal_contributions(SEED + bytes([k])))
            wins[res.outcome("c1").school] += 1
            code = RULES[int(res.routing.priority_rule[res.row_of("c2")])].code
            assert code == (
                "preferential" if reading == "priority-class" else "preferential-tie-only"
            )
        assert (wins["P2"] > 0) is ordinary_can_win, reading


def test_equal_counts_reading_changes_only_the_label_not_the_seats() -> None:
    """§四（一）5: equal applicants and seats are all admitted under both readings."""
    sc = scenario_from_mapping(
        district([renter("c1", choices={"zone": ["P2"]}), renter("c2", choices={"zone": ["P2"]})])
    )
    modes = {}
    for value in (True, False):
        res = run_plan(
            shipped_policy().with_readings(equal_counts_as_direct=value),
            sc,
            rehearsal_contributions(SEED),
        )
        assert res.outcome("c1").school == res.outcome("c2").school == "P2"
        modes[value] = next(
            s.mode for r in res.rounds for s in r.results if s.school == "P2" and s.applied
        )
    assert modes == {True: "direct", False: "drawn"}


def test_disabled_and_preferential_child_takes_the_better_class() -> None:
    """§三（三）and §三（五）: a child in both classes takes the lower integer of the policy file.

    With the shipped integers that is the disabled class; with the policy's integers
    swapped, the preferential one (the code does not assume disabled is best).
    """
    import tomllib  # noqa: PLC0415

    from allocation import policy_from_mapping, route, shipped_policy_text  # noqa: PLC0415

    sc = scenario_from_mapping(district([renter("c1", categories=["disabled", "serviceman"])]))
    shipped = route(shipped_policy(), sc)
    assert (int(shipped.priority[0]), RULES[int(shipped.priority_rule[0])].code) == (0, "disabled")
    data = tomllib.loads(shipped_policy_text())
    data["priority"].update(disabled=1, preferential=0)
    swapped = route(policy_from_mapping(data), sc)
    assert (int(swapped.priority[0]), RULES[int(swapped.priority_rule[0])].code) == (
        0,
        "preferential",
    )
