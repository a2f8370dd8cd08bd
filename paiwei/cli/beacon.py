"""``paiwei beacon check RECORD.json``: one drand record checked offline.

Exit status: 0 valid, 1 invalid (a check failed, named), 2 unreadable or malformed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from paiwei.cli._common import fail, out

app = typer.Typer(help="Public randomness (drand beacon records), checked offline.", no_args_is_help=True)


@app.command("check")
def check_command(
    record: Annotated[Path, typer.Argument(help="a drand-record/1 file (chain information and one beacon)")],
    chain: Annotated[str | None, typer.Option(
        "--chain", help="the pinned chain hash (default: quicknet or the default chain)")] = None,
    round_number: Annotated[int | None, typer.Option("--round", help="the round the record must be")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a machine-readable report")] = False,
) -> None:
    """Check a beacon's chain, round, randomness and BLS signature, with no network."""
    from seeding import BeaconRecordError, check_record, parse_record  # noqa: PLC0415

    try:
        value = json.loads(record.read_bytes())
    except OSError as exc:
        fail(f"{record}: cannot read: {exc.strerror}")
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        fail(f"{record}: not valid JSON: {exc}")
    try:
        parsed = parse_record(value)
        report = check_record(parsed, chain=chain, round_number=round_number)
    except BeaconRecordError as exc:
        fail(f"{record}: malformed drand record: {exc}")
    except ImportError as exc:
        fail(str(exc))
    if as_json:
        out.print(json.dumps({
            "path": str(record), "valid": report.valid, "chain": parsed.chain_hash, "round": parsed.round,
            "randomness": parsed.randomness.hex(), "round_time": parsed.round_time(),
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in report.checks],
        }, ensure_ascii=False), markup=False)
    else:
        out.print(f"drand round {parsed.round} of chain {parsed.chain_hash} ({parsed.scheme})", markup=False)
        for c in report.checks:
            out.print(f"  {'ok  ' if c.ok else 'FAIL'} {c.name}" + (f": {c.detail}" if c.detail else ""),
                      markup=False)
        out.print(f"randomness {parsed.randomness.hex()}", markup=False)
        out.print("VALID" if report.valid else "INVALID: " + ", ".join(c.name for c in report.failures),
                  markup=False)
    raise typer.Exit(0 if report.valid else 1)
