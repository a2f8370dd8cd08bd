"""``paiwei draw run``: one draw from an inputs file, signed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from lottery import (
    InvalidBundle,
    Mechanism,
    freeze,
    load_private_key,
    run_draw,
    sign_bundle,
)
from paiwei.cli._common import err, fail, read_json_file
from paiwei.cli.ceremony import contribution_from_opening
from seeding import CeremonyError, Contribution, check_opening

app = typer.Typer(help="Run draws.", no_args_is_help=True)


def parse_contribution(text: str, draw_id: str) -> Contribution:
    """An opening file (committed contribution) or NAME=HEX (made after the freeze)."""
    path = Path(text)
    if path.exists():
        opened_for, c = contribution_from_opening(read_json_file(path))
        if opened_for != draw_id:
            raise CeremonyError(f"{path} opens a contribution to {opened_for!r}, not {draw_id!r}")
        check_opening(draw_id, c)
        return c
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise CeremonyError(f"--contribution {text!r}: not a file and not NAME=HEX")
    try:
        return Contribution(name, bytes.fromhex(value))
    except ValueError:
        raise CeremonyError(f"--contribution {name}: value is not hex") from None


def _signer(text: str) -> tuple[str, Path]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        fail(f"--sign takes NAME=KEY.pem, got {text!r}")
    return name, Path(path)


@app.command("run")
def run_command(
    inputs_path: Annotated[Path, typer.Argument(help="inputs: {draw_id, schools, applicants}")],
    contribution: Annotated[
        list[str], typer.Option("--contribution", help="opening file, or NAME=HEX; repeat")
    ],
    out_path: Annotated[Path, typer.Option("--out", help="where to write the bundle")],
    sign: Annotated[
        list[str] | None, typer.Option("--sign", help="NAME=KEY.pem to sign with; repeat")
    ] = None,
    mechanism: Annotated[
        Mechanism | None, typer.Option("--mechanism", help="overrides the inputs file")
    ] = None,
    passphrase: Annotated[
        bool, typer.Option("--passphrase", help="prompt for the signing keys' passphrase")
    ] = False,
) -> None:
    """Freeze the inputs, derive the seed, draw, and write the signed bundle."""
    inputs: Any = read_json_file(inputs_path)
    if not isinstance(inputs, dict) or not {"draw_id", "schools", "applicants"} <= inputs.keys():
        fail(f"{inputs_path}: inputs need draw_id, schools and applicants")
    try:
        chosen = mechanism or Mechanism(inputs.get("mechanism", "deferred-acceptance"))
    except ValueError:
        fail(f"{inputs_path}: unknown mechanism {inputs.get('mechanism')!r}")
    secret = typer.prompt("passphrase", hide_input=True).encode() if passphrase else None
    try:
        frozen = freeze(inputs["draw_id"], inputs["schools"], inputs["applicants"])
        contributions = [parse_contribution(c, frozen.draw_id) for c in contribution]
        bundle = run_draw(frozen, contributions, mechanism=chosen).bundle
        for name, key_path in map(_signer, sign or []):
            try:
                key = load_private_key(key_path.read_bytes(), secret)
            except OSError as exc:
                fail(f"{key_path}: cannot read: {exc.strerror}")
            bundle = sign_bundle(bundle, name, key)
    except (InvalidBundle, CeremonyError, ValueError) as exc:
        fail(str(exc))
    try:
        out_path.write_text(json.dumps(bundle, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")
    except OSError as exc:
        fail(f"{out_path}: cannot write: {exc.strerror}")
    err.print(
        f"wrote {out_path}: {frozen.table.size} applicants, seed {bundle['ceremony']['seed']}",
        markup=False,
    )
