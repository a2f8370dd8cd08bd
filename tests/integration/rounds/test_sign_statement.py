"""``paiwei sign-statement``: the district signs a freeze statement (or a key change) on its
own machine; the signed statement is what the service checks against the pinned key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lottery import private_key_pem, public_key_hex
from paiwei.cli import app as cli
from paiwei.rounds import service
from paiwei.rounds.errors import RoundError
from tests.integration.rounds.helpers import key

DRAFT = {"format": "paiwei-freeze/1", "draw_id": "chaoyang/2024/primary/private-boarding",
         "input_root": "ab" * 32, "applicants": 3, "commitments": [],
         "keys": {"district": public_key_hex(key(1)), "notary": public_key_hex(key(2))}}


def _cli(*args: str | Path, stdin: str | None = None) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args], input=stdin)


def test_a_freeze_draft_signed_here_is_what_the_service_checks(tmp_path: Path) -> None:
    (tmp_path / "district.pem").write_bytes(private_key_pem(key(1), b"d-pass"))
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps(DRAFT), encoding="utf-8")
    wrong = _cli("sign-statement", draft, "--key", tmp_path / "district.pem", stdin="nope\n")
    assert wrong.exit_code == 2 and "Traceback" not in wrong.output
    assert json.loads(draft.read_bytes()) == DRAFT  # nothing written
    done = _cli("sign-statement", draft, "--key", tmp_path / "district.pem", "--out", tmp_path / "signed.json",
                stdin="d-pass\n")
    assert done.exit_code == 0, done.output
    assert f"freeze statement signed by district ({public_key_hex(key(1))})" in done.output
    signed = json.loads((tmp_path / "signed.json").read_bytes())
    # Ed25519 is deterministic: the same statement the service's own signer makes.
    assert signed == service.sign_statement(DRAFT, service.FREEZE_TAG, "district", key(1))
    service.check_statement_signature(signed, service.FREEZE_TAG, "district", public_key_hex(key(1)))
    with pytest.raises(RoundError) as caught:  # changed after signing: refused
        service.check_statement_signature({**signed, "applicants": 4}, service.FREEZE_TAG, "district",
                                          public_key_hex(key(1)))
    assert caught.value.code == "signature_invalid"
    # Signing again in place replaces the signature (it is not part of what is signed).
    again = _cli("sign-statement", tmp_path / "signed.json", "--key", tmp_path / "district.pem", stdin="d-pass\n")
    assert again.exit_code == 0 and json.loads((tmp_path / "signed.json").read_bytes()) == signed


def test_a_key_change_is_signed_by_its_signer(tmp_path: Path) -> None:
    (tmp_path / "notary.pem").write_bytes(private_key_pem(key(2)))
    change = {"format": "paiwei-key-change/1", "season": "chaoyang/2024/primary", "signer": "notary",
              "old": public_key_hex(key(2)), "new": public_key_hex(key(5)), "reason": "公证处更换签名密钥"}
    path = tmp_path / "change.json"
    path.write_text(json.dumps(change, ensure_ascii=False), encoding="utf-8")
    as_district = _cli("sign-statement", path, "--key", tmp_path / "notary.pem")
    assert as_district.exit_code == 2 and "signed by that signer's old key" in as_district.output
    done = _cli("sign-statement", path, "--key", tmp_path / "notary.pem", "--name", "notary")
    assert done.exit_code == 0, done.output
    signed = json.loads(path.read_bytes())
    service.check_statement_signature(signed, service.KEY_CHANGE_TAG, "notary", public_key_hex(key(2)))


@pytest.mark.parametrize("content", ["not json", "[]", '{"format": "paiwei-bundle/1"}'])
def test_anything_but_a_statement_is_one_line_and_exit_2(tmp_path: Path, content: str) -> None:
    (tmp_path / "district.pem").write_bytes(private_key_pem(key(1)))
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    result = _cli("sign-statement", path, "--key", tmp_path / "district.pem")
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    missing = _cli("sign-statement", tmp_path / "none.json", "--key", tmp_path / "district.pem")
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_paiwei_sign_recognises_the_services_freeze_format() -> None:
    from paiwei.cli.signing import FREEZE_FORMAT  # noqa: PLC0415
    from paiwei.rounds.service import FREEZE_FORMAT as SERVICE_FORMAT  # noqa: PLC0415

    assert FREEZE_FORMAT == SERVICE_FORMAT
