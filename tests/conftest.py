"""Shared fixtures: test keys and a factory of small signed bundles."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import lottery
from tests.strategies import (
    DISTRICT_KEY,
    NOTARY_KEY,
    SMALL_APPLICANTS,
    SMALL_SCHOOLS,
    make_bundle,
)

BundleFactory = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def district_key() -> Ed25519PrivateKey:
    return DISTRICT_KEY


@pytest.fixture(scope="session")
def notary_key() -> Ed25519PrivateKey:
    return NOTARY_KEY


@pytest.fixture(scope="session")
def district_public() -> bytes:
    return bytes.fromhex(lottery.public_key_hex(DISTRICT_KEY))


@pytest.fixture(scope="session")
def bundle_factory() -> BundleFactory:
    """``bundle_factory(schools=..., applicants=..., **make_bundle options)``: a signed bundle."""

    def build(
        schools: list[dict[str, Any]] | None = None,
        applicants: list[dict[str, Any]] | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        return make_bundle(
            SMALL_SCHOOLS if schools is None else schools,
            SMALL_APPLICANTS if applicants is None else applicants,
            **options,
        )

    return build


@pytest.fixture
def small_bundle(bundle_factory: BundleFactory) -> dict[str, Any]:
    """A valid deferred-acceptance bundle of five applicants, signed by the district."""
    return bundle_factory()


@pytest.fixture
def write_bundle(tmp_path: Path) -> Callable[[Any, str], Path]:
    """Write a bundle (a value, or raw bytes) to a file in ``tmp_path``; return the path."""

    def write(value: Any, name: str = "bundle.json") -> Path:
        path = tmp_path / name
        data = value if isinstance(value, bytes) else json.dumps(value, ensure_ascii=False).encode()
        path.write_bytes(data)
        return path

    return write


VERIFIERS = ("python -m lottery.verify", "paiwei verify")


def _run_verifier(verifier: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run a verifier command line: the notary's ``python -m lottery.verify`` as a subprocess,
    ``paiwei verify`` in process (the shell starts slowly; the integration tests run it for real).

    Any exception other than SystemExit propagates from the in-process run: a traceback
    the user would see fails the test.
    """
    argv = [str(a) for a in args]
    if verifier == "python -m lottery.verify":
        return subprocess.run(
            [sys.executable, "-m", "lottery.verify", *argv],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    from typer.testing import CliRunner  # noqa: PLC0415  only the CLI tests need Typer

    from paiwei.cli import app  # noqa: PLC0415

    result = CliRunner().invoke(app, ["verify", *argv], catch_exceptions=False)
    return subprocess.CompletedProcess(
        ["paiwei", "verify", *argv], result.exit_code, result.stdout, result.stderr
    )


@pytest.fixture(scope="session")
def run_verifier() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_verifier(name, *args)`` with name one of VERIFIERS: exit status, stdout, stderr."""
    return _run_verifier



@pytest.hookimpl(optionalhook=True)  # xdist's hook: `-p no:xdist` must still work
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile``: ``tests/scheduling.py`` (files sharing the demo on one worker,
    the longest files first); other modes keep xdist's own scheduler."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.scheduling import FileUnitScheduling  # noqa: PLC0415 - needs xdist

    return FileUnitScheduling(config, log)


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist") and config.getvalue("dist") == "loadfile":
        from tests.scheduling import UnitTimes  # noqa: PLC0415 - needs xdist

        config.pluginmanager.register(UnitTimes(config), "paiwei-unit-times")
