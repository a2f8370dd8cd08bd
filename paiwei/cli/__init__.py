"""The ``paiwei`` command: one Typer app, each command group in its own module."""

from __future__ import annotations

import typer
from rich.markup import escape

from paiwei.cli import (
    audit,
    beacon,
    ceremony,
    demo,
    draw,
    keys,
    plans,
    rehearse,
    serve,
    signing,
    users,
    verify,
)
from paiwei.cli import rounds as rounds_cli
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
app.command("verify-season")(verify.verify_season_command)
app.command("sign")(signing.sign_command)
app.add_typer(signing.notary_app, name="notary")
app.add_typer(beacon.app, name="beacon")
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
    raise SystemExit(code if isinstance(code, int) else 0)
