"""Reading a canonical bundle file straight into columns: no Python object per record.

A bundle as ``sign_bundle`` and the publication write it is canonical JSON (JCS) of
ASCII text. For such a file the verifier needs no parsed record at all: each record's
canonical bytes, which its Merkle leaf hashes, are a slice of the file; the bundle
digest is the file without its ``"signatures"`` entry; and the columns of the draw come
from the three bulk lists (applicants, assignments, schools): read in NumPy over the bytes
when the applicant ids have one width and the school ids another (the usual case), by a few
regular-expression passes otherwise. Only the small parts (ceremony, signatures, school
results, extra keys) are parsed with the standard library's ``json``. On a large file a
forked worker hashes the digest and the applicants' leaves meanwhile (:class:`_Worker`).

:func:`scan` accepts a file only when every byte of the bulk lists matches the canonical
shape of its records exactly (no escapes, no whitespace, keys in order, integers in
canonical form) and the small parts re-encode to their own bytes, so that every hash
equals the one the dict-based path computes. Anything else, however harmless, returns
None and the verifier falls back to parsing the whole file (``_verifier.verify``), which
then also names what is malformed. This path needs NumPy (for the priority columns); the
standard-library path is the fallback, unchanged.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, cast, overload

from lottery._canonical import MAX_SAFE_INTEGER, CanonicalError
from lottery._errors import InvalidBundle
from lottery._inputs import split_leaves
from lottery._merkle import merkle_root
from lottery._parse import BULK_KEYS, load_json
from lottery._signing import BUNDLE_TAG
from lottery._table import DrawTable
from seeding import tag_state

_STR = rb'"[^"\\\x00-\x1f]*"'  # JCS text without escapes: no quote, backslash or control
_ID = rb'"([^"\\\x00-\x1f]*)"'
_INT = rb"(?:0|-?[1-9][0-9]{0,15})"  # canonical integers; the range is checked on the column
_CHOICES = rb"(?:" + _STR + rb"(?:," + _STR + rb")*+)?"
_PRIORITY = rb"(?:" + _STR + b":" + _INT + rb"(?:," + _STR + b":" + _INT + rb")*+)?"


@dataclass(frozen=True, slots=True)
class _Shape:
    """One record's canonical shape: every byte outside the groups is fixed."""

    pattern: re.Pattern[bytes]
    opening: bytes  # how every record starts; found nowhere else in a record
    fixed: int  # bytes of a record outside its groups


_APPLICANT = _Shape(
    re.compile(
        rb'\{"choices":\[('
        + _CHOICES
        + rb')\],"id":'
        + _ID
        + rb',"priority":\{('
        + _PRIORITY
        + rb")\}\}"
    ),
    b'{"choices":[',
    len(b'{"choices":[],"id":"","priority":{}}'),
)
_ASSIGNMENT = _Shape(
    re.compile(
        rb'\{"applicant":' + _ID + rb',"school":(' + _STR + rb'|null),"ticket":' + _ID + rb"\}"
    ),
    b'{"applicant":"',
    len(b'{"applicant":"","school":,"ticket":""}'),
)
_SCHOOL = _Shape(
    re.compile(rb'\{"capacity":(' + _INT + rb'),"id":"([^"\\\x00-\x1f]+)"\}'),
    b'{"capacity":',
    len(b'{"capacity":,"id":""}'),
)


@dataclass(frozen=True, slots=True)
class Scanned:
    """A canonical bundle file read into columns (see the module's docstring)."""

    skeleton: dict[str, Any]  # the small parts, the bulk keys as empty lists
    table: DrawTable
    stated_schools: list[Any]  # school id or None per applicant, in table order
    stated_tickets: Sequence[Any]  # a list, or a TicketColumn
    digest: bytes  # TH("paiwei/v1/bundle", JCS(bundle without "signatures"))
    schools_root_leaves: list[bytes]
    applicants_root: bytes  # MTH of the applicants' leaves (their ids ascend: file order)


class _NotCanonical(Exception):
    """The fast path does not apply; the caller parses the whole file instead."""


# Hash in a forked worker from an applicants list of this many bytes (about 75k records
# of three choices); read at each call, so that tests can force either path.
_PARALLEL_BYTES = 8 << 20


def scan(data: bytes, encode: Callable[[Any], bytes]) -> Scanned | None:
    """Columns, leaves and digest of a canonical ASCII bundle file, or None (see module)."""
    try:
        import numpy  # noqa: F401, PLC0415  optional: without it the caller parses the file
    except ImportError:
        return None
    if not data.isascii() or data[:1] != b"{" or data[-1:] != b"}":
        return None
    try:
        return _scan(data, encode)
    except (_NotCanonical, InvalidBundle, CanonicalError, KeyError, ValueError, TypeError):
        return None


