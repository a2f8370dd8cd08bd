"""Inclusion proofs (docs/draw-spec.md §19): RFC 6962 audit paths over the protocol's
applicant tree, verifying for every applicant and failing for any changed record."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lottery
from lottery._merkle import merkle_root, merkle_root_recursive
from lottery._proofs import (
    all_paths,
    applicant_proofs,
    check_proof,
    inclusion_path,
    root_from_path,
)
from seeding import tagged_hash
from tests.strategies import bundles


def leaves_of(n: int) -> list[bytes]:
    return [tagged_hash("paiwei/v1/leaf", bytes([i % 256, i // 256])) for i in range(n)]


@pytest.mark.parametrize("n", [*range(1, 18), 31, 32, 33, 100])
def test_every_path_leads_to_the_root_and_only_from_its_own_place(n: int) -> None:
    leaves = leaves_of(n)
    root = merkle_root(leaves)
    assert root == merkle_root_recursive(leaves)
    paths = all_paths(leaves)
    for i, leaf in enumerate(leaves):
        path = inclusion_path(leaves, i)
        assert paths[i] == path
        assert root_from_path(leaf, i, n, path) == root
        # Another index, another size, a shortened path: never this root.
        if n > 1:
            assert root_from_path(leaf, (i + 1) % n, n, path) != root
            assert root_from_path(leaves[(i + 1) % n], i, n, path) != root
        if path:
            assert root_from_path(leaf, i, n, path[:-1]) != root
    assert root_from_path(leaves[0], n, n, []) is None


@settings(max_examples=40, deadline=None)
@given(bundle=bundles(), data=st.data())
def test_proofs_of_a_bundle_verify_under_its_input_root(bundle: dict[str, Any], data: st.DataObject) -> None:
    proofs = applicant_proofs(bundle["draw_id"], bundle["schools"], bundle["applicants"])
    root = bundle["ceremony"]["input_root"]
    assert set(proofs) == {a["id"] for a in bundle["applicants"]}
    for applicant, proof in proofs.items():
        assert proof["input_root"] == root
        assert check_proof(proof, input_root=root, applicant=applicant) == []
    if not proofs:
        return  # a draw with no applicants has nothing to prove
    applicant = data.draw(st.sampled_from(sorted(proofs)))
    changed = copy.deepcopy(proofs[applicant])
    changed["record"]["choices"] = [*reversed(changed["record"]["choices"]), "elsewhere"]
    assert check_proof(changed, input_root=root) == ["input root"]


def test_a_changed_record_priority_or_path_fails(small_bundle: dict[str, Any]) -> None:
    proofs = applicant_proofs(small_bundle["draw_id"], small_bundle["schools"], small_bundle["applicants"])
    root = small_bundle["ceremony"]["input_root"]
    one = next(iter(proofs))
    proof = proofs[one]
    raised = copy.deepcopy(proof)
    school = next(iter(raised["record"]["priority"]))
    raised["record"]["priority"][school] += 1
    assert check_proof(raised, input_root=root) == ["input root"]
    flipped = copy.deepcopy(proof)
    flipped["path"][0] = ("00" if flipped["path"][0][:2] != "00" else "11") + flipped["path"][0][2:]
    assert check_proof(flipped, input_root=root) == ["input root"]
    assert check_proof(proof, input_root="00" * 32) == ["input root"]  # not the published root
    assert check_proof(proof, applicant="someone else") == ["record"]
    moved = {**proof, "index": (proof["index"] + 1) % proof["applicants"]}
    assert check_proof(moved, input_root=root) != []
    with pytest.raises(lottery.InvalidBundle):
        check_proof({**proof, "path": ["zz"]})


def test_the_proof_command(small_bundle: dict[str, Any], tmp_path: Path) -> None:
    proofs = applicant_proofs(small_bundle["draw_id"], small_bundle["schools"], small_bundle["applicants"])
    applicant, proof = next(iter(proofs.items()))
    (tmp_path / "proof.json").write_text(json.dumps(proof, ensure_ascii=False), encoding="utf-8")
    statement = {"format": "paiwei-freeze/1", "draw_id": small_bundle["draw_id"],
                 "input_root": small_bundle["ceremony"]["input_root"]}
    (tmp_path / "freeze.json").write_text(json.dumps(statement), encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "lottery.proof", *args], capture_output=True, text=True,
                              timeout=60, check=False)

    ok = run(str(tmp_path / "proof.json"), "--statement", str(tmp_path / "freeze.json"), "--applicant", applicant)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().endswith("VALID")
    wrong = run(str(tmp_path / "proof.json"), "--input-root", "11" * 32)
    assert wrong.returncode == 1 and "INVALID: input root" in wrong.stdout
    (tmp_path / "bad.json").write_text("[1]", encoding="utf-8")
    bad = run(str(tmp_path / "bad.json"))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_vector_g_proofs_check_and_the_changed_record_fails() -> None:
    vector = json.loads((Path(__file__).resolve().parents[2] / "vectors" / "g_inclusion.json").read_text("utf-8"))
    assert len(vector["proofs"]) == 7
    for item in vector["proofs"]:
        proof = item["proof"]
        assert check_proof(proof, input_root=vector["input_root"], applicant=proof["record"]["id"]) == []
        leaf = bytes.fromhex(item["leaf"])
        path = [bytes.fromhex(p) for p in proof["path"]]
        assert root_from_path(leaf, proof["index"], proof["applicants"], path) == bytes.fromhex(
            vector["applicants_root"])
    changed = vector["changed_record"]
    assert check_proof(changed["proof"], input_root=vector["input_root"]) == changed["report"]
