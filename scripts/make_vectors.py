"""Regenerate the test vectors of draw protocol v1 (tests/vectors/*.json), deterministically.

    python scripts/make_vectors.py           write the files
    python scripts/make_vectors.py --check   regenerate in memory; exit 1 naming each file
                                             that differs, is missing or is extra; else 0

Nothing here is random: nonces and values are fixed bytes, and bundles are signed
with a TEST key whose private seed is bytes(range(32)) (Ed25519 signatures are
deterministic). Never trust that key for a real draw.

Every intermediate value is computed here from the protocol text, with the hash
primitives of ``seeding`` and JCS, and then compared with what ``lottery`` produces:
if the implementation contradicts the protocol, this script fails loudly instead of
writing a vector that hides the difference. The mechanism traces (rounds of
deferred acceptance, steps of preference-first) come from small reference versions
written here for readers, also compared with the implementation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lottery import (
    FORMAT,
    Mechanism,
    bundle_digest,
    canonical_json,
    freeze,
    key_set_fingerprint,
    public_key_hex,
    run_draw,
    sign_bundle,
    verify,
)
from seeding import Contribution, frame, tagged_hash, u32

VECTOR_DIR = Path(__file__).resolve().parent.parent / "tests" / "vectors"

TEST_KEY_SEED = bytes(range(32))
SIGNER = "test-district"

LEAF, NODE, EMPTY = "paiwei/v1/leaf", "paiwei/v1/node", "paiwei/v1/empty"
INPUTS, COMMIT, SEED = "paiwei/v1/inputs", "paiwei/v1/commit", "paiwei/v1/seed"
TICKET, BUNDLE = "paiwei/v1/ticket", "paiwei/v1/bundle"
TAGS = (LEAF, NODE, EMPTY, INPUTS, COMMIT, SEED, TICKET, BUNDLE)


class Mismatch(AssertionError):
    """The implementation disagrees with the protocol text as computed here."""


def same(label: str, mine: Any, theirs: Any) -> None:
    if mine != theirs:
        raise Mismatch(f"{label}: protocol text gives {mine!r}, implementation gives {theirs!r}")


def test_key() -> Ed25519PrivateKey:
    """The fixed TEST signing key of the vectors (private seed bytes 00 01 .. 1f)."""
    return Ed25519PrivateKey.from_private_bytes(TEST_KEY_SEED)


def key_of(text: str) -> bytes:
    """Sort key of protocol text: its UTF-8 bytes."""
    return text.encode("utf-8")


# --- Merkle tree ------------------------------------------------------------------------


def mth(leaves: Sequence[bytes], start: int = 0) -> tuple[bytes, list[dict[str, Any]]]:
    """MTH by the recursive definition, with every internal node as {"range": [i, j), "hash"}."""
    n = len(leaves)
    if n == 0:
        return tagged_hash(EMPTY, b""), []
    if n == 1:
        return leaves[0], []
    k = 1
    while k * 2 < n:
        k *= 2
    left, left_nodes = mth(leaves[:k], start)
    right, right_nodes = mth(leaves[k:], start + k)
    node = tagged_hash(NODE, left + right)
    return node, [*left_nodes, *right_nodes, {"range": [start, start + n], "hash": node.hex()}]


def records_tree(records: Sequence[Mapping[str, Any]]) -> tuple[bytes, dict[str, Any]]:
    """Leaves (sorted by id bytes), their JCS text, internal nodes and root of a record list."""
    ordered = sorted(records, key=lambda r: key_of(r["id"]))
    encoded = [canonical_json(r) for r in ordered]
    leaves = [tagged_hash(LEAF, e) for e in encoded]
    root, nodes = mth(leaves)
    return root, {
        "leaves": [
            {"id": r["id"], "jcs": e.decode("utf-8"), "leaf": h.hex()}
            for r, e, h in zip(ordered, encoded, leaves, strict=True)
        ],
        "nodes": nodes,
        "root": root.hex(),
    }


# --- Reference mechanisms, for the traces -----------------------------------------------


def rank_key(
    applicant: Mapping[str, Any], school: str, tickets: Mapping[str, bytes]
) -> tuple[int, bytes, bytes]:
    """(priority at that school, ticket, id bytes): lower is better."""
    return (applicant["priority"][school], tickets[applicant["id"]], key_of(applicant["id"]))


def entries(
    ids: Sequence[str],
    school: str,
    by_id: Mapping[str, Mapping[str, Any]],
    tickets: Mapping[str, bytes],
    position: Mapping[str, int],
) -> list[dict[str, Any]]:
    ordered = sorted(ids, key=lambda a: rank_key(by_id[a], school, tickets))
    return [
        {"applicant": a, "priority": by_id[a]["priority"][school], "position": position[a]}
        for a in ordered
    ]


def trace_deferred_acceptance(
    schools: Sequence[Mapping[str, Any]],
    applicants: Sequence[Mapping[str, Any]],
    tickets: Mapping[str, bytes],
    position: Mapping[str, int],
) -> tuple[dict[str, str | None], list[dict[str, Any]]]:
    """Applicant-proposing deferred acceptance in simultaneous rounds (Gale-Shapley).

    Each round every applicant not held anywhere proposes to the next school on
    its list; each school keeps its best ``capacity`` among those it held and its
    new proposers, and rejects the rest. The stable outcome does not depend on the
    order of proposals, so this equals the implementation's one-at-a-time loop.
    """
    by_id = {a["id"]: a for a in applicants}

    def school_key(school: str, a: str) -> tuple[int, bytes, bytes]:
        return rank_key(by_id[a], school, tickets)

    capacity = {s["id"]: s["capacity"] for s in schools}
    held: dict[str, list[str]] = {s["id"]: [] for s in schools}
    next_choice = dict.fromkeys(by_id, 0)
    free = sorted((a for a in by_id if by_id[a]["choices"]), key=key_of)
    rounds: list[dict[str, Any]] = []
    while free:
        proposals: dict[str, list[str]] = {}
        for a in free:
            school = by_id[a]["choices"][next_choice[a]]
            next_choice[a] += 1
            proposals.setdefault(school, []).append(a)
        rejected: list[str] = []
        for school, new in proposals.items():
            pool = sorted(held[school] + new, key=partial(school_key, school))
            held[school] = pool[: capacity[school]]
            rejected.extend(pool[capacity[school] :])
        rounds.append(
            {
                "round": len(rounds) + 1,
                "proposals": {
                    s: entries(ids, s, by_id, tickets, position)
                    for s, ids in sorted(proposals.items())
                },
                "held": {
                    s: entries(ids, s, by_id, tickets, position) for s, ids in sorted(held.items())
                },
                "rejected": sorted(rejected, key=key_of),
            }
        )
        free = sorted(
            (a for a in rejected if next_choice[a] < len(by_id[a]["choices"])), key=key_of
        )
    outcome: dict[str, str | None] = dict.fromkeys(by_id)
    for school, ids in held.items():
        for a in ids:
            outcome[a] = school
    return outcome, rounds


def trace_preference_first(
    schools: Sequence[Mapping[str, Any]],
    applicants: Sequence[Mapping[str, Any]],
    tickets: Mapping[str, bytes],
    position: Mapping[str, int],
) -> tuple[dict[str, str | None], list[dict[str, Any]]]:
    """志愿优先, step by step: k-th choices of those not yet placed, admitted for good."""
    by_id = {a["id"]: a for a in applicants}

    def school_key(school: str, a: str) -> tuple[int, bytes, bytes]:
        return rank_key(by_id[a], school, tickets)

    seats = {s["id"]: s["capacity"] for s in schools}
    outcome: dict[str, str | None] = dict.fromkeys(by_id)
    longest = max((len(a["choices"]) for a in applicants), default=0)
    steps: list[dict[str, Any]] = []
    for k in range(longest):
        applying: dict[str, list[str]] = {}
        for a in sorted(by_id, key=key_of):
            choices = by_id[a]["choices"]
            if outcome[a] is None and k < len(choices):
                applying.setdefault(choices[k], []).append(a)
        schools_at_step = {}
        for school, ids in sorted(applying.items()):
            queue = sorted(ids, key=partial(school_key, school))
            admitted = queue[: seats[school]]
            schools_at_step[school] = {
                "applying": entries(queue, school, by_id, tickets, position),
                "seats_before": seats[school],
                "admitted": admitted,
                "turned_away": queue[seats[school] :],
                "seats_after": seats[school] - len(admitted),
            }
            seats[school] -= len(admitted)
            for a in admitted:
                outcome[a] = school
        steps.append({"step": k + 1, "schools": schools_at_step})
    return outcome, steps


def reference_school_results(
    schools: Sequence[Mapping[str, Any]],
    applicants: Sequence[Mapping[str, Any]],
    outcome: Mapping[str, str | None],
    tickets: Mapping[str, bytes],
) -> list[dict[str, Any]]:
    """The per-school summary, straight from its definitions in docs/draw-spec.md."""
    out = []
    for school in schools:
        sid = school["id"]
        listed = applied = admitted = 0
        last: tuple[int, bytes] | None = None
        for a in applicants:
            choices, placed = a["choices"], outcome[a["id"]]
            if sid in choices:
                listed += 1
                reach = len(choices) if placed is None else choices.index(placed) + 1
                applied += choices.index(sid) < reach
            if placed == sid:
                admitted += 1
                key = (a["priority"][sid], tickets[a["id"]])
                last = key if last is None or key > last else last
        out.append(
            {
                "school": sid,
                "listed": listed,
                "applied": applied,
                "admitted": admitted,
                "mode": "direct" if admitted == applied else "drawn",
                "cutoff": None if last is None else {"priority": last[0], "ticket": last[1].hex()},
            }
        )
    return out


# --- Draw vectors -----------------------------------------------------------------------


def draw_vector(
    *,
    description: str,
    draw_id: str,
    schools: list[dict[str, Any]],
    applicants: list[dict[str, Any]],
    contributions: list[dict[str, Any]],
    mechanism: Mechanism,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Inputs, every intermediate value, and the signed bundle of one draw."""
    # Input root.
    schools_root, schools_tree = records_tree(schools)
    applicants_root, applicants_tree = records_tree(applicants)
    inputs_preimage = frame(draw_id) + schools_root + applicants_root
    root = tagged_hash(INPUTS, inputs_preimage)
    frozen = freeze(draw_id, schools, applicants, accelerate=False)
    same("input_root", root, frozen.root)

    # Ceremony.
    made: list[Contribution] = []
    commitments = []
    for c in contributions:
        value = bytes.fromhex(c["value"])
        if "nonce" in c:
            nonce = bytes.fromhex(c["nonce"])
            preimage = frame(draw_id) + frame(c["contributor"]) + frame(nonce) + frame(value)
            commitment = tagged_hash(COMMIT, preimage)
            commitments.append(
                {
                    "contributor": c["contributor"],
                    "preimage": preimage.hex(),
                    "commitment": commitment.hex(),
                }
            )
            made.append(Contribution(c["contributor"], value, nonce, commitment))
        else:
            made.append(Contribution(c["contributor"], value))
    seed_preimage = frame(draw_id) + root
    for m in sorted(made, key=lambda m: key_of(m.contributor)):
        seed_preimage += frame(m.contributor) + frame(m.value)
    seed = tagged_hash(SEED, seed_preimage)

    # Tickets, in id order, and the lottery order.
    ids = sorted((a["id"] for a in applicants), key=key_of)
    tickets = {a: tagged_hash(TICKET, seed + frame(a)) for a in ids}
    order = sorted(ids, key=lambda a: (tickets[a], key_of(a)))
    position = {a: i + 1 for i, a in enumerate(order)}

    # Mechanism.
    if mechanism is Mechanism.PREFERENCE_FIRST:
        outcome, trace = trace_preference_first(schools, applicants, tickets, position)
    else:
        outcome, trace = trace_deferred_acceptance(schools, applicants, tickets, position)

    # Bundle.
    drawn = run_draw(frozen, made, mechanism=mechanism, extra=extra, accelerate=False)
    unsigned = drawn.bundle
    same("seed", seed.hex(), unsigned["ceremony"]["seed"])
    same(
        "tickets",
        [tickets[a].hex() for a in ids],
        [row["ticket"] for row in unsigned["assignments"]],
    )
    same(
        "assignment",
        [outcome[a] for a in ids],
        [row["school"] for row in unsigned["assignments"]],
    )
    same(
        "school_results",
        canonical_json(reference_school_results(schools, applicants, outcome, tickets)),
        canonical_json(unsigned["school_results"]),
    )
    body = {k: v for k, v in unsigned.items() if k != "signatures"}
    jcs = canonical_json(body)
    digest = tagged_hash(BUNDLE, jcs)
    same("bundle digest", digest, bundle_digest(unsigned))
    key = test_key()
    signed = sign_bundle(unsigned, SIGNER, key, accelerate=False)
    same("signature", key.sign(digest).hex(), signed["signatures"][0]["signature"])

    report = verify(signed, {SIGNER: key.public_key().public_bytes_raw()}, accelerate=False)
    by_id = {a["id"]: a for a in applicants}
    return {
        "description": description,
        "inputs": {
            "draw_id": draw_id,
            "mechanism": mechanism.value,
            "schools": schools,
            "applicants": applicants,
            "contributions": contributions,
            **({"extra": extra} if extra else {}),
        },
        "schools_tree": schools_tree,
        "applicants_tree": applicants_tree,
        "input_root_preimage": inputs_preimage.hex(),
        "input_root": root.hex(),
        "commitments": commitments,
        "seed_preimage": seed_preimage.hex(),
        "seed": seed.hex(),
        "tickets": [
            {"applicant": a, "frame": frame(a).hex(), "ticket": tickets[a].hex()} for a in ids
        ],
        "lottery_order": order,
        "trace": trace,
        "assignment": [
            {
                "applicant": a,
                "school": outcome[a],
                "choice": None if outcome[a] is None else by_id[a]["choices"].index(outcome[a]) + 1,
            }
            for a in ids
        ],
        "bundle_jcs_sha256": hashlib.sha256(jcs).hexdigest(),
        "bundle_digest": digest.hex(),
        "signatures": signed["signatures"],
        "report": {
            "rehearsal": report.rehearsal,
            "placed": report.placed,
            "checks": [c.name for c in report.checks],
        },
        "bundle": signed,
    }


