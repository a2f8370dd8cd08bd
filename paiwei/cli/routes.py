"""``paiwei route``: route the verified applicants (eligibility, route, allowed schools)
and show the district's routes by zone (staff)."""

from __future__ import annotations

from typing import Annotated

import typer

from paiwei.cli._common import dump_json, fail, out

app = typer.Typer(help="Routing: eligibility, route and allowed schools (资格与片区).", no_args_is_help=True)

_NOT_READY = "the database is not ready: run `alembic upgrade head` (or `paiwei serve`) first"
District = Annotated[str, typer.Option("--district", help="district code, e.g. 110105")]
Year = Annotated[int, typer.Option("--year")]
StageOpt = Annotated[str, typer.Option("--stage", help="primary or junior")]
Json = Annotated[bool, typer.Option("--json", help="print JSON")]


def _check(district: str, stage: str) -> None:
    from paiwei import data  # noqa: PLC0415

    if data.district_slug(district) is None:
        fail(f"--district {district!r} is not a known district code (e.g. 110105)")
    if stage not in ("primary", "junior"):
        fail(f"--stage must be primary or junior, not {stage!r}")


@app.command("run")
def run_command(district: District, year: Year, stage: StageOpt = "primary", as_json: Json = False) -> None:
    """Route (again) every verified applicant with a routing record; list the undecided."""
    from sqlalchemy.exc import OperationalError, ProgrammingError  # noqa: PLC0415

    from paiwei.audit.service import Actor  # noqa: PLC0415
    from paiwei.choices import service  # noqa: PLC0415
    from paiwei.choices.errors import ChoiceError  # noqa: PLC0415
    from paiwei.db import make_engine, make_session_factory  # noqa: PLC0415
    from paiwei.settings import Settings, system_clock  # noqa: PLC0415

    _check(district, stage)
    engine = make_engine(Settings().database_url)
    try:
        with make_session_factory(engine)() as db_session:
            summary = service.route_district(db_session=db_session, actor=Actor(None, "operator"),
                                             district=district, year=year, stage=stage, now=system_clock())
    except ChoiceError as exc:
        fail(exc.line())
    except (OperationalError, ProgrammingError):
        fail(_NOT_READY)
    finally:
        engine.dispose()
    if as_json:
        out.print(dump_json(summary.model_dump(mode="json")), markup=False)
        return
    out.print(f"{summary.routed} applicant(s) routed for {district}/{year}/{stage}; "
              f"{len(summary.undecided)} undecided", markup=False)
    for u in summary.undecided:
        out.print(f"  {u.applicant}  {u.reason}  {u.text}", markup=False)


@app.command("show")
def show_command(district: District, year: Year, stage: StageOpt = "primary", as_json: Json = False) -> None:
    """The district's routes by zone, the ineligible by rule, and the undecided."""
    from sqlalchemy.exc import OperationalError, ProgrammingError  # noqa: PLC0415

    from paiwei.choices import service  # noqa: PLC0415
    from paiwei.db import make_engine, make_session_factory  # noqa: PLC0415
    from paiwei.settings import Settings  # noqa: PLC0415

    _check(district, stage)
    engine = make_engine(Settings().database_url)
    try:
        with make_session_factory(engine)() as db_session:
            read = service.routes(db_session=db_session, district=district, year=year, stage=stage)
    except (OperationalError, ProgrammingError):
        fail(_NOT_READY)
    finally:
        engine.dispose()
    if as_json:
        out.print(dump_json(read.model_dump(mode="json")), markup=False)
        return
    out.print(f"{read.routed} applicant(s) routed for {district}/{year}/{stage}", markup=False)
    for z in read.zones:
        routes = ", ".join(f"{k} {v}" for k, v in sorted(z.routes.items()))
        out.print(f"  zone {z.zone or '(none: district)'}: {z.applicants} ({routes})", markup=False)
    for i in read.ineligible:
        out.print(f"  ineligible {i.rule.code} ({i.rule.section}): {i.applicants}", markup=False)
    for u in read.undecided:
        out.print(f"  undecided {u.applicant}: {u.reason}", markup=False)
