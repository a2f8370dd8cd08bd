"""The ``paiwei`` command: one Typer app, each command group in its own module."""

from __future__ import annotations

import typer

from paiwei.cli import ceremony, demo, draw, keys, verify

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


def main() -> None:
    app()
