"""``paiwei keys``: Ed25519 signing keys for districts and notaries."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from paiwei.cli._common import fail, out, write_private

app = typer.Typer(help="Signing keys (Ed25519, PEM).", no_args_is_help=True)


@app.command("generate")
def generate(
    out_path: Annotated[Path, typer.Option("--out", help="where to write the private key (0600)")],
    name: Annotated[str, typer.Option("--name", help="the signer's name in bundles")] = "district",
    encrypt: Annotated[
        bool, typer.Option("--encrypt", help="protect the key with a passphrase (prompted)")
    ] = False,
    passphrase_env: Annotated[
        str | None,
        typer.Option("--passphrase-env", help="read the passphrase from this environment variable"),
    ] = None,
) -> None:
    """Generate a key; print the public key to publish as NAME=HEX."""
    from lottery import generate_key, private_key_pem, public_key_hex  # noqa: PLC0415

    passphrase: bytes | None = None
    if passphrase_env:
        value = os.environ.get(passphrase_env)
        if not value:
            fail(f"environment variable {passphrase_env} is empty or unset")
        passphrase = value.encode()
    elif encrypt:
        passphrase = typer.prompt("passphrase", hide_input=True, confirmation_prompt=True).encode()
    key = generate_key()
    write_private(out_path, private_key_pem(key, passphrase))
    out.print(f"{name}={public_key_hex(key)}")
