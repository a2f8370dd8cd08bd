"""What every rounds use case shares: constants, reading a round, locking it and moving it
from state to state (compare-and-set, audited)."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from allocation import (
    AllocationInputError,
    Policy,
    PolicyError,
    Scenario,
    policy_from_text,
    scenario_from_mapping,
)
from lottery import canonical_json
from paiwei import data
from paiwei.audit import service as audit
from paiwei.rounds.errors import RoundError
from paiwei.rounds.models import Round, RoundContribution, State

FREEZE_FORMAT = "paiwei-freeze/1"

FREEZE_TAG = "paiwei/v1/freeze"

SALT_TAG = "paiwei/v1/season-salt"

DISTRICT = "district"

NOTARY = "notary"

RESULT_CHUNK = 500

Progress = Callable[[int, int], None]
"""``progress(done, total)`` while results are written (the CLI's progress bar)."""


def _dump(value: Any) -> str:
    return canonical_json(value).decode("utf-8")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _subject(row: Round) -> str:
    return f"round:{row.id}"


# --- the district: stored as its administrative code, the slug derived --------------------


def district_code(district: str) -> str:
    """The administrative code (``110105``) every table stores, for a code or a policy's
    district name (``chaoyang``). Raises ``RoundError('unknown_district')``."""
    code = data.district_code(district)
    if code is None or data.district_slug(code) is None:
        raise RoundError("unknown_district", detail=f"{district!r} is not a district code or name")
    return code


def _code(district: str) -> str:
    """For lookups: the code of a known district, else the value as given (matches nothing)."""
    return data.district_code(district) or district


def district_slug(code: str) -> str:
    """The district's pinyin name (``chaoyang``), derived from its code: what policies, draw
    ids, season ids and the publication use."""
    return data.district_slug(code) or code


def season_id(row: Round) -> str:
    """The public season id ``<slug>/<year>/<stage>`` (``chaoyang/2024/primary``)."""
    return f"{district_slug(row.district)}/{row.year}/{row.stage}"


def require_district(*, district: str, staff_district: str | None) -> None:
    """District staff act only on their own district's rounds (``staff_district`` is their
    account's code, e.g. 110105; ``district`` the round's code, or a policy's district
    name, e.g. chaoyang). Raises ``RoundError("out_of_district")``."""
    if staff_district is None or _code(district) != staff_district:
        raise RoundError("out_of_district", detail=f"rounds of {district}")


def get_or_raise(*, db_session: Session, round_pk: int) -> Round:
    row = db_session.get(Round, round_pk)
    if row is None:
        raise RoundError("round_not_found", detail=str(round_pk))
    return row


def find(*, db_session: Session, district: str, year: int, stage: str, round_id: str) -> Round:
    row = db_session.scalar(select(Round).where(Round.district == _code(district), Round.year == year,
                                                Round.stage == stage, Round.round == round_id))
    if row is None:
        raise RoundError("round_not_found", detail=f"{district}/{year}/{stage}/{round_id}")
    return row


def season_rounds(*, db_session: Session, district: str, year: int, stage: str) -> list[Round]:
    """The rounds of a district's season (``district``: its code) in plan order."""
    return list(db_session.scalars(select(Round).where(
        Round.district == _code(district), Round.year == year, Round.stage == stage).order_by(Round.position)))


def contributions_of(*, db_session: Session, round_pk: int) -> list[RoundContribution]:
    return list(db_session.scalars(select(RoundContribution).where(
        RoundContribution.round_pk == round_pk).order_by(RoundContribution.contributor)))


def _lock(db_session: Session, round_pk: int) -> Round:
    """The round row, locked for the rest of the transaction (PostgreSQL row lock)."""
    row = db_session.scalars(select(Round).where(Round.id == round_pk).with_for_update()).one_or_none()
    if row is None:
        raise RoundError("round_not_found", detail=str(round_pk))
    return row


def _require(row: Round, *states: State, step: str) -> None:
    if row.state == State.PUBLISHED:
        raise RoundError("round_published", detail=f"round {row.draw_id} is published; {step} refused")
    if row.state not in states:
        wanted = " or ".join(states)
        raise RoundError("out_of_order",
                         detail=f"{step} needs a round in state {wanted}; {row.draw_id} is {row.state}")


def _transition(db_session: Session, actor: audit.Actor, row: Round, action: str, to: State, *,
                now: datetime, reason: str | None = None) -> None:
    # Compare-and-set: a concurrent step on the same round (another process that read the
    # same state) makes this one fail instead of applying twice.
    moved = db_session.execute(update(Round).where(Round.id == row.id, Round.state == row.state)
                               .values(state=to).execution_options(synchronize_session=False))
    if getattr(moved, "rowcount", 1) != 1:
        db_session.rollback()
        raise RoundError("out_of_order", detail=f"round {row.draw_id} changed state meanwhile")
    audit.append(db_session=db_session, actor=actor, action=action, subject=_subject(row), now=now,
                 from_state=row.state, to_state=to, reason=reason)
    row.state = to


def _policy(text: str) -> Policy:
    try:
        return policy_from_text(text)
    except (PolicyError, AllocationInputError) as exc:
        raise RoundError("inputs_invalid", detail=f"policy: {exc}") from None


# Scenarios parsed from stored or freshly built inputs, by the SHA-256 of the inputs text
# they were read from: a round's freeze (prepared, then done), proofs, run and results, and
# the next rounds while nothing changed, read the same text, and parsing it
# (scenario_from_mapping checks every record) was most of a small season's CPU time.
_PARSED: dict[str, Scenario] = {}
_PARSED_MAX = 4
_parsed_lock = threading.Lock()


def _read_only(scenario: Scenario) -> Scenario:
    """The scenario with its NumPy columns made read-only: a cached one is shared."""
    parts: list[Any] = [scenario.applicants]
    if scenario.applicants.details is not None:
        parts.append(scenario.applicants.details)
    for part in parts:
        for f in dataclasses.fields(part):
            value = getattr(part, f.name)
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
    return scenario


def _parse(scenario: Mapping[str, Any], key: str | None = None) -> Scenario:
    """The scenario of a round's inputs. ``key``: the SHA-256 (hex) of the inputs text the
    mapping was read from (``Round.inputs_sha256``, checked against the text, or the
    freeze's own ``_sha(text)``); the same text gives the same scenario, so it is parsed
    once (the cached one's arrays are read-only). Raises ``RoundError('inputs_invalid')``."""
    if key is not None:
        with _parsed_lock:
            found = _PARSED.get(key)
        if found is not None:
            return found
    try:
        parsed = scenario_from_mapping(dict(scenario))
    except AllocationInputError as exc:
        raise RoundError("inputs_invalid", detail=f"scenario: {exc}") from None
    if key is not None:
        _read_only(parsed)
        with _parsed_lock:
            while len(_PARSED) >= _PARSED_MAX:
                _PARSED.pop(next(iter(_PARSED)))
            _PARSED[key] = parsed
    return parsed