def fixed(start: int, length: int = 32) -> str:
    """Fixed, visibly non-random bytes start, start+1, ... (mod 256), as hex."""
    return bytes((start + i) % 256 for i in range(length)).hex()


def text_hex(text: str) -> str:
    return text.encode("utf-8").hex()


# The tiny draw of vectors a and b. Priority 0 is the better class (e.g. household
# registered in the school's zone), 1 the other. A-04 is the applicant on whom the
# mechanisms disagree: class 1 at school-a (so it cannot beat the three class-0
# applicants there) but class 0 at school-b.
TINY_SCHOOLS = [
    {"id": "school-a", "capacity": 2},
    {"id": "school-b", "capacity": 2},
    {"id": "school-c", "capacity": 2},
]
TINY_APPLICANTS = [
    {"id": "A-01", "choices": ["school-a"], "priority": {"school-a": 0}},
    {"id": "A-02", "choices": ["school-a", "school-c"], "priority": {"school-a": 0, "school-c": 1}},
    {
        "id": "A-03",
        "choices": ["school-a", "school-b", "school-c"],
        "priority": {"school-a": 0, "school-b": 1, "school-c": 1},
    },
    {"id": "A-04", "choices": ["school-a", "school-b"], "priority": {"school-a": 1, "school-b": 0}},
    {"id": "A-05", "choices": ["school-b"], "priority": {"school-b": 1}},
    {"id": "A-06", "choices": ["school-b", "school-c"], "priority": {"school-b": 1, "school-c": 1}},
    {"id": "A-07", "choices": [], "priority": {}},
]
TINY_DRAW_ID = "vectors/tiny-2026"
TINY_CONTRIBUTIONS = [
    {"contributor": "district-office", "value": fixed(0x40), "nonce": fixed(0x10)},
    # After the freeze: a notary's live draw of numbered balls, written as text.
    {"contributor": "notary-balls", "value": text_hex("07 21 13 36 02")},
]


