"""A round's public beacon re-checked from the publication folder, offline.

A freeze statement may name a drand round (``"beacon": {"chain", "round", "time"}``) whose
randomness becomes a contribution. The record the staff loaded is published beside the
bundle as ``rounds/<round>/beacon.json`` (``drand-record/1``), its SHA-256 in
``round.json`` (``beacon_sha256``). The check, named ``round R: beacon``, fails with each
reason named:

- ``record``: the statement names a beacon and no record is published, a record is
  published for a statement that names none, its SHA-256 is not ``round.json``'s, or it
  is malformed;
- ``chain info``, ``beacon round``, ``randomness``, ``signature``: seeding's checks of the
  record against the chain and round the *signed freeze statement* names (the BLS
  signature with py_ecc when it is installed; without it the check is reported skipped);
- ``time``: the named round is published after the freeze (from the pinned chain's clock)
  and at the time the statement states;
- ``contribution``: the bundle has an after-freeze contribution whose value is the
  record's randomness.

Standard library and seeding only (py_ecc optional), like the rest of the verifier.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lottery._errors import InvalidBundle
from lottery._parse import load_json
from seeding import CHAIN_CLOCKS, BeaconRecordError, check_record, parse_record, round_time

BEACON_FILE = "beacon.json"


def _time(text: Any, formats: tuple[str, ...]) -> float | None:
    for f in formats:
        try:
            return datetime.strptime(str(text), f).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    return None


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _published(base: str, data: bytes) -> list[str]:
    """The record's SHA-256 against round.json's ``beacon_sha256``."""
    meta_data = _read(os.path.join(base, "round.json"))
    try:
        meta = load_json(meta_data) if meta_data is not None else None
    except InvalidBundle:
        meta = None
    stated = meta.get("beacon_sha256") if type(meta) is dict else None
    if hashlib.sha256(data).hexdigest() != stated:
        return [f"record: the SHA-256 of {BEACON_FILE} is not round.json's beacon_sha256"]
    return []


def _timing(
    chain: str, number: int, named: Mapping[str, Any], statement: Mapping[str, Any]
) -> list[str]:
    """The named round comes out after the freeze, at the time the statement states."""
    problems = []
    at = round_time(chain, number)
    frozen = _time(statement.get("frozen_at"), ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"))
    if frozen is None or at <= frozen:
        problems.append(
            f"time: drand round {number} is published at {at}, not after the freeze "
            f"({statement.get('frozen_at')})"
        )
    if _time(named.get("time"), ("%Y-%m-%dT%H:%M:%SZ",)) != at:
        problems.append(f"time: the statement says {named.get('time')!r}, the chain's clock {at}")
    return problems


def check_beacon(
    folder: str,
    r: str,
    bundle: Mapping[str, Any],
    statement: Mapping[str, Any] | None,
) -> tuple[bool, str, bool] | None:
    """(ok, detail, BLS skipped) for round ``r``, or None when the round has no beacon
    (neither named in its freeze statement nor published)."""
    base = os.path.join(folder, "rounds", r)
    data = _read(os.path.join(base, BEACON_FILE))
    named = statement.get("beacon") if statement is not None else None
    if named is None and data is None:
        return None
    if statement is None or not isinstance(named, Mapping):
        return (
            False,
            "record: a beacon record is published but the freeze statement names no beacon round",
            False,
        )
    chain, number = str(named.get("chain", "")).lower(), named.get("round")
    if data is None:
        return (
            False,
            f"record: the freeze statement names drand round {number} of chain {chain}; "
            f"its record ({BEACON_FILE}) is not published",
            False,
        )
    problems = _published(base, data)
    try:
        record = parse_record(load_json(data))
        if chain not in CHAIN_CLOCKS or type(number) is not int or number < 1:
            raise BeaconRecordError(
                f"the statement's beacon {dict(named)!r} is not a pinned chain and round"
            )
    except (InvalidBundle, BeaconRecordError) as exc:
        return False, "; ".join([*problems, f"record: malformed: {exc}"]), False
    report = check_record(record, chain=chain, round_number=number, bls_if_installed=True)
    problems += [f"{c.name}: {c.detail}" for c in report.failures]
    problems += _timing(chain, number, named, statement)
    randomness = record.randomness.hex()
    if not any(
        c.get("value") == randomness and "commitment" not in c
        for c in bundle["ceremony"]["contributions"]
    ):
        problems.append(
            "contribution: no after-freeze contribution of the bundle is the beacon's randomness"
        )
    if problems:
        return False, "; ".join(problems), False
    skipped = [c.detail for c in report.checks if c.skipped]
    detail = f"drand round {number} of chain {chain[:16]}…, randomness {randomness[:16]}…; " + (
        skipped[0] if skipped else "BLS signature verified"
    )
    return True, detail, bool(skipped)
