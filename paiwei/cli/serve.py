"""``paiwei serve``: migrate the database, then serve the API with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from paiwei.settings import Settings


def serve_command(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    migrate: Annotated[bool, typer.Option("--migrate/--no-migrate", help="run alembic upgrade head first")] = True,
) -> None:
    """Serve the intake API (PAIWEI_DATABASE_URL, default an SQLite file under ./var/)."""
    # Imported here so that other commands (and ``paiwei --help``) stay fast.
    import uvicorn  # noqa: PLC0415

    from api.app import create_app  # noqa: PLC0415
    from paiwei.db import upgrade_to_head  # noqa: PLC0415

    settings = Settings()
    if migrate:
        upgrade_to_head(settings.database_url)
    # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 and
    # let each failed login claim a new address; the app believes it only from
    # PAIWEI_TRUSTED_PROXIES (api.deps.client_ip).
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=False)
