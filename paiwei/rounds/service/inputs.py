"""A round's inputs: creation and staging, the scenario from the database, stepping the
season to a round, and the freeze (prepare, sign elsewhere, freeze)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

import lottery
from allocation import (
    SCENARIO_FORMAT,
    AllocationError,
    AllocationInputError,
    Policy,
    Reporter,
    RoundInputs,
    Scenario,
    SeasonSteps,
    Stage,
    draw_id_of,
    scenario_from_mapping,
)
from lottery import CanonicalError
from paiwei.audit import service as audit
from paiwei.choices.models import RoutingRecord
from paiwei.intake.models import Applicant, Status
from paiwei.rounds.errors import RoundError
from paiwei.rounds.models import Round, State
from paiwei.rounds.service.ceremony import (
    SIGNERS,
    _named_beacon,
    check_statement_signature,
    season_keys,
)
from paiwei.rounds.service.common import (
    DISTRICT,
    FREEZE_FORMAT,
    FREEZE_TAG,
    _dump,
    _lock,
    _parse,
    _policy,
    _require,
    _sha,
    _subject,
    _transition,
    contributions_of,
    district_code,
    get_or_raise,
    season_id,
    season_rounds,
)
from seeding import CeremonyError

InputSource = Literal["db", "file"]
"""Where a round's inputs come from: the database at the freeze, or a staged scenario file."""
DB: InputSource = "db"
FILE: InputSource = "file"


def _source(scenario: Mapping[str, Any] | None) -> InputSource:
    return DB if scenario is None else FILE


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
    code = district_code(policy.district)  # stored; the policy names the district by its slug
    existing = season_rounds(db_session=db_session, district=code, year=policy.year, stage=st)
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
        if previous.get("source") == FILE:  # a season from the database reads it again
            scenario = previous.get("scenario")
    staged = {"policy": policy_text, "scenario": _check_scenario(policy, st, scenario),
              "source": _source(scenario)}
    text = _dump(staged)
    row = Round(district=code, year=policy.year, stage=st.value, round=round_id,
                position=position, plan_rounds=len(plan), draw_id=draw_id_of(policy, st, round_id, rehearsal=False),
                state=State.CREATED, inputs=text, inputs_sha256=_sha(text), created_at=now)
    db_session.add(row)
    db_session.flush()
    audit.append(db_session=db_session, actor=actor, action="round_created", subject=_subject(row),
                 now=now, to_state=State.CREATED, reason=row.draw_id)
    db_session.commit()
    return row


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
    staged["source"] = _source(scenario)
    row.inputs = _dump(staged)
    row.inputs_sha256 = _sha(row.inputs)
    audit.append(db_session=db_session, actor=actor, action="round_inputs_staged", subject=_subject(row),
                 now=now, reason=f"sha256={row.inputs_sha256}")
    db_session.commit()
    return row


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
    from sqlalchemy.orm import selectinload  # noqa: PLC0415

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
    # the applicants with their guardians: their details join the routing record (issue 18)
    records = db_session.execute(
        select(Applicant, RoutingRecord.record)
        .join(RoutingRecord, RoutingRecord.applicant_id == Applicant.id)
        .where(RoutingRecord.year == policy.year, RoutingRecord.stage == stage.value,
               Applicant.status == Status.VERIFIED, Applicant.district.in_(codes))
        .options(selectinload(Applicant.guardians))
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
    try:  # the record with the applicant's details and findings joined (choices.routing_input_of)
        applicants = [{**choices.routing_input_of(a, record, stage.value), "id": a.pseudonym,
                       "choices": lists.get(a.pseudonym, {})}
                      for a, record in records]
    except ChoiceError as exc:
        raise RoundError("inputs_invalid", detail=exc.detail) from None
    # the routing records are checked in the current format (choices.rules), so read them in it
    return {"format": SCENARIO_FORMAT, "district": policy.district, "year": policy.year,
            "stage": stage.value, "schools": schools, "zones": zones, "applicants": applicants}


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
    """The stored frozen inputs, after checking their SHA-256 (``row.inputs_sha256``, which
    then keys the parsed scenario: ``_parse(scenario, row.inputs_sha256)``)."""
    if row.inputs is None or row.inputs_sha256 is None:
        raise RoundError("no_inputs", detail=row.draw_id)
    if _sha(row.inputs) != row.inputs_sha256:
        raise RoundError("inputs_changed", detail=f"the stored inputs of {row.draw_id} do not match "
                         "their recorded SHA-256")
    data = json.loads(row.inputs)
    return _policy(data["policy"]), data["scenario"]


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
    stored = {"policy": staged["policy"], "scenario": scenario, "source": staged.get("source", FILE)}
    try:
        text: str | None = _dump(stored)
    except CanonicalError:  # outside JSON's domain: the parse names the fault, as it always did
        text = None
    # The stored text's digest keys the parsed scenario: the freeze's other half, the
    # proofs, the run and the next rounds read the same text.
    steps, inputs = _steps_to(db_session, policy, _parse(scenario, None if text is None else _sha(text)), row)
    frozen = inputs.frozen
    if text is None:
        text = _dump(stored)
    # Every applicant accounted for; stored with the freeze (prepare_freeze rolls it back).
    row.accounting = _dump(steps.account(inputs).to_json())
    if frozen is None:
        return row, text, None
    keys = season_keys(db_session=db_session, district=row.district, year=row.year, stage=row.stage)
    if set(keys) != set(SIGNERS):
        raise RoundError("keys_not_pinned", detail=f"pin the district's and the notary's public keys for "
                         f"{season_id(row)} before the freeze")
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

