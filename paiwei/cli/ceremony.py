"""``paiwei ceremony``: commitments before the freeze, openings after it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from paiwei.cli._common import dump_json, fail, out, read_json_file, write_private
from seeding import CeremonyError, Contribution, check_opening, commit

app = typer.Typer(help="Seed ceremony: commit and open contributions.", no_args_is_help=True)


def contribution_from_opening(value: object) -> tuple[str, Contribution]:
    """An opening file's draw id and contribution. Raises CeremonyError on a bad file."""
    if not isinstance(value, dict):
        raise CeremonyError("an opening is a JSON object")
    try:
        contribution = Contribution(
            contributor=str(value["contributor"]),
            value=bytes.fromhex(value["value"]),
            nonce=bytes.fromhex(value["nonce"]),
            commitment=bytes.fromhex(value["commitment"]),
        )
        return str(value["draw_id"]), contribution
    except (KeyError, TypeError, ValueError) as exc:
        raise CeremonyError(f"opening lacks or garbles {exc}") from None


@app.command("commit")
def commit_command(
    draw_id: Annotated[str, typer.Option("--draw-id", help="the draw this contribution is for")],
    contributor: Annotated[
        str, typer.Option("--contributor", help="your name, unique in the draw")
    ],
    opening: Annotated[
        Path, typer.Option("--opening", help="where to keep the secret opening (0600)")
    ],
    value: Annotated[
        str | None, typer.Option("--value", help="your value as hex (default: 32 random bytes)")
    ] = None,
) -> None:
    """Make a contribution: print the commitment to publish, keep the opening secret."""
    try:
        raw = bytes.fromhex(value) if value is not None else None
    except ValueError:
        fail("--value must be hex")
    try:
        c = commit(draw_id, contributor, raw)
    except ValueError as exc:
        fail(str(exc))
    record = {"draw_id": draw_id, **c.to_json()}
    write_private(opening, (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode())
    out.print(
        dump_json(
            {"draw_id": draw_id, "contributor": contributor, "commitment": record["commitment"]}
        )
    )


@app.command("open")
def open_command(
    opening: Annotated[Path, typer.Argument(help="the opening file made by 'ceremony commit'")],
    commitment: Annotated[
        str | None, typer.Option("--commitment", help="the commitment published before the freeze")
    ] = None,
) -> None:
    """Check an opening against its commitment and print the contribution to reveal."""
    draw_id, c = _load(opening)
    try:
        published = bytes.fromhex(commitment) if commitment else None
        check_opening(draw_id, c, published)
    except ValueError as exc:
        fail(str(exc), code=1 if isinstance(exc, CeremonyError) else 2)
    out.print(dump_json({"draw_id": draw_id, **c.to_json()}))


def _load(path: Path) -> tuple[str, Contribution]:
    try:
        return contribution_from_opening(read_json_file(path))
    except CeremonyError as exc:
        fail(f"{path}: {exc}")
