"""The ``paiwei`` command: one Typer app, each command group in its own module."""

from __future__ import annotations

import typer
from rich.markup import escape

from paiwei.cli import audit, ceremony, db, demo, draw, keys, plans, rehearse, serve, users, verify
from paiwei.cli import rounds as rounds_cli
from paiwei.cli import routes as routes_cli
from paiwei.cli import windows as windows_cli
from paiwei.cli._common import err

app = typer.Typer(
    name="paiwei",
    help="paiwei (派位): auditable school-seat allocation lottery.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("verify")(verify.verify_command)
app.command("demo")(demo.demo)
app.add_typer(ceremony.app, name="ceremony")
app.add_typer(keys.app, name="keys")
app.add_typer(draw.app, name="draw")
app.add_typer(users.app, name="users")
app.add_typer(audit.app, name="audit")
app.command("serve")(serve.serve_command)
app.command("rehearse")(rehearse.rehearse_command)
app.add_typer(rehearse.app, name="scenario")
app.add_typer(plans.app, name="schools")
app.add_typer(windows_cli.app, name="windows")
app.add_typer(rounds_cli.app, name="round")
app.add_typer(routes_cli.app, name="route")
app.add_typer(db.app, name="db")


def main() -> None:
    """Entry point. A usage error (a missing option, a value Typer cannot convert) is bad
    input like any other: one line on stderr, exit 2, not a usage box."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError  # noqa: PLC0415

    try:
        code = app(standalone_mode=False)
    except (ArgumentError, NoSuchModuleError) as exc:  # PAIWEI_DATABASE_URL is not a usable URL
        err.print(f"[bold red]error:[/] database URL (PAIWEI_DATABASE_URL): {escape(str(exc).splitlines()[0])}",
                  soft_wrap=True)
        raise SystemExit(2) from None
    except SQLAlchemyError as exc:  # an operational error no command turned into its own line
        err.print(f"[bold red]error:[/] database: {type(exc).__name__}: "
                  f"{escape(str(getattr(exc, 'orig', None) or exc).splitlines()[0])} "
                  "(is PAIWEI_DATABASE_URL right and the schema migrated? paiwei serve runs the migrations)",
                  soft_wrap=True)
        raise SystemExit(2) from None
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
    raise SystemExit(code if isinstance(code, int) else 0)
