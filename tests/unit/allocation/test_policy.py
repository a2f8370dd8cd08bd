"""The policy file: shipped Chaoyang 2024 example, readings as named settings, loader errors."""

from __future__ import annotations

import tomllib

import pytest

from allocation import (
    READING_SPECS,
    PolicyError,
    Stage,
    policy_from_mapping,
    policy_from_text,
    shipped_policy,
    shipped_policy_text,
)
from allocation._dates import parse_date
from lottery import Mechanism


def test_shipped_chaoyang_2024_dates_come_from_the_policy_file() -> None:
    """§三（一）1 cut-off 2018-08-31, §四（一）2 property date 2017-06-30, §三（一）1（3）2024-05-01."""
    p = shipped_policy()
    assert (p.district, p.year) == ("chaoyang", 2024)
    assert p.birth_cutoff == parse_date("2018-08-31")
    assert p.property_cutoff == parse_date("2017-06-30")
    assert p.residence_reference == parse_date("2024-05-01")
    assert p.reuse_years[Stage.PRIMARY] == 6
    assert p.reuse_years[Stage.JUNIOR] == 3


def test_shipped_plan_uses_preference_first_for_multi_school_and_junior_groups() -> None:
    p = shipped_policy()
    primary = {r.id: r for r in p.plan(Stage.PRIMARY)}
    junior = {r.id: r for r in p.plan(Stage.JUNIOR)}
    assert [r.id for r in p.plan(Stage.PRIMARY)] == [
        "private-boarding",
        "single-school",
        "multi-school",
        "district",
    ]
    assert primary["multi-school"].mechanism is Mechanism.PREFERENCE_FIRST
    assert junior["first-batch"].mechanism is Mechanism.PREFERENCE_FIRST
    assert junior["multi-school"].mechanism is Mechanism.PREFERENCE_FIRST
    assert junior["first-batch"].max_choices == 2
    assert primary["private-boarding"].max_choices == 1


def test_every_reading_is_stated_with_its_section_in_the_shipped_file() -> None:
    data = tomllib.loads(shipped_policy_text())
    assert set(data["readings"]) == set(READING_SPECS)
    for name, spec in READING_SPECS.items():
        assert data["readings"][name]["section"] == spec.section
        assert data["readings"][name]["value"] == spec.default


def test_a_missing_reading_is_an_error_naming_it() -> None:
    data = tomllib.loads(shipped_policy_text())
    del data["readings"]["preferential_care"]
    with pytest.raises(PolicyError) as err:
        policy_from_mapping(data)
    assert err.value.where == "/readings/preferential_care"
    assert "§三（五）" in str(err.value)


def test_a_reading_outside_its_options_is_rejected() -> None:
    data = tomllib.loads(shipped_policy_text())
    data["readings"]["address_window"]["value"] = "sometimes"
    with pytest.raises(PolicyError) as err:
        policy_from_mapping(data)
    assert err.value.where == "/readings/address_window/value"


def test_unknown_mechanism_is_rejected_with_a_pointer() -> None:
    data = tomllib.loads(shipped_policy_text())
    data["stages"]["primary"]["rounds"][2]["mechanism"] = "boston"
    with pytest.raises(PolicyError) as err:
        policy_from_mapping(data)
    assert err.value.where == "/stages/primary/rounds/2/mechanism"


def test_bad_toml_and_unknown_shipped_name() -> None:
    with pytest.raises(PolicyError):
        policy_from_text("format = ")
    with pytest.raises(PolicyError):
        shipped_policy("nowhere-1999")


def test_with_readings_flips_and_validates() -> None:
    p = shipped_policy()
    assert p.with_readings(equal_counts_as_direct=False).readings.equal_counts_as_direct is False
    assert p.readings.equal_counts_as_direct is True  # frozen: the original is unchanged
    with pytest.raises(PolicyError):
        p.with_readings(equal_counts_as_direct="yes")
    with pytest.raises(PolicyError):
        p.with_readings(no_such_reading=True)


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ((), "/lottery_weights"),
        (("dates",), "/dates/lottery_weights"),
        (("priority",), "/priority/lottery_weights"),
        (("readings", "address_window"), "/readings/address_window/lottery_weights"),
        (("stages", "primary"), "/stages/primary/lottery_weights"),
    ],
)
def test_unknown_keys_are_rejected_not_ignored(path: tuple[str, ...], where: str) -> None:
    """A typo in a policy file must not silently drop a rule."""
    data = tomllib.loads(shipped_policy_text())
    table = data
    for key in path:
        table = table[key]
    table["lottery_weights"] = {"P1": 2}
    with pytest.raises(PolicyError) as err:
        policy_from_mapping(data)
    assert err.value.where == where


def test_unknown_key_in_a_round_is_rejected() -> None:
    data = tomllib.loads(shipped_policy_text())
    data["stages"]["primary"]["rounds"][0]["weight"] = 2
    with pytest.raises(PolicyError) as err:
        policy_from_mapping(data)
    assert err.value.where == "/stages/primary/rounds/0/weight"
