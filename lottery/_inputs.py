"""The input root: a Merkle tree over schools and one over applicants, bound to the draw id."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from itertools import islice
from typing import Any

from lottery._canonical import encoder
from lottery._merkle import LEAF_TAG, merkle_root
from seeding import frame, tag_state, tagged_hash

INPUTS_TAG = "paiwei/v1/inputs"


def leaf_hashes(
    records: Sequence[Any],
    encode: Callable[[Any], bytes],
    sink: Callable[[bytes], object] | None = None,
) -> list[bytes]:
    """TH("paiwei/v1/leaf", JCS(record)) for each record, in the order given.

    Each record is encoded and hashed at once: kept encoder outputs would pin memory
    (an orjson result holds about 4 KiB). With ``sink``, the same encodings also go
    out as JCS of the whole list, piece by piece: ``[``, record, ``,``, record, ..., ``]``.
    """
    copy = tag_state(LEAF_TAG).copy
    out: list[bytes] = []
    append = out.append
    if sink is None:
        for record in records:
            h = copy()
            h.update(encode(record))
            append(h.digest())
        return out
    sink(b"[")
    separator = b""
    for record in records:
        data = encode(record)
        h = copy()
        h.update(data)
        append(h.digest())
        sink(separator)
        sink(data)
        separator = b","
    sink(b"]")
    return out


def root_of_leaves(leaves: Sequence[bytes], ids: Sequence[str]) -> bytes:
    """MTH of leaf hashes given in record order, taken in the order of the records' ids.

    Ids sort by the UTF-8 bytes, which is the code-point order of ``str``. Records
    already in id order (the usual case) are recognised in one pass, without a sort.
    """
    if not all(map(operator.le, ids, islice(ids, 1, None))):
        order = sorted(range(len(ids)), key=ids.__getitem__)
        leaves = [leaves[i] for i in order]
    return merkle_root(leaves)


def records_root(
    records: Sequence[Any], ids: Sequence[str], encode: Callable[[Any], bytes]
) -> bytes:
    """MTH of the records sorted by the UTF-8 bytes of their id (code-point order of ``str``)."""
    return root_of_leaves(leaf_hashes(records, encode), ids)


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
