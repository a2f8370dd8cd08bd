"""Inclusion proofs (docs/draw-spec.md §19, an addition to v1): an applicant's record is a
leaf of MTH(applicants) under a published input root.

The audit path is RFC 6962's PATH(m, D[n]) (RFC 9162 §2.1.3) over the protocol's own
tree (§6: leaves TH("paiwei/v1/leaf", JCS(record)) sorted by id bytes, nodes
TH("paiwei/v1/node", left ‖ right)). A proof document (``paiwei-inclusion/1``) carries the
record, its index, the tree size, the path, MTH(schools) and the input root; checking it
needs the standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lottery._canonical import canonical_json
from lottery._errors import InvalidBundle
from lottery._inputs import INPUTS_TAG
from lottery._merkle import LEAF_TAG, NODE_TAG, _split, audit_path, merkle_root, root_from_path
from lottery._parse import hex_field, require_list, require_object, text_field
from seeding import frame, tagged_hash

PROOF_FORMAT = "paiwei-inclusion/1"


inclusion_path = audit_path  # RFC 6962 PATH(m, D[n]), shared with the browser's check


def all_paths(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every leaf's path at once, from one pass over the tree (O(n log n) hashes in all)."""
    paths: list[list[bytes]] = [[] for _ in leaves]

    def walk(lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return leaves[lo]
        k = _split(hi - lo)
        left, right = walk(lo, lo + k), walk(lo + k, hi)
        for i in range(lo, lo + k):
            paths[i].append(right)
        for i in range(lo + k, hi):
            paths[i].append(left)
        return tagged_hash(NODE_TAG, left + right)

    if leaves:
        walk(0, len(leaves))
    return paths


def applicant_proofs(
    draw_id: str, schools: Sequence[Mapping[str, Any]], applicants: Sequence[Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """A ``paiwei-inclusion/1`` document for every applicant of the frozen inputs, by id."""
    school_leaves = [
        tagged_hash(LEAF_TAG, canonical_json(s))
        for s in sorted(schools, key=lambda r: str(r["id"]).encode("utf-8"))
    ]
    ordered = sorted(applicants, key=lambda r: str(r["id"]).encode("utf-8"))
    leaves = [tagged_hash(LEAF_TAG, canonical_json(a)) for a in ordered]
    schools_root = merkle_root(school_leaves)
    applicants_root = merkle_root(leaves)
    input_root = tagged_hash(INPUTS_TAG, frame(draw_id) + schools_root + applicants_root)
    out: dict[str, dict[str, Any]] = {}
    for index, (record, path) in enumerate(zip(ordered, all_paths(leaves), strict=True)):
        out[str(record["id"])] = {
            "format": PROOF_FORMAT,
            "draw_id": draw_id,
            "input_root": input_root.hex(),
            "schools_root": schools_root.hex(),
            "applicants": len(leaves),
            "index": index,
            "record": dict(record),
            "path": [p.hex() for p in path],
        }
    return out


def check_proof(
    proof: Mapping[str, Any], *, input_root: str | None = None, applicant: str | None = None
) -> list[str]:
    """Names of the failed checks of a proof document (empty: it proves inclusion).

    ``input_root`` is the one published in the freeze statement, ``applicant`` the id the
    parent holds. Checks: ``record`` (its id is ``applicant``), ``path`` (the path leads
    from the record's leaf to a root), ``input root`` (that root, MTH(schools) and the
    draw id give the stated input root, and it is the published one). Raises
    InvalidBundle when the document is malformed.
    """
    doc = require_object(
        proof,
        "",
        (
            "format",
            "draw_id",
            "input_root",
            "schools_root",
            "applicants",
            "index",
            "record",
            "path",
        ),
    )
    if doc["format"] != PROOF_FORMAT:
        raise InvalidBundle(f"format must be {PROOF_FORMAT!r}", "/format")
    draw_id = text_field(doc["draw_id"], "/draw_id")
    stated_root = hex_field(doc["input_root"], "/input_root", size=32)
    schools_root = hex_field(doc["schools_root"], "/schools_root", size=32)
    path = [
        hex_field(p, f"/path/{i}", size=32)
        for i, p in enumerate(require_list(doc["path"], "/path"))
    ]
    size, index = doc["applicants"], doc["index"]
    if type(size) is not int or type(index) is not int or size < 1 or not 0 <= index < size:
        raise InvalidBundle("index and applicants are integers, 0 <= index < applicants", "/index")
    record = require_object(doc["record"], "/record", ("id",))
    try:
        leaf = tagged_hash(LEAF_TAG, canonical_json(record))
    except ValueError as exc:
        raise InvalidBundle(str(exc), "/record") from exc
    failed: list[str] = []
    if applicant is not None and record["id"] != applicant:
        failed.append("record")
    root = root_from_path(leaf, index, size, path)
    if root is None:
        failed.append("path")
    else:
        computed = tagged_hash(INPUTS_TAG, frame(draw_id) + schools_root + root)
        if computed != stated_root or (
            input_root is not None and input_root.lower() != stated_root.hex()
        ):
            failed.append("input root")
    return failed


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m lottery.proof PROOF.json [--input-root HEX | --statement FREEZE.json] [--applicant ID]``.

    Exit status: 0 the record is among the frozen inputs, 1 a check failed, 2 malformed."""
    import argparse  # noqa: PLC0415
    import json  # noqa: PLC0415
    import sys  # noqa: PLC0415

    from lottery._parse import load_json  # noqa: PLC0415

    parser = argparse.ArgumentParser(
        prog="python -m lottery.proof",
        description="Check that an applicant's record is among a round's frozen inputs.",
    )
    parser.add_argument("proof", metavar="PROOF.json")
    parser.add_argument("--input-root", help="the input root of the published freeze statement")
    parser.add_argument(
        "--statement", help="the published freeze statement (its input_root is used)"
    )
    parser.add_argument("--applicant", help="your applicant id (派位编号)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        with open(args.proof, "rb") as fh:
            doc = load_json(fh.read())
        root = args.input_root
        if args.statement:
            with open(args.statement, "rb") as fh:
                statement = load_json(fh.read())
            if type(statement) is not dict or type(statement.get("input_root")) is not str:
                raise InvalidBundle("the freeze statement has no input_root", args.statement)
            if type(doc) is dict and statement.get("draw_id") != doc.get("draw_id"):
                raise InvalidBundle("the freeze statement is of another draw", args.statement)
            root = statement["input_root"]
        if type(doc) is not dict:
            raise InvalidBundle("a proof is a JSON object")
        failed = check_proof(doc, input_root=root, applicant=args.applicant)
    except OSError as exc:
        print(f"error: cannot read: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    except InvalidBundle as exc:
        print(f"error: malformed proof: {exc}", file=sys.stderr)
        return 2
    checked = "the published input root" if root else "the input root the proof states"
    if args.json:
        print(
            json.dumps(
                {
                    "valid": not failed,
                    "draw_id": doc["draw_id"],
                    "applicant": doc["record"]["id"],
                    "input_root": doc["input_root"],
                    "failed": failed,
                },
                ensure_ascii=False,
            )
        )
    elif failed:
        print(f"INVALID: {', '.join(failed)}")
    else:
        print(f"{doc['record']['id']} is among the frozen inputs of {doc['draw_id']} ({checked})")
        print("VALID")
    return 1 if failed else 0
