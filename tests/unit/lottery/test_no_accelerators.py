"""The notary's verifier needs only the standard library and ``cryptography``.

A subprocess blocks ``numpy`` and ``orjson`` at import time and still verifies
bundle files; in process, the plain and accelerated paths give the same report.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import lottery
from lottery import Mechanism, VerificationError
from seeding import Contribution
from tests.strategies import DISTRICT, SMALL_APPLICANTS, SMALL_SCHOOLS, make_bundle, resign

BLOCKER = """
import sys

class BlockAccelerators:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {"numpy", "orjson"}:
            raise ModuleNotFoundError(f"blocked for this test: {name}", name=name)
        return None

sys.meta_path.insert(0, BlockAccelerators())
try:
    import numpy  # noqa: F401
except ImportError:
    pass
else:
    raise SystemExit("the blocker does not block numpy")

import lottery
from lottery._verifier import main

code = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.partition(".")[0] in {"numpy", "orjson"})
if loaded:
    raise SystemExit(f"accelerators were loaded: {loaded}")
raise SystemExit(code)
"""


def verify_without_accelerators(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(params=list(Mechanism))
def bundle(request: pytest.FixtureRequest, bundle_factory: Any) -> dict[str, Any]:
    return bundle_factory(mechanism=request.param)


def test_verifier_runs_without_numpy_and_orjson(
    bundle: dict[str, Any], write_bundle: Any, district_public: bytes
) -> None:
    valid = write_bundle(bundle, "valid.json")
    tampered_bundle = copy.deepcopy(bundle)
    tampered_bundle["assignments"][0]["ticket"] = "ab" * 32
    tampered = write_bundle(resign(tampered_bundle), "tampered.json")

    ok = verify_without_accelerators(valid, "--key", f"district={district_public.hex()}")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().endswith("VALID")

    bad = verify_without_accelerators(tampered)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "INVALID: tickets" in bad.stdout

    malformed = write_bundle(b'{"format": 1.5}', "malformed.json")
    broken = verify_without_accelerators(malformed)
    assert broken.returncode == 2, broken.stdout + broken.stderr
    assert len(broken.stderr.splitlines()) == 1 and "Traceback" not in broken.stderr


def test_plain_path_touches_no_accelerator(
    bundle: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the plain path used an accelerator")

    monkeypatch.setitem(sys.modules, "orjson", None)  # any `import orjson` now fails
    monkeypatch.setattr(lottery._accel, "assign", refuse)
    monkeypatch.setattr(lottery._accel, "ticket_ranks", refuse)
    assert lottery._engine.accelerator(False) is None
    data = lottery.canonical_json(bundle)
    assert lottery.verify(lottery.parse_bundle(data, accelerate=False), DISTRICT, accelerate=False).valid


def test_accelerated_path_falls_back_when_accelerators_are_missing(
    bundle: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = lottery.verify(bundle, DISTRICT, accelerate=True)
    monkeypatch.setitem(sys.modules, "orjson", None)
    monkeypatch.setitem(sys.modules, "lottery._accel", None)  # as if NumPy were missing
    monkeypatch.delattr(lottery, "_accel")
    assert lottery._engine.accelerator(True) is None
    data = lottery.canonical_json(bundle)
    assert (
        lottery.verify(lottery.parse_bundle(data, accelerate=True), DISTRICT, accelerate=True)
        == expected
    )


@pytest.mark.parametrize("field", ["seed", "ticket", "school", "capacity"])
def test_plain_and_accelerated_reports_are_equal(bundle: dict[str, Any], field: str) -> None:
    tampered = copy.deepcopy(bundle)
    if field == "seed":
        tampered["ceremony"]["seed"] = "11" * 32
    elif field == "ticket":
        tampered["assignments"][-1]["ticket"] = "22" * 32
    elif field == "school":
        tampered["assignments"][-1]["school"] = "north"
    else:
        tampered["schools"][0]["capacity"] += 3
    reports = []
    for accelerate in (True, False):
        with pytest.raises(VerificationError) as caught:
            lottery.verify(resign(tampered), DISTRICT, accelerate=accelerate)
        reports.append(caught.value.report)
    assert reports[0] == reports[1]
    assert lottery.verify(bundle, DISTRICT, accelerate=True) == lottery.verify(
        bundle, DISTRICT, accelerate=False
    )


@pytest.mark.parametrize("mechanism", list(Mechanism))
def test_drawing_without_accelerators_touches_none(
    mechanism: Mechanism, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("accelerate=False used an accelerator")

    expected = make_bundle(
        SMALL_SCHOOLS,
        SMALL_APPLICANTS,
        mechanism=mechanism,
        signers={},
        contributions=[Contribution("notary", b"\x01")],
    )
    monkeypatch.setitem(sys.modules, "orjson", None)
    for name in dir(lottery._accel):
        if callable(getattr(lottery._accel, name)) and not name.startswith("__"):
            monkeypatch.setattr(lottery._accel, name, refuse, raising=False)
    plain = make_bundle(
        SMALL_SCHOOLS,
        SMALL_APPLICANTS,
        mechanism=mechanism,
        signers={},
        contributions=[Contribution("notary", b"\x01")],
        accelerate=False,
    )
    assert plain == expected
