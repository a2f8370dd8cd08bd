"""``paiwei sign``, ``paiwei sign-statement`` and ``paiwei notary countersign``: signatures
made on the signer's machine.

The private key file is read here, its passphrase prompted (or read from an environment
variable named with ``--passphrase-env``, for unattended runs; never an argument), and
only the signed bundle is written. Nothing is sent anywhere: the signed bundle, or the
signature it now carries, is what goes to the district's server.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from paiwei.cli._common import fail, out

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

notary_app = typer.Typer(help="The notary's own tools (run on the notary's machine).", no_args_is_help=True)

PassEnv = Annotated[str | None, typer.Option(
    "--passphrase-env", help="read the key's passphrase from this environment variable (default: prompt)")]


def load_key(path: Path, passphrase_env: str | None = None) -> Ed25519PrivateKey:
    """The Ed25519 private key in ``path``; an encrypted key's passphrase is prompted for
    (hidden), or read from ``passphrase_env``. Bad input: one line, exit 2."""
    from lottery import load_private_key  # noqa: PLC0415

    try:
        pem = path.read_bytes()
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror}")
    secret: bytes | None = None
    if passphrase_env:
        value = os.environ.get(passphrase_env)
        if not value:
            fail(f"environment variable {passphrase_env} is empty or unset")
        secret = value.encode("utf-8")
    elif b"ENCRYPTED" in pem:
        secret = typer.prompt(f"passphrase for {path}", hide_input=True).encode("utf-8")
    try:
        return load_private_key(pem, secret)
    except ValueError as exc:
        fail(f"{path}: not a usable Ed25519 private key (or a wrong passphrase): {exc}")


def _read_bundle(path: Path) -> dict[str, Any]:
    from lottery import InvalidBundle, parse_bundle  # noqa: PLC0415

    try:
        return parse_bundle(path.read_bytes())
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror}")
    except InvalidBundle as exc:
        fail(f"{path}: malformed bundle: {exc}")


def _write(bundle: dict[str, Any], path: Path) -> None:
    from lottery import canonical_json  # noqa: PLC0415

    try:
        path.write_bytes(canonical_json(bundle))
    except OSError as exc:
        fail(f"{path}: cannot write: {exc.strerror}")


# paiwei.rounds.service.FREEZE_FORMAT, here to recognise a draft without importing the service
FREEZE_FORMAT = "paiwei-freeze/1"


def _freeze_draft(path: Path) -> dict[str, Any] | None:
    """The file's freeze statement draft, or None when the file is something else (a bundle)."""
    try:
        value = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None  # _read_bundle says what is wrong with it
    return value if isinstance(value, dict) and value.get("format") == FREEZE_FORMAT else None


