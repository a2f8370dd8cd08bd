"""``paiwei round``: the round lifecycle on the database.

create → freeze → ceremony (commit before the freeze; reveal, contribute, waive after
it; close-ceremony derives the seed) → run → publish (district signs, notary
countersigns, the bundle is verified, the publication folder written) → next round.
Every error is one line and exit status 2. ROUND is the round's number (``round
status`` lists them) or its draw id.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from paiwei.cli._common import dump_json, err, fail, out, read_json_file

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from sqlalchemy.orm import Session

    from paiwei.rounds.models import Round

app = typer.Typer(help="Round lifecycle: create, freeze, ceremony, run, publish.", no_args_is_help=True)

T = TypeVar("T")
PAUSE_ENV = "PAIWEI_TEST_PAUSE_AFTER_ROWS"
"""Test hook (the crash test): after this many result rows are written, inside the run's
still-open transaction, print a marker on stderr and sleep so the test can SIGKILL us."""

RoundArg = Annotated[str, typer.Argument(help="the round's number or draw id")]
PassEnv = Annotated[str | None, typer.Option(help="read the key's passphrase from this variable")]


@contextmanager
def _session() -> Iterator[Session]:
    from paiwei.db import make_engine, make_session_factory  # noqa: PLC0415
    from paiwei.settings import Settings  # noqa: PLC0415

    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _call(fn: Callable[[], T]) -> T:
    """Run a use case; any domain or database error is one line and exit 2."""
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from paiwei.choices.errors import ChoiceError  # noqa: PLC0415
    from paiwei.intake.errors import IntakeError  # noqa: PLC0415
    from paiwei.rounds.errors import RoundError  # noqa: PLC0415

    try:
        return fn()
    except RoundError as exc:
        fail(exc.line())
    except (ChoiceError, IntakeError) as exc:
        fail(f"{exc.title} [{exc.code}]")
    except SQLAlchemyError as exc:
        fail(f"database: {type(exc).__name__} (is the schema migrated? run 'paiwei serve' once "
             f"or 'alembic upgrade head')")


def _actor() -> Any:
    from paiwei.audit.service import Actor  # noqa: PLC0415

    return Actor(None, "cli")


def _now() -> Any:
    from paiwei.settings import system_clock  # noqa: PLC0415

    return system_clock()


def _round(db_session: Session, ref: str) -> Round:
    from sqlalchemy import select  # noqa: PLC0415

    from paiwei.rounds.models import Round  # noqa: PLC0415

    row = db_session.get(Round, int(ref)) if ref.isdigit() else db_session.scalar(
        select(Round).where(Round.draw_id == ref))
    if row is None:
        fail(f"no round {ref!r} (see 'paiwei round status')")
    return row


def _key(path: Path, passphrase_env: str | None) -> Ed25519PrivateKey:
    """The key is read (passphrase prompted) on this machine; only signatures go to the service."""
    from paiwei.cli.signing import load_key  # noqa: PLC0415

    return load_key(path, passphrase_env)


def _show(row: Round) -> None:
    out.print(f"round {row.id} {row.draw_id}: {row.state}"
              + (f" input_root={row.input_root}" if row.input_root else "")
              + (f" seed={row.seed}" if row.seed else ""), markup=False)


@app.command("plan-import")
def plan_import(
    plan: Annotated[Path, typer.Argument(help="the plan file: .csv (UTF-8) or .xlsx")],
    district: Annotated[str, typer.Option(help="the district's code (110105) or the policy's name (chaoyang)")],
    year: Annotated[int, typer.Option(help="the admission year")],
) -> None:
    """Import a district-year plan into the database (all rows or nothing)."""
    from paiwei.plans import PlanInvalid, read_plan  # noqa: PLC0415
    from paiwei.rounds import service  # noqa: PLC0415

    try:
        parsed = read_plan(plan)
    except OSError as exc:
        fail(f"{plan}: cannot read: {exc.strerror}")
    except PlanInvalid as exc:
        for issue in exc.issues:
            err.print(issue.line(str(plan)), markup=False, soft_wrap=True)
        fail(f"{plan}: {exc.bad_rows} bad rows, {len(exc.issues)} problems; nothing imported")
    with _session() as db:
        row = _call(lambda: service.import_plan(db_session=db, actor=_actor(), district=district,
                                                year=year, plan=parsed, now=_now()))
        out.print(f"plan {row.district}/{year}: {len(row.schools)} schools, {len(row.zones)} zones imported",
                  markup=False)


@app.command("create")
def create(
    stage: Annotated[str, typer.Option(help="primary or junior")] = "primary",
    policy: Annotated[str, typer.Option(help="a shipped policy name")] = "chaoyang-2024",
    policy_file: Annotated[Path | None, typer.Option(help="a policy TOML file instead")] = None,
    round_id: Annotated[str | None, typer.Option("--round", help="default: the next round")] = None,
    scenario: Annotated[Path | None, typer.Option(help="inputs as a paiwei-scenario/1 or /2 file; "
                                                  "default: from the database at the freeze")] = None,
) -> None:
    """Create the next round (or --round) of the policy's plan for the stage."""
    from allocation import shipped_policy_text  # noqa: PLC0415
    from paiwei.rounds import service  # noqa: PLC0415

    if policy_file is not None:
        try:
            text = policy_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{policy_file}: cannot read: {exc}")
    else:
        try:
            text = shipped_policy_text(policy)
        except (OSError, ValueError):
            fail(f"no shipped policy {policy!r}")
    mapping = read_json_file(scenario) if scenario is not None else None
    with _session() as db:
        row = _call(lambda: service.create(db_session=db, actor=_actor(), policy_text=text, stage=stage,
                                           round_id=round_id, scenario=mapping, now=_now()))
        _show(row)


