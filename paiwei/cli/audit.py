"""``paiwei audit``: check the hash-chained audit log."""

from __future__ import annotations

import typer

from paiwei.cli._common import fail, out

app = typer.Typer(help="The append-only audit log.", no_args_is_help=True)


@app.command("verify")
def verify_command() -> None:
    """Recompute the hash chain of the audit log; exit 2 naming the first bad event."""
    # Imported here so that other commands (and ``paiwei verify``) start fast.
    from sqlalchemy.exc import OperationalError, ProgrammingError  # noqa: PLC0415

    from paiwei.audit.service import AuditChainError, verify  # noqa: PLC0415
    from paiwei.db import make_engine, make_session_factory  # noqa: PLC0415
    from paiwei.settings import Settings  # noqa: PLC0415

    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as db_session:
            count = verify(db_session=db_session)
    except AuditChainError as exc:
        fail(f"audit log does not verify: {exc}")
    except (OperationalError, ProgrammingError):
        fail("the database is not ready: run `alembic upgrade head` (or `paiwei serve`) first")
    finally:
        engine.dispose()
    out.print(f"audit log OK: {count} events, hash chain intact")
