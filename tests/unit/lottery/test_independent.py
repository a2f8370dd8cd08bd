"""The implementation against an independent one written from the protocol text.

Acceptance criterion of the foundation issue: "The verifier accepts every valid
bundle, including ones made by an independent implementation of this text".
``tests/independent/reference.py`` is that independent implementation; these
tests run bundles both ways and compare every derived value.
"""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import lottery
import seeding
from tests.independent import reference as ref

DA = ref.DEFERRED_ACCEPTANCE
PF = ref.PREFERENCE_FIRST
MECHANISM = {DA: lottery.Mechanism.DEFERRED_ACCEPTANCE, PF: lottery.Mechanism.PREFERENCE_FIRST}

# Fixed keys (seeded bytes, not secrets) keep failures reproducible.
KEYS = {
    "公证处": Ed25519PrivateKey.from_private_bytes(bytes(range(32))),
    "district-office": Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))),
    "observer": Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34))),
}


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


# --- a hand-made district that touches every corner the text mentions --------------

SCHOOLS: list[dict[str, Any]] = [
    {"id": "s-north", "capacity": 2, "name": "朝阳区北校"},
    {"id": "s-south", "capacity": 1, "name": "朝阳区南校", "district": "朝阳"},
    {"id": "s-closed", "capacity": 0, "name": "停招学校"},
    {"id": "s-east", "capacity": 3},
    {"id": "s-west", "capacity": 1},
]

APPLICANTS: list[dict[str, Any]] = [
    # Non-ASCII ids in NFC ("é" composed, Hangul syllable, Cyrillic, astral letter).
    {
        "id": nfc("Zoé-01"),
        "choices": ["s-south", "s-north"],
        "priority": {"s-south": 0, "s-north": 1},
    },
    {
        "id": "학생-02",
        "choices": ["s-south", "s-closed", "s-west"],
        "priority": {"s-south": 1, "s-closed": 0, "s-west": 2},
    },
    {"id": "Жанна-03", "choices": ["s-north"], "priority": {"s-north": 2}},
    {
        "id": "\U0001d538-04",
        "choices": ["s-north", "s-south", "s-east"],
        "priority": {"s-north": 0, "s-south": 2, "s-east": 1},
    },
    {"id": "a05", "choices": [], "priority": {}},  # empty choice list: stays unplaced
    {"id": "a06", "choices": ["s-closed"], "priority": {"s-closed": 0}},
    {"id": "a07", "choices": ["s-west", "s-north"], "priority": {"s-west": 0, "s-north": 0}},
    {
        "id": "a08",
        "choices": ["s-west", "s-south", "s-north"],
        "priority": {"s-west": 1, "s-south": 0, "s-north": 1},
    },
    {"id": "a09", "choices": ["s-south"], "priority": {"s-south": 3}},
    {"id": "a10", "choices": ["s-north", "s-east"], "priority": {"s-north": 1, "s-east": 0}},
    {"id": "申请人-11", "choices": ["s-east", "s-north"], "priority": {"s-east": 2, "s-north": 0}},
    {"id": "a12", "choices": ["s-north"], "priority": {"s-north": 1}},
]

COMMITTED = [
    {"contributor": "公证处", "value": bytes.fromhex("00ff" * 16), "nonce": bytes(range(16))},
    {"contributor": "家长代表", "value": b"parents' value", "nonce": bytes(range(100, 132))},
]
AFTER_FREEZE = [
    {"contributor": "beacon", "value": bytes.fromhex("deadbeef" * 8)},
    {"contributor": "Observer", "value": b"\x00"},
]
CONTRIBUTION_SETS = {
    "committed": COMMITTED,
    "after-freeze": AFTER_FREEZE,
    "both": COMMITTED + AFTER_FREEZE,
}


def trust(bundle: dict[str, Any]) -> dict[str, bytes]:
    """The test's own keys (never the bundle's) for the signer names the bundle carries."""
    names = [s["signer"] for s in bundle.get("signatures", []) if s.get("signer") in KEYS]
    return trusted_keys(names)


