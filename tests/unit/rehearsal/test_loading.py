"""Resolving a scenario's policy: --policy, embedded, a file beside it, the shipped one."""

from __future__ import annotations

import copy
import json
import random
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from allocation import shipped_policy_text
from paiwei.rehearsal import RehearsalInputError, load_scenario
from tests.unit.rehearsal.helpers import scenario, write_scenario

CASES = sorted((Path(__file__).parents[2] / "cases").glob("case_*.json"))


def _exclusive_birth_policy_text() -> str:
    return shipped_policy_text().replace(
        "[readings.birth_cutoff_inclusive]\nvalue = true",
        "[readings.birth_cutoff_inclusive]\nvalue = false",
    )


def test_a_named_file_beside_the_scenario_wins_over_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "chaoyang-2024.toml").write_text(_exclusive_birth_policy_text(), encoding="utf-8")
    loaded = load_scenario(write_scenario(tmp_path))
    assert loaded.policy_source == "file:chaoyang-2024.toml"
    assert loaded.policy.readings.birth_cutoff_inclusive is False


def test_a_named_file_that_is_not_there_falls_back_to_the_shipped_policy(tmp_path: Path) -> None:
    loaded = load_scenario(write_scenario(tmp_path))
    assert loaded.policy_source == "shipped:chaoyang-2024"
    assert loaded.policy.readings.birth_cutoff_inclusive is True


def test_no_policy_key_means_the_shipped_policy_of_district_and_year(tmp_path: Path) -> None:
    data = scenario()
    del data["policy"]
    loaded = load_scenario(write_scenario(tmp_path, data=data))
    assert loaded.policy_source == "shipped:chaoyang-2024"


def test_an_embedded_policy_is_used_and_hashed(tmp_path: Path) -> None:
    data = scenario()
    data["policy"] = {"embedded": tomllib.loads(_exclusive_birth_policy_text())}
    loaded = load_scenario(write_scenario(tmp_path, data=data))
    assert loaded.policy_source == "embedded"
    assert loaded.policy.readings.birth_cutoff_inclusive is False
    assert len(loaded.policy_sha256) == 64


def test_the_command_line_policy_overrides_the_scenario(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text(_exclusive_birth_policy_text(), encoding="utf-8")
    loaded = load_scenario(write_scenario(tmp_path), other)
    assert loaded.policy_source == f"file:{other}"
    assert loaded.policy.readings.birth_cutoff_inclusive is False


def test_a_broken_policy_file_names_file_and_pointer(tmp_path: Path) -> None:
    bad = shipped_policy_text().replace('mechanism = "preference-first"', 'mechanism = "luck"', 1)
    (tmp_path / "chaoyang-2024.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(RehearsalInputError) as info:
        load_scenario(write_scenario(tmp_path))
    message = str(info.value)
    assert "chaoyang-2024.toml: /stages/primary/rounds/2/mechanism" in message
    assert "\n" not in message


def test_a_policy_of_another_district_is_refused(tmp_path: Path) -> None:
    data = scenario()
    data["district"] = "haidian"
    del data["policy"]
    with pytest.raises(RehearsalInputError, match="haidian-2024"):
        load_scenario(write_scenario(tmp_path, data=data))


def test_errors_carry_pointer_and_rule(tmp_path: Path) -> None:
    data = scenario()
    data["applicants"][0]["choices"]["groups"] = ["P2"]
    with pytest.raises(RehearsalInputError) as info:
        load_scenario(write_scenario(tmp_path, data=data))
    assert info.value.where.endswith("/applicants/0/choices/groups/0")
    assert info.value.rule
    assert json.dumps(str(info.value))  # printable as one line


VALUES: list[Any] = [None, 0, -1, 2, 1.5, "", "x", "P1", "Z1", "2018-02-30", [], ["P9"], {}, True]


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*here, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*here, i))
    return out


def test_any_one_broken_value_is_an_input_error_never_a_crash(tmp_path: Path) -> None:
    """600 golden-case scenarios, each with one value replaced, a key dropped or one added."""
    rng = random.Random(20240429)
    bases = [json.loads(p.read_text(encoding="utf-8"))["scenario"] for p in CASES]
    outcomes: Counter[str] = Counter()
    for _ in range(600):
        data = copy.deepcopy(rng.choice(bases))
        path = rng.choice(_paths(data)[1:])
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        roll = rng.random()
        if roll < 0.15 and isinstance(node, dict):
            del node[path[-1]]
        elif roll < 0.25 and isinstance(node, dict):
            node[rng.choice(["extra", "zone", "id", "kind"])] = copy.deepcopy(rng.choice(VALUES))
        else:
            node[path[-1]] = copy.deepcopy(rng.choice(VALUES))
        file = write_scenario(tmp_path, data=data)
        try:
            load_scenario(file)
            outcomes["loaded"] += 1
        except RehearsalInputError as exc:
            assert "\n" not in str(exc)
            assert str(file) in str(exc)
            outcomes["rejected"] += 1
    assert outcomes["rejected"] > 300