def _records(shape: _Shape, data: bytes, begin: int, end: int) -> list[Any]:
    """The groups of each record of the list ``data[begin:end]``, proven to be all of it.

    ``findall`` finds disjoint records; the list is exactly ``[`` record ``,`` ... ``]``
    when it starts with a record, the records and one byte between each two cover it,
    and ``,`` + opening occurs once before each record but the first (the opening
    occurs in a record only at its start): no byte is left unread.
    """
    if data[begin : begin + 1] != b"[" or data[end - 1 : end] != b"]":
        raise _NotCanonical
    if end - begin == 2:
        return []
    if not data.startswith(shape.opening, begin + 1):
        raise _NotCanonical
    rows = shape.pattern.findall(data, begin, end)
    n = len(rows)
    width = len(rows[0]) if n else 0
    covered = shape.fixed * n + sum(
        sum(map(len, map(operator.itemgetter(k), rows))) for k in range(width)
    )
    if (
        covered + n + 1 != end - begin
        or data.count(b"," + shape.opening, begin, end) != n - 1
        or data.count(shape.opening, begin, end) != n
    ):
        raise _NotCanonical
    return rows


def _lines(values: Any) -> list[str]:
    """ASCII bytes (no line breaks: the patterns refuse control characters) as text."""
    return b"\n".join(values).decode("ascii").split("\n") if values else []


def _scan(data: bytes, encode: Callable[[Any], bytes]) -> Scanned:  # noqa: PLR0912  top to bottom
    # Top level, in JCS key order: [small keys < "applicants"], applicants, assignments,
    # [small keys], schools, [small keys, "signatures" among them]. The bulk lists are
    # matched whole; the small parts between them are parsed together below.
    at = data.find(b'"applicants":[')
    if at < 1:
        raise _NotCanonical
    head = data[1:at]  # "key":value, ... with a trailing comma, or empty
    a0 = at + len(b'"applicants":')
    a1 = data.find(b'],"assignments":[', a0) + 1
    if a1 <= 0:
        raise _NotCanonical
    s0 = a1 + len(b',"assignments":')
    s1 = data.find(b'],"', s0) + 1  # assignment records hold no "]," + quote
    if s1 <= 0:
        raise _NotCanonical
    at = data.find(b',"schools":[', s1)
    if at < 0:
        raise _NotCanonical
    middle = data[s1 + 1 : at]
    c0 = at + len(b',"schools":')
    c1 = data.find(b'],"', c0) + 1  # school records hold no "]," + quote
    if c1 <= 0:
        raise _NotCanonical
    tail = data[c1:-1]  # ,"key":value ... up to the closing brace
    if head and not head.endswith(b","):
        raise _NotCanonical
    if not middle or not tail.startswith(b","):
        raise _NotCanonical
    small_text = b"{" + head + middle + tail + b"}"
    small = load_json(small_text)
    if type(small) is not dict or BULK_KEYS & small.keys():
        raise _NotCanonical
    # The small parts must be canonical, and their keys must sit where JCS puts them
    # among the bulk keys: then the file is JCS of the whole bundle, byte for byte.
    if encode(small) != small_text:  # ASCII, no floats: within the domain
        raise _NotCanonical
    groups = (_top_keys(head), _top_keys(b"," + middle), _top_keys(tail))
    order = [*groups[0], "applicants", "assignments", *groups[1], "schools", *groups[2]]
    if (
        order != sorted(order)
        or len(set(order)) != len(order)
        or set(order) - BULK_KEYS != small.keys()
    ):
        raise _NotCanonical
    skeleton = {**small, "applicants": [], "assignments": [], "schools": []}

    # The digest: JCS of the bundle without "signatures": the file up to the end of the
    # schools list, then the later small keys but "signatures", re-encoded (canonical).
    if "signatures" not in groups[2]:
        raise _NotCanonical
    suffix = b"".join(
        b"," + encode(key) + b":" + encode(small[key]) for key in groups[2] if key != "signatures"
    )
    # The bundle digest and the applicants' leaves and root are pure hashing over the
    # file's bytes: on a large file a forked worker computes them while this process
    # reads the columns (the same functions; any failure of the worker: done here).
    worker = _Worker.start(data, c1, suffix, a0, a1) if a1 - a0 >= _PARALLEL_BYTES else None
    try:
        return _columns(
            data, encode, skeleton, (a0, a1, s0, s1, c0, c1), suffix=suffix, worker=worker
        )
    finally:
        if worker is not None:
            worker.stop()