def ref_verify(bundle: dict[str, Any]) -> list[str]:
    return ref.reference_verify(bundle, trust(bundle))


def failed_checks(
    bundle: dict[str, Any], *, accelerate: bool, trusted: dict[str, bytes] | None = None
) -> list[str]:
    """Names of the checks ``lottery.verify`` fails (empty when it accepts); trusted keys
    by default :func:`trust`."""
    trusted = trust(bundle) if trusted is None else trusted
    try:
        report = lottery.verify(bundle, trusted_keys=trusted, accelerate=accelerate)
    except lottery.VerificationError as exc:
        failed = [check.name for check in exc.report.checks if not check.ok]
        assert failed, "VerificationError without a failed check"
        return failed
    assert all(check.ok for check in report.checks)
    return []


def trusted_keys(names: list[str]) -> dict[str, bytes]:
    return {name: ref.raw_public_key(KEYS[name]) for name in names}


def run_cli(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lottery.verify", str(path), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


# --- reference bundles are accepted by the implementation -------------------------


@pytest.mark.parametrize("accelerate", [True, False], ids=["accel", "plain"])
@pytest.mark.parametrize("contributions", list(CONTRIBUTION_SETS), ids=str)
@pytest.mark.parametrize("mechanism", [None, DA, PF], ids=["no-key", "da", "pf"])
@pytest.mark.parametrize("order_seed", [None, 1, 2], ids=["as-given", "shuffled1", "shuffled2"])
def test_reference_bundle_is_accepted(
    mechanism: str | None, contributions: str, accelerate: bool, order_seed: int | None
) -> None:
    bundle = ref.make_bundle(
        "2024/朝阳/小学",
        SCHOOLS,
        APPLICANTS,
        CONTRIBUTION_SETS[contributions],
        mechanism,
        KEYS,
        order_seed=order_seed,
    )
    assert ("mechanism" in bundle) == (mechanism is not None)
    assert ref_verify(bundle) == []
    trusted = trusted_keys(list(KEYS))
    assert failed_checks(bundle, accelerate=accelerate, trusted=trusted) == []
    report = lottery.verify(bundle, trusted_keys=trusted, accelerate=accelerate)
    names = [check.name for check in report.checks]
    for name in ("input root", "seed", "tickets", "assignments"):
        assert name in names
    for contribution in CONTRIBUTION_SETS[contributions]:
        if "nonce" in contribution:
            assert f"commitment of {contribution['contributor']}" in names
    assert set(report.signers) == set(KEYS)
    placed = sum(1 for a in bundle["assignments"] if a["school"] is not None)
    assert report.placed == placed
    assert report.mechanism == (mechanism or DA)


@pytest.mark.parametrize("mechanism", [None, DA, PF], ids=["no-key", "da", "pf"])
def test_reference_bundle_is_accepted_by_the_cli(mechanism: str | None, tmp_path: Path) -> None:
    bundle = ref.make_bundle(
        "2024/朝阳/小学",
        SCHOOLS,
        APPLICANTS,
        COMMITTED + AFTER_FREEZE,
        mechanism,
        KEYS,
        order_seed=7,
    )
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False, indent=2), encoding="utf-8")
    keys = [f"--key={name}={ref.raw_public_key(key).hex()}" for name, key in KEYS.items()]
    for extra in (keys, [*keys, "--no-accel"], keys[:1]):
        result = run_cli(path, *extra)
        assert result.returncode == 0, (extra, result.stdout, result.stderr)
    for untrusted in ([], ["--no-accel"]):  # nothing trusted: never VALID
        assert run_cli(path, *untrusted).returncode == 1
    result = run_cli(path, "--json", *keys)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[0])
    assert report["valid"] is True
    assert report["draw_id"] == "2024/朝阳/小学"
    assert sorted(report["signers"]) == sorted(KEYS)