def vector_a() -> dict[str, Any]:
    return draw_vector(
        description=(
            "a: tiny deferred-acceptance draw: 3 schools, 7 applicants, school-a "
            "oversubscribed, A-07 with an empty choice list, priority classes 0 and 1; "
            "one committed contribution and one made after the freeze"
        ),
        draw_id=TINY_DRAW_ID,
        schools=TINY_SCHOOLS,
        applicants=TINY_APPLICANTS,
        contributions=TINY_CONTRIBUTIONS,
        mechanism=Mechanism.DEFERRED_ACCEPTANCE,
    )


def vector_b() -> dict[str, Any]:
    return draw_vector(
        description=(
            "b: the inputs, ceremony and seed of vector a under preference-first; "
            "A-04 is placed at school-b under deferred acceptance but not here"
        ),
        draw_id=TINY_DRAW_ID,
        schools=TINY_SCHOOLS,
        applicants=TINY_APPLICANTS,
        contributions=TINY_CONTRIBUTIONS,
        mechanism=Mechanism.PREFERENCE_FIRST,
    )


def vector_c() -> dict[str, Any]:
    cases = []
    for n in (0, 1, 2, 3, 5):
        # Given in reverse order: the tree sorts records by id bytes.
        records = [{"id": f"m{i}", "capacity": i} for i in reversed(range(n))]
        _root, tree = records_tree(records)
        cases.append({"size": n, "records": records, **tree})
    return {
        "description": (
            "c: Merkle trees over 0, 1, 2, 3 and 5 records (school-shaped); nodes are "
            "listed in post-order with the half-open range of sorted leaves they cover"
        ),
        "cases": cases,
    }


