"""``paiwei report …``: the printable reports as HTML and PDF side by side.

``protocol`` needs only public files (a bundle, its freeze statement); ``results`` and
``statistics`` only the publication folder; ``collection-form``, ``notices`` and
``receipt`` read the database (``PAIWEI_DATABASE_URL``) and hold personal data: write
them to a staff folder, never into the publication folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from paiwei.cli._common import fail, out, read_json_file
from paiwei.intake.errors import IntakeError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from reports import Rendered

app = typer.Typer(help="Printable reports (HTML and PDF).", no_args_is_help=True)
OutDir = Annotated[Path, typer.Option("--out", help="folder for the .html and .pdf files")]


def write(rendered: Rendered, out_dir: Path) -> list[Path]:
    """Write ``<name>.html`` and ``<name>.pdf`` into ``out_dir``; one line each."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        html, pdf = out_dir / f"{rendered.name}.html", out_dir / f"{rendered.name}.pdf"
        html.write_text(rendered.html, encoding="utf-8")
        pdf.write_bytes(rendered.pdf)
    except OSError as exc:
        fail(f"{exc.filename or out_dir}: cannot write: {exc.strerror}")
    out.print(f"{html}\n{pdf}", markup=False)
    return [html, pdf]


@contextmanager
def _session() -> Iterator[Session]:
    from paiwei.db import make_engine, make_session_factory  # noqa: PLC0415
    from paiwei.settings import Settings  # noqa: PLC0415

    engine = make_engine(Settings().database_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _object(path: Path, what: str) -> dict[str, Any]:
    value = read_json_file(path)
    if not isinstance(value, dict):
        fail(f"{path}: not a {what} (a JSON object expected)")
    return value


@app.command("protocol")
def protocol(
    bundle: Annotated[Path, typer.Argument(help="the round's signed bundle.json")],
    out_dir: OutDir,
    freeze_statement: Annotated[Path | None, typer.Option(
        "--freeze-statement", help="the round's signed freeze statement (paiwei-freeze/1)")] = None,
) -> None:
    """公证派位报告 of one draw, from its bundle and freeze statement alone (by default the
    freeze-statement.json beside the bundle; school names from the schools.json there)."""
    from paiwei.reporting.folder import protocol_from_files  # noqa: PLC0415
    from reports import ProtocolError, render_protocol  # noqa: PLC0415

    doc = _object(bundle, "draw bundle")
    if freeze_statement is None and (bundle.parent / "freeze-statement.json").is_file():
        freeze_statement = bundle.parent / "freeze-statement.json"
    statement = _object(freeze_statement, "freeze statement") if freeze_statement else None
    schools = bundle.parent / "schools.json"
    names = _object(schools, "schools report") if schools.is_file() else None
    try:
        values = protocol_from_files(doc, statement, names)
    except ProtocolError as exc:
        fail(str(exc))
    write(render_protocol(values), out_dir)


@app.command("collection-form")
def collection_form(
    account: Annotated[str, typer.Argument(help="the parent's 8-digit account number (采集表编号)")],
    out_dir: OutDir,
) -> None:
    """学龄人口信息采集表 of one verified applicant (personal data: staff folder only)."""
    from sqlalchemy import select  # noqa: PLC0415

    from paiwei.accounts.models import User  # noqa: PLC0415
    from paiwei.reporting import service  # noqa: PLC0415
    from paiwei.settings import Settings  # noqa: PLC0415
    from reports import render_collection_forms  # noqa: PLC0415

    settings = Settings()
    with _session() as db:
        user_id = db.scalar(select(User.id).where(User.login == account))
        if user_id is None:
            fail(f"no account {account}")
        try:
            form = service.collection_form(db_session=db, user_id=user_id, now=datetime.now(UTC),
                                           base_url=settings.public_base_url)
        except IntakeError as exc:
            fail(f"{account}: {exc.code}")
    write(render_collection_forms([form], name=f"collection-form-{account}"), out_dir)


def _folder_rounds(folder: Path) -> list[dict[str, Any]]:
    from paiwei.publication import PublicationError  # noqa: PLC0415
    from paiwei.reporting.folder import drawn_rounds  # noqa: PLC0415

    try:
        return drawn_rounds(folder)
    except (OSError, ValueError, KeyError, PublicationError) as exc:
        fail(f"{folder}: not a publication folder ({exc})")


@app.command("results")
def results(
    folder: Annotated[Path, typer.Argument(help="the publication folder")],
    out_dir: OutDir,
    round_id: Annotated[str | None, typer.Option("--round", help="only this round")] = None,
) -> None:
    """派位结果公示: each round's admitted applicants per school, by opaque id only."""
    from paiwei.reporting.folder import round_results  # noqa: PLC0415
    from reports.public import render_round_results  # noqa: PLC0415

    entries = [e for e in _folder_rounds(folder) if round_id in (None, e["round"])]
    if not entries:
        fail(f"{folder}: no published round {round_id or ''}".rstrip())
    for entry in entries:
        try:
            values = round_results(folder, entry)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            fail(f"{folder}: round {entry['round']}: {exc}")
        write(render_round_results(values), out_dir)


@app.command("statistics")
def statistics(
    folder: Annotated[Path, typer.Argument(help="the publication folder")],
    out_dir: OutDir,
    zones_from_db: Annotated[bool, typer.Option(
        "--zones-from-db", help="name the zones from the district's catalogue in the database")] = False,
) -> None:
    """派位统计: oversubscription by school and zone, placement by round and choice rank,
    unplaced by zone, as SVG charts."""
    from paiwei.reporting import folder as public  # noqa: PLC0415
    from paiwei.reporting.season import school_zones  # noqa: PLC0415
    from reports.public import render_statistics  # noqa: PLC0415

    _folder_rounds(folder)
    zones: dict[str, str] = {}
    if zones_from_db:
        with _session() as db:
            zones = school_zones(db)
    try:
        values = public.statistics(folder, zones)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        fail(f"{folder}: {exc}")
    write(render_statistics(values), out_dir)


@app.command("notices")
def notices(
    applicants: Annotated[list[str], typer.Argument(help="opaque applicant ids (派位编号)")],
    out_dir: OutDir,
) -> None:
    """入学通知书 for placed applicants of published rounds, one page each (personal data:
    staff folder only). Applicants not placed are named on stderr and skipped."""
    from paiwei.reporting import service  # noqa: PLC0415
    from reports.personal import render_notices  # noqa: PLC0415

    with _session() as db:
        try:
            values = service.notices(db_session=db, pseudonyms=applicants, now=datetime.now(UTC))
        except IntakeError as exc:
            fail(f"{exc.code}: {exc.detail or ''}".rstrip(": "))
    missing = sorted(set(applicants) - {n.applicant for n in values})
    if missing:
        out.print(f"no admission notice (not placed in a published round): {', '.join(missing)}", markup=False)
    if not values:
        fail("none of the applicants is placed in a published round")
    write(render_notices(values, name="notices"), out_dir)


@app.command("receipt")
def receipt(
    account: Annotated[str, typer.Argument(help="the parent's 8-digit account number")],
    out_dir: OutDir,
    kind: Annotated[str, typer.Option(help="private_boarding, zone or groups")] = "zone",
) -> None:
    """志愿回执: the locked choices, the receipt hash and how to check it."""
    from sqlalchemy import select  # noqa: PLC0415

    from paiwei.accounts.models import User  # noqa: PLC0415
    from paiwei.choices.errors import ChoiceError  # noqa: PLC0415
    from paiwei.reporting import service  # noqa: PLC0415
    from reports.personal import render_receipt  # noqa: PLC0415

    with _session() as db:
        user_id = db.scalar(select(User.id).where(User.login == account))
        if user_id is None:
            fail(f"no account {account}")
        try:
            values = service.receipt(db_session=db, user_id=user_id, kind=kind, now=datetime.now(UTC))
        except (ChoiceError, IntakeError) as exc:
            fail(f"{account}: {exc.code}")
    write(render_receipt(values, name=f"receipt-{kind}-{account}"), out_dir)


@app.command("season")
def season(
    folder: Annotated[Path, typer.Argument(help="the publication folder")],
    staff: Annotated[Path, typer.Option(help="folder for the reports with personal data")],
    sample: Annotated[int, typer.Option(min=0, help="forms and notices for this many portal parents")] = 3,
) -> None:
    """Every report of the published season: public ones into FOLDER/reports, the rest
    into --staff."""
    from paiwei.reporting.season import write_season_reports  # noqa: PLC0415
    from paiwei.settings import Settings  # noqa: PLC0415

    _folder_rounds(folder)
    with _session() as db:
        write_season_reports(db_session=db, folder=folder, staff=staff, now=datetime.now(UTC),
                             base_url=Settings().public_base_url, sample=sample, say=print)
