"""``paiwei users``: staff accounts (street reviewers, district staff, notaries, auditors)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from paiwei.cli._common import fail, out

app = typer.Typer(help="Staff accounts.", no_args_is_help=True)


@app.command("create")
def create(
    username: Annotated[str, typer.Option("--username", help="login name (not a person's name)")],
    role: Annotated[str, typer.Option("--role", help="street_reviewer, district_staff, notary or auditor")],
    district: Annotated[str | None, typer.Option("--district", help="district code, e.g. 110105")] = None,
    street: Annotated[str | None, typer.Option("--street", help="street/area code (street reviewers)")] = None,
    password_env: Annotated[
        str | None, typer.Option("--password-env", help="read the password from this environment variable")
    ] = None,
) -> None:
    """Create a staff account; the password is prompted (or read from --password-env)."""
    # Imported here so that other commands (and ``paiwei verify``) start fast.
    from sqlalchemy.exc import OperationalError, ProgrammingError  # noqa: PLC0415

    from paiwei import data  # noqa: PLC0415
    from paiwei.accounts import service  # noqa: PLC0415
    from paiwei.accounts.models import STAFF_ROLES, Role  # noqa: PLC0415
    from paiwei.db import make_engine, make_session_factory  # noqa: PLC0415
    from paiwei.intake.errors import IntakeError  # noqa: PLC0415
    from paiwei.settings import Settings, system_clock  # noqa: PLC0415

    if role not in {r.value for r in STAFF_ROLES}:
        fail(f"role must be one of {', '.join(sorted(r.value for r in STAFF_ROLES))}")
    staff_role = Role(role)
    if staff_role in {Role.STREET_REVIEWER, Role.DISTRICT_STAFF} and (
        district is None or district not in data.codes("districts")
    ):
        fail("--district must be one of the 16 district codes (e.g. 110105)")
    if staff_role == Role.STREET_REVIEWER:
        known = {code for code, _ in data.streets_of(district or "")}
        if not street or (known and street not in known):
            fail("--street must be a street/area code of the district (see paiwei/data/)")
    if password_env:
        password = os.environ.get(password_env, "")
        if not password:
            fail(f"environment variable {password_env} is empty or unset")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as db_session:
            user_id = service.create_staff(
                db_session=db_session, settings=settings, username=username, role=staff_role,
                password=password, district=district, street=street, now=system_clock(),
            )
    except IntakeError as exc:
        fail(f"{exc.code}: {exc.title}")
    except (OperationalError, ProgrammingError):
        fail("the database is not ready: run `alembic upgrade head` (or `paiwei serve`) first")
    finally:
        engine.dispose()
    out.print(f"created {role} {username} (id {user_id})")
