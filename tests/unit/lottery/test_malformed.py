"""Malformed bundles: InvalidBundle in process; exit 2 with one line and no traceback from the CLIs."""

from __future__ import annotations

import copy
import json
import random
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import lottery
from lottery import InvalidBundle
from tests.strategies import DISTRICT, SMALL_APPLICANTS, SMALL_SCHOOLS, make_bundle

Bundle = dict[str, Any]
VERIFIERS = ("python -m lottery.verify", "paiwei verify")


def base() -> Bundle:
    return make_bundle(
        SMALL_SCHOOLS, SMALL_APPLICANTS, mechanism=lottery.Mechanism.PREFERENCE_FIRST
    )


BASE = base()
COMMITTED = next(i for i, c in enumerate(BASE["ceremony"]["contributions"]) if "nonce" in c)


def edit(change: Callable[[Bundle], object]) -> Callable[[], bytes]:
    """A case: the base bundle with ``change`` applied, as JSON bytes (\\u escapes for non-ASCII)."""

    def make() -> bytes:
        b = copy.deepcopy(BASE)
        change(b)
        return json.dumps(b).encode()

    return make


def raw(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def text_replace(old: str, new: str) -> Callable[[], bytes]:
    def make() -> bytes:
        text = json.dumps(BASE)
        assert old in text
        return text.replace(old, new, 1).encode()

    return make


def set_in(path: str, value: Any) -> Callable[[Bundle], None]:
    """Set a value at a slash path like ``schools/0/capacity``; digits index lists."""

    def change(b: Bundle) -> None:
        *parents, last = path.split("/")
        node: Any = b
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return change


def delete(path: str) -> Callable[[Bundle], None]:
    def change(b: Bundle) -> None:
        *parents, last = path.split("/")
        node: Any = b
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[int(last) if last.isdigit() else last]

    return change


def append_copy(path: str) -> Callable[[Bundle], None]:
    def change(b: Bundle) -> None:
        items = (
            b[path] if "/" not in path else b[path.split("/", maxsplit=1)[0]][path.split("/")[1]]
        )
        items.append(copy.deepcopy(items[0]))

    return change


def upper(path: str) -> Callable[[Bundle], None]:
    def change(b: Bundle) -> None:
        *parents, last = path.split("/")
        node: Any = b
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        key = int(last) if last.isdigit() else last
        node[key] = node[key].upper()

    return change


BIG = 2**53
JUNK = random.Random(0).randbytes(10 * 1024 * 1024)

CASES: dict[str, Callable[[], bytes]] = {
    # unreadable
    "truncated JSON": lambda: json.dumps(BASE).encode()[:-40],
    "empty file": raw(b""),
    "10 MB of junk bytes": raw(JUNK),
    "invalid UTF-8": raw(b'{"format": "\xff"}'),
    "NaN": raw(b'{"format": NaN}'),
    "deep nesting": raw(b"[" * 100_000 + b"]" * 100_000),
    "top level is a list": raw(b"[]"),
    "top level is a string": raw(b'"paiwei-draw/1"'),
    "top level is null": raw(b"null"),
    # missing keys
    **{
        f"missing {key}": edit(delete(key))
        for key in (
            "format",
            "draw_id",
            "ceremony",
            "schools",
            "applicants",
            "assignments",
            "signatures",
        )
    },
    "missing ceremony seed": edit(delete("ceremony/seed")),
    "missing school capacity": edit(delete("schools/0/capacity")),
    "missing applicant priority": edit(delete("applicants/0/priority")),
    "missing assignment ticket": edit(delete("assignments/0/ticket")),
    "missing signature signer": edit(delete("signatures/0/signer")),
    # wrong types and values
    "wrong format": edit(set_in("format", "paiwei-draw/2")),
    "schools is an object": edit(set_in("schools", {"east": 1})),
    "capacity is text": edit(set_in("schools/0/capacity", "1")),
    "capacity is a boolean": edit(set_in("schools/0/capacity", True)),
    "negative capacity": edit(set_in("schools/0/capacity", -1)),
    "choices is text": edit(set_in("applicants/0/choices", "east")),
    "priority is a list": edit(set_in("applicants/0/priority", [0, 1])),
    "priority is a boolean": edit(set_in("applicants/0/priority/east", False)),
    "draw id is a number": edit(set_in("draw_id", 7)),
    "empty draw id": edit(set_in("draw_id", "")),
    "applicant id is a number": edit(set_in("applicants/0/id", 1)),
    "empty applicant id": edit(set_in("applicants/0/id", "")),
    "assigned school is a number": edit(set_in("assignments/0/school", 5)),
    "assigned school is a list": edit(set_in("assignments/0/school", ["east"])),
    "assigned school names no school": edit(set_in("assignments/0/school", "south")),
    "ticket is a number": edit(set_in("assignments/0/ticket", 5)),
    "ticket is short": edit(set_in("assignments/0/ticket", "ab")),
    "assignment names no applicant": edit(set_in("assignments/0/applicant", "p99")),
    "one assignment too few": edit(delete("assignments/0")),
    "signatures is an object": edit(set_in("signatures", {})),
    "contributions is an object": edit(set_in("ceremony/contributions", {})),
    "nonce without commitment": edit(delete(f"ceremony/contributions/{COMMITTED}/commitment")),
    "commitment without nonce": edit(delete(f"ceremony/contributions/{COMMITTED}/nonce")),
    "public key of 31 bytes": edit(set_in("signatures/0/public_key", "00" * 31)),
    "signature of 63 bytes": edit(set_in("signatures/0/signature", "00" * 63)),
    "nonce of 15 bytes": edit(set_in(f"ceremony/contributions/{COMMITTED}/nonce", "00" * 15)),
    # hex
    "odd-length hex seed": edit(set_in("ceremony/seed", "abc")),
    "odd-length hex value": edit(set_in("ceremony/contributions/0/value", "a")),
    "hex with a space": edit(set_in("ceremony/contributions/0/value", "ab cd")),
    "uppercase hex seed": edit(upper("ceremony/seed")),
    "uppercase hex input root": edit(upper("ceremony/input_root")),
    "uppercase hex ticket": edit(upper("assignments/0/ticket")),
    "uppercase hex public key": edit(upper("signatures/0/public_key")),
    "uppercase hex signature": edit(upper("signatures/0/signature")),
    # duplicates and references
    "duplicate school ids": edit(append_copy("schools")),
    "duplicate applicant ids": edit(append_copy("applicants")),
    "duplicate contributors": edit(append_copy("ceremony/contributions")),
    "duplicate signers": edit(append_copy("signatures")),
    "choice naming no school": edit(set_in("applicants/0/choices/0", "south")),
    "priority missing for a chosen school": edit(delete("applicants/0/priority/north")),
    "priority naming no school": edit(set_in("applicants/0/priority/south", 0)),
    "a school chosen twice": edit(set_in("applicants/0/choices/1", "east")),
    # floats
    "float capacity": text_replace('"capacity": 2', '"capacity": 2.0'),
    "float priority": text_replace('"north": 1', '"north": 0.5'),
    "float in an extra key": edit(set_in("note", 1.5)),
    "float in a school's extra key": edit(set_in("schools/0/area", 1.5)),
    "float in an applicant's extra key": edit(set_in("applicants/0/score", 99.5)),
    "float in an assignment's extra key": edit(set_in("assignments/0/score", 1.5)),
    "float in a contribution": edit(set_in("ceremony/contributions/0/weight", 0.5)),
    "exponent number": text_replace('"capacity": 2', '"capacity": 2e0'),
    # integers beyond 2^53 - 1
    "capacity 2^53": edit(set_in("schools/0/capacity", BIG)),
    "priority 2^53": edit(set_in("applicants/0/priority/east", BIG)),
    "priority -2^53": edit(set_in("applicants/0/priority/east", -BIG)),
    "extra key 2^53": edit(set_in("note", BIG)),
    "school extra key 2^53": edit(set_in("schools/0/area", BIG)),
    "assignment extra key 2^53": edit(set_in("assignments/0/rank", BIG)),
    "integer 2^64": edit(set_in("note", 2**64)),
    # object keys and text
    "non-ASCII top-level key": edit(set_in("备注", "x")),
    "non-ASCII key in a school": edit(set_in("schools/0/名称", "x")),
    "non-ASCII key in an applicant": edit(set_in("applicants/0/名称", "x")),
    "non-ASCII key in an assignment": edit(set_in("assignments/0/名称", "x")),
    "non-ASCII key in the ceremony": edit(set_in("ceremony/备注", "x")),
    "non-ASCII school id": edit(set_in("schools/0/id", "东")),
    "lone surrogate in an applicant id": edit(set_in("applicants/0/id", "p\ud800")),
    "lone surrogate in a school id": edit(set_in("schools/0/id", "e\ud800")),
    "lone surrogate in the draw id": edit(set_in("draw_id", "d\udfff")),
    "lone surrogate in an extra key": edit(set_in("note", "\ud800")),
    "non-NFC applicant id": edit(set_in("applicants/0/id", "cafe\u0301")),
    "non-NFC draw id": edit(set_in("draw_id", "cafe\u0301")),
    "non-NFC contributor": edit(set_in("ceremony/contributions/0/contributor", "cafe\u0301")),
    # mechanism
    "unknown mechanism": edit(set_in("mechanism", "lottery")),
    "mechanism is a number": edit(set_in("mechanism", 1)),
    "mechanism is null": edit(set_in("mechanism", None)),
    "mechanism is a list": edit(set_in("mechanism", ["preference-first"])),
}


@pytest.mark.parametrize("accelerate", [True, False], ids=["accel", "plain"])
@pytest.mark.parametrize("case", list(CASES))
def test_malformed_bundle_raises_invalid_bundle(case: str, accelerate: bool) -> None:
    data = CASES[case]()
    with pytest.raises(InvalidBundle):
        lottery.verify(lottery.parse_bundle(data, accelerate=accelerate), accelerate=accelerate)


def test_base_bundle_is_valid() -> None:
    # Guards the cases above: each differs from a bundle that verifies.
    for accelerate in (True, False):
        data = json.dumps(BASE).encode()
        assert lottery.verify(
            lottery.parse_bundle(data, accelerate=accelerate), DISTRICT, accelerate=accelerate
        ).valid


def test_invalid_bundle_names_where() -> None:
    data = CASES["capacity is text"]()
    with pytest.raises(InvalidBundle) as caught:
        lottery.verify(lottery.parse_bundle(data))
    assert caught.value.where == "/schools/0/capacity"


CLI_CASES = [
    "truncated JSON",
    "missing ceremony",
    "missing school capacity",
    "capacity is text",
    "odd-length hex seed",
    "uppercase hex seed",
    "duplicate school ids",
    "duplicate applicant ids",
    "duplicate contributors",
    "duplicate signers",
    "choice naming no school",
    "priority missing for a chosen school",
    "float capacity",
    "float priority",
    "float in an extra key",
    "float in an assignment's extra key",
    "priority 2^53",
    "assignment extra key 2^53",
    "non-ASCII top-level key",
    "lone surrogate in an applicant id",
    "unknown mechanism",
    "10 MB of junk bytes",
    "top level is a list",
    "assigned school is a list",
]


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    assert result.stdout == ""


@pytest.mark.parametrize("verifier", VERIFIERS)
@pytest.mark.parametrize("case", CLI_CASES)
def test_cli_exits_2_with_one_line_for_a_malformed_bundle(
    case: str, verifier: str, tmp_path: Path, run_verifier: Any
) -> None:
    path = tmp_path / "bundle.json"
    path.write_bytes(CASES[case]())
    # Both parsers (orjson and the standard library) behind the notary's command; paiwei
    # verify runs the same code, so its default path suffices.
    both = verifier == "python -m lottery.verify" and case != "10 MB of junk bytes"
    for flags in ([], ["--no-accel"]) if both else ([],):
        result = run_verifier(verifier, path, *flags)
        assert_one_line_error(result)
        assert "bundle.json" in result.stderr


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_cli_exits_2_for_a_bundle_file_that_does_not_exist(
    verifier: str, tmp_path: Path, run_verifier: Any
) -> None:
    result = run_verifier(verifier, tmp_path / "nowhere.json")
    assert_one_line_error(result)
    assert "nowhere.json" in result.stderr


@pytest.mark.parametrize("verifier", VERIFIERS)
@pytest.mark.parametrize(
    "key", ["district", "district=zz", "district=" + "ab" * 31, "=" + "ab" * 32]
)
def test_cli_exits_2_for_a_malformed_trusted_key(
    verifier: str, key: str, tmp_path: Path, run_verifier: Any
) -> None:
    path = tmp_path / "bundle.json"
    path.write_bytes(json.dumps(BASE).encode())
    assert_one_line_error(run_verifier(verifier, path, "--key", key))


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_cli_accepts_a_trusted_key_in_uppercase_hex(
    verifier: str, tmp_path: Path, run_verifier: Any
) -> None:
    path = tmp_path / "bundle.json"
    path.write_bytes(json.dumps(BASE).encode())
    result = run_verifier(verifier, path, "--key", "district=" + DISTRICT["district"].hex().upper())
    assert result.returncode == 0, result.stdout + result.stderr