def _columns(
    data: bytes,
    encode: Callable[[Any], bytes],
    skeleton: dict[str, Any],
    bounds: tuple[int, int, int, int, int, int],
    *,
    suffix: bytes,
    worker: _Worker | None,
) -> Scanned:
    a0, a1, s0, s1, c0, c1 = bounds

    # Schools: capacity and id per record, leaves over the records' bytes.
    school_rows = _records(_SCHOOL, data, c0, c1)
    school_ids = _lines(list(map(operator.itemgetter(1), school_rows)))
    capacities = list(map(int, map(operator.itemgetter(0), school_rows)))
    if (capacities and max(capacities) > MAX_SAFE_INTEGER) or len(set(school_ids)) != len(
        school_ids
    ):
        raise _NotCanonical
    school_leaves = split_leaves(data, c0, c1, b'{"capacity":')
    if len(school_leaves) != len(school_rows):
        raise _NotCanonical

    table = _applicants(data, a0, a1, school_ids, capacities)
    fixed = _fixed_width_assignments(data, s0, s1, table)
    stated_schools, stated_tickets = (
        fixed if fixed is not None else _assignments(data, s0, s1, table)
    )
    hashes = worker.result() if worker is not None else None
    if hashes is None:
        hashes = _bulk_hashes(data, c1, suffix, a0, a1)
    digest, count, applicants_root = hashes
    if count != table.size:
        raise _NotCanonical
    return Scanned(
        skeleton, table, stated_schools, stated_tickets, digest, school_leaves, applicants_root
    )


def _bulk_hashes(data: bytes, c1: int, suffix: bytes, a0: int, a1: int) -> tuple[bytes, int, bytes]:
    """The bundle digest, and the number of applicant records with their Merkle root.

    The digest is TH("paiwei/v1/bundle", ...) over the file up to the end of the schools
    list, then ``suffix`` (the later small keys but "signatures") and ``}``. The root is
    taken in file order: the caller has proven the ids ascend.
    """
    h = tag_state(BUNDLE_TAG).copy()
    h.update(memoryview(data)[:c1])
    h.update(suffix)
    h.update(b"}")
    leaves = split_leaves(data, a0, a1, _APPLICANT.opening)
    return h.digest(), len(leaves), merkle_root(leaves)


class _Worker:
    """:func:`_bulk_hashes` in a forked process (the file is shared, not copied)."""

    def __init__(self, process: Any, receive: Any) -> None:
        self._process = process
        self._receive = receive

    @classmethod
    def start(cls, data: bytes, c1: int, suffix: bytes, a0: int, a1: int) -> _Worker | None:
        """A running worker, or None where there is no fork or a single core."""
        import multiprocessing  # noqa: PLC0415
        import os  # noqa: PLC0415

        if "fork" not in multiprocessing.get_all_start_methods():
            return None
        cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else ()
        if len(cores) < 2:
            return None
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        process = context.Process(
            target=_work, args=(send, data, c1, suffix, (a0, a1)), daemon=True
        )
        try:
            process.start()
        except OSError:
            receive.close()
            send.close()
            return None
        send.close()
        return cls(process, receive)

    def result(self) -> tuple[bytes, int, bytes] | None:
        """The worker's hashes, or None when it failed (the caller computes them)."""
        try:
            value = self._receive.recv()
        except (EOFError, OSError):
            value = None
        self._receive.close()
        self._process.join()
        if (
            type(value) is tuple
            and len(value) == 3
            and type(value[0]) is bytes
            and type(value[1]) is int
            and type(value[2]) is bytes
        ):
            return value
        return None

    def stop(self) -> None:
        """End the worker (at once, if its result is no longer wanted) and reap it."""
        if not self._receive.closed:
            self._receive.close()
        if self._process.is_alive():
            self._process.kill()
        self._process.join()


def _work(send: Any, data: bytes, c1: int, suffix: bytes, span: tuple[int, int]) -> None:
    try:
        send.send(_bulk_hashes(data, c1, suffix, *span))
    except BaseException:
        send.send(None)
    finally:
        send.close()


def _top_keys(part: bytes) -> list[str]:
    """The top-level keys of ``,"k":v,"k":v`` (or ``"k":v,...,``), found by parsing each value."""
    import json  # noqa: PLC0415
    from json.decoder import scanstring  # type: ignore[attr-defined]  # noqa: PLC0415

    text = part.decode("ascii").strip(",")
    if not text:
        return []
    decoder = json.JSONDecoder()
    keys: list[str] = []
    pos = 0
    while True:
        if text[pos] != '"':
            raise _NotCanonical
        key, pos = scanstring(text, pos + 1)
        if text[pos] != ":":
            raise _NotCanonical
        _, pos = decoder.raw_decode(text, pos + 1)
        keys.append(key)
        if pos == len(text):
            return keys
        if text[pos] != ",":
            raise _NotCanonical
        pos += 1