def vector_d() -> dict[str, Any]:
    # Ids chosen so that UTF-8 byte order differs from UTF-16 code unit order:
    # U+FF71 sorts before U+20000 in UTF-8 bytes (and code points) but after it in UTF-16.
    ids = ["Z-1", "a-2", "é-3", "甲-4", "ｱ-5", "𠀀-6"]
    schools = [{"id": "east", "capacity": 2}, {"id": "west", "capacity": 1}]
    applicants = [
        {"id": ids[5], "choices": ["west", "east"], "priority": {"east": 0, "west": 0}},
        {"id": ids[3], "choices": ["west"], "priority": {"west": 0}},
        {"id": ids[0], "choices": ["east"], "priority": {"east": 0}},
        {"id": ids[4], "choices": ["east", "west"], "priority": {"east": 1, "west": 1}},
        {"id": ids[1], "choices": ["west", "east"], "priority": {"east": 1, "west": 1}},
        {"id": ids[2], "choices": ["east"], "priority": {"east": 0}},
    ]
    return draw_vector(
        description=(
            "d: text edge cases: non-ASCII NFC applicant ids (Latin, CJK, halfwidth, "
            "beyond the BMP) sorted by UTF-8 bytes, non-ASCII contributor names; two "
            "committed contributions and two after the freeze"
        ),
        draw_id="vectors/文本-2026",
        schools=schools,
        applicants=applicants,
        contributions=[
            {"contributor": "公证处", "value": fixed(0x80), "nonce": fixed(0x20)},
            {"contributor": "district-office", "value": fixed(0xA0), "nonce": fixed(0x30, 16)},
            {"contributor": "家长代表", "value": text_hex("05 11 28 33 40")},
            {"contributor": "beacon", "value": fixed(0xC0, 48)},
        ],
        mechanism=Mechanism.DEFERRED_ACCEPTANCE,
    )


