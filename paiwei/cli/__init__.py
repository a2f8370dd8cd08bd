"""The ``paiwei`` command: one Typer app, each command (or command group) in its own module.

Commands are registered by name in ``COMMANDS`` and imported only when they run (see
:mod:`paiwei.cli._lazy`), so that ``paiwei --help`` and ``paiwei verify`` start without
loading the web app, the database layer or NumPy. To add a command: write its module with
only Typer and the standard library at the top (import what the command needs inside its
function), then add one line here with the first line of its help.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from paiwei.cli._common import err
from paiwei.cli._lazy import Lazy, LazyGroup

# In the order ``paiwei --help`` lists them. A function is a command; a ``typer.Typer`` a group.
COMMANDS: dict[str, Lazy] = {
    "verify": Lazy(
        "paiwei.cli.verify:verify_command",
        "Recompute a bundle's input root, seed, tickets, assignments and signatures.",
    ),
    "verify-season": Lazy(
        "paiwei.cli.verify:verify_season_command",
        "Verify a whole season from its publication folder: every bundle, freeze statement, "
        "commitment and result file, nobody placed twice (the same code as "
        "``python -m lottery.season`` and ``python paiwei_verify.py season``).",
    ),
    "sign": Lazy(
        "paiwei.cli.signing:sign_command",
        "Sign a bundle with your key, here: the key never leaves this machine. Prints the "
        "signature to hand in (``POST /api/rounds/{id}/sign``).",
    ),
    "sign-statement": Lazy(
        "paiwei.cli.signing:sign_statement_command",
        "Sign a freeze statement or a key change with your key, here: the key never leaves this "
        "machine. Writes the signed statement to hand in (``POST /api/rounds/{id}/freeze``).",
    ),
    "notary": Lazy("paiwei.cli.signing:notary_app",
                   "The notary's own tools (run on the notary's machine)."),
    "beacon": Lazy("paiwei.cli.beacon:app",
                   "Public randomness (drand beacon records), checked offline."),
    "demo": Lazy(
        "paiwei.cli.demo:demo",
        "The whole season of both stages on the embedded SQLite default: intake through the "
        "API and in bulk, choices in their windows, every round with a ceremony, published, verified.",
    ),
    "serve": Lazy(
        "paiwei.cli.serve:serve_command",
        "Serve the API (PAIWEI_DATABASE_URL, default an SQLite file under ./var/) with "
        "PAIWEI_WORKERS uvicorn worker processes (default: one per CPU on PostgreSQL, one on "
        "SQLite), each running PAIWEI_THREADS threads for sync routes. Proxy headers are not "
        "read by uvicorn: the app believes X-Forwarded-For only from PAIWEI_TRUSTED_PROXIES.",
    ),
    "rehearse": Lazy(
        "paiwei.cli.rehearse:rehearse_command",
        "Rehearse a season (模拟派位): eligibility, routing and every round, in memory.",
    ),
    "ceremony": Lazy("paiwei.cli.ceremony:app", "Seed ceremony: commit and open contributions."),
    "keys": Lazy("paiwei.cli.keys:app", "Signing keys (Ed25519, PEM)."),
    "draw": Lazy("paiwei.cli.draw:app", "Run draws."),
    "users": Lazy("paiwei.cli.users:app", "Staff accounts."),
    "audit": Lazy("paiwei.cli.audit:app", "The append-only audit log."),
    "scenario": Lazy("paiwei.cli.rehearse:app", "Scenario files (paiwei-scenario/1 or /2)."),
    "schools": Lazy("paiwei.cli.plans:app", "A district's schools, zones and seats (学校招生计划)."),
    "windows": Lazy("paiwei.cli.windows:app", "Application windows (报名时间)."),
    "round": Lazy(
        "paiwei.cli.rounds:app", "Round lifecycle: create, freeze, ceremony, run, publish."
    ),
    "route": Lazy("paiwei.cli.routes:app", "Routing: eligibility, route and allowed schools (资格与片区)."),
    "db": Lazy("paiwei.cli.db:app", "The database schema."),
    "report": Lazy("paiwei.cli.report:app", "Printable reports (HTML and PDF)."),
}


class _Paiwei(LazyGroup):
    lazy = COMMANDS


app = typer.Typer(
    name="paiwei",
    help="paiwei (派位): auditable school-seat allocation lottery.",
    cls=_Paiwei,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    # A callback makes Typer build a group (with only lazy commands it would find none).
    pass


def main() -> None:
    """Entry point. A usage error (a missing option, a value Typer cannot convert) is bad
    input like any other: one line on stderr, exit 2, not a usage box."""
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        err.print("error: aborted", markup=False)
        raise SystemExit(1) from None
    except typer.TyperException as exc:  # Click's usage errors derive from it
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare group: show its help
            err.print(exc.format_message(), markup=False)
        else:
            hint = getattr(getattr(exc, "ctx", None), "command_path", "paiwei")
            err.print(
                f"[bold red]error:[/] {escape(hint)}: {escape(exc.format_message())}",
                soft_wrap=True,
            )
        raise SystemExit(exc.exit_code) from None
    except Exception as exc:
        # Database errors no command turned into its own line. SQLAlchemy is looked up, not
        # imported: a command that never loaded it cannot raise its errors, and `paiwei
        # --help` must not pay for importing it.
        sa = sys.modules.get("sqlalchemy.exc")
        if sa is None or not isinstance(exc, sa.SQLAlchemyError):
            raise
        if isinstance(exc, (sa.ArgumentError, sa.NoSuchModuleError)):  # not a usable URL
            err.print(f"[bold red]error:[/] database URL (PAIWEI_DATABASE_URL): "
                      f"{escape(str(exc).splitlines()[0])}", soft_wrap=True)
        else:
            err.print(f"[bold red]error:[/] database: {type(exc).__name__}: "
                      f"{escape(str(getattr(exc, 'orig', None) or exc).splitlines()[0])} "
                      "(is PAIWEI_DATABASE_URL right and the schema migrated? paiwei serve runs "
                      "the migrations)", soft_wrap=True)
        raise SystemExit(2) from None
    raise SystemExit(code if isinstance(code, int) else 0)