def _applicants(
    data: bytes, start: int, end: int, school_ids: list[str], capacities: list[int]
) -> DrawTable:
    """The applicants' table."""
    import numpy as np  # noqa: PLC0415  optional: reached only after scan() found NumPy

    read = _fixed_width_applicants(data, start, end, school_ids)
    if read is not None:
        ids, lengths_array, choice_school, key_school, values, ascending = read
    else:
        ids, lengths_array, choice_school, key_school, values, ascending = _applicant_records(
            data, start, end, school_ids
        )
    if "" in ids or not all(map(operator.lt, ids, islice(ids, 1, None))):
        raise _NotCanonical  # empty, unordered or repeated ids: the careful path names them
    n = len(ids)
    total = int(lengths_array.sum())
    bounds = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths_array, out=bounds[1:])
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths_array)
    # JCS: the priority keys of a record in strictly ascending order.
    if total > 1 and not ascending[owner[1:] == owner[:-1]].all():
        raise _NotCanonical
    width = len(school_ids)
    listed = owner * width + choice_school
    given = owner * width + key_school
    listed_order = np.argsort(listed, kind="stable")
    listed_sorted = listed[listed_order]
    if total < 2 or (given[1:] > given[:-1]).all():
        given_sorted, given_values = given, values
    else:
        given_order = np.argsort(given, kind="stable")
        given_sorted, given_values = given[given_order], values[given_order]
    if not np.array_equal(listed_sorted, given_sorted):
        raise _NotCanonical  # priorities for other schools than the choices
    if total > 1 and (listed_sorted[1:] == listed_sorted[:-1]).any():
        raise _NotCanonical  # a school listed twice
    if total and (values.min() < -MAX_SAFE_INTEGER or values.max() > MAX_SAFE_INTEGER):
        raise _NotCanonical
    priority = np.empty(total, dtype=np.int64)
    priority[listed_order] = given_values
    table = DrawTable(
        school_ids=tuple(school_ids),
        capacities=tuple(capacities),
        applicant_ids=ids,
        offsets=cast(Sequence[int], bounds),
        choice_school=cast(Sequence[int], choice_school),
        choice_priority=cast(Sequence[int], priority),
    )
    return table


def _applicant_records(data: bytes, start: int, end: int, school_ids: list[str]) -> Any:
    """Ids and :func:`_tokens`' columns, read by the regular expressions."""
    rows = _records(_APPLICANT, data, start, end)
    choice_text = list(map(operator.itemgetter(0), rows))
    raw_ids = list(map(operator.itemgetter(1), rows))
    prio_text = list(map(operator.itemgetter(2), rows))
    del rows
    ids = _lines(raw_ids)
    joined_ids = "".join(school_ids)
    if "," in joined_ids or ":" in joined_ids:
        raise _NotCanonical  # the flat splits below need ids without commas and colons
    quoted = {b'"' + sid.encode() + b'"': i for i, sid in enumerate(school_ids)}
    fixed = _fixed_width_tokens(choice_text, prio_text, school_ids)
    if fixed is None:
        fixed = _tokens(choice_text, prio_text, quoted)
    return (ids, *fixed)


def _tokens(choice_text: list[bytes], prio_text: list[bytes], quoted: dict[bytes, int]) -> Any:
    """Choice and priority columns by splitting (any school ids without commas and colons).

    Returns (list lengths, choice school indices, priority key indices, priority values,
    whether each priority key is below the next one), all NumPy arrays.
    """
    import numpy as np  # noqa: PLC0415  optional: reached only after scan() found NumPy

    commas = [b","] * len(choice_text)
    lengths = list(map(operator.add, map(bytes.count, choice_text, commas), map(bool, choice_text)))
    prio_lengths = list(
        map(operator.add, map(bytes.count, prio_text, commas), map(bool, prio_text))
    )
    if lengths != prio_lengths:
        raise _NotCanonical
    total = sum(lengths)
    flat = b",".join(filter(None, choice_text)).split(b",") if total else []
    choice_school = np.array(list(map(quoted.__getitem__, flat)), dtype=np.int64)
    del flat
    # "key":value,"key":value,... split on both separators: keys and values alternate.
    parts = b",".join(filter(None, prio_text)).replace(b":", b",").split(b",") if total else []
    keys = parts[0::2]
    key_school = np.array(list(map(quoted.__getitem__, keys)), dtype=np.int64)
    values = np.array(list(map(int, islice(parts, 1, None, 2))), dtype=np.int64)
    del parts
    if len(keys) != total or values.size != total:
        raise _NotCanonical
    ascending = np.array(list(map(operator.lt, keys, islice(keys, 1, None))), dtype=np.bool_)
    return np.asarray(lengths, dtype=np.int64), choice_school, key_school, values, ascending


