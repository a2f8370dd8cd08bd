"""Password policy and hashing, settings defaults, enumeration data files, error catalogue."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from paiwei import data
from paiwei.accounts.passwords import check_policy, hash_password, verify_password
from paiwei.intake.errors import CATALOGUE, IntakeError
from paiwei.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("password", ["Abcdefg1", "aB3" * 6 + "xY", "Zz9!Zz9!"])
def test_rule6_good_passwords(password: str) -> None:
    check_policy(password)


@pytest.mark.parametrize("password", ["Abcdef1", "A" * 10 + "b" * 10 + "1", "abcdefg1", "ABCDEFG1",
                                      "Abcdefgh", "Abcdefg 1", "Abcdefg中1"])
def test_rule6_bad_passwords(password: str) -> None:
    with pytest.raises(IntakeError, match="password_policy"):
        check_policy(password)


def test_scrypt_hash_salted_and_verified_in_constant_time() -> None:
    one = hash_password("Abcdefg1", log2_n=10, r=8, p=1)
    two = hash_password("Abcdefg1", log2_n=10, r=8, p=1)
    assert one != two  # per-password salt
    assert one.startswith("scrypt$10$8$1$")
    assert verify_password("Abcdefg1", one)
    assert not verify_password("Abcdefg2", one)
    assert not verify_password("Abcdefg1", "bcrypt$whatever")


def test_default_scrypt_cost_is_strong(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAIWEI_SCRYPT_LOG2_N", raising=False)
    settings = Settings()
    assert 128 * (1 << settings.scrypt_log2_n) * settings.scrypt_r >= 32 * 1024 * 1024  # ≥ 32 MiB


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIWEI_DATABASE_URL", "postgresql://db/paiwei")
    assert Settings().database_url == "postgresql://db/paiwei"
    monkeypatch.delenv("PAIWEI_DATABASE_URL")
    assert Settings().database_url.startswith("sqlite:///./var/")


def test_no_settings_or_engine_built_at_import_time() -> None:
    for path in [*(ROOT / "paiwei").rglob("*.py"), *(ROOT / "api").rglob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only
            if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
                func = node.value.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                assert name not in {"Settings", "create_engine", "make_engine"}, path


def test_enumerations_are_complete() -> None:
    assert len(data.items("districts")) == 16
    assert len(data.items("ethnic_groups")) == 56
    assert len(data.items("chaoyang_streets")) == 43
    assert len(data.items("provinces")) == 34
    assert {"owned", "rented", "other"} == data.codes("dwelling_types")
    for name in data.ENUMERATIONS:
        codes = [c for c, _ in data.items(name)]
        assert len(codes) == len(set(codes)), name


def test_every_error_has_a_chinese_title() -> None:
    for code, (status, title) in CATALOGUE.items():
        # Client errors, and 503 for an outside service (the SMS gateway) that failed.
        assert 400 <= status < 500 or (code, status) == ("sms_unavailable", 503), code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in title), code
    with pytest.raises(KeyError):
        IntakeError("no_such_code")
