"""The protocol commands end to end, as the district and the notary run them: ``paiwei keys``,
``paiwei ceremony``, ``paiwei draw run`` and ``paiwei verify``, in subprocesses."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import lottery
from lottery import Mechanism
from paiwei.cli import app
from seeding import commitment_of
from tests.strategies import SMALL_APPLICANTS, SMALL_SCHOOLS

PAIWEI = str(Path(sys.executable).parent / "paiwei")
DRAW_ID = "2026/朝阳/小学"
HEX64 = re.compile(r"[0-9a-f]{64}")


def paiwei(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``paiwei`` in process (the shell's start-up is too slow for dozens of runs).

    The working directory is ``cwd``; an exception other than SystemExit propagates,
    so a traceback the user would see fails the test. ``test_end_to_end_in_subprocesses``
    runs the installed command for real.
    """
    here = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(
            app, [str(a) for a in args], env=env, input=input, catch_exceptions=False
        )
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess(
        ["paiwei", *map(str, args)], result.exit_code, result.stdout, result.stderr
    )


def paiwei_process(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PAIWEI, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        input=input,
        timeout=120,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    return lines[0]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- keys ---------------------------------------------------------------------------------


def test_keys_generate_writes_a_private_pem_and_prints_name_and_public_key(tmp_path: Path) -> None:
    result = paiwei("keys", "generate", "--out", "district.pem", "--name", "district", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    name, _, public = result.stdout.strip().partition("=")
    assert name == "district"
    assert HEX64.fullmatch(public)
    pem = tmp_path / "district.pem"
    assert mode(pem) == 0o600
    assert pem.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert lottery.public_key_hex(lottery.load_private_key(pem.read_bytes())) == public


def test_keys_generate_with_a_passphrase_from_the_environment(tmp_path: Path) -> None:
    result = paiwei(
        "keys",
        "generate",
        "--out",
        "notary.pem",
        "--name",
        "notary",
        "--passphrase-env",
        "NOTARY_PASS",
        cwd=tmp_path,
        env={"NOTARY_PASS": "s3cret 口令"},
    )
    assert result.returncode == 0, result.stderr
    public = result.stdout.strip().removeprefix("notary=")
    pem = tmp_path / "notary.pem"
    assert mode(pem) == 0o600
    assert b"ENCRYPTED" in pem.read_bytes()
    key = lottery.load_private_key(pem.read_bytes(), "s3cret 口令".encode())
    assert lottery.public_key_hex(key) == public
    with pytest.raises(ValueError):
        lottery.load_private_key(pem.read_bytes())
    with pytest.raises(ValueError):
        lottery.load_private_key(pem.read_bytes(), b"wrong")


def test_keys_generate_refuses_an_unset_passphrase_variable(tmp_path: Path) -> None:
    result = paiwei(
        "keys",
        "generate",
        "--out",
        "k.pem",
        "--passphrase-env",
        "PAIWEI_TEST_UNSET",
        cwd=tmp_path,
        env={"PAIWEI_TEST_UNSET": None},
    )  # type: ignore[dict-item]
    assert "PAIWEI_TEST_UNSET" in assert_one_line_error(result)
    assert not (tmp_path / "k.pem").exists()


def test_keys_generate_refuses_to_overwrite_a_key(tmp_path: Path) -> None:
    (tmp_path / "k.pem").write_text("keep me")
    assert_one_line_error(paiwei("keys", "generate", "--out", "k.pem", cwd=tmp_path))
    assert (tmp_path / "k.pem").read_text() == "keep me"


# --- ceremony -----------------------------------------------------------------------------


def commit(tmp_path: Path, contributor: str = "notary", *extra: str) -> tuple[dict[str, Any], Path]:
    opening = tmp_path / f"{contributor}.opening.json"
    result = paiwei(
        "ceremony",
        "commit",
        "--draw-id",
        DRAW_ID,
        "--contributor",
        contributor,
        "--opening",
        opening,
        *extra,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), opening


def test_ceremony_commit_keeps_the_opening_private_and_prints_the_commitment(
    tmp_path: Path,
) -> None:
    printed, opening = commit(tmp_path)
    assert mode(opening) == 0o600
    record = json.loads(opening.read_text())
    assert printed == {
        "draw_id": DRAW_ID,
        "contributor": "notary",
        "commitment": record["commitment"],
    }
    assert "value" not in printed and "nonce" not in printed
    assert len(bytes.fromhex(record["nonce"])) >= 16
    expected = commitment_of(
        DRAW_ID, "notary", bytes.fromhex(record["nonce"]), bytes.fromhex(record["value"])
    )
    assert record["commitment"] == expected.hex()


def test_ceremony_commit_uses_the_given_value(tmp_path: Path) -> None:
    value = "ab" * 64  # long enough that a wrapping console would break the JSON
    _, opening = commit(tmp_path, "公证处", "--value", value)
    assert json.loads(opening.read_text())["value"] == value
    opened = paiwei("ceremony", "open", opening, cwd=tmp_path)
    assert opened.returncode == 0, opened.stderr
    assert json.loads(opened.stdout)["value"] == value


def test_ceremony_open_accepts_the_right_opening(tmp_path: Path) -> None:
    printed, opening = commit(tmp_path)
    result = paiwei(
        "ceremony", "open", opening, "--commitment", printed["commitment"], cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    revealed = json.loads(result.stdout)
    record = json.loads(opening.read_text())
    assert revealed == record


@pytest.mark.parametrize("field", ["value", "nonce", "contributor", "draw_id"])
def test_ceremony_open_rejects_a_tampered_opening(tmp_path: Path, field: str) -> None:
    _, opening = commit(tmp_path)
    record = json.loads(opening.read_text())
    record[field] = {
        "value": "00" * 32,
        "nonce": "11" * 32,
        "contributor": "city",
        "draw_id": "other",
    }[field]
    opening.chmod(0o600)
    opening.write_text(json.dumps(record))
    line = assert_one_line_error(paiwei("ceremony", "open", opening, cwd=tmp_path), code=1)
    assert "does not match" in line


def test_ceremony_open_rejects_a_published_commitment_that_differs(tmp_path: Path) -> None:
    _, opening = commit(tmp_path)
    other, _ = commit(tmp_path, "city")
    line = assert_one_line_error(
        paiwei("ceremony", "open", opening, "--commitment", other["commitment"], cwd=tmp_path),
        code=1,
    )
    assert "differs from the one published" in line


@pytest.mark.parametrize(
    "args",
    [
        [
            "commit",
            "--draw-id",
            DRAW_ID,
            "--contributor",
            "n",
            "--opening",
            "o.json",
            "--value",
            "zz",
        ],
        ["commit", "--draw-id", DRAW_ID, "--contributor", "cafe\u0301", "--opening", "o.json"],
        ["commit", "--draw-id", DRAW_ID, "--contributor", "n", "--opening", "exists.json"],
        ["open", "missing.json"],
        ["open", "junk.json"],
        ["open", "list.json"],
        ["open", "short.json"],
        ["open", "ok.json", "--commitment", "xyz"],
    ],
    ids=[
        "value-not-hex",
        "contributor-not-nfc",
        "opening-exists",
        "no-file",
        "not-json",
        "not-an-object",
        "missing-nonce",
        "commitment-not-hex",
    ],
)
def test_ceremony_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "exists.json").write_text("{}")
    (tmp_path / "junk.json").write_bytes(b"\xff{")
    (tmp_path / "list.json").write_text("[]")
    (tmp_path / "short.json").write_text(
        json.dumps({"draw_id": "d", "contributor": "n", "value": "00"})
    )
    _, ok = commit(tmp_path, "ok")
    ok.rename(tmp_path / "ok.json")
    assert_one_line_error(paiwei("ceremony", *args, cwd=tmp_path))


# --- draw run and verify ------------------------------------------------------------------


@pytest.fixture
def district(tmp_path: Path) -> dict[str, Any]:
    """A key, a notary's opening, and an inputs file in ``tmp_path``."""
    keys = paiwei("keys", "generate", "--out", "district.pem", "--name", "district", cwd=tmp_path)
    assert keys.returncode == 0, keys.stderr
    _, opening = commit(tmp_path)
    inputs = tmp_path / "inputs.json"
    inputs.write_text(
        json.dumps(
            {"draw_id": DRAW_ID, "schools": SMALL_SCHOOLS, "applicants": SMALL_APPLICANTS},
            ensure_ascii=False,
        )
    )
    return {"public": keys.stdout.strip(), "opening": opening, "inputs": inputs}


@pytest.mark.parametrize("mechanism", list(Mechanism))
def test_draw_run_makes_a_bundle_that_verify_accepts(
    tmp_path: Path, district: dict[str, Any], mechanism: Mechanism
) -> None:
    city = "city=" + "5a" * 16
    result = paiwei(
        "draw",
        "run",
        district["inputs"],
        "--contribution",
        district["opening"],
        "--contribution",
        city,
        "--sign",
        "district=district.pem",
        "--mechanism",
        mechanism.value,
        "--out",
        "B.json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    bundle = json.loads((tmp_path / "B.json").read_text())
    assert bundle["mechanism"] == mechanism.value
    assert bundle["draw_id"] == DRAW_ID
    assert [c["contributor"] for c in bundle["ceremony"]["contributions"]] == ["city", "notary"]
    assert [s["signer"] for s in bundle["signatures"]] == ["district"]
    assert lottery.verify(
        bundle, {"district": bytes.fromhex(district["public"].split("=")[1])}
    ).valid

    verified = paiwei("verify", "B.json", "--key", district["public"], cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.strip().endswith("VALID")

    as_json = json.loads(paiwei("verify", "B.json", "--json", "--key", district["public"], cwd=tmp_path).stdout)
    assert as_json["valid"] is True and as_json["mechanism"] == mechanism.value
    untrusted = json.loads(paiwei("verify", "B.json", "--json", cwd=tmp_path).stdout)
    assert untrusted["valid"] is False
    assert [c["name"] for c in untrusted["checks"] if not c["ok"]] == ["trusted signature"]

    wrong_key = paiwei("verify", "B.json", "--key", "district=" + "00" * 32, cwd=tmp_path)
    assert wrong_key.returncode == 1
    assert "key not trusted: district" in wrong_key.stdout


def test_draw_run_takes_the_mechanism_from_the_inputs_file(
    tmp_path: Path, district: dict[str, Any]
) -> None:
    inputs = json.loads(district["inputs"].read_text())
    district["inputs"].write_text(json.dumps({**inputs, "mechanism": "preference-first"}))
    result = paiwei(
        "draw",
        "run",
        district["inputs"],
        "--contribution",
        district["opening"],
        "--sign",
        "district=district.pem",
        "--out",
        "B.json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "B.json").read_text())["mechanism"] == "preference-first"


def test_draw_run_with_an_encrypted_key(tmp_path: Path, district: dict[str, Any]) -> None:
    keys = paiwei(
        "keys",
        "generate",
        "--out",
        "enc.pem",
        "--name",
        "district",
        "--passphrase-env",
        "PW",
        cwd=tmp_path,
        env={"PW": "pw"},
    )
    assert keys.returncode == 0, keys.stderr
    result = paiwei(
        "draw",
        "run",
        district["inputs"],
        "--contribution",
        district["opening"],
        "--sign",
        "district=enc.pem",
        "--passphrase",
        "--out",
        "B.json",
        cwd=tmp_path,
        input="pw\n",
    )
    assert result.returncode == 0, result.stderr
    assert paiwei("verify", "B.json", "--key", keys.stdout.strip(), cwd=tmp_path).returncode == 0
    # Without the passphrase the key does not load: one line, exit 2.
    assert_one_line_error(
        paiwei(
            "draw",
            "run",
            district["inputs"],
            "--contribution",
            district["opening"],
            "--sign",
            "district=enc.pem",
            "--out",
            "C.json",
            cwd=tmp_path,
        )
    )


def write(tmp_path: Path, name: str, value: Any) -> Path:
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return path


BAD_DRAWS: dict[str, tuple[Any, list[str]]] = {
    "inputs not JSON": ("{draw", []),
    "inputs a list": ([], []),
    "inputs lack applicants": ({"draw_id": DRAW_ID, "schools": []}, []),
    "applicants not a list": ({"draw_id": DRAW_ID, "schools": SMALL_SCHOOLS, "applicants": 5}, []),
    "applicants not objects": (
        {"draw_id": DRAW_ID, "schools": SMALL_SCHOOLS, "applicants": ["p1"]},
        [],
    ),
    "choice naming no school": (
        {
            "draw_id": DRAW_ID,
            "schools": SMALL_SCHOOLS,
            "applicants": [{"id": "p", "choices": ["[/south]"], "priority": {"[/south]": 0}}],
        },
        [],
    ),
    "float capacity": (
        {"draw_id": DRAW_ID, "schools": [{"id": "east", "capacity": 1.5}], "applicants": []},
        [],
    ),
    "duplicate applicant": (
        {
            "draw_id": DRAW_ID,
            "schools": SMALL_SCHOOLS,
            "applicants": [SMALL_APPLICANTS[0], SMALL_APPLICANTS[0]],
        },
        [],
    ),
    "unknown mechanism in inputs": (
        {"draw_id": DRAW_ID, "schools": SMALL_SCHOOLS, "applicants": [], "mechanism": "raffle"},
        [],
    ),
    "non-NFC draw id": ({"draw_id": "cafe\u0301", "schools": [], "applicants": []}, []),
    "draw id a number": ({"draw_id": 7, "schools": [], "applicants": []}, []),
    "contribution not NAME=HEX": (None, ["--contribution", "nobody"]),
    "contribution value not hex": (None, ["--contribution", "city=xyz"]),
    "duplicate contributor": (None, ["--contribution", "notary=00"]),
    "opening for another draw": (None, ["--contribution", "other.opening.json"]),
    "sign without a file": (None, ["--sign", "district"]),
    "signing key missing": (None, ["--sign", "district=missing.pem"]),
    "signing key not a key": (None, ["--sign", "district=inputs.json"]),
    "output directory missing": (None, ["--out", "no/such/dir/B.json"]),
}


@pytest.mark.parametrize("case", list(BAD_DRAWS))
def test_draw_run_bad_input_exits_2_with_one_line(
    tmp_path: Path, district: dict[str, Any], case: str
) -> None:
    inputs_value, extra = BAD_DRAWS[case]
    inputs = (
        district["inputs"] if inputs_value is None else write(tmp_path, "bad.json", inputs_value)
    )
    other = (
        paiwei(
            "ceremony",
            "commit",
            "--draw-id",
            "other",
            "--contributor",
            "x",
            "--opening",
            "other.opening.json",
            cwd=tmp_path,
        )
        if case == "opening for another draw"
        else None
    )
    assert other is None or other.returncode == 0
    args = ["draw", "run", inputs, "--contribution", district["opening"]]
    if "--out" not in extra:
        args += ["--out", "B.json"]
    if "--sign" not in extra:
        args += ["--sign", "district=district.pem"]
    assert_one_line_error(paiwei(*args, *extra, cwd=tmp_path))
    assert not (tmp_path / "B.json").exists()


def test_verify_a_bundle_that_does_not_exist(tmp_path: Path) -> None:
    assert_one_line_error(paiwei("verify", "nowhere.json", cwd=tmp_path))


def test_usage_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    """Through the installed entry point: a missing option or a value Typer cannot convert is
    bad input like any other. (In-process runs bypass ``paiwei.cli.main``.)"""
    for args in (
        ["ceremony", "commit", "--draw-id", "d"],
        [
            "draw",
            "run",
            "in.json",
            "--out",
            "B.json",
            "--contribution",
            "a=00",
            "--mechanism",
            "raffle",
        ],
    ):
        line = assert_one_line_error(paiwei_process(*args, cwd=tmp_path))
        assert ("--contributor" in line) or ("--mechanism" in line)


def test_end_to_end_in_subprocesses(tmp_path: Path) -> None:
    """The installed ``paiwei`` command: keys, commitment, draw, verify (the rest runs in process)."""
    keys = paiwei_process("keys", "generate", "--out", "d.pem", "--name", "district", cwd=tmp_path)
    assert keys.returncode == 0, keys.stderr
    committed = paiwei_process(
        "ceremony",
        "commit",
        "--draw-id",
        DRAW_ID,
        "--contributor",
        "notary",
        "--opening",
        "n.json",
        cwd=tmp_path,
    )
    assert committed.returncode == 0, committed.stderr
    write(
        tmp_path,
        "in.json",
        {"draw_id": DRAW_ID, "schools": SMALL_SCHOOLS, "applicants": SMALL_APPLICANTS},
    )
    drawn = paiwei_process(
        "draw",
        "run",
        "in.json",
        "--contribution",
        "n.json",
        "--contribution",
        "city=" + "ee" * 8,
        "--sign",
        "district=d.pem",
        "--mechanism",
        "preference-first",
        "--out",
        "B.json",
        cwd=tmp_path,
    )
    assert drawn.returncode == 0, drawn.stderr
    verified = paiwei_process("verify", "B.json", "--key", keys.stdout.strip(), cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