def _fixed_width_tokens(
    choice_text: list[bytes], prio_text: list[bytes], school_ids: list[str]
) -> Any:
    """:func:`_tokens` in NumPy over the bytes when every school id has the same width W.

    A choice list is then ``"id","id",...``: a reshape to rows of W + 3 bytes. A priority
    entry is ``"id":value``: it starts at the list's start or after a comma, its key is W
    bytes at a fixed offset, its value runs to the next comma and is read digit by digit
    (canonical form checked: no leading zero, no minus zero). Returns None when the ids
    differ in width or there is nothing to read; raises _NotCanonical for any other shape.
    """
    import numpy as np  # noqa: PLC0415  optional: reached only after scan() found NumPy

    widths = set(map(len, school_ids))
    if len(widths) != 1:
        return None
    w = widths.pop()
    lookup = _school_lookup(school_ids, w)

    plen = np.array(list(map(len, prio_text)), dtype=np.int64)
    clen = np.array(list(map(len, choice_text)), dtype=np.int64)
    step = w + 3
    if ((clen + 1) % step)[clen > 0].any():
        raise _NotCanonical
    lengths = (clen + 1) // step
    total = int(lengths.sum())
    if total == 0 or not np.array_equal(plen > 0, lengths > 0):
        return None
    quote, comma = ord('"'), ord(",")
    rows = np.frombuffer(b",".join(filter(None, choice_text)) + b",", dtype=np.uint8)
    rows = rows.reshape(total, step)
    if (
        (rows[:, 0] != quote).any()
        or (rows[:, w + 1] != quote).any()
        or (rows[:, w + 2] != comma).any()
    ):
        raise _NotCanonical
    choice_school, _ = lookup(rows[:, 1 : w + 1])
    del rows
    text = np.frombuffer(b",".join(filter(None, prio_text)), dtype=np.uint8)
    commas = np.flatnonzero(text == comma)
    if commas.size != total - 1:
        raise _NotCanonical
    starts = np.concatenate(([0], commas + 1))
    ends = np.concatenate((commas, [text.size]))
    # each record's entries begin where its text does: as many entries as choices
    record_starts = np.concatenate(([0], np.cumsum(plen[plen > 0] + 1)[:-1]))
    first_entry = np.concatenate(([0], np.cumsum(lengths[lengths > 0])[:-1]))
    if not np.array_equal(starts[first_entry], record_starts):
        raise _NotCanonical
    key_school, values, ascending = _entries(text, starts, ends, lookup, w)
    return lengths, choice_school, key_school, values, ascending


def _entries(text: Any, starts: Any, ends: Any, lookup: Any, w: int) -> tuple[Any, Any, Any]:
    """Priority entries ``"id":value``, each ``text[starts[i]:ends[i]]``, read in NumPy.

    The key is W bytes between quotes and a colon; the value is a canonical integer
    (no leading zero, no minus zero, at most 16 digits). Returns the keys' school indices,
    the values and whether each key is below the next one. Raises _NotCanonical.
    """
    import numpy as np  # noqa: PLC0415  optional: reached only after scan() found NumPy
    from numpy.lib.stride_tricks import sliding_window_view  # noqa: PLC0415  optional, as above

    quote, colon = ord('"'), ord(":")
    if (ends - starts < w + 4).any():
        raise _NotCanonical
    if (
        (text[starts] != quote).any()
        or (text[starts + w + 1] != quote).any()
        or (text[starts + w + 2] != colon).any()
    ):
        raise _NotCanonical
    key_school, order = lookup(sliding_window_view(text, w)[starts + 1])
    ascending = order[:-1] < order[1:]
    first = starts + w + 3
    negative = text[first] == ord("-")
    digits_from = first + negative
    count = ends - digits_from
    if (count < 1).any() or (count > 16).any():
        raise _NotCanonical
    lead = text[digits_from]
    if ((lead == ord("0")) & ((count > 1) | negative)).any():
        raise _NotCanonical  # a leading zero, or minus zero
    values = np.zeros(starts.size, dtype=np.int64)
    for k in range(int(count.max())):
        more = count > k
        digit = text[np.where(more, digits_from + k, 0)].astype(np.int64) - ord("0")
        if ((digit < 0) | (digit > 9))[more].any():
            raise _NotCanonical
        values = np.where(more, values * 10 + digit, values)
    values = np.where(negative, -values, values)
    return key_school, values, ascending


