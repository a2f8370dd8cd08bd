"""Columnar draw inputs, built from (and validated against) the protocol's JSON records.

The engines work on flat lists of school indices and priorities, never on
per-record dicts, so 1M applicants cost a few list comprehensions, not a Python
loop with a dozen steps per record.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, islice, repeat
from typing import Any

from lottery._canonical import MAX_SAFE_INTEGER, CanonicalError, check_domain
from lottery._errors import InvalidBundle
from seeding import ProtocolValueError, text_bytes

SCHOOL_KEYS = frozenset(("id", "capacity"))
APPLICANT_KEYS = frozenset(("id", "choices", "priority"))


@dataclass(frozen=True, slots=True)
class DrawTable:
    """The draw's inputs as columns.

    Applicant ``a`` lists the schools ``choice_school[offsets[a]:offsets[a + 1]]``
    (indices into ``school_ids``), most wanted first, with the priorities at the
    same positions of ``choice_priority`` (lower is better).

    The three integer columns are lists, or, from a builder that holds them so (the
    allocation engine), one-dimensional NumPy int64 arrays, taken as they are: then two
    tables compare by their columns' values, not with ``==``.
    """

    school_ids: Sequence[str]
    capacities: Sequence[int]
    applicant_ids: Sequence[str]
    offsets: Sequence[int]
    choice_school: Sequence[int]
    choice_priority: Sequence[int]

    @property
    def size(self) -> int:
        return len(self.applicant_ids)

    def choices_of(self, applicant: int) -> Sequence[int]:
        return self.choice_school[self.offsets[applicant] : self.offsets[applicant + 1]]

    @property
    def max_choices(self) -> int:
        offs = self.offsets
        return max((offs[i + 1] - offs[i] for i in range(len(offs) - 1)), default=0)


def _check_id(value: Any, where: str, *, ascii_only: bool) -> None:
    if type(value) is not str or not value:
        raise InvalidBundle("id must be non-empty text", where)
    if ascii_only and not value.isascii():
        raise InvalidBundle("school id must be ASCII (it is an object key)", where)
    try:
        text_bytes(value)
    except ProtocolValueError as exc:
        raise InvalidBundle(str(exc), where) from exc


def _check_extras(record: dict[str, Any], known: frozenset[str], where: str) -> None:
    for key in record.keys() - known:
        try:
            check_domain({key: record[key]}, where)
        except CanonicalError as exc:
            raise InvalidBundle(str(exc)) from exc


def school_columns(records: Any, where: str = "/schools") -> tuple[list[str], list[int]]:
    """Validate school records; return (ids, capacities). Raises InvalidBundle."""
    if type(records) is not list:
        raise InvalidBundle("must be a list", where)
    ids: list[str] = []
    caps: list[int] = []
    for i, rec in enumerate(records):
        here = f"{where}/{i}"
        if type(rec) is not dict:
            raise InvalidBundle("school must be an object", here)
        for key in SCHOOL_KEYS:
            if key not in rec:
                raise InvalidBundle(f"missing key {key!r}", here)
        _check_id(rec["id"], f"{here}/id", ascii_only=True)
        cap = rec["capacity"]
        if type(cap) is not int or not 0 <= cap <= MAX_SAFE_INTEGER:
            raise InvalidBundle("capacity must be a non-negative integer", f"{here}/capacity")
        if len(rec) != len(SCHOOL_KEYS):
            _check_extras(rec, SCHOOL_KEYS, here)
        ids.append(rec["id"])
        caps.append(cap)
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(x for x in ids if x in seen or seen.add(x))  # type: ignore[func-returns-value]
        raise InvalidBundle(f"duplicate school id {dup!r}", where)
    return ids, caps


def applicant_table(
    school_ids: Sequence[str], capacities: Sequence[int], records: Any, where: str = "/applicants"
) -> DrawTable:
    """Validate applicant records and build the columnar table. Raises InvalidBundle.

    The common shape (exactly id, choices, priority; priorities exactly for the
    choices) is checked on a fast path; anything else takes a per-record path that
    names the offending field.
    """
    if type(records) is not list:
        raise InvalidBundle("must be a list", where)
    index = {sid: i for i, sid in enumerate(school_ids)}
    try:
        ids, lengths, choice_school, priorities, choice_lists = _columns(index, records)
        if set(map(type, priorities)) - {int}:
            raise TypeError
        if priorities and (
            min(priorities) < -MAX_SAFE_INTEGER or max(priorities) > MAX_SAFE_INTEGER
        ):
            raise TypeError
        # Repeated choices (with as many priorities as choices, one is unlisted) go to the careful path.
        if _any_repeat(choice_school, lengths, choice_lists):
            raise TypeError
        _check_texts(ids, where)
    except (TypeError, KeyError):
        ids, lengths, choice_school, priorities = _careful(index, records, where)
    # Ids in ascending order (the usual case) are distinct when strictly increasing.
    if not all(map(operator.lt, ids, islice(ids, 1, None))) and len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(x for x in ids if x in seen or seen.add(x))  # type: ignore[func-returns-value]
        raise InvalidBundle(f"duplicate applicant id {dup!r}", where)
    offsets = [0]
    offsets.extend(_accumulate(lengths))
    return DrawTable(
        school_ids=tuple(school_ids),
        capacities=tuple(capacities),
        applicant_ids=ids,
        offsets=offsets,
        choice_school=choice_school,
        choice_priority=priorities,
    )


def _columns(
    index: dict[str, int], records: list[Any]
) -> tuple[list[str], list[int], list[int], list[int], list[Any]]:
    """The fast path's one pass over the records: ids, list lengths, school indices, priorities.

    Raises TypeError or KeyError at the first record outside the common shape (not
    a dict of exactly id, choices and priority; id not text; choices not a list;
    priority not an object with one entry per choice; a choice naming no school).
    One loop that touches each record once costs about a third of a dozen C-level
    passes over a million records, which each walk them from memory again.
    """
    ids: list[str] = []
    lengths: list[int] = []
    choice_school: list[int] = []
    priorities: list[int] = []
    choice_lists: list[Any] = []
    add_id, add_length, add_school = ids.append, lengths.append, choice_school.append
    add_priority, add_list = priorities.append, choice_lists.append
    for rec in records:
        if type(rec) is not dict or len(rec) != 3:
            raise TypeError
        applicant_id, choices, prio = rec["id"], rec["choices"], rec["priority"]
        if (
            type(applicant_id) is not str
            or type(choices) is not list
            or type(prio) is not dict
            or len(choices) != len(prio)
        ):
            raise TypeError
        add_id(applicant_id)
        add_length(len(choices))
        add_list(choices)
        for school in choices:
            add_school(index[school])
            add_priority(prio[school])
    return ids, lengths, choice_school, priorities, choice_lists


def _accumulate(lengths: list[int]) -> list[int]:
    from itertools import accumulate  # noqa: PLC0415

    return list(accumulate(lengths))


def _any_repeat(choice_school: list[int], lengths: list[int], choice_lists: list[Any]) -> bool:
    """Whether some applicant lists a school twice.

    When every list has the same short length L (the usual case), column k of the
    flat school indices is ``choice_school[k::L]`` and a repeat is an equal pair in
    two columns: a few C-level passes instead of a set per applicant.
    """
    n = len(lengths)
    width = lengths[0] if n else 0
    if n and width <= 4 and lengths.count(width) == n:
        cols = [choice_school[k::width] for k in range(width)]
        return any(
            any(map(operator.eq, cols[i], cols[j]))
            for i in range(width)
            for j in range(i + 1, width)
        )
    return any(map(_has_repeat, choice_lists))


def _has_repeat(choices: list[str]) -> bool:
    return len(choices) > 1 and len(set(choices)) != len(choices)


def _check_texts(ids: list[str], where: str) -> None:
    # ASCII ids need no NFC or surrogate check; only the rest are looked at one by one.
    if "".join(ids).isascii():
        if "" in ids:
            i = ids.index("")
            raise InvalidBundle("id must be non-empty text", f"{where}/{i}/id")
        return
    for i, value in enumerate(ids):
        _check_id(value, f"{where}/{i}/id", ascii_only=False)


def _careful(  # noqa: PLR0912  one check per field of the record, read top to bottom
    index: dict[str, int], records: list[Any], where: str
) -> tuple[list[str], list[int], list[int], list[int]]:
    """Per-record validation that names the first broken field."""
    ids: list[str] = []
    lengths: list[int] = []
    choice_school: list[int] = []
    priorities: list[int] = []
    for i, rec in enumerate(records):
        here = f"{where}/{i}"
        if type(rec) is not dict:
            raise InvalidBundle("applicant must be an object", here)
        for key in ("id", "choices", "priority"):
            if key not in rec:
                raise InvalidBundle(f"missing key {key!r}", here)
        _check_id(rec["id"], f"{here}/id", ascii_only=False)
        choices, prio = rec["choices"], rec["priority"]
        if type(choices) is not list:
            raise InvalidBundle("choices must be a list", f"{here}/choices")
        if type(prio) is not dict:
            raise InvalidBundle("priority must be an object", f"{here}/priority")
        if len(set(map(repr, choices))) != len(choices):
            raise InvalidBundle("a school appears twice in choices", f"{here}/choices")
        for k, school in enumerate(choices):
            if type(school) is not str or school not in index:
                raise InvalidBundle(f"choice {school!r} names no school", f"{here}/choices/{k}")
            if school not in prio:
                raise InvalidBundle(f"no priority for chosen school {school!r}", f"{here}/priority")
        for school, value in prio.items():
            if school not in index:
                raise InvalidBundle(f"priority names no school: {school!r}", f"{here}/priority")
            if type(value) is not int or not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                raise InvalidBundle(
                    "priority must be an integer within +-(2^53 - 1)", f"{here}/priority/{school}"
                )
        if len(rec) != len(APPLICANT_KEYS):
            _check_extras(rec, APPLICANT_KEYS, here)
        ids.append(rec["id"])
        lengths.append(len(choices))
        choice_school.extend(index[s] for s in choices)
        priorities.extend(prio[s] for s in choices)
    return ids, lengths, choice_school, priorities


def check_table(table: DrawTable, where: str = "/applicants", *, accelerate: bool = True) -> None:
    """Check a table built by a trusted builder (not from records) in bulk. Raises InvalidBundle.

    What :func:`applicant_table` finds record by record, checked on the columns with a
    few C-level passes: school ids distinct ASCII text, capacities in range; applicant
    ids text in strictly ascending order (so distinct, and in the order the records
    must come in); offsets, school indices and priorities in range; no school listed
    twice by one applicant.
    """
    sids, caps, ids = table.school_ids, table.capacities, table.applicant_ids
    if set(map(type, sids)) - {str} or "" in sids or not "".join(sids).isascii():
        raise InvalidBundle("school ids must be non-empty ASCII text", "/schools")
    if len(set(sids)) != len(sids):
        raise InvalidBundle("duplicate school id", "/schools")
    if set(map(type, caps)) - {int} or (
        caps and not 0 <= min(caps) <= max(caps) <= MAX_SAFE_INTEGER
    ):
        raise InvalidBundle("capacity must be a non-negative integer", "/schools")
    if len(caps) != len(sids):
        raise InvalidBundle("one capacity per school", "/schools")
    if set(map(type, ids)) - {str}:
        raise InvalidBundle("id must be non-empty text", where)
    if not all(map(operator.lt, ids, islice(ids, 1, None))):
        raise InvalidBundle("applicants must come in strictly ascending id order", where)
    _check_texts(list(ids), where)
    offs, schools, prios = table.offsets, table.choice_school, table.choice_priority
    if _int64_columns(offs, schools, prios):
        _check_int64_columns(table, where)
        return
    n_choices = len(schools)
    if (
        len(offs) != len(ids) + 1
        or offs[0] != 0
        or offs[-1] != n_choices
        or len(prios) != n_choices
        or not all(map(operator.le, offs, islice(offs, 1, None)))
    ):
        raise InvalidBundle("offsets do not delimit the choices", where)
    if n_choices:
        if set(map(type, schools)) - {int} or not 0 <= min(schools) <= max(schools) < len(sids):
            raise InvalidBundle("a choice names no school", where)
        if set(map(type, prios)) - {int} or not (
            min(prios) >= -MAX_SAFE_INTEGER and max(prios) <= MAX_SAFE_INTEGER
        ):
            raise InvalidBundle("priority must be an integer within +-(2^53 - 1)", where)
    if _repeats(table, accelerate=accelerate):
        raise InvalidBundle("a school appears twice in choices", where)


def _int64_columns(*columns: Any) -> bool:
    """Whether every column is a one-dimensional NumPy int64 array (a builder's own columns,
    given as they are instead of as lists: their type is then the dtype, checked once)."""
    for col in columns:
        dtype = getattr(col, "dtype", None)
        if dtype is None or dtype.kind != "i" or dtype.itemsize != 8 or col.ndim != 1:
            return False
    return True


def _check_int64_columns(table: DrawTable, where: str) -> None:
    """The checks of :func:`check_table` on int64 columns: the same conditions, in NumPy
    (no bool or float can hide in an int64 array, so the type checks are the dtype's)."""
    import numpy as np  # noqa: PLC0415  the columns are NumPy arrays, so NumPy is there

    offs, schools, prios = table.offsets, table.choice_school, table.choice_priority
    n_choices = len(schools)
    bounds: Any = offs
    if (
        len(offs) != len(table.applicant_ids) + 1
        or int(bounds[0]) != 0
        or int(bounds[-1]) != n_choices
        or len(prios) != n_choices
        or bool((np.diff(bounds) < 0).any())
    ):
        raise InvalidBundle("offsets do not delimit the choices", where)
    if n_choices:
        cs: Any = schools
        if not 0 <= int(cs.min()) <= int(cs.max()) < len(table.school_ids):
            raise InvalidBundle("a choice names no school", where)
        cp: Any = prios
        if not (int(cp.min()) >= -MAX_SAFE_INTEGER and int(cp.max()) <= MAX_SAFE_INTEGER):
            raise InvalidBundle("priority must be an integer within +-(2^53 - 1)", where)
    if _repeats(table, accelerate=True):
        raise InvalidBundle("a school appears twice in choices", where)


def _repeats(table: DrawTable, *, accelerate: bool) -> bool:
    """Whether an applicant lists a school twice: (applicant, school) pairs packed in one int."""
    offs, schools, width = table.offsets, table.choice_school, len(table.school_ids)
    if accelerate:
        try:
            # Optional accelerator: the plain set below gives the same answer.
            import numpy as np  # noqa: PLC0415
        except ImportError:
            pass
        else:
            bounds = np.asarray(offs, dtype=np.int64)
            owners = np.repeat(np.arange(table.size, dtype=np.int64), np.diff(bounds))
            packed = owners * width + np.asarray(schools, dtype=np.int64)
            packed.sort()
            return bool(packed.size > 1 and (packed[1:] == packed[:-1]).any())
    lengths = map(operator.sub, islice(offs, 1, None), offs)
    owners_ = chain.from_iterable(map(repeat, range(0, table.size * width, width), lengths))
    return len(set(map(operator.add, owners_, schools))) != len(schools)
