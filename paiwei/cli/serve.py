"""``paiwei serve``: migrate the database, then serve the API with uvicorn."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from paiwei.settings import Settings

APP_FACTORY = "api.app:app_from_environment"
WORKER_HEALTHCHECK_SECONDS = 60


def worker_count(settings: Settings) -> int:
    """``PAIWEI_WORKERS``, else one process per CPU on PostgreSQL and one on SQLite (a file
    database serialises writers; several processes only queue on its lock)."""
    if settings.workers is not None:
        return settings.workers
    if settings.database_url.startswith("sqlite"):
        return 1
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def serve_command(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    migrate: Annotated[bool, typer.Option("--migrate/--no-migrate", help="run alembic upgrade head first")] = True,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log",
                                             help="log one line per request")] = True,
) -> None:
    """Serve the API (PAIWEI_DATABASE_URL, default an SQLite file under ./var/) with
    PAIWEI_WORKERS uvicorn worker processes (default: one per CPU on PostgreSQL, one on
    SQLite), each running PAIWEI_THREADS threads for sync routes. Proxy headers are not
    read by uvicorn: the app believes X-Forwarded-For only from PAIWEI_TRUSTED_PROXIES."""
    # Imported here so that other commands (and ``paiwei --help``) stay fast.
    import uvicorn  # noqa: PLC0415

    from paiwei.db import upgrade_to_head  # noqa: PLC0415
    from paiwei.settings import Settings  # noqa: PLC0415

    settings = Settings()
    workers = worker_count(settings)
    if workers < 1:
        typer.echo(f"PAIWEI_WORKERS must be 1 or more, not {workers}", err=True)
        raise typer.Exit(2)
    if migrate:
        upgrade_to_head(settings.database_url)
    # Each worker process builds its own app (and engine, pool, result cache) from the
    # environment: uvicorn's factory mode. proxy_headers off: uvicorn would otherwise
    # believe X-Forwarded-For from 127.0.0.1 and let each failed login claim a new address;
    # the app believes it only from PAIWEI_TRUSTED_PROXIES (api.deps.client_ip).
    # The supervisor restarts a worker that does not answer its health check in time; on a
    # busy machine importing the app takes longer than uvicorn's default 5 s, and workers
    # were killed and restarted in a loop before they ever served.
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers,
                proxy_headers=False, log_level="info", access_log=access_log,
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS)
