"""drand beacon records checked offline (issue 19, item 6): the three real records in
tests/beacons/ verify; a flipped byte, another round's record and a round off by one are
each rejected by the check that names it; bad input is malformed, never a crash."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from paiwei.cli import app
from seeding import (
    DEFAULT_CHAIN,
    QUICKNET,
    BeaconRecordError,
    check_record,
    parse_record,
)

BEACONS = Path(__file__).resolve().parents[2] / "beacons"
FILES = ["quicknet-round-123.json", "default-round-1.json", "default-round-72785.json"]


def load(name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((BEACONS / name).read_text(encoding="utf-8"))
    return value


def failed(value: dict[str, Any], **kw: Any) -> set[str]:
    return {c.name for c in check_record(parse_record(value), **kw).failures}


def flip(hex_text: str, position: int) -> str:
    raw = bytearray(bytes.fromhex(hex_text))
    raw[position] ^= 0x01
    return raw.hex()


@pytest.mark.parametrize("name", FILES)
def test_published_records_verify_against_the_pinned_chains(name: str) -> None:
    record = parse_record(load(name))
    report = check_record(record, round_number=record.round)
    assert report.valid, report.failures
    assert [c.name for c in report.checks] == ["chain info", "beacon round", "randomness", "signature"]
    assert record.chain_hash == (QUICKNET if name.startswith("quicknet") else DEFAULT_CHAIN)


def test_the_round_time_follows_the_chain_information() -> None:
    record = parse_record(load("quicknet-round-123.json"))
    assert record.round_time() == 1692803367 + 122 * 3  # 2023-08-23T15:15:33Z, as the record says


@pytest.mark.parametrize("name", ["quicknet-round-123.json", "default-round-72785.json"])
def test_a_flipped_signature_byte_is_rejected(name: str) -> None:
    value = load(name)
    value["beacon"]["signature"] = flip(value["beacon"]["signature"], 20)
    assert failed(value) == {"randomness", "signature"}


def test_a_flipped_randomness_byte_is_rejected() -> None:
    value = load("default-round-1.json")
    value["beacon"]["randomness"] = flip(value["beacon"]["randomness"], 0)
    assert failed(value) == {"randomness"}


def test_a_flipped_previous_signature_byte_is_rejected() -> None:
    value = load("default-round-72785.json")
    value["beacon"]["previous_signature"] = flip(value["beacon"]["previous_signature"], 5)
    assert failed(value) == {"signature"}


def test_a_flipped_chain_key_byte_is_rejected() -> None:
    value = load("default-round-1.json")
    value["chain_info"]["public_key"] = flip(value["chain_info"]["public_key"], 47)
    assert "chain info" in failed(value)


@pytest.mark.parametrize("offset", [-1, 1])
def test_a_round_off_by_one_is_rejected(offset: int) -> None:
    value = load("quicknet-round-123.json")
    # The record relabelled as the neighbouring round: its signature is not that round's.
    value["beacon"]["round"] += offset
    assert failed(value) == {"signature"}
    # The true record, when the round named before the freeze was the neighbour.
    assert failed(load("quicknet-round-123.json"), round_number=123 + offset) == {"beacon round"}


def test_another_rounds_record_is_rejected() -> None:
    one, other = load("default-round-1.json"), load("default-round-72785.json")
    assert failed(other, round_number=1) == {"beacon round"}
    swapped = copy.deepcopy(one)
    swapped["beacon"]["signature"] = other["beacon"]["signature"]
    swapped["beacon"]["randomness"] = other["beacon"]["randomness"]
    assert failed(swapped) == {"signature"}


def test_a_record_of_another_chain_than_the_pinned_one_is_rejected() -> None:
    assert failed(load("quicknet-round-123.json"), chain=DEFAULT_CHAIN) == {"chain info"}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("beacon", "signature"), "zz"),
        (("beacon", "signature"), "00" * 47),
        (("beacon", "round"), "123"),
        (("beacon", "round"), 0),
        (("chain_info", "public_key"), "00" * 48),
        (("chain_info", "schemeID"), "bls-unknown"),
        (("format",), "drand/0"),
    ],
)
def test_malformed_records_are_refused_before_any_pairing(path: tuple[str, ...], value: Any) -> None:
    record = load("quicknet-round-123.json")
    target = record
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(BeaconRecordError):
        parse_record(record)


def test_bytes_that_are_no_curve_point_fail_the_signature_never_crash() -> None:
    value = load("quicknet-round-123.json")
    value["beacon"]["signature"] = "ff" * 48  # right length, not a point
    value["beacon"]["randomness"] = __import__("hashlib").sha256(b"\xff" * 48).hexdigest()
    assert failed(value) == {"signature"}
    value = load("default-round-1.json")
    value["chain_info"]["public_key"] = "00" * 48  # no flags: not a compressed point
    assert "signature" in failed(value)


def test_beacon_check_command_exit_status(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["beacon", "check", str(BEACONS / "quicknet-round-123.json"), "--round", "123"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip().splitlines()[-1] == "VALID"
    assert "fb8f7bc29bf24db51871ec8c79f3a1e4bd0557bc0dfcee9ed1d924e69d1c60dc" in ok.output
    off = runner.invoke(app, ["beacon", "check", str(BEACONS / "quicknet-round-123.json"), "--round", "124",
                              "--json"])
    assert off.exit_code == 1
    doc = json.loads(off.output)
    assert [c["name"] for c in doc["checks"] if not c["ok"]] == ["beacon round"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "drand-record/1"}', encoding="utf-8")
    malformed = runner.invoke(app, ["beacon", "check", str(bad)])
    assert malformed.exit_code == 2 and len(malformed.output.strip().splitlines()) == 1
    assert "Traceback" not in malformed.output
    missing = runner.invoke(app, ["beacon", "check", str(tmp_path / "none.json")])
    assert missing.exit_code == 2


def test_a_pairing_check_leaves_the_recursion_limit_so_a_deeply_nested_bundle_is_refused() -> None:
    """py_ecc raises the recursion limit to 100,000 when imported; a verifier that checked a
    beacon and then parsed a 100,000-deep bundle died of a C stack overflow (a worker of the
    test suite crashed on it). In a fresh interpreter: check a real record, then parse."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    pytest.importorskip("py_ecc")
    script = (
        "import json, sys\n"
        "import lottery\n"
        "from seeding import check_record, parse_record\n"
        f"value = json.loads(open({str(BEACONS / 'default-round-1.json')!r}, encoding='utf-8').read())\n"
        "limit = sys.getrecursionlimit()\n"
        "report = check_record(parse_record(value))\n"
        "assert report.valid and 'signature' in [c.name for c in report.checks], report\n"
        "assert sys.getrecursionlimit() == limit, sys.getrecursionlimit()\n"
        "for accelerate in (True, False):\n"
        "    try:\n"
        "        lottery.parse_bundle(b'[' * 100_000 + b']' * 100_000, accelerate=accelerate)\n"
        "    except lottery.InvalidBundle:\n"
        "        pass\n"
        "    else:\n"
        "        raise SystemExit('accepted')\n"
        "print('refused')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "refused", (done.returncode, done.stderr[-2000:])