def test_cli_rejects_a_key_that_did_not_sign(tmp_path: Path) -> None:
    """Control for the test above: --key really is checked against the signers."""
    signers = {"observer": KEYS["observer"]}
    bundle = ref.make_bundle("d", SCHOOLS, APPLICANTS, AFTER_FREEZE, PF, signers)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    other = ref.raw_public_key(KEYS["公证处"]).hex()
    assert (
        run_cli(path, f"--key=observer={ref.raw_public_key(KEYS['observer']).hex()}").returncode
        == 0
    )
    assert run_cli(path, f"--key=公证处={other}").returncode == 1


# Corners the text allows without spelling them out: further bundle keys (covered by
# the signatures), negative priorities ("integer, lower is better"), priorities for
# schools not chosen ("a priority for every school in choices" is a floor), an empty
# district, a rehearsal draw id.
CORNERS: dict[str, dict[str, Any]] = {
    "further keys": {"extra": {"notice": "派位结果公告", "published": {"by": "区教委", "n": 3}}},
    "negative priorities": {
        "applicants": [
            {"id": "p", "choices": ["s-north"], "priority": {"s-north": -7}},
            {
                "id": "q",
                "choices": ["s-north", "s-south"],
                "priority": {"s-north": -(2**53 - 1), "s-south": 2**53 - 1},
            },
            {"id": "r", "choices": ["s-north"], "priority": {"s-north": 0}},
            {"id": "s", "choices": ["s-north"], "priority": {"s-north": 0}},
        ]
    },
    "priorities beyond choices": {
        "applicants": [
            {
                "id": "p",
                "choices": ["s-south"],
                "priority": {"s-south": 1, "s-north": 0, "s-east": 2},
            },
            {"id": "q", "choices": ["s-south"], "priority": {"s-south": 1}},
        ]
    },
    "no applicants": {"applicants": []},
    "rehearsal": {"draw_id": "rehearsal/2024/朝阳"},
}


@pytest.mark.parametrize("accelerate", [True, False], ids=["accel", "plain"])
@pytest.mark.parametrize("mechanism", [DA, PF], ids=["da", "pf"])
@pytest.mark.parametrize("corner", list(CORNERS), ids=str)
def test_reference_bundle_corners_are_accepted(
    corner: str, mechanism: str, accelerate: bool
) -> None:
    case = CORNERS[corner]
    bundle = ref.make_bundle(
        case.get("draw_id", "corner"),
        SCHOOLS,
        case.get("applicants", APPLICANTS),
        AFTER_FREEZE,
        mechanism,
        KEYS,
        order_seed=5,
        extra=case.get("extra"),
    )
    assert ref_verify(bundle) == []
    assert failed_checks(bundle, accelerate=accelerate) == []
    if "extra" in case:  # further keys are covered by the signatures
        altered = {**bundle, "notice": "改过的公告"}
        expected = sorted(f"signature of {name}" for name in KEYS)
        assert sorted(ref_verify(altered)) == expected
        assert sorted(failed_checks(altered, accelerate=accelerate)) == expected


@pytest.mark.parametrize("accelerate", [True, False], ids=["accel", "plain"])
def test_tampered_reference_bundle_is_rejected(accelerate: bool) -> None:
    """Control: acceptance above is not vacuous.  Swap two placed applicants' schools."""
    bundle = ref.make_bundle("d", SCHOOLS, APPLICANTS, AFTER_FREEZE, DA, KEYS)
    placed = [a for a in bundle["assignments"] if a["school"] is not None]
    first, second = next((a, b) for a in placed for b in placed if a["school"] != b["school"])
    first["school"], second["school"] = second["school"], first["school"]
    resigned = ref.sign(bundle, KEYS)
    assert ref_verify(resigned) == ["assignments"]
    assert failed_checks(resigned, accelerate=accelerate) == ["assignments"]
    # Unsigned-over tampering: the old signatures no longer match.
    stale = {
        **resigned,
        "signatures": ref.make_bundle("d", SCHOOLS, APPLICANTS, AFTER_FREEZE, DA, KEYS)[
            "signatures"
        ],
    }
    assert set(failed_checks(stale, accelerate=accelerate)) >= {
        f"signature of {name}" for name in KEYS
    }