@app.command("status")
def status(
    ref: Annotated[str | None, typer.Argument(help="a round (default: all)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show rounds and their state."""
    from sqlalchemy import select  # noqa: PLC0415

    from paiwei.rounds import service  # noqa: PLC0415
    from paiwei.rounds.models import Round  # noqa: PLC0415
    from paiwei.rounds.schemas import RoundRead  # noqa: PLC0415

    with _session() as db:
        rows = [_round(db, ref)] if ref else _call(
            lambda: list(db.scalars(select(Round).order_by(Round.year, Round.stage, Round.position))))
        if as_json:
            docs = []
            for r in rows:
                doc = RoundRead.model_validate(r, from_attributes=True).model_dump(mode="json")
                doc["contributions"] = [
                    {"contributor": c.contributor, "commitment": c.commitment, "value": c.value,
                     "waived_reason": c.waived_reason}
                    for c in service.contributions_of(db_session=db, round_pk=r.id)]
                docs.append(doc)
            out.print(dump_json(docs), markup=False)
            return
        if not rows:
            out.print("no rounds yet (paiwei round create)", markup=False)
        width = max((len(r.draw_id) for r in rows), default=0)
        for r in rows:  # plain lines: whole draw ids, whatever the terminal's width
            out.print(f"{r.id:>4}  {r.draw_id:<{width}}  {r.state:<9}  input_root={(r.input_root or '-')[:16]}"
                      f"  seed={(r.seed or '-')[:16]}", markup=False, overflow="ignore", crop=False)


@app.command("stats")
def stats(
    refs: Annotated[list[str], typer.Argument(help="drawn rounds (number or draw id)")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="write the per-school CSV here")] = None,
) -> None:
    """Statistics of drawn rounds per school and zone: seats, listed, applied, direct or
    drawn, cut-off, placed by choice rank, unplaced."""
    from paiwei.rounds import service  # noqa: PLC0415

    with _session() as db:
        read = []
        for ref in refs:
            pk = _round(db, ref).id
            read.append(_call(lambda: service.statistics(db_session=db, round_pk=pk)))  # noqa: B023  called at once
    if csv_out is not None:
        try:
            csv_out.write_text(service.statistics_csv(read), encoding="utf-8")
        except OSError as exc:
            fail(f"{csv_out}: cannot write: {exc.strerror}")
    if as_json:
        out.print(dump_json([r.model_dump(mode="json") for r in read]), markup=False)
        return
    for st in read:
        ranks = ", ".join(f"choice {k}: {v}" for k, v in st.placed_by_choice.items()) or "none"
        out.print(f"{st.draw_id} ({st.state}): {st.applicants} applicants, {st.placed} placed ({ranks}), "
                  f"{st.unplaced} unplaced", markup=False)
        for z in st.zones:
            out.print(f"  zone {z.zone or '(none)'}: {z.seats} seats, {z.applied} applied, {z.admitted} admitted, "
                      f"{z.unplaced} unplaced", markup=False)
    if csv_out is not None:
        out.print(f"per-school CSV written to {csv_out}", markup=False)


@app.command("inputs")
def inputs(ref: RoundArg, scenario: Annotated[Path, typer.Option(help="a paiwei-scenario/1 or /2 file")]) -> None:
    """Replace the staged inputs of a round that is not frozen yet."""
    from paiwei.rounds import service  # noqa: PLC0415

    mapping = read_json_file(scenario)
    with _session() as db:
        row = _round(db, ref)
        _show(_call(lambda: service.stage_inputs(db_session=db, actor=_actor(), round_pk=row.id,
                                                 scenario=mapping, now=_now())))


@app.command("commit")
def commit(
    ref: RoundArg,
    contributor: Annotated[str, typer.Option(help="the contributor's name")],
    commitment: Annotated[str, typer.Option(help="the commitment (hex) from 'paiwei ceremony commit'")],
) -> None:
    """Record a commitment (before the freeze only)."""
    from paiwei.rounds import service  # noqa: PLC0415

    with _session() as db:
        row = _round(db, ref)
        _call(lambda: service.record_commitment(db_session=db, actor=_actor(), round_pk=row.id,
                                                contributor=contributor, commitment=commitment, now=_now()))
        out.print(f"commitment of {contributor} recorded for {row.draw_id}", markup=False)


@app.command("pin-keys")
def pin_keys(
    ref: RoundArg,
    key: Annotated[list[str] | None, typer.Option("--key", help="NAME=PUBLIC_KEY_HEX for district and notary")] = None,
    keys: Annotated[Path | None, typer.Option("--keys", help="a key set file (paiwei-keys/1)")] = None,
) -> None:
    """Pin the season's public keys (district, notary) before its first freeze."""
    from lottery import InvalidBundle, key_set_fingerprint  # noqa: PLC0415
    from lottery._verifier import trusted_keys_from  # noqa: PLC0415
    from paiwei.rounds import service  # noqa: PLC0415

    try:
        given = trusted_keys_from(key or [], [str(keys)] if keys else [])
    except OSError as exc:
        fail(f"cannot read key set: {exc.filename}: {exc.strerror}")
    except InvalidBundle as exc:
        fail(str(exc))
    with _session() as db:
        row = _round(db, ref)
        pinned = _call(lambda: service.pin_keys(db_session=db, actor=_actor(), round_pk=row.id,
                                                keys={k: v.hex() for k, v in given.items()}, now=_now()))
        fingerprint = key_set_fingerprint({k: bytes.fromhex(v) for k, v in pinned.items()})
        out.print(f"{row.district}/{row.year}/{row.stage}: keys pinned, fingerprint {fingerprint}", markup=False)


@app.command("freeze")
def freeze(
    ref: RoundArg,
    key: Annotated[Path, typer.Option(help="the district's Ed25519 private key (PEM)")],
    passphrase_env: PassEnv = None,
    statement: Annotated[Path | None, typer.Option(help="also write the signed freeze statement here")] = None,
    beacon_chain: Annotated[str | None, typer.Option(help="the drand chain hash of --beacon-round")] = None,
    beacon_round: Annotated[int | None, typer.Option(
        help="name a drand round published after the freeze; its randomness will be a contribution")] = None,
) -> None:
    """Freeze the round's inputs: the freeze statement is signed here with the district's
    key, and the service checks it against the season's pinned district key."""
    from paiwei.rounds import signer  # noqa: PLC0415

    district_key = _key(key, passphrase_env)
    with _session() as db:
        row = _round(db, ref)
        beacon = None if beacon_round is None else {"chain": beacon_chain or "", "round": beacon_round}
        row = _call(lambda: signer.freeze(db_session=db, actor=_actor(), round_pk=row.id,
                                          district_key=district_key, now=_now(), beacon=beacon))
        if statement is not None and row.freeze_statement is not None:
            try:
                statement.write_text(dump_json(json.loads(row.freeze_statement)) + "\n", encoding="utf-8")
            except OSError as exc:
                fail(f"{statement}: cannot write: {exc.strerror}")
        _show(row)


@app.command("reveal")
def reveal(ref: RoundArg, opening: Annotated[Path, typer.Option(help="the opening file")]) -> None:
    """Reveal a committed contribution (after the freeze), checked against the commitment."""
    from paiwei.rounds import service  # noqa: PLC0415

    data = read_json_file(opening)
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str)
                                             for k in ("contributor", "nonce", "value")):
        fail(f"{opening}: not an opening file (contributor, nonce, value)")
    with _session() as db:
        row = _round(db, ref)
        _call(lambda: service.reveal(db_session=db, actor=_actor(), round_pk=row.id,
                                     contributor=data["contributor"], nonce=data["nonce"],
                                     value=data["value"], now=_now()))
        out.print(f"{data['contributor']} revealed for {row.draw_id}", markup=False)