def vector_e() -> dict[str, Any]:
    return draw_vector(
        description="e: a rehearsal draw: its draw id starts with 'rehearsal/'",
        draw_id="rehearsal/tiny-2026/1",
        schools=[{"id": "school-a", "capacity": 1}, {"id": "school-b", "capacity": 1}],
        applicants=[
            {
                "id": "R-1",
                "choices": ["school-a", "school-b"],
                "priority": {"school-a": 0, "school-b": 0},
            },
            {"id": "R-2", "choices": ["school-a"], "priority": {"school-a": 0, "school-b": 5}},
            {
                "id": "R-3",
                "choices": ["school-a", "school-b"],
                "priority": {"school-a": 0, "school-b": 0},
            },
        ],
        contributions=[{"contributor": "rehearsal-operator", "value": fixed(0x01, 8)}],
        mechanism=Mechanism.PREFERENCE_FIRST,
    )


def vector_f() -> dict[str, Any]:
    note = (
        'tab\there "quoted" back\\slash \u2028 line sep \x00 nul \x1f us \x7f del \b\f\n\r é 中 😀'
    )
    schools = [
        {
            "id": "escapes",
            "capacity": 1,
            "note": note,
            "meta": {"b": -(2**53 - 1), "a": [True, False, None, 0, -1], "Z": 2**53 - 1, "_": {}},
        },
        {"id": "plain", "capacity": 0, "tags": []},
    ]
    applicants = [
        {"id": "F-1", "choices": ["escapes", "plain"], "priority": {"escapes": -3, "plain": 0}},
        {"id": "F-2", "choices": ["escapes"], "priority": {"escapes": -3}, "extra": "kept\u2029"},
    ]
    return draw_vector(
        description=(
            "f: JCS with escapes (control characters, quotes, backslash, U+2028 kept "
            "literally), nested extra school fields, extreme safe integers, negative "
            "priorities, a school with no seats, and an extra bundle key"
        ),
        draw_id="vectors/jcs-2026",
        schools=schools,
        applicants=applicants,
        contributions=[{"contributor": "beacon", "value": fixed(0xF0)}],
        mechanism=Mechanism.DEFERRED_ACCEPTANCE,
        extra={"publication": {"note": 'line1\nline2\u2028"q"', "number": 42}},
    )


