"""Every malformed value is a ScenarioError or PolicyError naming it, never a crash.

A table of one-value mutations of valid scenarios (primary and junior, with an
embedded policy and a note): every value anywhere in the mapping, containers
included, is replaced by each value of the wrong types below, or its key is
removed. Reading the result (and its embedded policy) must either succeed or raise
``ScenarioError``/``PolicyError`` whose JSON pointer (RFC 6901) resolves to a
place in the mutated mapping.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest

from allocation import (
    PolicyError,
    ScenarioError,
    embedded_policy,
    scenario_from_mapping,
    shipped_policy_text,
)
from tests.unit.allocation._helpers import child, district, junior, pupil, renter

WRONG: tuple[Any, ...] = (
    None,
    True,
    0,
    -1,
    1.5,
    "",
    "Z1",
    "x/y~z",
    [],
    ["P1"],
    [["P1"]],
    {},
    {"zone": "Z1"},
    {"a/b": 1},
)


def _primary() -> dict[str, Any]:
    data = district(
        [
            child("c1", address_uses=[{"year": 2019, "stage": "primary"}], categories=["disabled"]),
            renter("c2", choices={"zone": ["P2"], "private_boarding": ["M1"]}),
            child(
                "c3", hukou={"kind": "other"}, non_local_review="approved", treated_as_local=False
            ),
        ]
    )
    data["policy"] = {"embedded": tomllib.loads(shipped_policy_text())}
    data["note"] = "模拟"
    return data


def _junior() -> dict[str, Any]:
    data = junior(
        [
            pupil("p1", choices={"groups": ["G1", "G2"], "zone": ["J3"]}),
            pupil("p2", school_of_record="X1", returned=True, school_zone="J1"),
        ]
    )
    data["zones"][0]["neighbours"] = []
    data["zones"][0]["name"] = "片区"
    return data


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*path, i))


def _resolve(data: Any, pointer: str) -> None:
    """Follow an RFC 6901 pointer; the last token may name a missing key (it was required)."""
    if pointer == "":
        return
    assert pointer.startswith("/"), pointer
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]
    node = data
    for k, token in enumerate(tokens):
        last = k == len(tokens) - 1
        if isinstance(node, dict):
            assert token in node or last, pointer
            node = node.get(token)
        elif isinstance(node, list):
            assert token.isdigit() and (int(token) < len(node) or last), pointer
            node = node[int(token)] if int(token) < len(node) else None
        else:
            raise AssertionError(f"{pointer}: token {token!r} under a scalar")


def _check(data: Any) -> None:
    try:
        embedded_policy(scenario_from_mapping(data))
    except (ScenarioError, PolicyError) as exc:
        if isinstance(exc, PolicyError):  # pointers into the embedded policy file
            _resolve(data["policy"]["embedded"], exc.where)
        else:
            _resolve(data, exc.where)


def _mutations(base: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in _paths(base):
        for wrong in (*WRONG, KeyError):
            data = copy.deepcopy(base)
            node = data
            for key in path[:-1]:
                node = node[key]
            if wrong is KeyError:
                if isinstance(node, list):
                    continue
                del node[path[-1]]
            else:
                node[path[-1]] = copy.deepcopy(wrong)
            yield f"{path!r} := {'<deleted>' if wrong is KeyError else repr(wrong)}", data


@pytest.mark.parametrize("make", [_primary, _junior], ids=["primary", "junior"])
def test_one_value_mutations_raise_only_input_errors(make: Any) -> None:
    base = make()
    _check(base)  # the base itself is valid
    scenario_from_mapping(base)
    count = 0
    for label, data in _mutations(base):
        try:
            _check(data)  # input errors are caught inside; anything else escapes
        except Exception as exc:  # the failure message names the mutation
            pytest.fail(f"{label}: {type(exc).__name__}: {exc}")
        count += 1
    assert count > 1000  # the table really covered the mapping


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("applicants", 0, "hukou", "zone"), ["Z1"]),
        (("applicants", 0, "residence", "zone"), {"id": "Z1"}),
        (("applicants", 0, "school_zone"), ["Z1"]),
        (("applicants", 0, "school_of_record"), {"id": "X1"}),
        (("applicants", 0, "categories"), [["disabled"]]),
    ],
)
def test_unhashable_references_are_scenario_errors(where: tuple[Any, ...], value: Any) -> None:
    """Reported by the rehearsal: these raised TypeError (unhashable type) before."""
    data = district([child("c1")])
    node: Any = data
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    with pytest.raises(ScenarioError) as err:
        scenario_from_mapping(data)
    want = "/" + "/".join(map(str, where))
    assert err.value.where in (want, want + "/0")


def test_pointers_escape_tilde_and_slash_in_key_names() -> None:
    """RFC 6901: '~' is written '~0' and '/' is written '~1' inside a reference token."""
    data = district([child("c1")])
    data["applicants"][0]["a/b~c"] = 1
    with pytest.raises(ScenarioError) as err:
        scenario_from_mapping(data)
    assert err.value.where == "/applicants/0/a~1b~0c"
    policy = tomllib.loads(shipped_policy_text())
    policy["dates"]["x/y"] = 1
    data = district([child("c1")])
    data["policy"] = {"embedded": policy}
    with pytest.raises(PolicyError) as perr:
        embedded_policy(scenario_from_mapping(data))
    assert perr.value.where == "/dates/x~1y"


@pytest.mark.parametrize(
    ("where", "value"),
    [(("schools", 0, "name"), 7), (("zones", 0, "name"), ["Z"]), (("note",), {"text": "x"})],
)
def test_names_and_note_must_be_text(where: tuple[Any, ...], value: Any) -> None:
    data = district([child("c1")])
    node: Any = data
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    with pytest.raises(ScenarioError) as err:
        scenario_from_mapping(data)
    assert err.value.where == "/" + "/".join(map(str, where))


def test_chinese_names_and_note_are_accepted() -> None:
    data = district([child("c1")])
    data["note"] = "朝阳区模拟派位"
    data["zones"][0]["name"] = "第一片区"
    sc = scenario_from_mapping(data)
    assert sc.schools[0].name == "第一小学" and sc.zones[0].name == "第一片区"


def _primary_v2() -> dict[str, Any]:
    """Format 2 with each of its fields (tests/cases/make_cases.py helpers)."""
    from tests.cases.make_cases import D2, guardian, owned, renter2  # noqa: PLC0415

    data = copy.deepcopy(D2)
    data["applicants"] = [
        renter2(
            "c1",
            tenancy={"continuous": False},
            guardians=[guardian(), guardian("father", place=None, start=None)],
            review_findings=["garage"],
        ),
        child(
            "c2",
            residence=owned("c2", holder="relative", address="a-x"),
            address_uses=[{"year": 2020, "stage": "primary", "by": "sibling", "exempt": True}],
            non_local_review="not-submitted",
            categories=["disabled"],
            disability_placement="special-school",
        ),
    ]
    return data


def _junior_v2() -> dict[str, Any]:
    from tests.cases.make_cases import J2  # noqa: PLC0415

    data = copy.deepcopy(J2)
    data["applicants"] = [
        pupil("p1", school_record_place="in-district", hukou={"kind": "other"}),
        pupil("p2", school_of_record=None, school_record_place="other-province"),
    ]
    return data


@pytest.mark.parametrize("make", [_primary_v2, _junior_v2], ids=["primary", "junior"])
def test_one_value_mutations_of_format_2_raise_only_input_errors(make: Any) -> None:
    """The same for format 2; what reads must also route without error."""
    from allocation import route, shipped_policy  # noqa: PLC0415

    policy = shipped_policy()
    base = make()
    route(policy, scenario_from_mapping(base))
    for label, data in _mutations(base):
        try:
            sc = scenario_from_mapping(data)
        except ScenarioError as exc:
            _resolve(data, exc.where)
            continue
        except Exception as exc:  # the failure message names the mutation
            pytest.fail(f"{label}: {type(exc).__name__}: {exc}")
        try:
            route(policy, sc)
        except Exception as exc:
            pytest.fail(f"{label}: routing: {type(exc).__name__}: {exc}")
