"""The input root: a Merkle tree over schools and one over applicants, bound to the draw id."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lottery._canonical import encoder
from lottery._merkle import LEAF_TAG, merkle_root
from seeding import frame, tag_state, tagged_hash

INPUTS_TAG = "paiwei/v1/inputs"


def leaf_hashes(records: Sequence[Any], encode: Callable[[Any], bytes]) -> list[bytes]:
    """TH("paiwei/v1/leaf", JCS(record)) for each record, in the order given.

    Each record is encoded and hashed at once: kept encoder outputs would pin memory.
    """
    state = tag_state(LEAF_TAG)

    def leaf(record: Any) -> bytes:
        h = state.copy()
        h.update(encode(record))
        return h.digest()

    return list(map(leaf, records))


def records_root(
    records: Sequence[Any], ids: Sequence[str], encode: Callable[[Any], bytes]
) -> bytes:
    """MTH of the records sorted by the UTF-8 bytes of their id (code-point order of ``str``)."""
    leaves = leaf_hashes(records, encode)
    order = sorted(range(len(ids)), key=ids.__getitem__)
    if order != list(range(len(ids))):
        leaves = [leaves[i] for i in order]
    return merkle_root(leaves)


def bind_inputs(draw_id: str, schools_root: bytes, applicants_root: bytes) -> bytes:
    """input_root = TH("paiwei/v1/inputs", F(draw_id) || MTH(schools) || MTH(applicants))."""
    return tagged_hash(INPUTS_TAG, frame(draw_id) + schools_root + applicants_root)


def input_root(
    draw_id: str,
    schools: Sequence[Any],
    applicants: Sequence[Any],
    *,
    accelerate: bool = True,
) -> bytes:
    """The input root of validated school and applicant records."""
    encode = encoder(accelerate=accelerate)
    return bind_inputs(
        draw_id,
        records_root(schools, [s["id"] for s in schools], encode),
        records_root(applicants, [a["id"] for a in applicants], encode),
    )