@app.command("contribute")
def contribute(
    ref: RoundArg,
    contributor: Annotated[str, typer.Option(help="e.g. notary-live-draw")],
    value: Annotated[str | None, typer.Option(help="the value as hex")] = None,
    balls: Annotated[str | None, typer.Option(
        help="the notary's live draw: ball numbers in the order drawn, e.g. 3,17,42 "
             "(encoded as docs/draw-spec.md §8.1: UTF-8 of \"03 17 42\")")] = None,
) -> None:
    """Record an after-freeze contribution (a notary's live draw, a public beacon value)."""
    from paiwei.rounds import service  # noqa: PLC0415
    from seeding import balls_value, parse_balls  # noqa: PLC0415

    if (value is None) == (balls is None):
        fail("give the value as --value HEX or the live draw as --balls 3,17,42 (one of them)")
    hex_value = value or ""
    if balls is not None:
        try:
            hex_value = balls_value(parse_balls(balls)).hex()
        except ValueError as exc:
            fail(f"--balls: {exc}")
    with _session() as db:
        row = _round(db, ref)
        _call(lambda: service.contribute(db_session=db, actor=_actor(), round_pk=row.id,
                                         contributor=contributor, value=hex_value, now=_now()))
        out.print(f"{contributor} contributed to {row.draw_id}", markup=False)