def _fixed_width_applicants(  # noqa: PLR0911, PLR0912, PLR0915  the shape checks, top to bottom
    data: bytes, start: int, end: int, school_ids: list[str]
) -> tuple[list[str], Any, Any, Any, Any, Any] | None:
    """Ids and :func:`_tokens`' columns of the applicants list in NumPy over the bytes.

    It applies when the applicant ids have one width A and the school ids one width W
    (without commas or colons), and the list is, byte for byte, ``[`` record ``,`` ...
    ``]`` with each record ``{"choices":[<k quoted school ids>],"id":"<A bytes>",
    "priority":{<k entries "school id":integer>}}`` and at least one choice in all. The
    records are cut at the ``{`` and ``}`` (two of each per record, in that order) and
    every byte is checked against the layout; any other list returns None and the regular
    expressions read it (and decide): the answer is the same.
    """
    import numpy as np  # noqa: PLC0415  optional: reached only after scan() found NumPy
    from numpy.lib.stride_tricks import sliding_window_view  # noqa: PLC0415  optional, as above

    school_widths = set(map(len, school_ids))
    joined_ids = "".join(school_ids)
    if len(school_widths) != 1 or "," in joined_ids or ":" in joined_ids:
        return None
    w = school_widths.pop()
    text = np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)
    if text.size < 3 or text[0] != ord("[") or text[-1] != ord("]"):
        return None
    if text.min() < 0x20 or data.find(b"\\", start, end) >= 0:
        return None  # escapes and control characters: the regular expressions decide
    opens = np.flatnonzero(text == ord("{"))
    closes = np.flatnonzero(text == ord("}"))
    if opens.size % 2 or opens.size != closes.size:
        return None
    begin, prio_open = opens[0::2], opens[1::2]
    prio_close, finish = closes[0::2], closes[1::2]
    n = begin.size
    if (
        begin[0] != 1
        or finish[-1] != text.size - 2
        or not np.array_equal(finish, prio_close + 1)
        or not np.array_equal(finish[:-1] + 2, begin[1:])
        or (text[finish[:-1] + 1] != ord(",")).any()
    ):
        return None

    def rows(at: Any, width: int) -> Any:
        return sliding_window_view(text, width)[at]

    def same(block: Any, fixed: bytes) -> bool:
        return bool((block == np.frombuffer(fixed, dtype=np.uint8)).all())

    opening = b'{"choices":['
    before, after = b'],"id":"', b'","priority":{'
    if not same(rows(begin, len(opening)), opening):
        return None
    after_at = prio_open - (len(after) - 1)
    if (after_at < begin).any() or not same(rows(after_at, len(after)), after):
        return None
    # the ids' width, from the first record (its id holds no quote); checked on all below
    a = (
        int(after_at[0])
        - data.rfind(b'"', start + int(begin[0]), start + int(after_at[0]))
        + start
        - 1
    )
    before_at = after_at - a - len(before)
    choice_bytes = before_at - (begin + len(opening))
    if a < 1 or (choice_bytes < 0).any() or not same(rows(before_at, len(before)), before):
        return None
    id_rows = rows(before_at + len(before), a)
    if (id_rows == ord('"')).any():
        return None
    step = w + 3
    if ((choice_bytes + 1) % step)[choice_bytes > 0].any():
        return None
    lengths = (choice_bytes + 1) // step
    total = int(lengths.sum())
    if total == 0 or not np.array_equal(prio_close - prio_open > 1, lengths > 0):
        return None
    lookup = _school_lookup(school_ids, w)
    first_token = np.cumsum(lengths) - lengths
    at = np.repeat(begin + len(opening) - first_token * step, lengths)
    at += np.arange(total, dtype=np.int64) * step
    tokens = rows(at, step)
    del at
    closing = np.full(total, ord(","), dtype=np.uint8)
    closing[(first_token + lengths - 1)[lengths > 0]] = ord("]")
    if (
        (tokens[:, 0] != ord('"')).any()
        or (tokens[:, w + 1] != ord('"')).any()
        or not np.array_equal(tokens[:, w + 2], closing)
    ):
        return None
    choice_school, _ = lookup(tokens[:, 1 : w + 1])
    del tokens, closing
    # Priority entries end at a comma after a digit (the value's last), or at the "}".
    commas = np.flatnonzero(text == ord(","))
    before_comma = text[commas - 1]
    commas = commas[(before_comma >= ord("0")) & (before_comma <= ord("9"))]
    del before_comma
    owner = np.searchsorted(prio_open, commas, side="right") - 1
    if (owner < 0).any() or (commas >= prio_close[owner]).any():
        return None  # a comma after a digit outside the priorities: the expressions decide
    if not np.array_equal(np.bincount(owner, minlength=n) + (lengths > 0), lengths):
        return None
    del owner
    listed = lengths > 0
    starts = np.sort(np.concatenate((prio_open[listed] + 1, commas + 1)))
    ends = np.sort(np.concatenate((commas, prio_close[listed])))
    del commas
    key_school, values, ascending = _entries(text, starts, ends, lookup, w)
    lines = np.empty((n, a + 1), dtype=np.uint8)
    lines[:, :a] = id_rows
    lines[:, a] = ord("\n")
    ids = lines.tobytes().decode("ascii").split("\n")
    ids.pop()
    return ids, lengths, choice_school, key_school, values, ascending


