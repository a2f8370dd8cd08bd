"""Commands registered by name and imported only when they run.

``paiwei --help`` lists every command, and ``paiwei verify`` needs the verifier only; neither
should pay for the web app, the database layer or NumPy that other commands use. The root
group therefore knows each command as a :class:`Lazy` entry (where to import it from, and
the one line it shows in the listing) and imports the module when that command is resolved.

A new command is one line in ``COMMANDS`` (``paiwei/cli/__init__.py``) and a module whose
top level imports only Typer and the standard library (plus ``paiwei.cli._common``); the
libraries a command needs are imported inside its function.
``tests/integration/test_cli_startup.py`` checks both: each listed line matches the
command's own help, and no command's ``--help`` imports the heavy libraries.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, ClassVar

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True, slots=True)
class Lazy:
    """A command imported when it runs: ``target`` is ``"module:attribute"``, either a
    ``typer.Typer`` (a command group) or a function (a single command); ``help`` is the
    line shown by ``paiwei --help`` (the first paragraph of the command's own help)."""

    target: str
    help: str

    def load(self, name: str) -> _click.Command:
        module_name, _, attribute = self.target.partition(":")
        obj = getattr(importlib.import_module(module_name), attribute)
        # A throwaway parent, so that Typer builds the command exactly as
        # ``app.add_typer(obj, name=name)`` or ``app.command(name)(obj)`` would.
        parent = typer.Typer(add_completion=False)
        parent.callback()(_no_options)
        if isinstance(obj, typer.Typer):
            parent.add_typer(obj, name=name)
        else:
            parent.command(name)(obj)
        group = typer.main.get_command(parent)
        if not isinstance(group, TyperGroup):  # pragma: no cover  (the callback makes a group)
            raise TypeError(f"{self.target}: Typer built no group around it")
        return group.commands[name]


def _no_options() -> None:
    """The throwaway parent's callback (it makes Typer build a group)."""


class LazyGroup(TyperGroup):
    """A Typer group whose commands (``lazy``, set by a subclass) load on first use."""

    lazy: ClassVar[dict[str, Lazy]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in self.lazy if n not in self.commands)]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        loaded = super().get_command(ctx, cmd_name)
        if loaded is not None or cmd_name not in self.lazy:
            return loaded
        entry = self.lazy[cmd_name]
        if self._listing:  # the listing needs a name and a line, not the module
            return TyperCommand(name=cmd_name, help=entry.help)
        command = entry.load(cmd_name)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        # TyperGroup suggests close matches among loaded commands only; offer every name.
        try:
            return self._click_resolve_command(ctx, args)
        except _click.exceptions.UsageError as exc:
            if args and (matches := get_close_matches(args[0], self.list_commands(ctx))):
                suggestions = ", ".join(repr(m) for m in matches)
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {suggestions}?"
            raise