# --- implementation bundles pass the reference, value by value --------------------


def implementation_contributions(draw_id: str) -> list[seeding.Contribution]:
    committed = seeding.commit(draw_id, "公证处")  # fresh random nonce and value
    return [
        committed,
        seeding.Contribution("beacon", bytes.fromhex("deadbeef" * 8)),
        seeding.Contribution("家长代表", b"after the freeze"),
    ]


def reference_contributions(contributions: list[seeding.Contribution]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in contributions:
        record: dict[str, Any] = {"contributor": c.contributor, "value": c.value}
        if c.nonce is not None:
            record["nonce"] = c.nonce
        out.append(record)
    return out


def assert_same_as_reference(
    draw_id: str,
    schools: list[dict[str, Any]],
    applicants: list[dict[str, Any]],
    contributions: list[seeding.Contribution],
    mechanism: str,
    *,
    accelerate: bool,
) -> dict[str, Any]:
    """Run the implementation and the reference on the same inputs; compare everything."""
    frozen = lottery.freeze(draw_id, schools, applicants, accelerate=accelerate)
    outcome = lottery.run_draw(
        frozen, contributions, mechanism=MECHANISM[mechanism], accelerate=accelerate
    )
    bundle = outcome.bundle

    root = ref.input_root(draw_id, schools, applicants)
    assert frozen.root == root
    assert bundle["ceremony"]["input_root"] == root.hex()

    for c in contributions:
        if c.nonce is not None:
            assert c.commitment == ref.commitment(draw_id, c.contributor, c.nonce, c.value)
    published = {c["contributor"]: c for c in bundle["ceremony"]["contributions"]}
    assert published == {
        c["contributor"]: c
        for c in (
            ref.contribution_record(draw_id, r) for r in reference_contributions(contributions)
        )
    }

    seed = ref.seed(draw_id, root, [(c.contributor, c.value) for c in contributions])
    assert bundle["ceremony"]["seed"] == seed.hex()

    tickets = {a["id"]: ref.ticket(seed, a["id"]) for a in applicants}
    assert dict(zip(outcome.table.applicant_ids, outcome.tickets, strict=True)) == tickets

    expected = ref.allocate(mechanism, schools, applicants, tickets)
    school_ids = outcome.table.school_ids
    got = {
        aid: (school_ids[int(index)] if int(index) >= 0 else None)
        for aid, index in zip(outcome.table.applicant_ids, outcome.placement.school, strict=True)
    }
    assert got == expected
    assert {a["applicant"]: a["school"] for a in bundle["assignments"]} == expected
    assert {a["applicant"]: a["ticket"] for a in bundle["assignments"]} == {
        aid: t.hex() for aid, t in tickets.items()
    }
    assert len(bundle["assignments"]) == len(applicants)
    assert bundle.get("mechanism", DA) == mechanism
    return bundle


@pytest.mark.parametrize("accelerate", [True, False], ids=["accel", "plain"])
@pytest.mark.parametrize("mechanism", [DA, PF], ids=["da", "pf"])
def test_implementation_bundle_passes_reference(mechanism: str, accelerate: bool) -> None:
    draw_id = "2024/朝阳/小学"
    bundle = assert_same_as_reference(
        draw_id,
        SCHOOLS,
        APPLICANTS,
        implementation_contributions(draw_id),
        mechanism,
        accelerate=accelerate,
    )
    for name, key in KEYS.items():
        bundle = lottery.sign_bundle(bundle, name, key)
    trusted = {name: bytes.fromhex(lottery.public_key_hex(key)) for name, key in KEYS.items()}
    assert trusted == trusted_keys(list(KEYS))
    assert ref.reference_verify(bundle, trusted) == []
    assert failed_checks(bundle, accelerate=accelerate, trusted=trusted) == []
    # The implementation's signature is over the digest the text defines.
    assert lottery.bundle_digest(bundle) == ref.bundle_digest(bundle)


def test_implementation_input_order_does_not_matter() -> None:
    draw_id = "order"
    forward = lottery.freeze(draw_id, SCHOOLS, APPLICANTS)
    backward = lottery.freeze(draw_id, SCHOOLS[::-1], APPLICANTS[::-1])
    assert forward.root == backward.root == ref.input_root(draw_id, SCHOOLS[::-1], APPLICANTS)


def test_merkle_root_matches_rfc6962_shape() -> None:
    """lottery.merkle_root against the literal recursion, for every size up to 40."""
    leaves = [ref.TH("paiwei/v1/leaf", bytes([i])) for i in range(40)]
    for n in range(41):
        assert lottery.merkle_root(leaves[:n]) == ref.MTH(leaves[:n]), n


# --- random districts: both implementations agree on everything -----------------

ID_ALPHABET = (
    "abcxyzAZ09-_ éüßЖж학생申请人αω\U0001d538\U0001f600" + "e\u0301"
)  # e + combining acute


SCHOOL_ALPHABET = "abcxyzAZ09-_/ ~"  # no "#"


@st.composite
def districts(draw: st.DrawFn) -> dict[str, Any]:
    # School ids are keys of "priority", and object keys are ASCII.  "#n" keeps ids unique.
    school_ids = [
        f"{draw(st.text(SCHOOL_ALPHABET, max_size=3))}#{i}" for i in range(draw(st.integers(1, 8)))
    ]
    schools = [{"id": sid, "capacity": draw(st.integers(0, 4))} for sid in school_ids]
    applicant_ids = [
        nfc(f"{draw(st.text(ID_ALPHABET, max_size=4))}#{i}")
        for i in range(draw(st.integers(0, 30)))
    ]
    applicants = []
    for aid in applicant_ids:
        choices = draw(st.lists(st.sampled_from(school_ids), max_size=4, unique=True))
        priority = {sid: draw(st.integers(0, 2)) for sid in choices}
        applicants.append({"id": aid, "choices": choices, "priority": priority})
    contributions = draw(
        st.lists(
            st.tuples(
                st.text(ID_ALPHABET, min_size=1, max_size=5).map(nfc),
                st.binary(min_size=1, max_size=40),
                st.none() | st.binary(min_size=16, max_size=32),
            ),
            min_size=1,
            max_size=3,
            unique_by=lambda c: c[0],
        )
    )
    return {
        "draw_id": draw(st.text(ID_ALPHABET + "/", min_size=1, max_size=12).map(nfc)),
        "schools": schools,
        "applicants": applicants,
        "contributions": [
            {"contributor": name, "value": value, **({"nonce": nonce} if nonce else {})}
            for name, value, nonce in contributions
        ],
        "mechanism": draw(st.sampled_from([DA, PF])),
    }


def implementation_view(
    contributions: list[dict[str, Any]],
    draw_id: str,
) -> list[seeding.Contribution]:
    out = []
    for c in contributions:
        nonce = c.get("nonce")
        out.append(
            seeding.Contribution(
                c["contributor"],
                c["value"],
                nonce,
                None
                if nonce is None
                else ref.commitment(draw_id, c["contributor"], nonce, c["value"]),
            )
        )
    return out


AGREEMENT = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@AGREEMENT
@given(district=districts())
def test_random_districts_agree(district: dict[str, Any]) -> None:
    draw_id = district["draw_id"]
    contributions = implementation_view(district["contributions"], draw_id)
    n = len(district["applicants"])
    event(f"applicants: {'0' if n == 0 else '1-10' if n <= 10 else '11-30'}")
    for accelerate in (True, False):
        bundle = assert_same_as_reference(
            draw_id,
            district["schools"],
            district["applicants"],
            contributions,
            district["mechanism"],
            accelerate=accelerate,
        )
        signed = lottery.sign_bundle(bundle, "observer", KEYS["observer"])
        assert ref_verify(signed) == []
    reference_bundle = ref.make_bundle(
        draw_id,
        district["schools"],
        district["applicants"],
        district["contributions"],
        district["mechanism"],
        {"observer": KEYS["observer"]},
        order_seed=len(draw_id),
    )
    assert failed_checks(reference_bundle, accelerate=True) == []
    assert failed_checks(reference_bundle, accelerate=False) == []


# --- switching the mechanism and re-signing --------------------------------------


def switched(bundle: dict[str, Any]) -> dict[str, Any]:
    other = PF if bundle.get("mechanism", DA) == DA else DA
    return ref.sign({**bundle, "mechanism": other}, {"observer": KEYS["observer"]})


def assert_switch_verdict(bundle: dict[str, Any]) -> bool:
    """A switched bundle is valid exactly when both mechanisms place everyone alike.

    Returns whether the two mechanisms differ on this bundle.
    """
    seed = bytes.fromhex(bundle["ceremony"]["seed"])
    tickets = {a["id"]: ref.ticket(seed, a["id"]) for a in bundle["applicants"]}
    differ = ref.deferred_acceptance(
        bundle["schools"], bundle["applicants"], tickets
    ) != ref.preference_first(bundle["schools"], bundle["applicants"], tickets)
    forged = switched(bundle)
    expected = ["assignments"] if differ else []
    assert ref_verify(forged) == expected
    assert failed_checks(forged, accelerate=True) == expected
    assert failed_checks(forged, accelerate=False) == expected
    return differ


# x listed A only; y wants B then A and has the better priority at A; z beats y at B.
# Preference-first seats x at A in step 1 and leaves y out; deferred acceptance lets
# y displace x at A.  The outcome does not depend on the tickets.
SWITCH_SCHOOLS = [{"id": "A", "capacity": 1}, {"id": "B", "capacity": 1}]
SWITCH_APPLICANTS = [
    {"id": "x", "choices": ["A"], "priority": {"A": 1}},
    {"id": "y", "choices": ["B", "A"], "priority": {"A": 0, "B": 1}},
    {"id": "z", "choices": ["B"], "priority": {"B": 0}},
]


@pytest.mark.parametrize("mechanism", [None, DA, PF], ids=["no-key", "da", "pf"])
def test_switched_mechanism_is_rejected_when_outcomes_differ(mechanism: str | None) -> None:
    bundle = ref.make_bundle(
        "switch", SWITCH_SCHOOLS, SWITCH_APPLICANTS, AFTER_FREEZE, mechanism, KEYS
    )
    assert assert_switch_verdict(bundle) is True


def test_switched_mechanism_is_accepted_when_outcomes_agree() -> None:
    # Everyone fits: both mechanisms admit everybody to their first choice.
    applicants = [{"id": f"a{i}", "choices": ["A"], "priority": {"A": 0}} for i in range(3)]
    bundle = ref.make_bundle(
        "agree", [{"id": "A", "capacity": 3}], applicants, AFTER_FREEZE, PF, KEYS
    )
    assert assert_switch_verdict(bundle) is False


@pytest.mark.parametrize("mechanism", [DA, PF], ids=["da", "pf"])
def test_switched_implementation_bundle_fails_assignments(mechanism: str) -> None:
    frozen = lottery.freeze("switch", SWITCH_SCHOOLS, SWITCH_APPLICANTS)
    outcome = lottery.run_draw(
        frozen, implementation_view(AFTER_FREEZE, "switch"), mechanism=MECHANISM[mechanism]
    )
    forged = switched(outcome.bundle)
    for accelerate in (True, False):
        assert "assignments" in failed_checks(forged, accelerate=accelerate)


@AGREEMENT
@given(district=districts())
def test_random_switched_mechanism_verdict(district: dict[str, Any]) -> None:
    bundle = ref.make_bundle(
        district["draw_id"],
        district["schools"],
        district["applicants"],
        district["contributions"],
        district["mechanism"],
        {"observer": KEYS["observer"]},
    )
    differ = assert_switch_verdict(bundle)
    event("mechanisms differ" if differ else "mechanisms agree")