_DENSE_CODES = 1 << 22  # most entries of the table of dense codes (32 MiB)


def _school_lookup(school_ids: list[str], w: int) -> Callable[[Any], tuple[Any, Any]]:
    """Tokens of W bytes (rows of a uint8 array) to school indices, and a key that orders
    the tokens as their bytes do. Raises _NotCanonical for a token that names no school.

    Each byte position has few distinct values among the school ids (``S0000``..``S4999``:
    1, 5, 10, 10, 10): each byte becomes its rank among its position's values, and the
    ranks, read as one mixed-radix number, index a table of the schools. The code is
    injective and ordered like the bytes, and a byte no id has at its position is caught.
    When the table would be large, a binary search over the sorted ids does the same.
    """
    import numpy as np  # noqa: PLC0415  optional: reached only after scan() found NumPy

    ids = np.frombuffer("".join(school_ids).encode(), dtype=np.uint8).reshape(-1, w)
    ranks: list[Any] = []
    radix: list[int] = []
    size = 1
    for j in range(w):
        values = np.unique(ids[:, j])
        rank = np.full(256, -1, dtype=np.int32)
        rank[values] = np.arange(values.size)
        ranks.append(rank)
        radix.append(int(values.size))
        size *= int(values.size)
    if size <= _DENSE_CODES:

        def codes(tokens: Any) -> Any:
            code = np.zeros(tokens.shape[0], dtype=np.int32)  # below _DENSE_CODES
            for j in range(w):
                digit = ranks[j][tokens[:, j]]
                if digit.size and digit.min() < 0:
                    raise _NotCanonical  # a byte no school id has here: no such school
                if radix[j] > 1:  # one value at this position: nothing to add
                    code *= radix[j]
                    code += digit
            return code

        table = np.full(size, -1, dtype=np.int64)
        table[codes(ids)] = np.arange(len(school_ids))

        def dense(tokens: Any) -> tuple[Any, Any]:
            code = codes(tokens)
            index = table[code]
            if index.size and index.min() < 0:
                raise _NotCanonical  # a school that is not in the list
            return index, code

        return dense
    kind = f"S{w}"
    sorted_ids = np.array(sorted(sid.encode() for sid in school_ids), dtype=kind)
    index_of_sorted = np.array(
        sorted(range(len(school_ids)), key=school_ids.__getitem__), dtype=np.int64
    )

    def search(tokens: Any) -> tuple[Any, Any]:
        names = np.ascontiguousarray(tokens).view(kind).ravel()
        at = np.searchsorted(sorted_ids, names)
        at[at >= sorted_ids.size] = 0
        if not np.array_equal(sorted_ids[at], names):
            raise _NotCanonical  # a school that is not in the list
        return index_of_sorted[at], names

    return search


def _assignments(
    data: bytes, start: int, end: int, table: DrawTable
) -> tuple[list[Any], list[Any]]:
    """Stated school and ticket per applicant, when the rows name the applicants in order."""
    rows = _records(_ASSIGNMENT, data, start, end)
    if len(rows) != table.size or list(map(operator.itemgetter(0), rows)) != list(
        map(str.encode, table.applicant_ids)
    ):
        raise _NotCanonical  # another order, or other applicants: the careful path decides
    known: dict[bytes, str | None] = {b'"' + sid.encode() + b'"': sid for sid in table.school_ids}
    known[b"null"] = None
    schools = list(map(known.__getitem__, map(operator.itemgetter(1), rows)))
    tickets = _lines(list(map(operator.itemgetter(2), rows)))
    return schools, tickets


_TICKET = 64  # bytes of a ticket in hex: the only width the NumPy reader takes


