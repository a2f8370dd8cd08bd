"""What every command shares: one-line errors with exit code 2, private files, JSON output."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


class CliError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


def fail(message: str, code: int = 2) -> NoReturn:
    # The message may quote user text such as "[/x]": escape it, or rich reads it as markup.
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def write_private(path: Path, data: bytes) -> None:
    """Create ``path`` readable by its owner only (0600), refusing to overwrite."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fail(f"{path} exists; refusing to overwrite it")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def read_json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{path}: not valid JSON: {exc}")


def dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
