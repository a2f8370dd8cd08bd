"""Any change to a signed bundle's content is caught by the check that covers it, even re-signed.

Each property takes a random valid bundle, changes one thing, signs it again with
the same key (so the signature checks pass) and asserts ``lottery.verify`` raises
VerificationError naming the expected check. Both accelerate paths run.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import lottery
from lottery import VerificationError
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

mutation_settings = settings(max_examples=40, deadline=None)


def failed_checks(
    bundle: Bundle, *, accelerate: bool, trusted: dict[str, bytes] | None = DISTRICT
) -> set[str]:
    with pytest.raises(VerificationError) as caught:
        lottery.verify(bundle, trusted, accelerate=accelerate)
    report = caught.value.report
    assert not report.valid
    failed = {c.name for c in report.failures}
    assert failed, "VerificationError without a failed check"
    assert all(name in str(caught.value) for name in failed)
    return failed


def check_resigned_mutation(mutated: Bundle, expected: str, *, accelerate: bool) -> None:
    """``mutated`` re-signed: the expected check fails on both paths, and the signature holds."""
    resigned = resign(mutated)
    failed = failed_checks(resigned, accelerate=accelerate)
    assert expected in failed
    assert "signature of district" not in failed
    assert failed_checks(resigned, accelerate=not accelerate) == failed


def hex_flip(value: str, position: int = 0) -> str:
    raw = bytearray(bytes.fromhex(value))
    raw[position % len(raw)] ^= 0x01
    return raw.hex()


paths = pytest.mark.parametrize("accelerate", [True, False], ids=["accel", "plain"])


@paths
@mutation_settings
@given(bundle=bundles(), data=st.data())
def test_changed_capacity_fails_the_input_root(
    accelerate: bool, bundle: Bundle, data: st.DataObject
) -> None:
    mutated = copy.deepcopy(bundle)
    school = data.draw(st.sampled_from(mutated["schools"]))
    school["capacity"] = data.draw(st.integers(0, 5).filter(lambda c: c != school["capacity"]))
    check_resigned_mutation(mutated, "input root", accelerate=accelerate)


@paths
@mutation_settings
@given(bundle=bundles(), data=st.data())
def test_changed_priority_fails_the_input_root(
    accelerate: bool, bundle: Bundle, data: st.DataObject
) -> None:
    candidates = [a for a in bundle["applicants"] if a["priority"]]
    assume(candidates)
    mutated = copy.deepcopy(bundle)
    chosen = data.draw(st.sampled_from(candidates))["id"]
    applicant = next(a for a in mutated["applicants"] if a["id"] == chosen)
    school = data.draw(st.sampled_from(sorted(applicant["priority"])))
    applicant["priority"][school] += data.draw(st.sampled_from([-1, 1, 7]))
    check_resigned_mutation(mutated, "input root", accelerate=accelerate)


@paths
@mutation_settings
@given(bundle=bundles(), data=st.data())
def test_changed_choice_fails_the_input_root(
    accelerate: bool, bundle: Bundle, data: st.DataObject
) -> None:
    assume(bundle["applicants"])
    mutated = copy.deepcopy(bundle)
    applicant = data.draw(st.sampled_from(mutated["applicants"]))
    school_ids = [s["id"] for s in mutated["schools"]]
    unlisted = [s for s in school_ids if s not in applicant["choices"]]
    if unlisted:  # add a choice (with the priority every choice needs)
        extra = data.draw(st.sampled_from(unlisted))
        applicant["choices"].append(extra)
        applicant["priority"].setdefault(extra, 0)
    elif len(applicant["choices"]) > 1:  # swap the first two
        applicant["choices"][:2] = applicant["choices"][1::-1]
    else:  # lists the only school: drop it
        applicant["choices"].clear()
    check_resigned_mutation(mutated, "input root", accelerate=accelerate)


@paths
@mutation_settings
@given(bundle=bundles(), data=st.data())
def test_changed_assignment_fails_the_assignments_check(
    accelerate: bool, bundle: Bundle, data: st.DataObject
) -> None:
    assume(bundle["assignments"])
    mutated = copy.deepcopy(bundle)
    row = data.draw(st.sampled_from(mutated["assignments"]))
    others = [s["id"] for s in mutated["schools"] if s["id"] != row["school"]]
    if row["school"] is not None:
        others.append(None)
    row["school"] = data.draw(st.sampled_from(others))
    check_resigned_mutation(mutated, "assignments", accelerate=accelerate)


@paths
@mutation_settings
@given(bundle=bundles(), data=st.data())
def test_changed_ticket_fails_the_tickets_check(
    accelerate: bool, bundle: Bundle, data: st.DataObject
) -> None:
    assume(bundle["assignments"])
    mutated = copy.deepcopy(bundle)
    row = data.draw(st.sampled_from(mutated["assignments"]))
    row["ticket"] = hex_flip(row["ticket"], data.draw(st.integers(0, 31)))
    check_resigned_mutation(mutated, "tickets", accelerate=accelerate)


@paths
@mutation_settings
@given(bundle=bundles(), position=st.integers(0, 31))
def test_changed_seed_fails_the_seed_check(accelerate: bool, bundle: Bundle, position: int) -> None:
    mutated = copy.deepcopy(bundle)
    mutated["ceremony"]["seed"] = hex_flip(mutated["ceremony"]["seed"], position)
    check_resigned_mutation(mutated, "seed", accelerate=accelerate)


@paths
@mutation_settings
@given(bundle=bundles(), data=st.data())
def test_changed_contribution_value_fails_its_commitment_or_the_seed(
    accelerate: bool, bundle: Bundle, data: st.DataObject
) -> None:
    mutated = copy.deepcopy(bundle)
    contribution = data.draw(st.sampled_from(mutated["ceremony"]["contributions"]))
    contribution["value"] = data.draw(
        st.binary(max_size=8).map(bytes.hex).filter(lambda v: v != contribution["value"])
    )
    expected = (
        f"commitment of {contribution['contributor']}" if "commitment" in contribution else "seed"
    )
    check_resigned_mutation(mutated, expected, accelerate=accelerate)
    # The seed no longer follows from the contributions either way.
    assert "seed" in failed_checks(resign(mutated), accelerate=accelerate)


@paths
@mutation_settings
@given(bundle=bundles(), data=st.data())
def test_changed_input_root_fails_the_input_root(
    accelerate: bool, bundle: Bundle, data: st.DataObject
) -> None:
    mutated = copy.deepcopy(bundle)
    mutated["ceremony"]["input_root"] = hex_flip(
        mutated["ceremony"]["input_root"], data.draw(st.integers(0, 31))
    )
    check_resigned_mutation(mutated, "input root", accelerate=accelerate)


@paths
@mutation_settings
@given(bundle=bundles(), data=st.data())
def test_changed_school_results_fail_the_school_results_check(
    accelerate: bool, bundle: Bundle, data: st.DataObject
) -> None:
    mutated = copy.deepcopy(bundle)
    result = data.draw(st.sampled_from(mutated["school_results"]))
    field = data.draw(st.sampled_from(["listed", "applied", "admitted"]))
    result[field] += 1
    check_resigned_mutation(mutated, "school results", accelerate=accelerate)


@paths
@mutation_settings
@given(bundle=bundles())
def test_switched_mechanism_fails_the_assignments_or_school_results(
    accelerate: bool, bundle: Bundle
) -> None:
    others = [m.value for m in lottery.Mechanism if m.value != bundle["mechanism"]]
    # Only meaningful where the two mechanisms place someone differently.
    table_bundle = {**bundle, "mechanism": others[0]}
    try:
        lottery.verify(resign(table_bundle), DISTRICT, accelerate=accelerate)
    except VerificationError as exc:
        failed = {c.name for c in exc.report.failures}
        assert failed <= {"assignments", "school results"}
        assert failed
    else:  # both mechanisms agree on this district: the switched bundle is equally true
        assert lottery.verify(bundle, DISTRICT, accelerate=accelerate).valid


# --- signatures --------------------------------------------------------------------------


@paths
@mutation_settings
@given(bundle=bundles(), data=st.data())
def test_change_without_re_signing_fails_the_signature(
    accelerate: bool, bundle: Bundle, data: st.DataObject
) -> None:
    mutated = copy.deepcopy(bundle)
    kind = data.draw(st.sampled_from(["extra key", "draw id", "capacity"]))
    if kind == "extra key":
        mutated["note"] = "added after signing"
    elif kind == "draw id":
        mutated["draw_id"] += "x"
    else:
        mutated["schools"][0]["capacity"] += 1
    failed = failed_checks(mutated, accelerate=accelerate)
    assert "signature of district" in failed
    if kind == "extra key":
        assert failed == {"signature of district"}


@paths
def test_unsigned_change_to_an_extra_key_fails_only_that_signature(
    accelerate: bool, bundle_factory: Any
) -> None:
    bundle = bundle_factory(signers={"district": DISTRICT_KEY, "notary": NOTARY_KEY})
    assert lottery.verify(bundle, TRUSTED, accelerate=accelerate).signers == ("district", "notary")
    bundle["signatures"][1]["signature"] = hex_flip(bundle["signatures"][1]["signature"])
    assert failed_checks(bundle, accelerate=accelerate, trusted=TRUSTED) == {"signature of notary"}


@paths
def test_bad_signature_of_a_signer_not_named_is_listed_not_checked(
    accelerate: bool, bundle_factory: Any
) -> None:
    bundle = bundle_factory(signers={"district": DISTRICT_KEY, "notary": NOTARY_KEY})
    bundle["signatures"][1]["signature"] = hex_flip(bundle["signatures"][1]["signature"])
    report = lottery.verify(bundle, DISTRICT, accelerate=accelerate)
    assert report.valid
    assert [(u.signer, u.self_consistent) for u in report.not_checked] == [("notary", False)]
    assert report.trusted == ("district",)


@paths
def test_signature_under_another_key_fails(accelerate: bool, small_bundle: Bundle) -> None:
    small_bundle["signatures"][0]["public_key"] = lottery.public_key_hex(OTHER_KEY)
    assert failed_checks(small_bundle, accelerate=accelerate) == {
        "signature of district",
        "key not trusted: district",
    }


@paths
def test_no_trusted_key_is_never_valid(accelerate: bool, bundle_factory: Any) -> None:
    bundle = bundle_factory(signers={"district": DISTRICT_KEY, "notary": NOTARY_KEY})
    for nothing in (None, {}):
        with pytest.raises(VerificationError) as caught:
            lottery.verify(bundle, nothing, accelerate=accelerate)
        report = caught.value.report
        assert {c.name for c in report.failures} == {"trusted signature"}
        assert "no signature was checked against a trusted key" in report.failures[0].detail
        assert [u.signer for u in report.not_checked] == ["district", "notary"]
        assert all(u.self_consistent for u in report.not_checked)


@paths
def test_trusted_key_mismatch_is_reported(accelerate: bool, small_bundle: Bundle) -> None:
    trusted = {"district": bytes.fromhex(lottery.public_key_hex(OTHER_KEY))}
    assert failed_checks(small_bundle, accelerate=accelerate, trusted=trusted) == {
        "key not trusted: district"
    }


@paths
def test_signer_not_named_is_not_checked_and_not_a_failure(
    accelerate: bool, small_bundle: Bundle
) -> None:
    trusted = {"notary": bytes.fromhex(lottery.public_key_hex(NOTARY_KEY))}
    failed = failed_checks(small_bundle, accelerate=accelerate, trusted=trusted)
    assert failed == {"missing signature of notary"}


@paths
def test_missing_trusted_signer_is_reported(
    accelerate: bool, small_bundle: Bundle, district_public: bytes
) -> None:
    trusted = {
        "district": district_public,
        "notary": bytes.fromhex(lottery.public_key_hex(NOTARY_KEY)),
    }
    assert failed_checks(small_bundle, accelerate=accelerate, trusted=trusted) == {
        "missing signature of notary"
    }


@paths
def test_trusted_signer_with_the_right_key_passes(
    accelerate: bool, small_bundle: Bundle, district_public: bytes
) -> None:
    report = lottery.verify(small_bundle, {"district": district_public}, accelerate=accelerate)
    assert report.valid
    assert report.signers == ("district",)


@paths
def test_bundle_without_signatures_fails(accelerate: bool, small_bundle: Bundle) -> None:
    assert failed_checks({**small_bundle, "signatures": []}, accelerate=accelerate) == {
        "signatures",
        "missing signature of district",
    }


@paths
def test_signature_copied_to_another_bundle_fails(accelerate: bool, bundle_factory: Any) -> None:
    one = bundle_factory(draw_id="d/1")
    two = bundle_factory(draw_id="d/2")
    forged = {**two, "signatures": one["signatures"]}
    assert failed_checks(forged, accelerate=accelerate) == {"signature of district"}


@paths
def test_bundle_without_contributions_fails_the_seed(
    accelerate: bool, small_bundle: Bundle
) -> None:
    bundle = copy.deepcopy(small_bundle)
    bundle["ceremony"]["contributions"] = []
    failed = failed_checks(resign(bundle), accelerate=accelerate)
    assert "seed" in failed
    assert not any(name.startswith("signature") for name in failed)


@paths
def test_dropped_contribution_fails_the_seed(accelerate: bool, small_bundle: Bundle) -> None:
    bundle = copy.deepcopy(small_bundle)
    del bundle["ceremony"]["contributions"][0]
    assert failed_checks(resign(bundle), accelerate=accelerate) == {"seed"}
