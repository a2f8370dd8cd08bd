"""Round lifecycle use cases: plan import, create → freeze → ceremony → run → sign →
countersign (publish), and result lookup.

Keyword-only functions; each use case that writes commits exactly one transaction and
appends every transition to the hash-chained audit log.

States (``models.State``)::

    created --freeze--> frozen --close_ceremony--> ready --run--> drawn
        --sign (district)--> signed --countersign (notary)--> published
    created --freeze (nobody to place)--> empty

Steps in any other order raise ``RoundError('out_of_order')``; every step on a
published round raises ``RoundError('round_published')`` (409).

How one round runs. :class:`allocation.SeasonSteps` takes a stage's rounds one at a
time. The freeze and the run step through the earlier rounds by adopting each one's
published bundle (its assignments and tickets; nothing is drawn again, and each
earlier round's inputs must still give the input root published for it), then build
this round's inputs; the run draws it with this round's contributions. The frozen
inputs (policy text and scenario mapping) are stored as canonical JSON with their
SHA-256, and the run refuses unless they still give the published input root.

Nobody dropped. The freeze of a round from the database refuses while any verified
applicant of the district has no routing decision for the stage
(``applicants_undecided``, naming them), and stores the round's accounting: every
applicant in the round's inputs, placed earlier, or listed with the rule why not.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

import lottery
from allocation import (
    SCENARIO_FORMAT,
    AllocationError,
    AllocationInputError,
    Policy,
    PolicyError,
    Reporter,
    RoundInputs,
    Scenario,
    SeasonSteps,
    Stage,
    draw_id_of,
    policy_from_text,
    scenario_from_mapping,
)
from lottery import canonical_json, public_key_hex
from paiwei import data
from paiwei.audit import service as audit
from paiwei.choices.models import RoutingRecord
from paiwei.choices.rules import routing_input
from paiwei.intake.models import Applicant, Status
from paiwei.intake.service import applicant_of_user
from paiwei.plans import Plan as PlanFile
from paiwei.publication import (
    PublicationError,
    ResultDocument,
    RoundPublication,
    Season,
    publish_empty_round,
    publish_round,
    result_document,
    round_entry,
    round_publications,
    verify_ref,
)
from paiwei.rounds.errors import RoundError
from paiwei.rounds.models import Plan, Round, RoundContribution, RoundResult, SeasonKey, State
from paiwei.rounds.schemas import (
    AccountEntry,
    AccountingRead,
    RoundStatistics,
    SchoolStatistics,
    ZoneStatistics,
)
from seeding import CeremonyError, Contribution, check_opening, derive_seed, tagged_hash

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


# --- plans ------------------------------------------------------------------------------


def import_plan(*, db_session: Session, actor: audit.Actor, district: str, year: int,
                plan: PlanFile, now: datetime) -> Plan:
    """Store a validated plan (``paiwei.plans.read_plan``/``parse_plan``) for a district-year,
    replacing an earlier one, in one transaction. A file with any bad row never gets here
    (``PlanInvalid``), so nothing is stored from it. ``district`` is the code (110105) or
    the policy's name (chaoyang). Refused once a round of that district-year is frozen:
    ``RoundError('inputs_frozen')``; for a district that is not known or has no policy for
    the year (no windows name it and none is shipped): ``RoundError('unknown_district')``."""
    from allocation import shipped_policy_text  # noqa: PLC0415
    from paiwei.windows.models import ApplicationWindow  # noqa: PLC0415

    code = data.district_code(district)
    slug = data.district_slug(code) if code is not None else None
    if slug is None:
        raise RoundError("unknown_district", detail=f"{district!r} is not a district code or name")
    district = slug
    named = db_session.scalar(select(ApplicationWindow.id).where(
        ApplicationWindow.policy == f"{district}-{year}", ApplicationWindow.year == year).limit(1))
    if named is None:
        try:
            shipped_policy_text(f"{district}-{year}")
        except PolicyError:
            raise RoundError("unknown_district",
                             detail=f"no policy {district}-{year}: no windows name it and none is shipped") from None
    frozen = db_session.scalar(select(Round.id).where(
        Round.district == district, Round.year == year, Round.state != State.CREATED).limit(1))
    if frozen is not None:
        raise RoundError("inputs_frozen", detail=f"a round of {district}/{year} is already frozen")
    row = db_session.scalar(select(Plan).where(Plan.district == district, Plan.year == year))
    schools, zones = list(plan.schools_json), list(plan.zones_json)
    addresses = dict(plan.addresses)
    if row is None:
        row = Plan(district=district, year=year, schools=schools, zones=zones, addresses=addresses,
                   source=plan.source[:200], source_sha256=plan.sha256, imported_at=now)
        db_session.add(row)
    else:
        row.schools, row.zones, row.addresses, row.imported_at = schools, zones, addresses, now
        row.source, row.source_sha256 = plan.source[:200], plan.sha256
    db_session.flush()
    # The plan is the schools applicants are routed over: route them again (same transaction).
    from paiwei.choices import service as choices  # noqa: PLC0415

    codes = sorted(set(db_session.scalars(select(ApplicationWindow.district).where(
        ApplicationWindow.policy == f"{district}-{year}", ApplicationWindow.year == year))))
    rerouted = choices.reroute(db_session=db_session, districts=codes, year=year, stage=None, now=now)
    audit.append(db_session=db_session, actor=actor, action="plan_imported",
                 subject=f"plan:{district}:{year}", now=now,
                 reason=f"{len(schools)} schools, {len(zones)} zones, sha256={plan.sha256}; "
                        f"{rerouted} applicants routed again")
    db_session.commit()
    return row


def get_plan(*, db_session: Session, district: str, year: int) -> Plan | None:
    return db_session.scalar(select(Plan).where(Plan.district == district, Plan.year == year))


# --- reading rounds ---------------------------------------------------------------------


def require_district(*, district: str, staff_district: str | None) -> None:
    """District staff act only on their own district's rounds (``staff_district`` is the
    intake's code, e.g. 110105; rounds carry the policy's name, e.g. chaoyang). Raises
    ``RoundError("out_of_district")``."""
    if staff_district is None or data.district_slug(staff_district) != district:
        raise RoundError("out_of_district", detail=f"rounds of {district}")


def get_or_raise(*, db_session: Session, round_pk: int) -> Round:
    row = db_session.get(Round, round_pk)
    if row is None:
        raise RoundError("round_not_found", detail=str(round_pk))
    return row


def find(*, db_session: Session, district: str, year: int, stage: str, round_id: str) -> Round:
    row = db_session.scalar(select(Round).where(Round.district == district, Round.year == year,
                                                Round.stage == stage, Round.round == round_id))
    if row is None:
        raise RoundError("round_not_found", detail=f"{district}/{year}/{stage}/{round_id}")
    return row


def season_rounds(*, db_session: Session, district: str, year: int, stage: str) -> list[Round]:
    return list(db_session.scalars(select(Round).where(
        Round.district == district, Round.year == year, Round.stage == stage).order_by(Round.position)))


def contributions_of(*, db_session: Session, round_pk: int) -> list[RoundContribution]:
    return list(db_session.scalars(select(RoundContribution).where(
        RoundContribution.round_id == round_pk).order_by(RoundContribution.contributor)))


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


# --- create ----------------------------------------------------------------------------


def _policy(text: str) -> Policy:
    try:
        return policy_from_text(text)
    except (PolicyError, AllocationInputError) as exc:
        raise RoundError("inputs_invalid", detail=f"policy: {exc}") from None


def create(*, db_session: Session, actor: audit.Actor, policy_text: str, stage: str,
           round_id: str | None = None, scenario: Mapping[str, Any] | None = None,
           now: datetime) -> Round:
    """Create a round of the policy's plan for ``stage`` (default: the next one).

    ``scenario`` stages the inputs from a scenario mapping (``paiwei-scenario/1`` or ``/2``: the
    verified applicants' records and choices, exported or built elsewhere); without it the
    freeze builds them from the database (the district-year's plan, the verified
    applicants' routing records and their locked choices). Later rounds without a
    scenario take the previous round's when it had one. Raises ``RoundError``:
    ``inputs_invalid``, ``unknown_round``, ``round_exists``, ``out_of_order`` (an earlier
    round of the plan is not created yet).
    """
    policy = _policy(policy_text)
    try:
        st = Stage(stage)
    except ValueError:
        raise RoundError("inputs_invalid", detail=f"stage must be primary or junior, not {stage!r}") from None
    plan = policy.plan(st)
    existing = season_rounds(db_session=db_session, district=policy.district, year=policy.year, stage=st)
    if round_id is None:
        if len(existing) >= len(plan):
            raise RoundError("out_of_order", detail="every round of the plan is created already")
        round_id = plan[len(existing)].id
    ids = [spec.id for spec in plan]
    if round_id not in ids:
        raise RoundError("unknown_round", detail=f"{round_id!r} is not one of {ids}")
    position = ids.index(round_id)
    if any(r.round == round_id for r in existing):
        raise RoundError("round_exists", detail=f"{policy.district}/{policy.year}/{st}/{round_id}")
    if len(existing) != position:
        raise RoundError("out_of_order", detail=f"create the rounds before {round_id!r} first")
    if scenario is None and existing and existing[-1].inputs is not None:
        previous = json.loads(existing[-1].inputs)
        if previous.get("source") == "file":  # a season from the database reads it again
            scenario = previous.get("scenario")
    staged = {"policy": policy_text, "scenario": _check_scenario(policy, st, scenario),
              "source": "db" if scenario is None else "file"}
    text = _dump(staged)
    row = Round(district=policy.district, year=policy.year, stage=st.value, round=round_id,
                position=position, plan_rounds=len(plan), draw_id=draw_id_of(policy, st, round_id, rehearsal=False),
                state=State.CREATED, inputs=text, inputs_sha256=_sha(text), created_at=now)
    db_session.add(row)
    db_session.flush()
    audit.append(db_session=db_session, actor=actor, action="round_created", subject=_subject(row),
                 now=now, to_state=State.CREATED, reason=row.draw_id)
    db_session.commit()
    return row


def _parse(scenario: Mapping[str, Any]) -> Scenario:
    try:
        return scenario_from_mapping(dict(scenario))
    except AllocationInputError as exc:
        raise RoundError("inputs_invalid", detail=f"scenario: {exc}") from None


def _check_scenario(policy: Policy, stage: Stage, scenario: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if scenario is None:
        return None
    try:
        sc = scenario_from_mapping(dict(scenario))
        data = json.loads(_dump(dict(scenario)))
    except (AllocationInputError, TypeError, KeyError, IndexError, ValueError) as exc:
        raise RoundError("inputs_invalid", detail=f"scenario: {exc}") from None
    if (sc.district, sc.year, sc.stage) != (policy.district, policy.year, stage):
        raise RoundError("inputs_invalid", detail=f"scenario is {sc.district}/{sc.year}/{sc.stage}, "
                         f"the round is {policy.district}/{policy.year}/{stage}")
    data.pop("policy", None)  # the round's policy is the one given, stored beside it
    result: dict[str, Any] = data
    return result


def stage_inputs(*, db_session: Session, actor: audit.Actor, round_pk: int,
                 scenario: Mapping[str, Any] | None, now: datetime) -> Round:
    """Replace the staged inputs of a round not yet frozen. Raises ``RoundError``:
    ``inputs_frozen`` after the freeze, ``round_published``, ``inputs_invalid``."""
    row = _lock(db_session, round_pk)
    if row.state == State.PUBLISHED:
        raise RoundError("round_published", detail=f"round {row.draw_id} is published")
    if row.state != State.CREATED:
        raise RoundError("inputs_frozen", detail=f"round {row.draw_id} is {row.state}")
    staged = json.loads(row.inputs or "{}")
    policy = _policy(staged["policy"])
    staged["scenario"] = _check_scenario(policy, Stage(row.stage), scenario)
    staged["source"] = "db" if scenario is None else "file"
    row.inputs = _dump(staged)
    row.inputs_sha256 = _sha(row.inputs)
    audit.append(db_session=db_session, actor=actor, action="round_inputs_staged", subject=_subject(row),
                 now=now, reason=f"sha256={row.inputs_sha256}")
    db_session.commit()
    return row


# --- the scenario from the database ---------------------------------------------------


def scenario_from_db(*, db_session: Session, policy: Policy, stage: Stage, now: datetime) -> dict[str, Any]:
    """The season's scenario mapping from the database (by pseudonym; nothing personal).

    - the districts: those whose application windows name this policy (``<district>-<year>``);
    - schools and zones: the district-year plan (``plans``), else the choices catalogue
      (``choices.schools_of``, the same schools the applicants were routed over);
    - applicants: the verified applicants of those districts with a routing record for the
      year and stage;
    - choices: exactly the locked ones (``choices.frozen_choices``, which locks a closed
      window's rows first); a list whose window is still open is not part of the inputs
      yet (the rounds that read it come later, and their freeze reads it again).

    Raises ``RoundError('no_inputs')`` without windows or without a plan.
    """
    from paiwei.choices import service as choices  # noqa: PLC0415
    from paiwei.choices.errors import ChoiceError  # noqa: PLC0415
    from paiwei.windows import service as windows  # noqa: PLC0415
    from paiwei.windows.models import ApplicationWindow  # noqa: PLC0415

    name = f"{policy.district}-{policy.year}"
    codes = sorted(set(db_session.scalars(select(ApplicationWindow.district).where(
        ApplicationWindow.policy == name, ApplicationWindow.year == policy.year))))
    if not codes:
        raise RoundError("no_inputs", detail=f"no application windows name the policy {name}")
    try:
        source = choices.schools_of(db_session=db_session, district=codes[0], year=policy.year,
                                    stage=stage.value)
    except ChoiceError:
        raise RoundError("no_inputs", detail=f"no plan imported for {policy.district}/{policy.year}") from None
    schools, zones = source.schools, source.zones
    records = db_session.execute(
        select(Applicant.pseudonym, RoutingRecord.record, Applicant.review_findings)
        .join(RoutingRecord, RoutingRecord.applicant_id == Applicant.id)
        .where(RoutingRecord.year == policy.year, RoutingRecord.stage == stage.value,
               Applicant.status == Status.VERIFIED, Applicant.district.in_(codes))
        .order_by(Applicant.pseudonym)).all()
    lists: dict[str, dict[str, list[str]]] = {}
    for code in codes:
        for kind in windows.KINDS:
            if not kind.startswith(f"{stage.value}."):
                continue
            try:
                frozen = choices.frozen_choices(db_session=db_session, district=code, year=policy.year,
                                                kind=kind, now=now)
            except ChoiceError as exc:
                if exc.code in ("window_still_open", "window_not_found"):
                    continue
                raise RoundError("no_inputs", detail=f"{kind}: {exc.code}") from None
            for rec in frozen:
                lists.setdefault(rec["id"], {})[kind.partition(".")[2]] = list(rec["choices"])
    applicants = [{**routing_input(record, findings), "id": pseudonym,
                   "choices": lists.get(pseudonym, {})}
                  for pseudonym, record, findings in records]
    # the routing records are checked in the current format (choices.rules), so read them in it
    return {"format": SCENARIO_FORMAT, "district": policy.district, "year": policy.year,
            "stage": stage.value, "schools": schools, "zones": zones, "applicants": applicants}


# --- stepping through the season to a round --------------------------------------------


def _seed_contributions(db_session: Session, row: Round) -> list[Contribution]:
    """The contributions that went into the seed: revealed commitments and live ones."""
    out = []
    for c in contributions_of(db_session=db_session, round_pk=row.id):
        if c.value is None:
            continue  # waived by the notary (never revealed)
        out.append(Contribution(c.contributor, bytes.fromhex(c.value),
                                bytes.fromhex(c.nonce) if c.nonce else None,
                                bytes.fromhex(c.commitment) if c.commitment else None))
    return out


def _steps_to(db_session: Session, policy: Policy, scenario: Scenario, row: Round, *,
              reporter: Reporter | None = None) -> tuple[SeasonSteps, RoundInputs]:
    """The season stepped up to ``row``: every earlier round taken from what it published
    (its bundle; an empty round must still hold nobody), and ``row``'s inputs.

    Raises ``RoundError``: ``out_of_order`` (an earlier round not published),
    ``inputs_changed`` (an earlier round's inputs no longer give its published input
    root), ``inputs_invalid``."""
    earlier = {r.position: r for r in season_rounds(db_session=db_session, district=row.district,
                                                     year=row.year, stage=row.stage)
               if r.position < row.position}
    try:
        steps = SeasonSteps(policy, scenario, reporter=reporter)
        while steps.position < row.position:
            inputs = steps.next_inputs()
            done = earlier.get(steps.position)
            if done is None or done.state not in {State.PUBLISHED, State.EMPTY}:
                state = "not created" if done is None else done.state
                raise RoundError("out_of_order",
                                 detail=f"round {inputs.spec.id!r} comes first and is {state}, not published")
            if done.state == State.EMPTY:
                if inputs.frozen is not None:
                    raise RoundError("inputs_changed", detail=f"round {inputs.spec.id!r} held nobody at its "
                                     "freeze; the earlier rounds' inputs changed")
                steps.skip(inputs)
            else:
                steps.adopt(inputs, json.loads(done.bundle or "{}"))
        return steps, steps.next_inputs()
    except AllocationError as exc:
        raise RoundError("inputs_changed", detail=f"{exc}; the earlier rounds' inputs changed") from None
    except (AllocationInputError, CeremonyError, lottery.InvalidBundle) as exc:
        raise RoundError("inputs_invalid", detail=str(exc)) from None


def _frozen_inputs(row: Round) -> tuple[Policy, dict[str, Any]]:
    """The stored frozen inputs, after checking their SHA-256."""
    if row.inputs is None or row.inputs_sha256 is None:
        raise RoundError("no_inputs", detail=row.draw_id)
    if _sha(row.inputs) != row.inputs_sha256:
        raise RoundError("inputs_changed", detail=f"the stored inputs of {row.draw_id} do not match "
                         "their recorded SHA-256")
    data = json.loads(row.inputs)
    return _policy(data["policy"]), data["scenario"]


# --- ceremony before the freeze ---------------------------------------------------------


def record_commitment(*, db_session: Session, actor: audit.Actor, round_pk: int, contributor: str,
                      commitment: str, now: datetime) -> RoundContribution:
    """Record a contributor's commitment (before the freeze only). Raises ``RoundError``:
    ``out_of_order`` (already frozen), ``round_published``, ``contributor_exists``,
    ``ceremony_invalid`` (not 32 bytes of hex, or an empty or non-NFC name)."""
    row = _lock(db_session, round_pk)
    _require(row, State.CREATED, step="recording a commitment")
    _check_name(contributor)
    try:
        raw = bytes.fromhex(commitment)
    except ValueError:
        raw = b""
    if len(raw) != 32 or commitment != raw.hex():
        raise RoundError("ceremony_invalid", detail="a commitment is 32 bytes in lowercase hex")
    c = _new_contribution(db_session, row, contributor, now)
    c.commitment = commitment
    audit.append(db_session=db_session, actor=actor, action="ceremony_committed", subject=_subject(row),
                 now=now, reason=f"{contributor}: {commitment}")
    db_session.commit()
    return c


def _check_name(contributor: str) -> None:
    from seeding import text_bytes  # noqa: PLC0415

    try:
        text_bytes(contributor)
    except ValueError as exc:
        raise RoundError("ceremony_invalid", detail=f"contributor name: {exc}") from None
    if not contributor or len(contributor) > 64:
        raise RoundError("ceremony_invalid", detail="contributor names are 1-64 characters")


def _new_contribution(db_session: Session, row: Round, contributor: str, now: datetime) -> RoundContribution:
    exists = db_session.scalar(select(RoundContribution.id).where(
        RoundContribution.round_id == row.id, RoundContribution.contributor == contributor))
    if exists is not None:
        raise RoundError("contributor_exists", detail=contributor)
    c = RoundContribution(round_id=row.id, contributor=contributor, recorded_at=now)
    db_session.add(c)
    return c


# --- season keys and signed statements -------------------------------------------------


SIGNERS = (DISTRICT, NOTARY)
KEY_CHANGE_FORMAT = "paiwei-key-change/1"
KEY_CHANGE_TAG = "paiwei/v1/key-change"


def _hex32(value: Any, what: str) -> str:
    """32 bytes of hex (either case) as lowercase hex. Raises ``RoundError('key_invalid')``."""
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise RoundError("key_invalid", detail=f"{what} is not 32 bytes of hex")
    return raw.hex()


def season_keys(*, db_session: Session, district: str, year: int, stage: str) -> dict[str, str]:
    """The season's pinned public keys, signer -> hex (empty when none are pinned)."""
    rows = db_session.scalars(select(SeasonKey).where(
        SeasonKey.district == district, SeasonKey.year == year, SeasonKey.stage == stage))
    return {r.signer: r.public_key for r in rows}


def pin_keys(*, db_session: Session, actor: audit.Actor, round_pk: int, keys: Mapping[str, str],
             now: datetime) -> dict[str, str]:
    """Pin the public keys of the season of ``round_pk``: the district's and the notary's,
    before its first freeze. Public keys only: private keys never reach the server.
    Pinning the same keys again is a no-op; other keys are refused (a change is
    :func:`change_key`). Raises ``RoundError``: ``key_invalid``, ``keys_pinned``."""
    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    if set(keys) != set(SIGNERS):
        raise RoundError("key_invalid", detail=f"pin exactly the keys of {', '.join(SIGNERS)}")
    wanted = {name: _hex32(keys[name], f"the {name} key") for name in SIGNERS}
    if wanted[DISTRICT] == wanted[NOTARY]:
        raise RoundError("key_invalid", detail="the district and the notary have one key")
    pinned = season_keys(db_session=db_session, district=row.district, year=row.year, stage=row.stage)
    if pinned == wanted:
        return pinned
    if pinned:
        raise RoundError("keys_pinned", detail="the season's keys are pinned already")
    for name, public in wanted.items():
        db_session.add(SeasonKey(district=row.district, year=row.year, stage=row.stage, signer=name,
                                 public_key=public, pinned_at=now))
    audit.append(db_session=db_session, actor=actor, action="season_keys_pinned",
                 subject=f"season:{row.district}:{row.year}:{row.stage}", now=now,
                 reason=", ".join(f"{k}={v}" for k, v in wanted.items()))
    db_session.commit()
    return wanted


def statement_digest(tag: str, statement: Mapping[str, Any]) -> bytes:
    """What a signed statement's signature signs: TH(tag, JCS(statement without "signature"))."""
    return tagged_hash(tag, canonical_json({k: v for k, v in statement.items() if k != "signature"}))


def sign_statement(statement: Mapping[str, Any], tag: str, signer: str,
                   key: Ed25519PrivateKey) -> dict[str, Any]:
    """Sign a statement on the signer's own machine (CLI, demo, tests); the server never
    calls this: it only checks signatures (:func:`check_statement_signature`)."""
    signature = key.sign(statement_digest(tag, statement))
    return {**{k: v for k, v in statement.items() if k != "signature"},
            "signature": {"signer": signer, "public_key": public_key_hex(key), "signature": signature.hex()}}


def _check_signature(public_hex: str, signature: Any, digest: bytes, what: str) -> None:
    from lottery._signing import signature_valid  # noqa: PLC0415

    try:
        raw = bytes.fromhex(signature) if isinstance(signature, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != 64 or not signature_valid(bytes.fromhex(public_hex), raw, digest):
        raise RoundError("signature_invalid", detail=f"{what}: the signature does not verify")


def check_statement_signature(statement: Mapping[str, Any], tag: str, signer: str, pinned: str) -> None:
    """A statement's ``signature`` is by ``signer`` with the ``pinned`` key and verifies.
    Raises ``RoundError``: ``signature_required``, ``key_mismatch``, ``signature_invalid``."""
    sig = statement.get("signature")
    if not isinstance(sig, Mapping) or not isinstance(sig.get("public_key"), str):
        raise RoundError("signature_required", detail=f"the statement carries no signature of {signer}")
    if sig.get("signer") != signer or sig["public_key"].lower() != pinned:
        raise RoundError("key_mismatch", detail=f"signed by {sig.get('signer')!r} with {sig['public_key']}, "
                         f"the season's {signer} key is {pinned}")
    _check_signature(pinned, sig.get("signature"), statement_digest(tag, statement), "statement")


def change_key(*, db_session: Session, actor: audit.Actor, round_pk: int, statement: Mapping[str, Any],
               now: datetime) -> dict[str, str]:
    """Replace one signer's pinned key: ``statement`` is ``{"format": "paiwei-key-change/1",
    "season", "signer", "old", "new", "reason"}`` signed by the OLD key. Rounds frozen
    before keep the keys they were frozen with. Raises ``RoundError``: ``keys_not_pinned``,
    ``key_invalid``, ``key_mismatch``, ``signature_invalid``, ``signature_required``."""
    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    pinned = season_keys(db_session=db_session, district=row.district, year=row.year, stage=row.stage)
    if not pinned:
        raise RoundError("keys_not_pinned", detail=f"{row.district}/{row.year}/{row.stage}")
    signer = statement.get("signer")
    season = f"{row.district}/{row.year}/{row.stage}"
    if statement.get("format") != KEY_CHANGE_FORMAT or statement.get("season") != season \
            or signer not in pinned or not isinstance(statement.get("reason"), str):
        raise RoundError("key_invalid", detail=f"a {KEY_CHANGE_FORMAT} statement for {season}")
    assert isinstance(signer, str)  # noqa: S101  checked just above
    if _hex32(statement.get("old"), "old") != pinned[signer]:
        raise RoundError("key_mismatch", detail=f"{signer}'s pinned key is {pinned[signer]}")
    new = _hex32(statement.get("new"), "new")
    if new in pinned.values():
        raise RoundError("key_invalid", detail="the new key is pinned already")
    check_statement_signature(statement, KEY_CHANGE_TAG, signer, pinned[signer])
    db_session.execute(update(SeasonKey).where(
        SeasonKey.district == row.district, SeasonKey.year == row.year, SeasonKey.stage == row.stage,
        SeasonKey.signer == signer).values(public_key=new, pinned_at=now))
    audit.append(db_session=db_session, actor=actor, action="season_key_changed",
                 subject=f"season:{season}", now=now,
                 reason=f"{signer}: {pinned[signer]} -> {new}; {_dump(dict(statement))}")
    db_session.commit()
    return {**pinned, signer: new}


# --- freeze ------------------------------------------------------------------------------


def _refuse_undecided(db_session: Session, policy: Policy, stage: Stage) -> None:
    """Nobody dropped: every verified applicant of the districts whose windows name the
    policy has a routing decision for the stage (or is another stage's). Raises
    ``RoundError('applicants_undecided')`` naming each one (by pseudonym) and why."""
    from paiwei.choices import service as choices  # noqa: PLC0415
    from paiwei.windows.models import ApplicationWindow  # noqa: PLC0415

    codes = sorted(set(db_session.scalars(select(ApplicationWindow.district).where(
        ApplicationWindow.policy == f"{policy.district}-{policy.year}", ApplicationWindow.year == policy.year))))
    left = choices.undecided(db_session=db_session, districts=codes, year=policy.year, stage=stage.value)
    if left:
        shown = "; ".join(f"{u.applicant}: {u.text}" for u in left[:20])
        more = f"; and {len(left) - 20} more" if len(left) > 20 else ""
        raise RoundError("applicants_undecided",
                         detail=f"{len(left)} verified applicant(s) without a routing decision "
                                f"(route them first: paiwei route): {shown}{more}")


BEACON = "drand-beacon"


def _named_beacon(beacon: Mapping[str, Any] | None, now: datetime) -> dict[str, Any] | None:
    """A drand round named in the freeze statement: a pinned chain and a round published
    after the freeze (so nobody deciding at the freeze, or whether to reveal before it is
    out, can know it). Raises ``RoundError('ceremony_invalid')``."""
    from seeding import CHAIN_CLOCKS, round_time  # noqa: PLC0415

    if beacon is None:
        return None
    chain, number = str(beacon.get("chain", "")).lower(), beacon.get("round")
    if chain not in CHAIN_CLOCKS:
        raise RoundError("ceremony_invalid", detail=f"beacon chain {chain!r} is not a pinned drand chain")
    if type(number) is not int or not 1 <= number < 2**53:
        raise RoundError("ceremony_invalid", detail="the beacon round is a positive integer")
    at = round_time(chain, number)
    if at <= now.timestamp():
        raise RoundError("ceremony_invalid", detail=f"drand round {number} is published at {at}, "
                         "not after the freeze")
    when = datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"chain": chain, "round": number, "time": when}


def _freeze_plan(db_session: Session, round_pk: int, now: datetime,
                 beacon: Mapping[str, Any] | None = None,
                 ) -> tuple[Round, str, dict[str, Any] | None]:
    """Lock the round and compute its freeze: (row, frozen inputs text, the unsigned freeze
    statement, or None when nobody is left to place). ``beacon`` names a future drand round
    (``{"chain", "round"}``) whose randomness will be a contribution. Raises ``RoundError``."""
    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    _require(row, State.CREATED, step="the freeze")
    staged = json.loads(row.inputs or "{}")
    policy = _policy(staged["policy"])
    scenario = staged.get("scenario")
    if scenario is None:
        _refuse_undecided(db_session, policy, Stage(row.stage))
        # Reading the choices stamps the locks of closed windows, in this transaction.
        # Built for this policy's district, year and stage; parsed once, just below.
        scenario = scenario_from_db(db_session=db_session, policy=policy, stage=Stage(row.stage), now=now)
    row = _lock(db_session, round_pk)
    _require(row, State.CREATED, step="the freeze")
    steps, inputs = _steps_to(db_session, policy, _parse(scenario), row)
    frozen = inputs.frozen
    text = _dump({"policy": staged["policy"], "scenario": scenario, "source": staged.get("source", "file")})
    # Every applicant accounted for; stored with the freeze (prepare_freeze rolls it back).
    row.accounting = _dump(steps.account(inputs).to_json())
    if frozen is None:
        return row, text, None
    keys = season_keys(db_session=db_session, district=row.district, year=row.year, stage=row.stage)
    if set(keys) != set(SIGNERS):
        raise RoundError("keys_not_pinned", detail=f"pin the district's and the notary's public keys for "
                         f"{row.district}/{row.year}/{row.stage} before the freeze")
    commitments = [{"contributor": c.contributor, "commitment": c.commitment}
                   for c in contributions_of(db_session=db_session, round_pk=row.id)]
    statement: dict[str, Any] = {
        "format": FREEZE_FORMAT, "draw_id": row.draw_id, "input_root": frozen.root.hex(),
        "inputs_sha256": _sha(text), "schools": len(frozen.schools),
        "applicants": len(frozen.applicants), "commitments": commitments,
        "keys": dict(sorted(keys.items())),
        "frozen_at": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        # The audit chain's tip, signed with the statement and published: rewriting the
        # log's history before it is detected by anyone holding the public folder
        # (`paiwei audit verify --against`).
        "audit_head": audit.head(db_session=db_session),
    }
    named = _named_beacon(beacon, now)
    if named is not None:
        statement["beacon"] = named
    return row, text, statement


def prepare_freeze(*, db_session: Session, round_pk: int, now: datetime,
                   beacon: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The freeze statement the district signs on its own machine (nothing is stored), or
    None when the round holds nobody to place (its freeze needs no signature). ``beacon``
    (``{"chain": hash, "round": n}``) names a drand round published after the freeze.
    Raises ``RoundError`` like :func:`freeze`."""
    _, _, statement = _freeze_plan(db_session, round_pk, now, beacon)
    db_session.rollback()  # release the row lock: this step only reads
    return statement


def freeze(*, db_session: Session, actor: audit.Actor, round_pk: int, statement: Mapping[str, Any] | None,
           now: datetime) -> Round:
    """Freeze the round's inputs with the freeze statement from :func:`prepare_freeze`,
    signed by the district with its pinned key on its own machine (:func:`sign_statement`).

    The statement is computed again here and must be the one signed (its ``frozen_at``
    no later than ``now``): a commitment or an input that changed in between refuses the
    freeze. The earlier rounds of the season must be published. A round with nobody to
    place becomes ``empty`` (no statement needed). Raises ``RoundError``:
    ``out_of_order``, ``round_published``, ``no_inputs``, ``inputs_invalid``,
    ``inputs_changed``, ``keys_not_pinned``, ``signature_required``, ``key_mismatch``,
    ``signature_invalid``.
    """
    named = statement.get("beacon") if statement is not None else None
    row, text, expected = _freeze_plan(db_session, round_pk, now,
                                       named if isinstance(named, Mapping) else None)
    if expected is None:
        row.inputs, row.inputs_sha256, row.frozen_at = text, _sha(text), now
        _transition(db_session, actor, row, "round_empty", State.EMPTY, now=now, reason="nobody to place")
        db_session.commit()
        return row
    if statement is None:
        raise RoundError("signature_required", detail="the freeze statement signed by the district")
    frozen_at = statement.get("frozen_at")
    body = {k: v for k, v in statement.items() if k != "signature"}
    # The audit head named when the statement was prepared: other events may have been
    # appended since (the log is shared), so it must be an event the log still holds, with
    # that hash, rather than the current tip.
    stated_head = body.get("audit_head")
    if not isinstance(stated_head, Mapping) or type(stated_head.get("seq")) is not int \
            or not isinstance(stated_head.get("hash"), str) \
            or not 0 <= stated_head["seq"] <= int(expected["audit_head"]["seq"]):
        raise RoundError("inputs_changed", detail="the statement's audit head is not one of this log's")
    try:
        audit.check_published_head(db_session=db_session, seq=stated_head["seq"], digest=stated_head["hash"])
    except audit.AuditChainError as exc:
        raise RoundError("inputs_changed", detail=f"the statement's audit head: {exc}") from None
    if not isinstance(frozen_at, str) or body != {**expected, "frozen_at": frozen_at,
                                                  "audit_head": stated_head}:
        raise RoundError("inputs_changed", detail="the signed statement is not this round's freeze "
                         "(inputs or commitments changed since it was prepared)")
    try:
        stated = datetime.strptime(frozen_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=now.tzinfo)
    except ValueError:
        raise RoundError("inputs_changed", detail="frozen_at is not a time") from None
    if stated > now:
        raise RoundError("inputs_changed", detail="frozen_at lies in the future")
    check_statement_signature(statement, FREEZE_TAG, DISTRICT, expected["keys"][DISTRICT])
    row.inputs, row.inputs_sha256, row.frozen_at = text, _sha(text), now
    row.input_root = expected["input_root"]
    row.freeze_statement = _dump(dict(statement))
    row.keys = dict(expected["keys"])
    _transition(db_session, actor, row, "round_frozen", State.FROZEN, now=now,
                reason=f"input_root={row.input_root}")
    db_session.commit()
    return row


def round_inclusion_proofs(*, db_session: Session, round_pk: int) -> dict[str, dict[str, Any]]:
    """Every applicant's inclusion proof (``paiwei-inclusion/1``, docs/draw-spec.md §19) under
    the round's published input root, from the stored frozen inputs. Reads only. Raises
    ``RoundError``: ``out_of_order`` (not frozen), ``inputs_changed``."""
    from lottery._proofs import applicant_proofs  # noqa: PLC0415

    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    if row.input_root is None or row.state in (State.CREATED, State.EMPTY):
        raise RoundError("out_of_order", detail=f"round {row.draw_id} is {row.state}, not frozen")
    policy, scenario = _frozen_inputs(row)
    frozen = _steps_to(db_session, policy, _parse(scenario), row)[1].frozen
    if frozen is None or frozen.root.hex() != row.input_root:
        raise RoundError("inputs_changed", detail=f"the stored inputs of {row.draw_id} do not give its input root")
    proofs = applicant_proofs(frozen.draw_id, frozen.schools, frozen.applicants)
    if any(p["input_root"] != row.input_root for p in proofs.values()):
        raise RoundError("inputs_changed", detail="the proofs do not lead to the published input root")
    return proofs


def write_proofs(*, db_session: Session, round_pk: int, folder: Path) -> bool:
    """Publish the round's inclusion proofs into the publication folder (at the freeze,
    before the draw), beside the result files under the same salted keys. Idempotent.
    Raises ``RoundError``: those of :func:`round_inclusion_proofs`, ``publication_failed``."""
    from paiwei.publication import publish_proofs  # noqa: PLC0415

    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    proofs = round_inclusion_proofs(db_session=db_session, round_pk=round_pk)
    try:
        return publish_proofs(folder, season=season_of(db_session=db_session, row=row), round_id=row.round,
                              proofs=proofs)
    except (PublicationError, OSError) as exc:
        raise RoundError("publication_failed", detail=str(exc)) from None


def check_freeze_statement(statement: Mapping[str, Any]) -> None:
    """Check a freeze statement's signature against its own public key (the caller compares
    that key with the district's published one). Raises ``RoundError('bundle_invalid')``."""
    from cryptography.exceptions import InvalidSignature  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: PLC0415

    body = {k: v for k, v in statement.items() if k != "signature"}
    sig = statement.get("signature") or {}
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(sig["public_key"]))
        key.verify(bytes.fromhex(sig["signature"]), tagged_hash(FREEZE_TAG, canonical_json(body)))
    except (KeyError, TypeError, ValueError, InvalidSignature):
        raise RoundError("bundle_invalid", detail="the freeze statement's signature does not verify") from None


# --- ceremony after the freeze ----------------------------------------------------------


def _refuse_reveal_after_beacon(row: Round, now: datetime) -> None:
    """The named beacon round's time is the reveal deadline: once its randomness is out, a
    committed contributor who has not revealed could compute the seed with and without
    their value and choose; their commitment can only be waived. Raises
    ``RoundError('ceremony_invalid')``."""
    named = json.loads(row.freeze_statement or "{}").get("beacon")
    if not isinstance(named, dict):
        return
    from seeding import round_time  # noqa: PLC0415

    at = round_time(named["chain"], named["round"])
    if now.timestamp() >= at:
        raise RoundError("ceremony_invalid", detail=f"reveals closed at {named.get('time')}, when drand round "
                         f"{named['round']} named at the freeze came out; the notary may waive the commitment")


def reveal(*, db_session: Session, actor: audit.Actor, round_pk: int, contributor: str, nonce: str,
           value: str, now: datetime) -> RoundContribution:
    """Open a commitment after the freeze, checked with ``seeding.check_opening``, before
    the beacon round the freeze statement named comes out. Raises ``RoundError``:
    ``out_of_order``, ``round_published``, ``contributor_not_found``, ``ceremony_invalid``
    (the opening does not match the recorded commitment, or the beacon round is out)."""
    row = _lock(db_session, round_pk)
    _require(row, State.FROZEN, step="a reveal")
    _refuse_reveal_after_beacon(row, now)
    c = db_session.scalar(select(RoundContribution).where(
        RoundContribution.round_id == row.id, RoundContribution.contributor == contributor))
    if c is None or c.commitment is None:
        raise RoundError("contributor_not_found", detail=f"no commitment of {contributor!r}")
    if c.value is not None or c.waived_reason is not None:
        raise RoundError("contributor_exists", detail=f"{contributor!r} has already revealed")
    try:
        opening = Contribution(contributor, bytes.fromhex(value), bytes.fromhex(nonce),
                               bytes.fromhex(c.commitment))
        check_opening(row.draw_id, opening)
    except (ValueError, CeremonyError) as exc:
        raise RoundError("ceremony_invalid", detail=str(exc)) from None
    c.value, c.nonce, c.revealed_at = value, nonce, now
    audit.append(db_session=db_session, actor=actor, action="ceremony_revealed", subject=_subject(row),
                 now=now, reason=f"{contributor}: {value}")
    db_session.commit()
    return c


def contribute(*, db_session: Session, actor: audit.Actor, round_pk: int, contributor: str, value: str,
               now: datetime) -> RoundContribution:
    """Record a contribution made after the freeze (a notary's live draw, a public beacon
    value): no commitment. Raises ``RoundError``: ``out_of_order`` (before the freeze, or
    after the ceremony closed), ``round_published``, ``contributor_exists``,
    ``ceremony_invalid``."""
    row = _lock(db_session, round_pk)
    _require(row, State.FROZEN, step="an after-freeze contribution")
    _check_name(contributor)
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = b""
    if not raw or value != raw.hex() or len(raw) > 128:
        raise RoundError("ceremony_invalid", detail="a value is 1-128 bytes in lowercase hex")
    c = _new_contribution(db_session, row, contributor, now)
    c.value, c.revealed_at = value, now
    audit.append(db_session=db_session, actor=actor, action="ceremony_contributed", subject=_subject(row),
                 now=now, reason=f"{contributor}: {value}")
    db_session.commit()
    return c


def contribute_beacon(*, db_session: Session, actor: audit.Actor, round_pk: int, record: Mapping[str, Any],
                      now: datetime) -> RoundContribution:
    """Record the drand round named in the freeze statement as a contribution (its
    randomness), loaded from its published record (no network): the record is checked
    offline against the named chain and round (``seeding.check_record``: chain info,
    beacon round, randomness, BLS signature) before anything is stored. Raises
    ``RoundError``: ``ceremony_invalid`` (no beacon named, malformed record),
    ``beacon_invalid`` (a check failed, each named), and those of :func:`contribute`."""
    from seeding import BeaconRecordError, check_record, parse_record  # noqa: PLC0415

    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    named = json.loads(row.freeze_statement or "{}").get("beacon")
    if not isinstance(named, dict):
        raise RoundError("ceremony_invalid", detail=f"the freeze statement of {row.draw_id} names no beacon round")
    try:
        parsed = parse_record(dict(record))
    except BeaconRecordError as exc:
        raise RoundError("ceremony_invalid", detail=f"drand record: {exc}") from None
    report = check_record(parsed, chain=named["chain"], round_number=named["round"])
    if not report.valid:
        raise RoundError("beacon_invalid", detail="; ".join(f"{c.name}: {c.detail}" for c in report.failures))
    audit.append(db_session=db_session, actor=actor, action="ceremony_beacon_checked", subject=_subject(row),
                 now=now, reason=f"drand {named['chain']} round {parsed.round}: record sha256="
                 f"{hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()}")
    # Kept with the round and published beside its bundle (rounds/<round>/beacon.json), so
    # anyone re-checks the beacon offline; committed with the contribution below.
    row.beacon_record = json.dumps(record, sort_keys=True, ensure_ascii=False)
    return contribute(db_session=db_session, actor=actor, round_pk=round_pk, contributor=BEACON,
                      value=parsed.randomness.hex(), now=now)


def waive(*, db_session: Session, actor: audit.Actor, round_pk: int, contributor: str, reason: str,
          now: datetime) -> RoundContribution:
    """The notary's decision on a committed contributor who does not reveal: the commitment
    is left out of the seed, with the reason on record (and in the audit log). Raises
    ``RoundError``: ``out_of_order``, ``round_published``, ``contributor_not_found``,
    ``ceremony_invalid`` (no reason)."""
    row = _lock(db_session, round_pk)
    _require(row, State.FROZEN, step="waiving a reveal")
    c = db_session.scalar(select(RoundContribution).where(
        RoundContribution.round_id == row.id, RoundContribution.contributor == contributor))
    if c is None or c.commitment is None or c.value is not None:
        raise RoundError("contributor_not_found", detail=f"no unrevealed commitment of {contributor!r}")
    if not reason.strip():
        raise RoundError("ceremony_invalid", detail="a waiver needs the notary's reason")
    c.waived_reason = reason.strip()[:500]
    audit.append(db_session=db_session, actor=actor, action="ceremony_reveal_waived", subject=_subject(row),
                 now=now, reason=f"{contributor}: {c.waived_reason}")
    db_session.commit()
    return c


def close_ceremony(*, db_session: Session, actor: audit.Actor, round_pk: int, now: datetime) -> Round:
    """Close the ceremony and derive the seed. Every committed contributor must have
    revealed or been waived by the notary. Raises ``RoundError``: ``out_of_order``,
    ``round_published``, ``reveal_missing``, ``no_after_freeze_contribution``,
    ``no_contributions``."""
    row = _lock(db_session, round_pk)
    _require(row, State.FROZEN, step="closing the ceremony")
    rows = contributions_of(db_session=db_session, round_pk=row.id)
    missing = [c.contributor for c in rows if c.value is None and c.waived_reason is None]
    if missing:
        raise RoundError("reveal_missing", detail=", ".join(missing))
    # At least one value that did not exist at the freeze (the notary's live draw, the named
    # beacon round): without it, whoever knew the committed values knew the seed.
    if not any(c.commitment is None and c.value is not None for c in rows):
        raise RoundError("no_after_freeze_contribution", detail=row.draw_id)
    contributions = _seed_contributions(db_session, row)
    if not contributions:
        raise RoundError("no_contributions", detail=row.draw_id)
    seed = derive_seed(row.draw_id, bytes.fromhex(row.input_root or ""), contributions)
    row.seed, row.closed_at = seed.hex(), now
    _transition(db_session, actor, row, "ceremony_closed", State.READY, now=now, reason=f"seed={row.seed}")
    db_session.commit()
    return row


# --- run ---------------------------------------------------------------------------------


def run(*, db_session: Session, actor: audit.Actor, round_pk: int, now: datetime,
        reporter: Reporter | None = None, progress: Progress | None = None) -> Round:
    """Draw the round: compute everything in memory, then store the bundle and every
    applicant's entry and outcome in ONE transaction (a crash leaves the round ``ready``
    and nothing stored; running again gives byte-identical results). Raises
    ``RoundError``: ``out_of_order``, ``round_published``, ``inputs_changed`` (the stored
    inputs no longer give the frozen input root), ``inputs_invalid``."""
    row = _lock(db_session, round_pk)
    _require(row, State.READY, step="the run")
    policy, scenario = _frozen_inputs(row)
    steps, inputs = _steps_to(db_session, policy, _parse(scenario), row, reporter=reporter)
    if inputs.frozen is None:
        raise RoundError("inputs_changed", detail=f"the stored inputs of {row.draw_id} hold nobody to place")
    if inputs.frozen.root.hex() != row.input_root:
        raise RoundError("inputs_changed", detail=f"the stored inputs of {row.draw_id} give input root "
                         f"{inputs.frozen.root.hex()}, not the frozen {row.input_root}")
    try:
        record = steps.place(inputs, _seed_contributions(db_session, row))
    except (AllocationError, CeremonyError, lottery.InvalidBundle) as exc:
        raise RoundError("inputs_invalid", detail=str(exc)) from None
    bundle = record.bundle
    if bundle is None or bundle["ceremony"]["seed"] != row.seed:
        raise RoundError("inputs_changed", detail="the draw's seed is not the ceremony's seed")
    result = steps.result()
    (pub,) = round_publications(result, result.bundles(), only=row.round)
    rows = [{"round_id": row.id, "applicant": aid,
             "entry": None if (entry := pub.entries.get(aid)) is None else _dump(entry),
             "outcome": _dump(outcome)} for aid, outcome in sorted(pub.outcomes.items())]
    db_session.execute(delete(RoundResult).where(RoundResult.round_id == row.id))
    for start in range(0, len(rows), RESULT_CHUNK):
        chunk = rows[start:start + RESULT_CHUNK]
        db_session.execute(insert(RoundResult), chunk)
        if progress is not None:
            progress(start + len(chunk), len(rows))
    row.bundle = _dump(bundle)
    row.bundle_sha256 = _sha(row.bundle)
    row.schools_report = _dump(list(pub.schools))
    row.drawn_at = now
    _transition(db_session, actor, row, "round_drawn", State.DRAWN, now=now,
                reason=f"bundle sha256={row.bundle_sha256}")
    db_session.commit()
    return row


# --- signatures and publication --------------------------------------------------------


def _refuse_rehearsal(bundle: Mapping[str, Any]) -> None:
    draw_id = bundle.get("draw_id")
    if not isinstance(draw_id, str) or draw_id.startswith(lottery.REHEARSAL_PREFIX):
        raise RoundError("rehearsal_refused", detail=f"draw id {draw_id!r}")


def _pinned(db_session: Session, row: Round) -> dict[str, str]:
    """The keys the round was frozen with (the season's pinned keys then)."""
    keys = dict(row.keys or {})
    if set(keys) != set(SIGNERS):  # a round frozen before keys were pinned per season
        keys = season_keys(db_session=db_session, district=row.district, year=row.year, stage=row.stage)
    if set(keys) != set(SIGNERS):
        raise RoundError("keys_not_pinned", detail=f"{row.district}/{row.year}/{row.stage}")
    return keys


def _signature_entry(value: Any, signer: str, pinned: str, digest: bytes) -> dict[str, str]:
    """A bundle signature ``{"signer", "public_key", "signature"}`` by ``signer`` with the
    pinned key, checked before anything is stored. Raises ``RoundError``."""
    if not isinstance(value, Mapping) or not all(isinstance(value.get(k), str)
                                                  for k in ("signer", "public_key", "signature")):
        raise RoundError("signature_required", detail=f"a signature of {signer}: signer, public_key, signature")
    if value["signer"] != signer or value["public_key"].lower() != pinned:
        raise RoundError("key_mismatch", detail=f"signed by {value['signer']!r} with {value['public_key']}; "
                         f"the {signer} key pinned for this round is {pinned}")
    _check_signature(pinned, value["signature"].lower(), digest, f"the {signer}'s signature")
    return {"signer": signer, "public_key": pinned, "signature": value["signature"].lower()}


def sign(*, db_session: Session, actor: audit.Actor, round_pk: int, signature: Mapping[str, Any],
         now: datetime) -> Round:
    """Store the district's signature of the drawn bundle, made on the district's machine
    (``paiwei sign``): checked against the district key pinned for the round before it is
    stored. Raises ``RoundError``: ``out_of_order``, ``round_published``,
    ``rehearsal_refused``, ``keys_not_pinned``, ``signature_required``, ``key_mismatch``,
    ``signature_invalid``."""
    row = _lock(db_session, round_pk)
    _require(row, State.DRAWN, step="the district's signature")
    bundle = json.loads(row.bundle or "{}")
    _refuse_rehearsal(bundle)
    keys = _pinned(db_session, row)
    entry = _signature_entry(signature, DISTRICT, keys[DISTRICT], lottery.bundle_digest(bundle))
    row.bundle = _dump({**bundle, "signatures": [*bundle.get("signatures", []), entry]})
    _transition(db_session, actor, row, "round_signed", State.SIGNED, now=now,
                reason=f"district signature {entry['signature']}")
    db_session.commit()
    return row


def _unsigned_sha(bundle: Mapping[str, Any]) -> str:
    return _sha(_dump({**bundle, "signatures": []}))


def countersign(*, db_session: Session, actor: audit.Actor, round_pk: int,
                signature: Mapping[str, Any] | None = None, signed_bundle: Mapping[str, Any] | None = None,
                folder: Path | None = None, now: datetime) -> Round:
    """Store the notary's countersignature, made on the notary's machine (``paiwei notary
    countersign``): the signature alone, or the bundle countersigned elsewhere
    (``signed_bundle``, whose notary signature is taken). It is checked against the notary
    key pinned for the round, then the bundle must pass ``lottery.verify`` with both pinned
    keys trusted before the round is published. With ``folder`` the publication folder is
    written too (``paiwei.publication.publish_round``), before the commit: the database
    and the folder never disagree. Raises ``RoundError``: ``out_of_order``,
    ``round_published``, ``rehearsal_refused``, ``keys_not_pinned``, ``signature_required``,
    ``key_mismatch``, ``signature_invalid``, ``bundle_invalid``, ``publication_failed``."""
    row = _lock(db_session, round_pk)
    _require(row, State.SIGNED, step="the notary's countersignature")
    current = json.loads(row.bundle or "{}")
    _refuse_rehearsal(current)
    if signed_bundle is not None:
        _refuse_rehearsal(signed_bundle)
        if _unsigned_sha(signed_bundle) != row.bundle_sha256:
            raise RoundError("bundle_invalid", detail="the bundle handed in is not this round's draw")
        signature = next((s for s in signed_bundle.get("signatures", [])
                          if isinstance(s, Mapping) and s.get("signer") == NOTARY), None)
    if signature is None:
        raise RoundError("signature_required", detail="the notary's signature or the countersigned bundle")
    keys = _pinned(db_session, row)
    entry = _signature_entry(signature, NOTARY, keys[NOTARY], lottery.bundle_digest(current))
    bundle = {**current, "signatures": [*current.get("signatures", []), entry]}
    try:
        lottery.verify(bundle, {k: bytes.fromhex(v) for k, v in keys.items()})
    except lottery.VerificationError as exc:
        failed = [c.name for c in exc.report.checks if not c.ok]
        raise RoundError("bundle_invalid", detail=f"failed checks: {failed}") from None
    except (lottery.InvalidBundle, ValueError) as exc:
        raise RoundError("bundle_invalid", detail=str(exc)) from None
    row.bundle = _dump(bundle)
    row.published_sha256 = _sha(row.bundle)
    row.keys = keys
    row.published_at = now
    _transition(db_session, actor, row, "round_published", State.PUBLISHED, now=now,
                reason=f"bundle sha256={_sha(row.bundle)}")
    if folder is not None:
        db_session.flush()
        try:
            _publish_to_folder(db_session, row, folder, keys)
        except (PublicationError, OSError) as exc:
            db_session.rollback()
            raise RoundError("publication_failed", detail=str(exc)) from None
    db_session.commit()
    return row


def _publish_to_folder(db_session: Session, row: Round, folder: Path, keys: dict[str, str]) -> bool:
    """Write ``row`` into the folder, first recording the earlier rounds that held no draw
    (the folder's index must account for every round before this one)."""
    changed = _publish_empty_rounds(db_session, row, folder, through=False)
    return changed | publish_round(folder, season=season_of(db_session=db_session, row=row),
                                   publication=publication_of(db_session=db_session, row=row),
                                   keys=keys)


def _publish_empty_rounds(db_session: Session, row: Round, folder: Path, *, through: bool) -> bool:
    """Record in the folder's index the rounds before ``row`` (and ``row`` itself when
    ``through``) that held no draw because nobody was left to place."""
    season = season_of(db_session=db_session, row=row)
    changed = False
    for earlier in season_rounds(db_session=db_session, district=row.district, year=row.year,
                                 stage=row.stage):
        if earlier.position > row.position or (earlier.position == row.position and not through):
            break
        if earlier.state == State.EMPTY:
            changed |= publish_empty_round(folder, season=season, round_id=earlier.round,
                                           reason="nobody to place")
    return changed


def write_folder(*, db_session: Session, round_pk: int, folder: Path) -> bool:
    """Write a published round into the publication folder (again): for a round published
    through the API, or a copy on another server. Reads only; the writer refuses content
    that differs from what the folder holds. Returns whether anything changed. Raises
    ``RoundError``: ``out_of_order`` (not published), ``publication_failed``."""
    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    if row.state not in {State.PUBLISHED, State.EMPTY}:
        raise RoundError("out_of_order", detail=f"round {row.draw_id} is {row.state}, not published")
    try:
        if row.state == State.EMPTY:  # no bundle: the index records that no draw was held
            return _publish_empty_rounds(db_session, row, folder, through=True)
        return _publish_to_folder(db_session, row, folder, row.keys or {})
    except (PublicationError, OSError) as exc:
        raise RoundError("publication_failed", detail=str(exc)) from None


def season_of(*, db_session: Session, row: Round) -> Season:
    """The publication season of ``row``: every round of the policy's plan for the stage;
    the public result-key salt is derived from the season id (it is public anyway: it
    only confines guessing ids to one season)."""
    del db_session
    policy, _ = _frozen_inputs(row)
    salt = tagged_hash(SALT_TAG, f"{row.district}/{row.year}/{row.stage}".encode())[:16]
    return Season(district=row.district, year=row.year, stage=row.stage,
                  rounds=tuple(spec.id for spec in policy.plan(Stage(row.stage))), salt=salt,
                  title=policy.title)


def publication_of(*, db_session: Session, row: Round) -> RoundPublication:
    """The round's publication, rebuilt from what is stored."""
    entries: dict[str, Any] = {}
    outcomes: dict[str, Any] = {}
    for r in db_session.scalars(select(RoundResult).where(RoundResult.round_id == row.id)):
        outcomes[r.applicant] = json.loads(r.outcome)
        if r.entry is not None:
            entries[r.applicant] = json.loads(r.entry)
    bundle = json.loads(row.bundle or "{}")
    allocation = bundle.get("allocation", {})
    return RoundPublication(round=row.round, title=str(allocation.get("title", "")),
                            section=str(allocation.get("section", "")), draw_id=row.draw_id,
                            mechanism=str(bundle.get("mechanism")), bundle=bundle,
                            schools=json.loads(row.schools_report or "[]"), entries=entries,
                            outcomes=outcomes,
                            freeze_statement=json.loads(row.freeze_statement)
                            if row.freeze_statement else None,
                            beacon_record=json.loads(row.beacon_record) if row.beacon_record else None)


# --- listing and statistics ------------------------------------------------------------


def list_rounds(*, db_session: Session, district: str | None, year: int | None = None,
                stage: str | None = None) -> list[Round]:
    """Rounds in plan order (``district`` None: every district's). Reads only."""
    query = select(Round)
    if district is not None:
        query = query.where(Round.district == district)
    if year is not None:
        query = query.where(Round.year == year)
    if stage is not None:
        query = query.where(Round.stage == stage)
    return list(db_session.scalars(query.order_by(Round.district, Round.year, Round.stage, Round.position)))


def statistics(*, db_session: Session, round_pk: int) -> RoundStatistics:
    """A drawn round's statistics per school and zone: seats, listed, applied, admitted,
    direct or drawn, the cut-off, placed by choice rank, unplaced. Read from the stored
    bundle and schools' report. Raises ``RoundError``: ``round_not_found``, ``out_of_order``
    (not drawn yet: an empty round has none)."""
    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    if row.bundle is None or row.schools_report is None:
        raise RoundError("out_of_order", detail=f"round {row.draw_id} is {row.state}: no draw yet")
    bundle = json.loads(row.bundle)
    report = json.loads(row.schools_report)
    staged = json.loads(row.inputs or "{}").get("scenario") or {}
    zone_of = {str(sid): str(z["id"]) for z in staged.get("zones", []) if z.get("kind") == "multi-school"
               for sid in z["schools"]}
    choices_of = {a["id"]: a["choices"] for a in bundle["applicants"]}
    by_school: dict[str, dict[str, int]] = {}
    overall: dict[str, int] = {}
    unplaced_zone: dict[str | None, int] = {}
    placed = 0
    for a in bundle["assignments"]:
        mine = choices_of[a["applicant"]]
        if a["school"] is None:
            first = mine[0] if mine else None
            z = zone_of.get(first) if first is not None else None
            unplaced_zone[z] = unplaced_zone.get(z, 0) + 1
            continue
        placed += 1
        rank = str(mine.index(a["school"]) + 1)
        by_school.setdefault(a["school"], {})
        by_school[a["school"]][rank] = by_school[a["school"]].get(rank, 0) + 1
        overall[rank] = overall.get(rank, 0) + 1
    schools = [SchoolStatistics(round=row.round, school=r["school"], name=r["name"], zone=zone_of.get(r["school"]),
                                seats=r["seats"], listed=r["listed"], applied=r["applied"],
                                admitted=r["admitted"], mode=r["mode"], cutoff_priority=r["cutoff_priority"],
                                cutoff_ticket=r["cutoff_ticket"],
                                placed_by_choice=dict(sorted(by_school.get(r["school"], {}).items(),
                                                             key=lambda kv: int(kv[0]))))
               for r in report]
    zones: dict[str | None, ZoneStatistics] = {}
    for sc in schools:
        zs = zones.setdefault(sc.zone, ZoneStatistics(round=row.round, zone=sc.zone, seats=0, applied=0,
                                                      admitted=0, unplaced=unplaced_zone.get(sc.zone, 0)))
        zs.seats += sc.seats
        zs.applied += sc.applied
        zs.admitted += sc.admitted
    applicants = len(bundle["assignments"])
    return RoundStatistics(round=row.round, draw_id=row.draw_id, state=row.state, applicants=applicants,
                           placed=placed, unplaced=applicants - placed,
                           placed_by_choice=dict(sorted(overall.items(), key=lambda kv: int(kv[0]))),
                           schools=schools,
                           zones=sorted(zones.values(), key=lambda z: (z.zone is None, z.zone or "")))


STATISTICS_COLUMNS = ("round", "school", "name", "zone", "seats", "listed", "applied", "admitted", "mode",
                      "cutoff_priority", "cutoff_ticket", "placed_by_choice")


def statistics_csv(stats: Sequence[RoundStatistics]) -> str:
    """Per school of each round, as CSV (UTF-8 with a BOM, for spreadsheet software);
    ``placed_by_choice`` as ``1:12;2:3`` (choice rank: placed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(STATISTICS_COLUMNS)
    for st in stats:
        for sc in st.schools:
            writer.writerow([sc.round, sc.school, sc.name, sc.zone or "", sc.seats, sc.listed, sc.applied,
                             sc.admitted, sc.mode, "" if sc.cutoff_priority is None else sc.cutoff_priority,
                             sc.cutoff_ticket or "",
                             ";".join(f"{k}:{v}" for k, v in sc.placed_by_choice.items())])
    return "\ufeff" + buffer.getvalue()


# --- accounting ------------------------------------------------------------------------

_DISPOSITION_TEXT = {"no-list": "未填报本轮可参加的志愿", "placed-earlier": "已在此前轮次录取"}


def accounting_of(*, db_session: Session, round_pk: int) -> AccountingRead:
    """The round's accounting at its freeze (every applicant in it, or why not), with each
    rule's text. Raises ``RoundError``: ``round_not_found``, ``out_of_order`` (not frozen)."""
    from allocation import RULES  # noqa: PLC0415

    row = get_or_raise(db_session=db_session, round_pk=round_pk)
    if row.accounting is None:
        raise RoundError("out_of_order", detail=f"round {row.draw_id} is {row.state}: not frozen yet")
    doc = json.loads(row.accounting)
    rules = {r.code: r.text for r in RULES}
    others = [AccountEntry(**a, text=rules.get(a["rule"]) or _DISPOSITION_TEXT.get(a["disposition"], ""))
              for a in doc["others"]]
    return AccountingRead(round=doc["round"], counts=doc["counts"], others=others)


# --- result lookup ------------------------------------------------------------------------


def result_for(*, db_session: Session, applicant: str, published_only: bool = True) -> ResultDocument:
    """An applicant's result document (``paiwei-result/1``), built by the publication's one
    builder from the published rounds: the same document (and, through
    ``paiwei.publication.dump``, the same bytes) as the publication folder's result file.
    Staff (``published_only=False``) also see drawn rounds not yet published. Raises
    ``RoundError('result_not_published')``.

    Reads only the small columns of the rounds (never their inputs or bundles)."""
    query = (select(Round.round, Round.district, Round.year, Round.stage, Round.keys, Round.plan_rounds,
                    Round.published_sha256, Round.bundle_sha256, RoundResult.entry, RoundResult.outcome)
             .join(RoundResult, RoundResult.round_id == Round.id)
             .where(RoundResult.applicant == applicant).order_by(Round.year, Round.stage, Round.position))
    if published_only:
        query = query.where(Round.state == State.PUBLISHED)
    rows = db_session.execute(query).all()
    if not rows:
        raise RoundError("result_not_published")
    last = rows[-1]
    rows = [r for r in rows if (r.year, r.stage) == (last.year, last.stage)]  # the latest season
    entries = [round_entry(json.loads(r.entry), verify_ref(r.round, r.published_sha256 or r.bundle_sha256 or "",
                                                           r.keys or {}))
               for r in rows if r.entry is not None]
    settled = db_session.scalar(select(func.count(Round.id)).where(
        Round.district == last.district, Round.year == last.year, Round.stage == last.stage,
        Round.state.in_([State.PUBLISHED, State.EMPTY])))
    final = last.plan_rounds is not None and settled == last.plan_rounds
    return result_document(season=f"{last.district}/{last.year}/{last.stage}", applicant=applicant,
                           outcome=json.loads(last.outcome), rounds=entries, final=final)


def my_result(*, db_session: Session, user_id: int) -> ResultDocument:
    """The logged-in parent's own result, after publication only (manual §五)."""
    applicant = applicant_of_user(db_session=db_session, user_id=user_id)
    return result_for(db_session=db_session, applicant=applicant.pseudonym)


def round_results(*, db_session: Session, round_pk: int, after: str = "", limit: int = 1000,
                  ) -> list[dict[str, Any]]:
    """Staff: every applicant's entry and outcome in a drawn round, by applicant id."""
    get_or_raise(db_session=db_session, round_pk=round_pk)
    rows = db_session.scalars(select(RoundResult).where(
        RoundResult.round_id == round_pk, RoundResult.applicant > after)
        .order_by(RoundResult.applicant).limit(limit))
    return [{"applicant": r.applicant, "entry": None if r.entry is None else json.loads(r.entry),
             "outcome": json.loads(r.outcome)} for r in rows]


def published_seeds(*, db_session: Session, draw_ids: Sequence[str]) -> dict[str, str]:
    """Draw id -> seed (hex) of the published rounds among ``draw_ids``: public values that
    let a parent recompute their ticket in the browser."""
    rows = db_session.execute(select(Round.draw_id, Round.seed).where(
        Round.draw_id.in_(list(draw_ids)), Round.state == State.PUBLISHED)).all()
    return {r.draw_id: r.seed for r in rows if r.seed}


FROZEN_STATES = (State.FROZEN, State.READY, State.DRAWN, State.SIGNED, State.PUBLISHED)


def _leaf(record: Mapping[str, Any]) -> bytes:
    return tagged_hash("paiwei/v1/leaf", canonical_json(record))


def inclusion_proofs(*, db_session: Session, user_id: int) -> list[dict[str, Any]]:
    """The parent's own record in each frozen round of their district, with what proves it is
    in the round's published input root: its Merkle audit path (RFC 6962) among the
    applicants, the schools' root, and the round's signed freeze statement (public at
    ``GET /api/rounds/{id}/freeze-statement``). A browser recomputes the input root from
    these and compares it with the statement's, trusting nothing else from the server.

    Rounds in which the applicant takes no part are left out. Reads the frozen inputs and
    steps through the season up to each round (as the freeze did; no draw is run again). Raises ``RoundError``:
    ``out_of_order``, ``inputs_changed``, ``inputs_invalid``.
    """
    applicant = applicant_of_user(db_session=db_session, user_id=user_id)
    district = data.district_slug(applicant.district) or applicant.district
    rows = db_session.scalars(select(Round).where(
        Round.district == district, Round.state.in_(list(FROZEN_STATES)))
        .order_by(Round.year, Round.stage, Round.position)).all()
    out = []
    for row in rows:
        policy, scenario = _frozen_inputs(row)
        _, inputs = _steps_to(db_session, policy, _parse(scenario), row)
        frozen = inputs.frozen
        if frozen is None:
            continue
        records = sorted(frozen.applicants, key=lambda a: str(a["id"]))
        index = next((i for i, a in enumerate(records) if a["id"] == applicant.pseudonym), None)
        if index is None:
            continue
        leaves = [_leaf(a) for a in records]
        schools = sorted(frozen.schools, key=lambda s: str(s["id"]))
        spec = policy.rounds[Stage(row.stage)][row.position]
        out.append({
            "round": row.round, "title": spec.title, "round_pk": row.id, "draw_id": row.draw_id,
            "record": dict(records[index]), "index": index, "size": len(records),
            "path": [h.hex() for h in lottery.audit_path(leaves, index)],
            "schools": [dict(s) for s in schools],
            "schools_root": lottery.merkle_root([_leaf(s) for s in schools]).hex(),
            "freeze_statement": json.loads(row.freeze_statement or "{}"),
        })
    return out


def round_titles(*, rows: Sequence[Round]) -> dict[int, str]:
    """Round primary key -> the policy's Chinese title of that round (from the round's own
    staged or frozen policy text), for pages that list rounds."""
    out = {}
    for row in rows:
        try:
            policy = _policy(json.loads(row.inputs or "{}")["policy"])
            out[row.id] = policy.rounds[Stage(row.stage)][row.position].title
        except (KeyError, IndexError, ValueError, RoundError):
            out[row.id] = row.round
    return out