def _sign_freeze_draft(draft: dict[str, Any], name: str, key: Ed25519PrivateKey, path: Path) -> None:
    """The draft signed as ``paiwei sign-statement`` signs it (``rounds.service.sign_statement``)."""
    from paiwei.rounds.service import FREEZE_TAG, sign_statement  # noqa: PLC0415

    signed = sign_statement(draft, FREEZE_TAG, name, key)
    try:
        path.write_text(json.dumps(signed, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        fail(f"{path}: cannot write: {exc.strerror}")
    out.print(json.dumps(signed["signature"], ensure_ascii=False), markup=False)


def _add_signature(bundle: dict[str, Any], name: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    from lottery import sign_bundle  # noqa: PLC0415

    try:
        return sign_bundle(bundle, name, key)
    except ValueError as exc:
        fail(str(exc))


def sign_command(
    bundle: Annotated[Path, typer.Argument(help="the drawn bundle (JSON)")],
    key: Annotated[Path, typer.Option("--key", help="your Ed25519 private key (PEM)")],
    name: Annotated[str, typer.Option("--name", help="the signer's name in the bundle")] = "district",
    out_path: Annotated[Path | None, typer.Option("--out", help="default: sign BUNDLE in place")] = None,
    passphrase_env: PassEnv = None,
) -> None:
    """Sign a bundle with your key, here: the key never leaves this machine. Prints the
    signature to hand in (``POST /api/rounds/{id}/sign``).

    A freeze draft (``paiwei-freeze/1``, from ``GET /api/rounds/{id}/freeze-draft`` or the
    staff console) is signed as the freeze statement instead, and written whole: the file
    to hand in (``POST /api/rounds/{id}/freeze``, or the console's upload)."""
    private = load_key(key, passphrase_env)
    draft = _freeze_draft(bundle)
    if draft is not None:
        _sign_freeze_draft(draft, name, private, out_path or bundle)
        return
    signed = _add_signature(_read_bundle(bundle), name, private)
    _write(signed, out_path or bundle)
    out.print(json.dumps(signed["signatures"][-1], ensure_ascii=False), markup=False)


@notary_app.command("countersign")
def countersign_command(
    bundle: Annotated[Path, typer.Argument(help="the bundle signed by the district (JSON)")],
    key: Annotated[Path, typer.Option("--key", help="the notary's Ed25519 private key (PEM)")],
    trusted: Annotated[list[str] | None, typer.Option(
        "--trust", help="a key you trust as NAME=PUBLIC_KEY_HEX (the district's); repeat")] = None,
    keys: Annotated[list[Path] | None, typer.Option(
        "--keys", help="the season's key set (paiwei-keys/1)")] = None,
    name: Annotated[str, typer.Option("--name", help="the notary's name in the bundle")] = "notary",
    out_path: Annotated[Path | None, typer.Option("--out", help="default: countersign BUNDLE in place")] = None,
    passphrase_env: PassEnv = None,
) -> None:
    """Verify the bundle against the keys you trust, then countersign it with your key, here.

    Refuses (exit 1) unless the bundle verifies, every check passing, with the district's
    signature checked against a key you trust. Prints the signature to hand in
    (``POST /api/rounds/{id}/countersign``)."""
    from lottery import InvalidBundle, VerificationError, verify  # noqa: PLC0415
    from lottery._verifier import render_text, trusted_keys_from  # noqa: PLC0415

    try:
        trust = trusted_keys_from(trusted or [], [str(p) for p in keys or []])
    except OSError as exc:
        fail(f"cannot read key set: {exc.filename}: {exc.strerror}")
    except InvalidBundle as exc:
        fail(str(exc))
    trust.pop(name, None)  # the notary has not signed yet: check the others
    if not trust:
        fail("give the district's public key with --trust district=HEX or --keys FILE")
    document = _read_bundle(bundle)
    try:
        verify(document, trust)
    except InvalidBundle as exc:
        fail(f"{bundle}: malformed bundle: {exc}")
    except VerificationError as exc:
        out.print(render_text(exc.report), markup=False)
        fail(f"{bundle}: does not verify; not countersigned", code=1)
    private = load_key(key, passphrase_env)
    signed = _add_signature(document, name, private)
    _write(signed, out_path or bundle)
    out.print(json.dumps(signed["signatures"][-1], ensure_ascii=False), markup=False)


STATEMENT_KINDS = {"paiwei-freeze/1": "freeze", "paiwei-key-change/1": "key change"}


def sign_statement_command(
    statement: Annotated[Path, typer.Argument(
        help="the statement (JSON): a freeze draft (GET /api/rounds/{id}/freeze-draft) or a key change")],
    key: Annotated[Path, typer.Option("--key", help="your Ed25519 private key (PEM)")],
    name: Annotated[str, typer.Option("--name", help="the signer's name (the season's key set)")] = "district",
    out_path: Annotated[Path | None, typer.Option("--out", help="default: sign STATEMENT in place")] = None,
    passphrase_env: PassEnv = None,
) -> None:
    """Sign a freeze statement or a key change with your key, here: the key never leaves this
    machine. Writes the signed statement to hand in (``POST /api/rounds/{id}/freeze``)."""
    from lottery import canonical_json  # noqa: PLC0415
    from paiwei.rounds.service import FREEZE_TAG, KEY_CHANGE_TAG, sign_statement  # noqa: PLC0415

    try:
        document = json.loads(statement.read_bytes())
    except OSError as exc:
        fail(f"{statement}: cannot read: {exc.strerror}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{statement}: not valid JSON: {exc}")
    if not isinstance(document, dict) or document.get("format") not in STATEMENT_KINDS:
        fail(f"{statement}: not a statement to sign ({' or '.join(STATEMENT_KINDS)})")
    kind = STATEMENT_KINDS[document["format"]]
    tag = FREEZE_TAG if kind == "freeze" else KEY_CHANGE_TAG
    if kind == "key change" and document.get("signer") != name:
        fail(f"{statement}: a key change of {document.get('signer')!r} is signed by that signer's old key, "
             f"not as {name!r}")
    private = load_key(key, passphrase_env)
    try:
        signed = sign_statement(document, tag, name, private)
        data = canonical_json(signed)
    except (TypeError, ValueError) as exc:
        fail(f"{statement}: {exc}")
    target = out_path or statement
    try:
        target.write_bytes(data)
    except OSError as exc:
        fail(f"{target}: cannot write: {exc.strerror}")
    out.print(f"{kind} statement signed by {name} ({signed['signature']['public_key']}) -> {target}",
              markup=False)