def primitives() -> dict[str, Any]:
    fingerprint_lines = f"{SIGNER}={public_key_hex(test_key())}\n"
    fingerprint = hashlib.sha256(fingerprint_lines.encode("utf-8")).hexdigest()
    same("key set fingerprint", fingerprint,
         key_set_fingerprint({SIGNER: bytes.fromhex(public_key_hex(test_key()))}))
    texts = ["", "draw-1", "公证处", "𠀀"]
    return {
        "description": "hash primitives: tag prefixes, TH, u32, F; and the test key",
        "tags": [
            {
                "tag": tag,
                "sha256_tag": hashlib.sha256(tag.encode("ascii")).hexdigest(),
                "th_empty": tagged_hash(tag, b"").hex(),
                "th_abc": tagged_hash(tag, b"abc").hex(),
            }
            for tag in TAGS
        ],
        "u32": [{"n": n, "hex": u32(n).hex()} for n in (0, 1, 255, 256, 2**32 - 1)],
        "frames": [{"text": t, "utf8": text_hex(t), "frame": frame(t).hex()} for t in texts]
        + [{"bytes": fixed(0xF0, 3), "frame": frame(bytes.fromhex(fixed(0xF0, 3))).hex()}],
        "not_nfc": ["e\u0301", "\u212b", "A\u030a"],
        "test_key": {
            "warning": "TEST key for the vectors only: its private seed is public",
            "private_seed": TEST_KEY_SEED.hex(),
            "public_key": public_key_hex(test_key()),
            "signer": SIGNER,
            # Section 17 (issue 19 amendment): SHA-256 of the sorted lines NAME=HEX + LF.
            "key_set_lines": fingerprint_lines,
            "key_set_fingerprint": fingerprint,
        },
        "format": FORMAT,
    }


