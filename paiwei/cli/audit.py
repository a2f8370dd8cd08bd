"""``paiwei audit``: check the hash-chained audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from paiwei.cli._common import fail, out

app = typer.Typer(help="The append-only audit log.", no_args_is_help=True)


@app.command("verify")
def verify_command(
    against: Annotated[Path | None, typer.Option(
        "--against", help="a publication folder: the log must hold every audit head its "
        "signed freeze statements published")] = None,
) -> None:
    """Recompute the hash chain of the audit log; exit 2 naming the first bad event."""
    # Imported here so that other commands (and ``paiwei verify``) start fast.
    from sqlalchemy.exc import OperationalError, ProgrammingError  # noqa: PLC0415

    from paiwei.audit.published import published_heads  # noqa: PLC0415
    from paiwei.audit.service import AuditChainError, check_published_head, verify  # noqa: PLC0415
    from paiwei.db import make_engine, make_session_factory  # noqa: PLC0415
    from paiwei.settings import Settings  # noqa: PLC0415

    settings = Settings()
    engine = make_engine(settings.database_url)
    heads = []
    try:
        if against is not None:
            heads = published_heads(against)
        with make_session_factory(engine)() as db_session:
            count = verify(db_session=db_session)
            for head in heads:
                check_published_head(db_session=db_session, seq=head.seq, digest=head.hash)
    except AuditChainError as exc:
        fail(f"audit log does not verify: {exc}")
    except (OperationalError, ProgrammingError):
        fail("the database is not ready: run `alembic upgrade head` (or `paiwei serve`) first")
    finally:
        engine.dispose()
    out.print(f"audit log OK: {count} events, hash chain intact")
    if against is not None:
        out.print(f"published heads OK: {len(heads)} freeze statements in {against} "
                  "name events the log still holds")
