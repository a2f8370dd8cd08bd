"""``paiwei windows``: application windows (staff): load from the policy's timetable, list, extend."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from paiwei.cli._common import fail, out

app = typer.Typer(help="Application windows (报名时间).", no_args_is_help=True)

_NOT_READY = "the database is not ready: run `alembic upgrade head` (or `paiwei serve`) first"


@app.command("load")
def load_command(
    name: Annotated[str, typer.Option(
        "--policy", help="a shipped policy (e.g. chaoyang-2024) or the path of a policy .toml file")] = "chaoyang-2024",
) -> None:
    """Load the windows of a policy's timetable (windows already loaded are kept)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError  # noqa: PLC0415

    from paiwei.audit.service import Actor  # noqa: PLC0415
    from paiwei.db import make_engine, make_session_factory  # noqa: PLC0415
    from paiwei.settings import Settings, system_clock  # noqa: PLC0415
    from paiwei.windows import service  # noqa: PLC0415

    try:
        if name.endswith(".toml"):
            windows = service.windows_from_policy(Path(name).read_text(encoding="utf-8"), Path(name).stem)
        else:
            windows = service.shipped_windows(name)
    except OSError as exc:
        fail(f"{name}: cannot read: {exc.strerror}")
    except (service.WindowFileError, UnicodeDecodeError) as exc:
        fail(f"{name}: {exc}")
    engine = make_engine(Settings().database_url)
    try:
        with make_session_factory(engine)() as db_session:
            added = service.load(db_session=db_session, windows=windows, actor=Actor(None, "operator"),
                                 now=system_clock())
    except (OperationalError, ProgrammingError):
        fail(_NOT_READY)
    finally:
        engine.dispose()
    out.print(f"{added} window(s) loaded for {windows.district}/{windows.year}")


@app.command("list")
def list_command(
    district: Annotated[str, typer.Option("--district", help="district code, e.g. 110105")],
    year: Annotated[int | None, typer.Option("--year")] = None,
) -> None:
    """List a district's windows (Beijing time), with extensions."""
    from sqlalchemy.exc import OperationalError, ProgrammingError  # noqa: PLC0415

    from paiwei.db import make_engine, make_session_factory  # noqa: PLC0415
    from paiwei.settings import Settings, system_clock  # noqa: PLC0415
    from paiwei.windows import service  # noqa: PLC0415

    engine = make_engine(Settings().database_url)
    now = system_clock()
    try:
        with make_session_factory(engine)() as db_session:
            rows = service.list_windows(db_session=db_session, district=district, year=year)
            lines = []
            for w in rows:
                opens = w.opens_at.astimezone(service.BEIJING).strftime("%Y-%m-%d %H:%M")
                closes = w.closes_at.astimezone(service.BEIJING).strftime("%Y-%m-%d %H:%M")
                state = "open" if service.is_open(w, now) else "closed"
                extended = " (extended)" if w.closes_at != w.scheduled_closes_at else ""
                lines.append(f"{w.id}  {w.year}  {w.kind}  {opens} – {closes} +08:00{extended}  {state}")
    except (OperationalError, ProgrammingError):
        fail(_NOT_READY)
    finally:
        engine.dispose()
    if not lines:
        out.print(f"no windows for district {district}", markup=False)
    for line in lines:
        out.print(line, markup=False)


@app.command("extend")
def extend_command(
    window_id: Annotated[int, typer.Option("--id", help="window id (see `paiwei windows list`)")],
    until: Annotated[str, typer.Option("--until", help="new close, ISO 8601 with offset, e.g. 2024-06-10T12:00+08:00")],
    reason: Annotated[str, typer.Option("--reason", help="why (recorded in the audit log)")],
) -> None:
    """Extend an open window to a later close; the reason goes to the audit log."""
    from sqlalchemy.exc import OperationalError, ProgrammingError  # noqa: PLC0415

    from paiwei.audit.service import Actor  # noqa: PLC0415
    from paiwei.choices.errors import ChoiceError  # noqa: PLC0415
    from paiwei.db import make_engine, make_session_factory  # noqa: PLC0415
    from paiwei.settings import Settings, system_clock  # noqa: PLC0415
    from paiwei.windows import service  # noqa: PLC0415

    try:
        closes_at = datetime.fromisoformat(until)
    except ValueError:
        fail(f"--until {until!r} is not an ISO 8601 date-time")
    if closes_at.tzinfo is None:
        fail("--until needs a UTC offset, e.g. 2024-06-10T12:00+08:00")
    engine = make_engine(Settings().database_url)
    try:
        with make_session_factory(engine)() as db_session:
            window = service.extend(db_session=db_session, actor=Actor(None, "operator"), district=None,
                                    window_id=window_id, closes_at=closes_at, reason=reason,
                                    now=system_clock())
            closes = window.closes_at.astimezone(service.BEIJING).strftime("%Y-%m-%d %H:%M")
            kind = window.kind
    except ChoiceError as exc:
        fail(f"{exc.code}: {exc.title}")
    except (OperationalError, ProgrammingError):
        fail(_NOT_READY)
    finally:
        engine.dispose()
    out.print(f"window {window_id} ({kind}) now closes {closes} +08:00")
