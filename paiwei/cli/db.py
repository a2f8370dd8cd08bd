"""``paiwei db``: the database schema (Alembic migrations), from any directory."""

from __future__ import annotations

import typer

from paiwei.cli._common import out

app = typer.Typer(help="The database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Migrate the database of PAIWEI_DATABASE_URL to the latest schema (idempotent)."""
    from paiwei.db import upgrade_to_head  # noqa: PLC0415
    from paiwei.settings import Settings  # noqa: PLC0415

    url = Settings().database_url
    upgrade_to_head(url)  # a bad URL or an unreachable server: one line and exit 2 (paiwei.cli.main)
    out.print("database schema is up to date", markup=False)