def path_of(leaves: Sequence[bytes], m: int) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(m, D[n]), by its recursive definition."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*path_of(leaves[:k], m), mth(leaves[k:])[0]]
    return [*path_of(leaves[k:], m - k), mth(leaves[:k])[0]]


def vector_g() -> dict[str, Any]:
    """Inclusion proofs (§19) of every applicant of vector a under its input root."""
    from lottery._proofs import applicant_proofs, check_proof  # noqa: PLC0415

    schools_root, _ = records_tree(TINY_SCHOOLS)
    applicants_root, tree = records_tree(TINY_APPLICANTS)
    input_root = tagged_hash(INPUTS, frame(TINY_DRAW_ID) + schools_root + applicants_root)
    leaves = [bytes.fromhex(leaf["leaf"]) for leaf in tree["leaves"]]
    ordered = sorted(TINY_APPLICANTS, key=lambda r: key_of(r["id"]))
    implementation = applicant_proofs(TINY_DRAW_ID, TINY_SCHOOLS, TINY_APPLICANTS)
    proofs = []
    for index, record in enumerate(ordered):
        proof = {
            "format": "paiwei-inclusion/1",
            "draw_id": TINY_DRAW_ID,
            "input_root": input_root.hex(),
            "schools_root": schools_root.hex(),
            "applicants": len(leaves),
            "index": index,
            "record": record,
            "path": [p.hex() for p in path_of(leaves, index)],
        }
        same(f"proof of {record['id']}", proof, implementation[record["id"]])
        same(f"check of {record['id']}", [], check_proof(proof, input_root=input_root.hex()))
        proofs.append({"leaf": leaves[index].hex(), "proof": proof})
    changed = json.loads(json.dumps(proofs[0]["proof"]))
    changed["record"]["priority"] = {k: v + 1 for k, v in changed["record"]["priority"].items()}
    same("a changed record fails", ["input root"], check_proof(changed, input_root=input_root.hex()))
    return {
        "description": (
            "g: inclusion proofs (paiwei-inclusion/1, section 19, an addition to v1) of the 7 "
            "applicants of vector a: the RFC 6962 audit path of each leaf under MTH(applicants), "
            "with MTH(schools) and the input root; changed_record is A-01's proof with its "
            "priorities raised by one, which must fail the check 'input root'"
        ),
        "input_root": input_root.hex(),
        "applicants_root": applicants_root.hex(),
        "proofs": proofs,
        "changed_record": {"proof": changed, "report": ["input root"]},
    }


BUILDERS = {
    "primitives.json": primitives,
    "a_tiny_deferred_acceptance.json": vector_a,
    "b_tiny_preference_first.json": vector_b,
    "c_merkle.json": vector_c,
    "d_text.json": vector_d,
    "e_rehearsal.json": vector_e,
    "f_jcs_escapes.json": vector_f,
    "g_inclusion.json": vector_g,
}


def render(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def build() -> dict[str, str]:
    out = {name: render(make()) for name, make in BUILDERS.items()}
    a = json.loads(out["a_tiny_deferred_acceptance.json"])["assignment"]
    b = json.loads(out["b_tiny_preference_first.json"])["assignment"]
    if a == b:
        raise Mismatch("vectors a and b must show the two mechanisms differing")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    files = build()
    if args.check:
        problems = []
        present = {p.name for p in VECTOR_DIR.glob("*.json")} if VECTOR_DIR.is_dir() else set()
        for name, text in files.items():
            path = VECTOR_DIR / name
            if name not in present:
                problems.append(f"{path}: missing; run python scripts/make_vectors.py")
            elif path.read_text(encoding="utf-8") != text:
                problems.append(f"{path}: differs from the regenerated vector")
        problems.extend(
            f"{VECTOR_DIR / name}: extra file, not made by this script"
            for name in sorted(present - files.keys())
        )
        for line in problems:
            print(line)
        return 1 if problems else 0
    VECTOR_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (VECTOR_DIR / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