def _fixed_width_assignments(  # noqa: PLR0911, PLR0912  the shape checks, top to bottom
    data: bytes, start: int, end: int, table: DrawTable
) -> tuple[list[Any], Sequence[Any]] | None:
    """:func:`_assignments` in NumPy over the bytes, or None when it does not apply.

    It applies when the applicant ids have one width A, the school ids one width W and the
    list is, byte for byte, ``[`` record ``,`` ... ``]`` with record i
    ``{"applicant":"<id i>","school":<"school id" or null>,"ticket":"<64 bytes>"}``:
    the records are cut at each ``{`` (there must be one per applicant, the first at the
    list's start) and every byte of each is checked against that layout, so a ``{`` inside
    a string only makes the cut fail. Anything else returns None and :func:`_assignments`
    reads the list (and decides); the answer is the same.
    """
    import numpy as np  # noqa: PLC0415  optional: reached only after scan() found NumPy
    from numpy.lib.stride_tricks import sliding_window_view  # noqa: PLC0415  optional, as above

    n = table.size
    school_ids = list(table.school_ids)
    applicant_ids: list[str] = list(table.applicant_ids)
    widths = set(map(len, applicant_ids))  # ASCII: characters are bytes
    school_widths = set(map(len, school_ids))
    if n == 0 or len(widths) != 1 or len(school_widths) != 1:
        return None
    a, w = widths.pop(), school_widths.pop()
    text = np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)
    if text[0] != ord("[") or text[-1] != ord("]"):
        return None
    if text.min() < 0x20 or data.find(b"\\", start, end) >= 0:
        return None  # escapes and control characters: the regular expressions decide
    starts = np.flatnonzero(text == ord("{"))
    if starts.size != n or starts[0] != 1:
        return None
    head = b'{"applicant":"'
    middle = b'","school":'
    after = b',"ticket":"'
    close = b'"}'
    tail = len(after) + _TICKET + len(close)
    at_school = starts + (len(head) + a + len(middle))
    first = text[at_school]
    is_null = first == ord("n")
    if not (is_null | (first == ord('"'))).all():
        return None
    ends = at_school + np.where(is_null, 4, w + 2) + tail
    if ends[-1] != text.size - 1 or not np.array_equal(ends[:-1] + 1, starts[1:]):
        return None
    if (text[ends[:-1]] != ord(",")).any():
        return None

    def rows(at: Any, width: int) -> Any:
        return sliding_window_view(text, width)[at]

    def same(block: Any, fixed: bytes) -> bool:
        return bool((block == np.frombuffer(fixed, dtype=np.uint8)).all())

    opening = rows(starts, len(head) + a + len(middle))
    ids = np.frombuffer("".join(applicant_ids).encode(), dtype=np.uint8).reshape(n, a)
    if not (
        same(opening[:, : len(head)], head)
        and same(opening[:, len(head) + a :], middle)
        and np.array_equal(opening[:, len(head) : len(head) + a], ids)
    ):
        return None
    del opening, ids
    closing = rows(ends - tail, tail)
    tickets = closing[:, len(after) : len(after) + _TICKET]
    if not (
        same(closing[:, : len(after)], after)
        and same(closing[:, len(after) + _TICKET :], close)
        and not (tickets == ord('"')).any()
    ):
        return None
    index = np.full(n, -1, dtype=np.int64)
    named = np.flatnonzero(~is_null)
    if named.size:
        quoted = rows(at_school[named], w + 2)
        if (quoted[:, 0] != ord('"')).any() or (quoted[:, w + 1] != ord('"')).any():
            return None
        try:
            index[named] = _school_lookup(school_ids, w)(quoted[:, 1 : w + 1])[0]
        except _NotCanonical:
            return None
    if is_null.any() and not same(rows(at_school[is_null], 4), b"null"):
        return None
    names: list[str | None] = [*school_ids, None]
    schools = list(map(names.__getitem__, index.tolist()))
    return schools, TicketColumn(np.ascontiguousarray(tickets).tobytes().decode("ascii"))


class TicketColumn(Sequence[str]):
    """Stated tickets of 64 characters each, held as one text (no str per ticket).

    A sequence of the tickets as text, like the list the other readers give; ``text`` is
    their concatenation, which the verifier compares in slices with the computed tickets.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __len__(self) -> int:
        return len(self.text) // _TICKET

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(index)
        return self.text[index * _TICKET : (index + 1) * _TICKET]

    def __iter__(self) -> Iterator[str]:
        text = self.text
        return (text[i : i + _TICKET] for i in range(0, len(text), _TICKET))
