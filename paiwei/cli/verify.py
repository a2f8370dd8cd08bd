"""``paiwei verify``: the notary's verifier (the same code as ``python -m lottery.verify``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def verify_command(
    bundles: Annotated[list[Path], typer.Argument(help="draw bundle files (JSON)")],
    key: Annotated[
        list[str] | None,
        typer.Option("--key", help="trusted signer as NAME=PUBLIC_KEY_HEX; repeat for each"),
    ] = None,
    keys: Annotated[
        list[Path] | None,
        typer.Option("--keys", help="a key set file (paiwei-keys/1: the publication's keys.json)"),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print a machine-readable report")
    ] = False,
    no_accel: Annotated[
        bool, typer.Option("--no-accel", help="do not use orjson or NumPy even when installed")
    ] = False,
) -> None:
    """Recompute a bundle's input root, seed, tickets, assignments and signatures.

    Only signatures by keys you trust count: give them with --key or --keys. Without
    any, nothing is VALID. Signers you did not name are listed as not checked.
    Exit status: 0 valid, 1 invalid (a check failed), 2 unreadable or malformed.
    """
    from lottery._verifier import run  # noqa: PLC0415  (paiwei/cli/_lazy.py: start-up)

    code = run([str(p) for p in bundles], key or [], as_json=as_json, accelerate=not no_accel,
               key_files=[str(p) for p in keys or []])
    raise typer.Exit(code)


def verify_season_command(
    folder: Annotated[Path, typer.Argument(help="the publication folder")],
    key: Annotated[list[str] | None, typer.Option("--key", help="trusted signer as NAME=PUBLIC_KEY_HEX")] = None,
    keys: Annotated[list[Path] | None, typer.Option("--keys", help="a key set file (paiwei-keys/1)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a machine-readable report")] = False,
) -> None:
    """Verify a whole season from its publication folder: every bundle, freeze statement,
    commitment and result file, nobody placed twice (the same code as
    ``python -m lottery.season`` and ``python paiwei_verify.py season``).

    Exit status: 0 valid, 1 invalid (each failed check named), 2 unreadable or malformed.
    """
    from lottery._season import main  # noqa: PLC0415

    argv = [str(folder)] + [f"--key={k}" for k in key or []] + [f"--keys={p}" for p in keys or []]
    raise typer.Exit(main([*argv, *(["--json"] if as_json else [])]))
