"""The spec's test vectors (tests/vectors/*.json), recomputed value by value.

Each vector holds a draw's inputs and every intermediate value; here each value is
recomputed with the public functions of ``seeding`` and ``lottery`` (and RFC 8785
through the ``rfc8785`` reference package) and compared. scripts/make_vectors.py
writes the files; one test checks that the checked-in files are what it writes.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import lottery
from lottery import (
    Mechanism,
    applicant_table,
    bundle_digest,
    canonical_json,
    freeze,
    input_root,
    merkle_root,
    place,
    run_draw,
    school_columns,
    school_results,
    sign_bundle,
    ticket_ranks,
    tickets,
    verify,
)
from seeding import (
    Contribution,
    ProtocolValueError,
    check_opening,
    commitment_of,
    derive_seed,
    frame,
    tagged_hash,
    text_bytes,
    u32,
)

ROOT = Path(__file__).resolve().parents[3]
VECTORS = ROOT / "tests" / "vectors"
SPEC = ROOT / "docs" / "draw-spec.md"
ALL_FILES = sorted(VECTORS.glob("*.json"))
DRAW_FILES = [p for p in ALL_FILES if "bundle" in json.loads(p.read_text(encoding="utf-8"))]
TEST_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
SIGNER = "test-district"
ACCEL = [pytest.param(True, id="accel"), pytest.param(False, id="plain")]


def load(name: str | Path) -> Any:
    path = name if isinstance(name, Path) else VECTORS / name
    return json.loads(path.read_text(encoding="utf-8"))


def trusted() -> dict[str, bytes]:
    return {SIGNER: TEST_KEY.public_key().public_bytes_raw()}


def contributions_of(vector: dict[str, Any]) -> list[Contribution]:
    draw_id = vector["inputs"]["draw_id"]
    out = []
    for c in vector["inputs"]["contributions"]:
        value = bytes.fromhex(c["value"])
        if "nonce" in c:
            nonce = bytes.fromhex(c["nonce"])
            out.append(
                Contribution(
                    c["contributor"],
                    value,
                    nonce,
                    commitment_of(draw_id, c["contributor"], nonce, value),
                )
            )
        else:
            out.append(Contribution(c["contributor"], value))
    return out


def check_tree(records: list[dict[str, Any]], tree: dict[str, Any]) -> bytes:
    """Leaves in id byte order, each JCS text, each internal node, and the root."""
    ordered = sorted(records, key=lambda r: r["id"].encode("utf-8"))
    assert [leaf["id"] for leaf in tree["leaves"]] == [r["id"] for r in ordered]
    leaves = []
    for record, leaf in zip(ordered, tree["leaves"], strict=True):
        encoded = canonical_json(record)
        assert encoded == rfc8785.dumps(record)
        assert encoded.decode("utf-8") == leaf["jcs"]
        h = tagged_hash("paiwei/v1/leaf", encoded)
        assert h.hex() == leaf["leaf"]
        leaves.append(h)
    for node in tree["nodes"]:
        start, end = node["range"]
        assert end - start > 1
        assert merkle_root(leaves[start:end]).hex() == node["hash"]
    # n - 1 internal nodes, the last of them the root.
    assert len(tree["nodes"]) == max(len(leaves) - 1, 0)
    root = merkle_root(leaves)
    assert root.hex() == tree["root"]
    if tree["nodes"]:
        assert tree["nodes"][-1] == {"range": [0, len(leaves)], "hash": tree["root"]}
    return root


def test_every_vector_file_is_covered() -> None:
    names = {p.name for p in ALL_FILES}
    assert {"primitives.json", "c_merkle.json"} <= names
    assert {p.name for p in DRAW_FILES} == names - {"primitives.json", "c_merkle.json", "g_inclusion.json"}
    assert len(DRAW_FILES) >= 5


def test_primitives() -> None:
    v = load("primitives.json")
    for t in v["tags"]:
        tag = t["tag"].encode("ascii")
        assert hashlib.sha256(tag).hexdigest() == t["sha256_tag"]
        prefix = bytes.fromhex(t["sha256_tag"]) * 2
        assert len(prefix) == 64  # one SHA-256 block
        assert (
            tagged_hash(t["tag"], b"").hex() == t["th_empty"] == hashlib.sha256(prefix).hexdigest()
        )
        assert tagged_hash(t["tag"], b"abc").hex() == t["th_abc"]
        assert hashlib.sha256(prefix + b"abc").hexdigest() == t["th_abc"]
    for case in v["u32"]:
        assert u32(case["n"]).hex() == case["hex"]
    for case in v["frames"]:
        if "text" in case:
            assert text_bytes(case["text"]).hex() == case["utf8"]
            assert frame(case["text"]).hex() == case["frame"]
        else:
            assert frame(bytes.fromhex(case["bytes"])).hex() == case["frame"]
    for text in v["not_nfc"]:
        with pytest.raises(ProtocolValueError):
            frame(text)
    assert v["test_key"]["private_seed"] == bytes(range(32)).hex()
    assert v["test_key"]["public_key"] == lottery.public_key_hex(TEST_KEY)
    assert v["format"] == lottery.FORMAT == "paiwei-draw/1"


def test_merkle_cases() -> None:
    v = load("c_merkle.json")
    assert [case["size"] for case in v["cases"]] == [0, 1, 2, 3, 5]
    for case in v["cases"]:
        root = check_tree(case["records"], case)
        if case["size"] == 0:
            assert root == tagged_hash("paiwei/v1/empty", b"")


@pytest.mark.parametrize("path", DRAW_FILES, ids=lambda p: p.stem)
def test_draw_intermediates(path: Path) -> None:
    v = load(path)
    inputs = v["inputs"]
    draw_id, schools, applicants = inputs["draw_id"], inputs["schools"], inputs["applicants"]
    mechanism = Mechanism(inputs["mechanism"])

    # Input root.
    schools_root = check_tree(schools, v["schools_tree"])
    applicants_root = check_tree(applicants, v["applicants_tree"])
    preimage = frame(draw_id) + schools_root + applicants_root
    assert preimage.hex() == v["input_root_preimage"]
    root = tagged_hash("paiwei/v1/inputs", preimage)
    assert root.hex() == v["input_root"]
    for accelerate in (True, False):
        assert input_root(draw_id, schools, applicants, accelerate=accelerate) == root
        assert freeze(draw_id, schools, applicants, accelerate=accelerate).root == root

    # Commitments and seed.
    made = contributions_of(v)
    committed = [c for c in made if c.committed]
    assert [c["contributor"] for c in v["commitments"]] == [c.contributor for c in committed]
    for c, stated in zip(committed, v["commitments"], strict=True):
        assert c.nonce is not None and c.commitment is not None
        pre = frame(draw_id) + frame(c.contributor) + frame(c.nonce) + frame(c.value)
        assert pre.hex() == stated["preimage"]
        assert tagged_hash("paiwei/v1/commit", pre) == c.commitment
        assert c.commitment.hex() == stated["commitment"]
        check_opening(draw_id, c, bytes.fromhex(stated["commitment"]))
    seed_pre = frame(draw_id) + root
    for c in sorted(made, key=lambda c: c.contributor.encode("utf-8")):
        seed_pre += frame(c.contributor) + frame(c.value)
    assert seed_pre.hex() == v["seed_preimage"]
    seed = derive_seed(draw_id, root, made)
    assert seed == tagged_hash("paiwei/v1/seed", seed_pre)
    assert seed.hex() == v["seed"]

    # Tickets and lottery order.
    ids = [t["applicant"] for t in v["tickets"]]
    assert ids == sorted((a["id"] for a in applicants), key=lambda a: a.encode("utf-8"))
    computed = tickets(seed, ids)
    for applicant_id, t, stated in zip(ids, computed, v["tickets"], strict=True):
        assert frame(applicant_id).hex() == stated["frame"]
        assert tagged_hash("paiwei/v1/ticket", seed + frame(applicant_id)) == t
        assert t.hex() == stated["ticket"]
    ranks = ticket_ranks(computed, ids)
    assert [ids[i] for i in sorted(range(len(ids)), key=ranks.__getitem__)] == v["lottery_order"]

    # Placement, on both engines, and the trace's final state.
    ids_s, caps = school_columns(schools)
    table = applicant_table(ids_s, caps, sorted(applicants, key=lambda a: a["id"]))
    assert list(table.applicant_ids) == ids
    by_id = {a["id"]: a for a in applicants}
    for accelerate in (True, False):
        placement = place(mechanism, table, computed, accelerate=accelerate)
        got = [None if s < 0 else ids_s[s] for s in map(int, placement.school)]
        choice = [None if r < 0 else r + 1 for r in map(int, placement.rank)]
        assert got == [row["school"] for row in v["assignment"]]
        assert choice == [row["choice"] for row in v["assignment"]]
        assert school_results(table, placement, computed) == v["bundle"]["school_results"]
    for row in v["assignment"]:
        if row["school"] is not None:
            assert by_id[row["applicant"]]["choices"][row["choice"] - 1] == row["school"]
    assert trace_outcome(mechanism, v["trace"], ids) == [row["school"] for row in v["assignment"]]

    # Bundle, digest, signature.
    unsigned = {**v["bundle"], "signatures": []}
    extra = inputs.get("extra")
    for accelerate in (True, False):
        drawn = run_draw(
            freeze(draw_id, schools, applicants, accelerate=accelerate),
            made,
            mechanism=mechanism,
            extra=extra,
            accelerate=accelerate,
        )
        assert drawn.bundle == unsigned
    body = {k: val for k, val in unsigned.items() if k != "signatures"}
    jcs = canonical_json(body)
    assert jcs == rfc8785.dumps(body)
    assert hashlib.sha256(jcs).hexdigest() == v["bundle_jcs_sha256"]
    digest = bundle_digest(unsigned)
    assert digest == tagged_hash("paiwei/v1/bundle", jcs)
    assert digest.hex() == v["bundle_digest"]
    assert sign_bundle(unsigned, SIGNER, TEST_KEY) == v["bundle"]
    assert v["bundle"]["signatures"] == v["signatures"]
    assert v["signatures"] == [
        {
            "signer": SIGNER,
            "public_key": lottery.public_key_hex(TEST_KEY),
            "signature": TEST_KEY.sign(digest).hex(),
        }
    ]


def trace_outcome(mechanism: Mechanism, trace: list[dict[str, Any]], ids: list[str]) -> list[Any]:
    """Who holds which seat at the end of the recorded trace."""
    outcome: dict[str, Any] = dict.fromkeys(ids)
    if mechanism is Mechanism.PREFERENCE_FIRST:
        for step in trace:
            for school, row in step["schools"].items():
                assert row["seats_after"] == row["seats_before"] - len(row["admitted"])
                assert [e["applicant"] for e in row["applying"]] == row["admitted"] + row[
                    "turned_away"
                ]
                for a in row["admitted"]:
                    assert outcome[a] is None
                    outcome[a] = school
    elif trace:
        for school, held in trace[-1]["held"].items():
            for entry in held:
                outcome[entry["applicant"]] = school
    return [outcome[a] for a in ids]


@pytest.mark.parametrize("accelerate", ACCEL)
@pytest.mark.parametrize("path", DRAW_FILES, ids=lambda p: p.stem)
def test_vector_bundle_verifies(path: Path, accelerate: bool) -> None:
    v = load(path)
    report = verify(v["bundle"], trusted_keys=trusted(), accelerate=accelerate)
    assert report.valid
    assert [c.name for c in report.checks] == v["report"]["checks"]
    assert report.placed == v["report"]["placed"]
    assert report.rehearsal == v["report"]["rehearsal"]
    assert report.rehearsal == v["inputs"]["draw_id"].startswith("rehearsal/")
    # Parsing the bundle's own bytes gives the same value.
    data = json.dumps(v["bundle"], ensure_ascii=False).encode("utf-8")
    assert lottery.parse_bundle(data, accelerate=accelerate) == v["bundle"]


@pytest.mark.parametrize("accelerate", ACCEL)
def test_tampered_vector_fails_verification(accelerate: bool) -> None:
    v = load("a_tiny_deferred_acceptance.json")
    bundle = json.loads(json.dumps(v["bundle"]))
    bundle["assignments"][0]["school"] = None
    with pytest.raises(lottery.VerificationError) as info:
        verify(bundle, trusted_keys=trusted(), accelerate=accelerate)
    failed = {c.name for c in info.value.report.failures}
    assert failed == {"assignments", "signature of test-district"}


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def mutate(bundle: dict[str, Any]) -> None:
        target: Any = bundle
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


MALFORMED = {
    "float in an assignment's further key": _set(("assignments", 0, "note"), 1.5),
    "non-ASCII key in an assignment": _set(("assignments", 0, "é"), 1),
    "huge integer in an assignment": _set(("assignments", 0, "note"), 2**60),
    "list as an assigned school": _set(("assignments", 0, "school"), ["school-a"]),
    "unknown mechanism": _set(("mechanism",), "lottery"),
    "uppercase hex seed": _set(("ceremony", "seed"), "A" * 64),
    "odd-length hex value": _set(("ceremony", "contributions", 1, "value"), "abc"),
    "short nonce": _set(("ceremony", "contributions", 0, "nonce"), "00" * 15),
    "repeated school in choices": _set(("applicants", 1, "choices"), ["school-a", "school-a"]),
    "choice naming no school": _set(("applicants", 0, "choices"), ["school-z"]),
    "missing priority for a choice": _set(("applicants", 0, "priority"), {}),
    "non-NFC applicant id": _set(("applicants", 0, "id"), "e\u0301"),
    "float capacity": _set(("schools", 0, "capacity"), 2.0),
    "integer beyond 2^53 - 1": _set(("schools", 0, "x"), 2**53),
    "lone surrogate": _set(("schools", 0, "x"), "\ud800"),
    "duplicate school id": _set(("schools", 1, "id"), "school-a"),
    "other format": _set(("format",), "paiwei-draw/2"),
}


@pytest.mark.parametrize("accelerate", ACCEL)
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_variants_of_vector_a(case: str, accelerate: bool) -> None:
    bundle = json.loads(json.dumps(load("a_tiny_deferred_acceptance.json")["bundle"]))
    MALFORMED[case](bundle)
    with pytest.raises(lottery.InvalidBundle):
        verify(bundle, trusted_keys=trusted(), accelerate=accelerate)


@pytest.mark.parametrize("accelerate", ACCEL)
def test_school_results_compare_as_json_not_as_python(accelerate: bool) -> None:
    """true is not 1: a re-signed bundle stating true for a count fails "school results"."""
    bundle = json.loads(json.dumps(load("a_tiny_deferred_acceptance.json")["bundle"]))
    row = next(r for r in bundle["school_results"] if r["cutoff"] and r["cutoff"]["priority"] == 1)
    row["cutoff"]["priority"] = True
    bundle = sign_bundle({**bundle, "signatures": []}, SIGNER, TEST_KEY)
    with pytest.raises(lottery.VerificationError) as info:
        verify(bundle, trusted_keys=trusted(), accelerate=accelerate)
    assert [c.name for c in info.value.report.failures] == ["school results"]


def test_vectors_a_and_b_differ_only_by_mechanism() -> None:
    a, b = load("a_tiny_deferred_acceptance.json"), load("b_tiny_preference_first.json")
    assert {k: val for k, val in a["inputs"].items() if k != "mechanism"} == {
        k: val for k, val in b["inputs"].items() if k != "mechanism"
    }
    assert a["seed"] == b["seed"]
    assert a["assignment"] != b["assignment"]


def test_verifier_cli_on_a_vector(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v = load("e_rehearsal.json")
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(v["bundle"], ensure_ascii=False), encoding="utf-8")
    key = f"{SIGNER}={lottery.public_key_hex(TEST_KEY)}"
    from lottery._verifier import main  # noqa: PLC0415  the CLI entry point

    assert main([str(path), "--key", key, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True
    assert report["rehearsal"] is True
    assert report["path"] == str(path)
    assert [c["name"] for c in report["checks"]] == v["report"]["checks"]


def test_spec_quotes_only_vector_values() -> None:
    """Every long hex value quoted in docs/draw-spec.md appears in some vector file."""
    quoted = set(
        re.findall(r"(?<![0-9a-f])[0-9a-f]{32,}(?![0-9a-f])", SPEC.read_text(encoding="utf-8"))
    )
    assert quoted, "the spec cites vector values"
    corpus = "".join(p.read_text(encoding="utf-8") for p in ALL_FILES)
    assert sorted(h for h in quoted if h not in corpus) == []


def test_make_vectors_check_passes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_vectors.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
