"""``paiwei schools import``: validate a district's plan (schools, zones, seats) from CSV or XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from paiwei.cli._common import err, fail

app = typer.Typer(
    help="A district's schools, zones and seats (学校招生计划).", no_args_is_help=True
)


@app.command("import")
def import_command(
    plan: Annotated[Path, typer.Argument(help="the plan file: .csv (UTF-8) or .xlsx")],
    out: Annotated[Path, typer.Option("--out", help="where to write the validated plan (JSON)")],
    force: Annotated[bool, typer.Option("--force", help="replace an existing --out file")] = False,
) -> None:
    """Validate PLAN and write it as JSON in the scenario format's school and zone records.

    Every row is checked on its own and against the others (duplicate school ids, a
    single-school zone with several schools, an unknown linked school, ...). When any
    row is bad, every problem is listed, one line each, nothing is written, and the
    exit status is 2. Columns (English or Chinese headers): school_id 学校代码, name
    学校名称, stage 学段, kind 办学类型, seats 学位数 (required); zone 片区, zone_type
    片区类型, zone_name 片区名称, area 所属片区, neighbours 相邻片区, group 分组,
    nine_year_link 九年一贯对口小学 (optional). See docs/publication.md.

    Storing the plan in the database (and the staff API's upload) comes with the
    database layer; until then the validated JSON is the import's output.
    """
    # Imported here so that `paiwei --help` stays fast (paiwei/cli/_lazy.py).
    from paiwei.plans import PlanInvalid, read_plan  # noqa: PLC0415
    from paiwei.publication._files import write_file  # noqa: PLC0415
    from paiwei.publication.writer import dump  # noqa: PLC0415

    try:
        parsed = read_plan(plan)
    except OSError as exc:
        fail(f"{plan}: cannot read: {exc.strerror}")
    except PlanInvalid as exc:
        for issue in exc.issues:
            err.print(issue.line(str(plan)), markup=False, soft_wrap=True)
        rows = f"{exc.bad_rows} bad rows" if exc.bad_rows else "the file is not a valid plan"
        fail(f"{plan}: {rows}, {len(exc.issues)} problems; nothing imported")
    if out.exists() and not force:
        fail(f"{out} exists; refusing to overwrite it (use --force)")
    try:
        write_file(out, dump(parsed.to_mapping()))
    except OSError as exc:
        fail(f"{out}: cannot write: {exc.strerror}")
    zones = len(parsed.zones)
    seats = sum(s.seats for s in parsed.schools)
    typer.echo(f"{len(parsed.schools)} schools, {zones} zones, {seats} seats -> {out}")
