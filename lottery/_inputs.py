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


def bulk_leaf_hashes(
    records: Sequence[Any], encode: Callable[[Any], bytes], prefix: bytes
) -> list[bytes] | None:
    """:func:`leaf_hashes` from one encoding of the whole list, split at record boundaries.

    For records whose canonical encoding each begins with ``prefix`` (``{"choices":[``
    for applicant records: their first key in JCS order and the opening of its list)
    and in which ``,`` + ``prefix`` occurs nowhere else. JCS of a list is ``[``, the
    records' JCS joined by ``,``, and ``]``; inside a JSON string ``{"`` cannot occur
    (a quote is escaped), so the only other place the separator could occur is a
    nested object inside a record whose first key is the same, which the protocol's
    applicant records (ids, a list of school ids, a map of integers) do not have.
    Each leaf is TH(leaf tag, prefix || rest of the record), hashed from a midstate
    that has absorbed the tag and ``prefix``: the same bytes as encoding the records
    one by one, without a million encoder calls. Returns None when the encoding does
    not split into one piece per record starting so (the caller then encodes record
    by record).
    """
    if not records:
        return []
    data = encode(records if isinstance(records, list) else list(records))
    if not data.startswith(b"[" + prefix) or not data.endswith(b"]"):
        return None
    out = split_leaves(data, 0, len(data), prefix)
    return out if len(out) == len(records) else None


def split_leaves(data: bytes, start: int, end: int, opening: bytes) -> list[bytes]:
    """TH("paiwei/v1/leaf", record bytes) for each record of the list ``data[start:end]``.

    Records of these shapes hold ``,{`` only between two records, so splitting the list on
    ``,`` + ``opening`` cuts it into records, all but the first without ``opening``: they
    are hashed from a midstate that has absorbed ``opening`` already. The list is split a
    slice of about 8 MiB at a time, each cut at a separator (which cannot overlap itself),
    so the pieces are those of one split of the whole list. The caller checks the count.
    """
    if end - start == 2:
        return []
    base = tag_state(LEAF_TAG)
    first = base.copy()
    state = base.copy()
    state.update(opening)
    copy = state.copy
    out: list[bytes] = []
    append = out.append
    separator = b"," + opening
    at, stop = start + 1, end - 1
    while True:
        cut = data.find(separator, at + SLICE_BYTES, stop) if at + SLICE_BYTES < stop else -1
        pieces = data[at : stop if cut < 0 else cut].split(separator)
        if not out:
            first.update(pieces[0])
            append(first.digest())
            rest: Any = islice(pieces, 1, None)
        else:
            rest = pieces
        for piece in rest:
            h = copy()
            h.update(piece)
            append(h.digest())
        if cut < 0:
            return out
        at = cut + len(separator)


SLICE_BYTES = 8 << 20


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
