"""``paiwei rehearse`` (模拟派位) and ``paiwei scenario generate``: a whole season from one file.

Bad input (an unreadable or malformed scenario, a policy that does not load, a bad
``--seed``) prints one line naming the field and the rule broken, exits 2 and
writes nothing.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Annotated

import typer

from paiwei.cli._common import err, fail, out

SEED_BYTES_MAX = 64
_HEX = re.compile(r"^(?:[0-9a-fA-F]{2})+$")

app = typer.Typer(help="Scenario files (paiwei-scenario/1 or /2).", no_args_is_help=True)


def parse_seed(text: str) -> bytes:
    """``--seed HEX``: 1 to 64 bytes in hex. Raises RehearsalInputError."""
    from paiwei.rehearsal import RehearsalInputError  # noqa: PLC0415

    if not _HEX.match(text) or len(text) // 2 > SEED_BYTES_MAX:
        raise RehearsalInputError(
            f"must be 1 to {SEED_BYTES_MAX} bytes in hex (an even number of 0-9a-f digits)",
            "--seed",
        )
    return bytes.fromhex(text)


def rehearse_command(
    scenario: Annotated[Path, typer.Argument(help="scenario file (paiwei-scenario/1 or /2 JSON)")],
    seed: Annotated[
        str | None,
        typer.Option(
            "--seed",
            help="rehearsal seed in hex (default: 32 fresh bytes from `secrets`, written in the output)",
        ),
    ] = None,
    runs: Annotated[
        int | None,
        typer.Option(
            "--runs",
            min=1,
            max=1_000_000,
            help="forecast over N rehearsals with different seeds (staff-only forecast.json)",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="output directory (default: var/rehearsal/NAME-SEED)"),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option("--policy", help="policy file (TOML) to run under instead of the scenario's"),
    ] = None,
    no_accel: Annotated[
        bool, typer.Option("--no-accel", help="do not use orjson or NumPy in the draws")
    ] = False,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="also write comparison.json: each drawn round under the other mechanism (staff-only analysis)",
        ),
    ] = False,
) -> None:
    """Rehearse a season (模拟派位): eligibility, routing and every round, in memory.

    Writes summary.json, applicants.json, schools.json and bundles/ROUND.json (signed
    with a throwaway key derived from the seed); with --runs, summary.json and the
    staff-only forecast.json instead. Exit status 2 on bad input, and nothing is written.
    """
    # Imported here so that `paiwei --help` stays fast (paiwei/cli/_lazy.py).
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from allocation import AllocationInputError  # noqa: PLC0415
    from lottery import InvalidBundle  # noqa: PLC0415
    from paiwei.rehearsal import (  # noqa: PLC0415
        RehearsalInputError,
        check_target,
        dump,
        dump_rows,
        forecast,
        load_scenario,
        rehearse,
        write_tree,
    )
    from paiwei.rehearsal.compare import comparison_report  # noqa: PLC0415

    try:
        chosen = parse_seed(seed) if seed is not None else secrets.token_bytes(32)
        source = "--seed" if seed is not None else "secrets"
        target = out_dir or Path("var/rehearsal") / f"{scenario.stem}-{chosen.hex()[:12]}"
        check_target(target)
        loaded = load_scenario(scenario, policy)
        if runs is None:
            result = rehearse(loaded, chosen, seed_source=source, accelerate=not no_accel)
            files = dict(result.files)
            if compare:
                files["comparison.json"] = dump(
                    comparison_report(result.result, accelerate=not no_accel)
                )
        else:
            with Progress(
                TextColumn("模拟派位 {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as bar:
                task = bar.add_task(loaded.path.name, total=runs)
                report = forecast(
                    loaded,
                    chosen,
                    runs,
                    on_run=lambda _i: bar.advance(task),
                    accelerate=not no_accel,
                )
            report["seed_source"] = source
            files = {
                "forecast.json": dump_rows("applicants", report.pop("applicants"), report),
                "summary.json": dump(
                    {
                        "format": report["format"],
                        "staff_only": True,
                        "note": report["note"],
                        "scenario": report["scenario"],
                        "policy": report["policy"],
                        "seed": report["seed"],
                        "seed_source": source,
                        "runs": runs,
                        "files": ["forecast.json"],
                    }
                ),
            }
        write_tree(target, files)
    except RehearsalInputError as exc:
        fail(str(exc))
    except (AllocationInputError, InvalidBundle) as exc:
        # the scenario does not fit its policy (e.g. a list longer than a round allows),
        # or a record lies outside the protocol's domain
        fail(f"{scenario}: {' '.join(str(exc).split())}")
    except OSError as exc:
        fail(f"{target}: cannot write: {exc.strerror}")
    if runs is not None:
        out.print(f"forecast of {runs} rehearsals (仅供内部分析) written to {target}/forecast.json")
        out.print(f"seed {chosen.hex()} ({source})")
        return
    s = result.summary
    held = [r for r in s["rounds"] if r["held"]]
    counts = s["counts"]
    out.print(f"rehearsal (模拟派位, not a real draw) written to {target}/")
    out.print(f"seed {s['seed']} ({source})")
    out.print(
        f"key {s['key']['signer']}={s['key']['public_key']} (throwaway, derived from the seed)"
    )
    out.print(
        f"{counts['applicants']} applicants: {counts['placed']} placed, "
        f"{counts['unplaced']} unplaced, {counts['ineligible']} not eligible; "
        f"{len(held)} of {len(s['rounds'])} rounds drew"
    )
    if held:
        out.print(
            f"check: paiwei verify {target}/bundles/*.json --key {s['key']['signer']}={s['key']['public_key']}"
        )


@app.command("generate")
def generate_command(
    out_file: Annotated[Path, typer.Option("--out", help="scenario file to write")],
    applicants: Annotated[
        int, typer.Option("--applicants", min=1, max=5_000_000, help="number of children")
    ] = 20_000,
    schools: Annotated[
        int, typer.Option("--schools", min=1, max=100_000, help="number of public schools")
    ] = 100,
    seed: Annotated[int, typer.Option("--seed", min=0, help="generator seed")] = 2024,
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False,
) -> None:
    """Write a synthetic Chaoyang-shaped district (primary stage) as a scenario file.

    An existing file is left alone when it already holds exactly this district, and
    otherwise refused unless --force."""
    from allocation import generate_district  # noqa: PLC0415
    from paiwei.rehearsal import RehearsalInputError, dump, write_file  # noqa: PLC0415

    try:
        data = generate_district(applicants, schools, seed=seed)
        text = dump(data)
        # The generator is deterministic: the same file again is not an overwrite.
        same = out_file.is_file() and out_file.read_bytes() == text
        if not same:
            write_file(out_file, text, force=force)
    except RehearsalInputError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{out_file}: cannot write: {exc.strerror}")
    err.print(
        f"{out_file}: {len(data['applicants'])} applicants, {len(data['schools'])} schools, "
        f"{len(data['zones'])} zones (synthetic, seed {seed})",
        markup=False,
    )