@app.command("beacon")
def beacon_command(ref: RoundArg, record: Annotated[Path, typer.Argument(help="the drand-record/1 file")]) -> None:
    """Record the drand round named at the freeze, from its published record (checked offline)."""
    from paiwei.rounds import service  # noqa: PLC0415

    value = read_json_file(record)
    if not isinstance(value, dict):
        fail(f"{record}: a drand record is a JSON object")
    with _session() as db:
        row = _round(db, ref)
        c = _call(lambda: service.contribute_beacon(db_session=db, actor=_actor(), round_pk=row.id,
                                                    record=value, now=_now()))
        out.print(f"drand beacon checked; {c.contributor} contributed {c.value} to {row.draw_id}", markup=False)


@app.command("waive")
def waive(
    ref: RoundArg,
    contributor: Annotated[str, typer.Option(help="the committed contributor who did not reveal")],
    reason: Annotated[str, typer.Option(help="the notary's decision and reason")],
) -> None:
    """The notary's decision: leave an unrevealed commitment out of the seed, on record."""
    from paiwei.rounds import service  # noqa: PLC0415

    with _session() as db:
        row = _round(db, ref)
        _call(lambda: service.waive(db_session=db, actor=_actor(), round_pk=row.id,
                                    contributor=contributor, reason=reason, now=_now()))
        out.print(f"{contributor}'s reveal waived for {row.draw_id}", markup=False)


@app.command("close-ceremony")
def close_ceremony(ref: RoundArg) -> None:
    """Close the ceremony and derive the seed (every commitment revealed or waived)."""
    from paiwei.rounds import service  # noqa: PLC0415

    with _session() as db:
        row = _round(db, ref)
        _show(_call(lambda: service.close_ceremony(db_session=db, actor=_actor(), round_pk=row.id,
                                                   now=_now())))


