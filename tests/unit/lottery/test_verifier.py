"""The verifier's report and its command line: exit 0 valid, 1 invalid (naming the check), text and JSON."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

import lottery
from lottery import Mechanism, VerificationError
from tests.strategies import (
    DISTRICT,
    DISTRICT_KEY,
    NOTARY_KEY,
    OTHER_KEY,
    TRUSTED,
    bundles,
    resign,
)

Bundle = dict[str, Any]
VERIFIERS = ("python -m lottery.verify", "paiwei verify")
verifiers = pytest.mark.parametrize("verifier", VERIFIERS)
DK = ("--key", f"district={DISTRICT['district'].hex()}")


def report_or_failure(bundle: Bundle, *, accelerate: bool) -> lottery.Report:
    try:
        return lottery.verify(bundle, DISTRICT, accelerate=accelerate)
    except VerificationError as exc:
        return exc.report


@settings(max_examples=40, deadline=None)
@given(bundle=bundles())
def test_accelerated_and_plain_verification_give_the_same_report(bundle: Bundle) -> None:
    fast = lottery.verify(bundle, DISTRICT, accelerate=True)
    assert fast.valid
    assert lottery.verify(bundle, DISTRICT, accelerate=False) == fast


@settings(max_examples=40, deadline=None)
@given(bundle=bundles())
def test_accelerated_and_plain_verification_fail_alike(bundle: Bundle) -> None:
    tampered = copy.deepcopy(bundle)
    tampered["ceremony"]["seed"] = "00" * 32
    tampered = resign(tampered)
    assert report_or_failure(tampered, accelerate=True) == report_or_failure(
        tampered, accelerate=False
    )


@settings(max_examples=30, deadline=None)
@given(bundle=bundles(accelerate=False))
def test_bundle_drawn_without_accelerators_verifies_with_them(bundle: Bundle) -> None:
    assert lottery.verify(bundle, DISTRICT, accelerate=True).valid


def test_report_counts_and_names_the_checks(small_bundle: Bundle) -> None:
    report = lottery.verify(small_bundle, DISTRICT)
    assert report.valid and not report.failures
    assert (report.schools, report.applicants) == (3, 5)
    assert report.placed == sum(a["school"] is not None for a in small_bundle["assignments"])
    names = [c.name for c in report.checks]
    assert names[:2] == ["input root", "commitment of notary"]
    assert {"seed", "tickets", "assignments", "school results", "signature of district"} <= set(
        names
    )
    assert report.mechanism is Mechanism.DEFERRED_ACCEPTANCE
    assert not report.rehearsal


def test_bundle_without_mechanism_key_is_deferred_acceptance(small_bundle: Bundle) -> None:
    bundle = {k: v for k, v in small_bundle.items() if k != "mechanism"}
    assert lottery.verify(resign(bundle), DISTRICT).mechanism is Mechanism.DEFERRED_ACCEPTANCE


def test_round_trip_through_json_text_verifies(small_bundle: Bundle) -> None:
    for accelerate in (True, False):
        text = json.dumps(small_bundle, ensure_ascii=False, indent=1).encode()
        assert lottery.verify(
            lottery.parse_bundle(text, accelerate=accelerate), DISTRICT, accelerate=accelerate
        ).valid


def test_school_results_with_true_for_one_is_not_the_recomputed_summary(
    small_bundle: Bundle,
) -> None:
    bundle = copy.deepcopy(small_bundle)
    row = next(r for r in bundle["school_results"] if r["admitted"] == 1)
    row["admitted"] = True
    with pytest.raises(VerificationError) as caught:
        lottery.verify(resign(bundle), DISTRICT)
    assert {c.name for c in caught.value.report.failures} == {"school results"}


def test_report_json_names_failed_checks(small_bundle: Bundle) -> None:
    tampered = copy.deepcopy(small_bundle)
    tampered["assignments"][0]["ticket"] = "00" * 32
    with pytest.raises(VerificationError) as caught:
        lottery.verify(tampered, DISTRICT)
    doc = caught.value.report.to_json()
    assert doc["valid"] is False
    failed = {c["name"] for c in doc["checks"] if not c["ok"]}
    assert failed == {"tickets", "signature of district"}
    assert json.loads(json.dumps(doc)) == doc


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def valid_file(small_bundle: Bundle, write_bundle: Any) -> Path:
    return write_bundle(small_bundle, "valid.json")


@pytest.fixture
def tampered_file(small_bundle: Bundle, write_bundle: Any) -> Path:
    tampered = copy.deepcopy(small_bundle)
    row = next(r for r in tampered["assignments"] if r["school"] is not None)
    row["school"] = None
    return write_bundle(resign(tampered), "tampered.json")


@verifiers
def test_cli_accepts_a_valid_bundle(
    verifier: str, valid_file: Path, district_public: bytes, run_verifier: Any
) -> None:
    result = run_verifier(verifier, valid_file, "--key", f"district={district_public.hex()}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "VALID"
    assert result.stderr == ""


@verifiers
def test_cli_rejects_a_tampered_bundle_naming_the_check(
    verifier: str, tampered_file: Path, run_verifier: Any
) -> None:
    result = run_verifier(verifier, tampered_file, *DK)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.strip().splitlines()[-1] == "INVALID: assignments"
    assert "FAIL assignments" in result.stdout


@verifiers
@pytest.mark.parametrize("no_accel", [False, True], ids=["accel", "no-accel"])
def test_cli_json_report_of_a_tampered_bundle(
    verifier: str, no_accel: bool, tampered_file: Path, run_verifier: Any
) -> None:
    result = run_verifier(
        verifier, tampered_file, *DK, "--json", *(["--no-accel"] if no_accel else [])
    )
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert doc["valid"] is False
    assert doc["mechanism"] == "deferred-acceptance"
    assert doc["path"] == str(tampered_file)
    assert [c["name"] for c in doc["checks"] if not c["ok"]] == ["assignments"]


@verifiers
def test_cli_json_report_of_a_valid_bundle(
    verifier: str, bundle_factory: Any, write_bundle: Any, run_verifier: Any
) -> None:
    path = write_bundle(bundle_factory(mechanism=Mechanism.PREFERENCE_FIRST), "pf.json")
    result = run_verifier(verifier, path, *DK, "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["valid"] is True
    assert doc["mechanism"] == "preference-first"
    assert doc["rehearsal"] is False
    assert all(c["ok"] for c in doc["checks"])


@verifiers
def test_cli_exit_status_is_the_worst_of_several_bundles(
    verifier: str, valid_file: Path, tampered_file: Path, tmp_path: Path, run_verifier: Any
) -> None:
    assert run_verifier(verifier, valid_file, tampered_file, *DK).returncode == 1
    assert (
        run_verifier(verifier, valid_file, tmp_path / "missing.json", tampered_file, *DK).returncode
        == 2
    )


@verifiers
def test_cli_reports_a_rehearsal_as_not_a_published_draw(
    verifier: str, bundle_factory: Any, write_bundle: Any, run_verifier: Any
) -> None:
    path = write_bundle(bundle_factory(draw_id="rehearsal/2026/朝阳"), "rehearsal.json")
    text = run_verifier(verifier, path, *DK)
    assert text.returncode == 0, text.stderr
    assert "rehearsal, not a published draw" in text.stdout
    as_json = run_verifier(verifier, path, *DK, "--json")
    doc = json.loads(as_json.stdout)
    assert doc["rehearsal"] is True
    assert doc["draw_id"] == "rehearsal/2026/朝阳"
    assert "rehearsal" in doc["kind"]


def test_published_draw_is_not_called_a_rehearsal(small_bundle: Bundle) -> None:
    report = lottery.verify(small_bundle, DISTRICT)
    assert not report.rehearsal
    assert "rehearsal" not in lottery._verifier.render_text(report)


def test_rehearsal_prefix_must_lead_the_draw_id(bundle_factory: Any) -> None:
    assert not lottery.verify(bundle_factory(draw_id="2026/rehearsal/1"), DISTRICT).rehearsal


def test_further_keys_are_allowed_and_signed(small_bundle: Bundle) -> None:
    bundle = resign({**small_bundle, "notice": {"zh": "第一批派位结果", "round": 1, "final": None}})
    for accelerate in (True, False):
        assert lottery.verify(bundle, DISTRICT, accelerate=accelerate).valid
    with pytest.raises(VerificationError) as caught:
        lottery.verify(
            {**bundle, "notice": {"zh": "第二批派位结果", "round": 1, "final": None}}, DISTRICT
        )
    assert {c.name for c in caught.value.report.failures} == {"signature of district"}


# --- trust: nothing is VALID without a key the caller trusts (issue 19) ----------------------


@pytest.fixture
def both_signed(bundle_factory: Any, write_bundle: Any) -> Path:
    """A bundle signed by the district and countersigned by the notary, as published."""
    bundle = bundle_factory(signers={"district": DISTRICT_KEY, "notary": NOTARY_KEY})
    return write_bundle(bundle, "both.json")


@verifiers
def test_cli_without_a_trusted_key_says_so_and_exits_1(
    verifier: str, both_signed: Path, run_verifier: Any
) -> None:
    text = run_verifier(verifier, both_signed)
    assert text.returncode == 1, text.stderr
    assert "no signature was checked against a trusted key" in text.stdout
    assert text.stdout.strip().splitlines()[-1] == "INVALID: trusted signature"
    assert "not checked: district" in text.stdout and "not checked: notary" in text.stdout
    doc = json.loads(run_verifier(verifier, both_signed, "--json").stdout)
    assert doc["valid"] is False
    assert doc["trusted"] == [] and doc["trusted_keys_fingerprint"] is None
    assert [u["signer"] for u in doc["not_checked"]] == ["district", "notary"]


@verifiers
def test_cli_readme_example_with_the_district_key_only_is_valid(
    verifier: str, both_signed: Path, run_verifier: Any
) -> None:
    """README: ``--key district=...`` on a bundle the notary also signed."""
    result = run_verifier(verifier, both_signed, *DK)
    assert result.returncode == 0, result.stdout
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "VALID"
    assert any(line.strip().startswith("--   not checked: notary") for line in lines)
    assert "FAIL" not in result.stdout


@verifiers
def test_cli_both_keys_in_either_case_and_the_key_set_file(
    verifier: str, both_signed: Path, run_verifier: Any, tmp_path: Path
) -> None:
    upper = [f"--key={name}={key.hex().upper()}" for name, key in TRUSTED.items()]
    result = run_verifier(verifier, both_signed, *upper)
    assert result.returncode == 0, result.stdout + result.stderr
    keys = tmp_path / "keys.json"
    doc = {"format": "paiwei-keys/1", "keys": {k: v.hex().upper() for k, v in TRUSTED.items()}}
    keys.write_text(json.dumps(doc), encoding="utf-8")
    fingerprint = lottery.key_set_fingerprint(TRUSTED)
    text = run_verifier(verifier, both_signed, "--keys", keys)
    assert text.returncode == 0, text.stdout + text.stderr
    assert f"key set fingerprint {fingerprint}" in text.stdout
    assert "not checked" not in text.stdout
    as_json = json.loads(run_verifier(verifier, both_signed, "--keys", keys, "--json").stdout)
    assert as_json["trusted_keys_fingerprint"] == fingerprint
    assert as_json["trusted"] == ["district", "notary"]


@verifiers
def test_cli_key_set_naming_the_wrong_notary_key_fails_by_name(
    verifier: str, both_signed: Path, run_verifier: Any, tmp_path: Path
) -> None:
    keys = tmp_path / "keys.json"
    doc = {
        "format": "paiwei-keys/1",
        "keys": {"district": TRUSTED["district"].hex(), "notary": lottery.public_key_hex(OTHER_KEY)},
    }
    keys.write_text(json.dumps(doc), encoding="utf-8")
    result = run_verifier(verifier, both_signed, "--keys", keys)
    assert result.returncode == 1
    assert result.stdout.strip().splitlines()[-1] == "INVALID: key not trusted: notary"


@verifiers
@pytest.mark.parametrize(
    "content",
    [b"{", b'{"format": "paiwei-keys/1", "keys": {}}', b'{"keys": {"district": "00"}}',
     b'{"format": "paiwei-keys/1", "keys": {"district": "zz"}}'],
    ids=["not JSON", "no keys", "no format", "not hex"],
)
def test_cli_bad_key_set_exits_2_with_one_line(
    verifier: str, both_signed: Path, run_verifier: Any, tmp_path: Path, content: bytes
) -> None:
    keys = tmp_path / "keys.json"
    keys.write_bytes(content)
    result = run_verifier(verifier, both_signed, "--keys", keys)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@verifiers
def test_cli_two_keys_for_one_name_exit_2(
    verifier: str, both_signed: Path, run_verifier: Any
) -> None:
    result = run_verifier(
        verifier, both_signed, *DK, "--key", f"district={lottery.public_key_hex(OTHER_KEY)}"
    )
    assert result.returncode == 2
    assert "two different trusted keys" in result.stderr


def test_key_set_fingerprint_is_sha256_of_sorted_lines() -> None:
    """docs/draw-spec.md §17: the value of ``printf 'test-district=…\\n' | sha256sum``."""
    test_key = bytes.fromhex("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8")
    assert lottery.key_set_fingerprint({"test-district": test_key}) == (
        "a539d74dff0ad571a521feb7ddfb26141ff74269bb5d566981ac5b95747d60ce"
    )
    both = {"notary": TRUSTED["notary"], "district": TRUSTED["district"]}
    lines = "".join(sorted(f"{k}={v.hex()}\n" for k, v in both.items())).encode()
    assert lottery.key_set_fingerprint(both) == hashlib.sha256(lines).hexdigest()
    assert lottery.key_set_fingerprint(both) == lottery.key_set_fingerprint(dict(reversed(both.items())))


def test_a_bundle_without_an_after_freeze_contribution_is_flagged(bundle_factory: Any) -> None:
    from seeding import commit  # noqa: PLC0415

    committed_only = bundle_factory(contributions=[commit("test/1", "notary", b"\x07" * 32)])
    report = lottery.verify(committed_only, DISTRICT)
    assert report.valid and report.after_freeze == 0
    assert "no contribution was made after the freeze" in lottery._verifier.render_text(report)
    usual = lottery.verify(bundle_factory(), DISTRICT)
    assert usual.after_freeze == 1
    assert "after the freeze" not in lottery._verifier.render_text(usual)
    assert report.to_json()["after_freeze_contributions"] == 0