@app.command("run")
def run(ref: RoundArg) -> None:
    """Draw the round. Atomic: interrupted, it leaves nothing and can simply be run again."""
    from rich.progress import Progress  # noqa: PLC0415

    from paiwei.rounds import service  # noqa: PLC0415

    pause = os.environ.get(PAUSE_ENV)
    pause_after = int(pause) if pause and pause.isdigit() else None
    with _session() as db, Progress(console=err, transient=True) as bar:
        row = _round(db, ref)
        task = bar.add_task(f"drawing {row.draw_id}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"storing {row.draw_id}")
            if pause_after is not None and done >= pause_after:
                print(f"paused after {done} rows", file=sys.stderr, flush=True)
                time.sleep(3600)

        row = _call(lambda: service.run(db_session=db, actor=_actor(), round_pk=row.id, now=_now(),
                                        progress=progress))
    _show(row)
    out.print(f"bundle sha256 {row.bundle_sha256}", markup=False)


@app.command("publish")
def publish(
    ref: RoundArg,
    district_key: Annotated[Path | None, typer.Option(help="the district's private key (PEM)")] = None,
    notary_key: Annotated[Path | None, typer.Option(help="the notary's private key (PEM)")] = None,
    bundle: Annotated[Path | None, typer.Option(help="a bundle countersigned elsewhere, "
                                                "instead of --notary-key")] = None,
    folder: Annotated[Path | None, typer.Option(help="write the publication folder here")] = None,
    district_passphrase_env: PassEnv = None,
    notary_passphrase_env: PassEnv = None,
) -> None:
    """Sign (district), countersign (notary), verify with both pinned keys, publish. The
    signatures are made here with the keys given; the service sees signatures only.

    With --folder the countersigned round is committed as publishing, then the folder is
    written and the round marked published; if that is interrupted, run this again with
    --folder (no keys needed) to finish the folder."""
    from paiwei.rounds import service, signer  # noqa: PLC0415
    from paiwei.rounds.models import State  # noqa: PLC0415

    signed = read_json_file(bundle) if bundle is not None else None
    if signed is not None and not isinstance(signed, dict):
        fail(f"{bundle}: a bundle is a JSON object")
    with _session() as db:
        row = _round(db, ref)
        if row.state == State.PUBLISHING:  # countersigned; the folder was not finished
            if folder is None:
                fail(f"round {row.draw_id} is publishing: give --folder to finish writing the publication folder")
            row = _call(lambda: service.publish(db_session=db, actor=_actor(), round_pk=row.id, folder=folder,
                                                now=_now()))
            _show(row)
            return
        if signed is None and notary_key is None:
            fail("give --notary-key or --bundle (countersigned by the notary)")
        if row.state == State.DRAWN:
            if district_key is None:
                fail("the round is drawn but not signed: give --district-key")
            dk = _key(district_key, district_passphrase_env)
            row = _call(lambda: signer.sign(db_session=db, actor=_actor(), round_pk=row.id,
                                            district_key=dk, now=_now()))
        if signed is None and notary_key is not None:
            nk = _key(notary_key, notary_passphrase_env)
            row = _call(lambda: signer.countersign(db_session=db, actor=_actor(), round_pk=row.id,
                                                   notary_key=nk, folder=folder, now=_now()))
        else:
            row = _call(lambda: service.countersign(db_session=db, actor=_actor(), round_pk=row.id,
                                                    signed_bundle=signed, folder=folder, now=_now()))
        _show(row)


@app.command("proofs")
def proofs_command(ref: RoundArg, folder: Annotated[Path, typer.Option(help="the publication folder")]) -> None:
    """Publish a frozen round's inclusion proofs (before the draw): one per applicant, beside
    the result files; a parent checks theirs with python -m lottery.proof."""
    from paiwei.rounds import service  # noqa: PLC0415

    with _session() as db:
        row = _round(db, ref)
        changed = _call(lambda: service.write_proofs(db_session=db, round_pk=row.id, folder=folder))
        out.print(f"{row.draw_id}: inclusion proofs -> {folder / 'proofs' / row.round}"
                  + ("" if changed else " (already there)"), markup=False)


@app.command("folder")
def folder_command(ref: RoundArg, folder: Annotated[Path, typer.Option(help="the publication folder")]) -> None:
    """Write a published round into a publication folder (idempotent; never overwrites)."""
    from paiwei.rounds import service  # noqa: PLC0415

    with _session() as db:
        row = _round(db, ref)
        changed = _call(lambda: service.write_folder(db_session=db, round_pk=row.id, folder=folder))
        out.print(f"{row.draw_id} -> {folder}" + ("" if changed else " (already there)"), markup=False)


@app.command("bundle")
def bundle_command(ref: RoundArg, out_path: Annotated[Path, typer.Option("--out")]) -> None:
    """Write the round's bundle (as stored: unsigned, signed or countersigned)."""
    with _session() as db:
        row = _round(db, ref)
        if row.bundle is None:
            fail(f"round {row.draw_id} is {row.state}: no bundle yet")
        try:
            out_path.write_bytes(row.bundle.encode("utf-8"))
        except OSError as exc:
            fail(f"{out_path}: cannot write: {exc.strerror}")
        out.print(f"{row.draw_id} ({row.state}) -> {out_path}", markup=False)
