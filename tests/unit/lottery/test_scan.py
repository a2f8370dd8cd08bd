"""``verify_data`` (bytes in, canonical files read into columns) answers as ``verify(parse_bundle)``.

Every outcome is compared whole: the report, or the exception's type and message. The
columnar reader must take the canonical files (``scan`` returns columns) and must hand
every other file, however close to canonical, to the parsing path.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import given, settings

import lottery
from lottery._canonical import encoder
from lottery._scan import scan
from tests.strategies import DISTRICT, bundles, resign

pytest.importorskip("numpy")


def outcome(run: Any) -> tuple[str, Any]:
    try:
        return "report", run()
    except lottery.VerificationError as exc:
        return "invalid", exc.report
    except lottery.InvalidBundle as exc:
        return "malformed", str(exc)


def both(data: bytes, trusted: dict[str, bytes] | None = DISTRICT) -> tuple[Any, Any]:
    fast = outcome(lambda: lottery.verify_data(data, trusted))
    plain = outcome(lambda: lottery.verify(lottery.parse_bundle(data), trusted))
    return fast, plain


def canonical(bundle: Any) -> bytes:
    return lottery.canonical_json(bundle)


@settings(max_examples=60, deadline=None)
@given(bundles(max_applicants=12))
def test_canonical_files_take_the_columnar_path_with_the_same_report(bundle: Any) -> None:
    data = canonical(bundle)
    # Priorities for unlisted schools are valid but left to the parsing path.
    if data.isascii() and all(
        set(a["priority"]) == set(a["choices"]) for a in bundle["applicants"]
    ):
        assert scan(data, encoder(accelerate=True)) is not None
    fast, plain = both(data)
    assert fast == plain
    assert fast[0] == "report"


def test_small_bundle(small_bundle: Any) -> None:
    data = canonical(small_bundle)
    assert scan(data, encoder(accelerate=True)) is not None
    fast, plain = both(data)
    assert fast == plain and fast[0] == "report"
    untrusted, plain_untrusted = both(data, None)
    assert untrusted == plain_untrusted and untrusted[0] == "invalid"


def _edit(data: bytes, old: bytes, new: bytes, count: int = 1) -> bytes:
    assert old in data, old
    return data.replace(old, new, count)


EDITS: list[tuple[str, Any]] = [
    ("pretty-printed", lambda d, b: json.dumps(b, indent=1, sort_keys=True).encode()),
    ("keys not sorted", lambda d, b: json.dumps(b).encode()),
    ("space after a comma", lambda d, b: _edit(d, b'"east","north"', b'"east", "north"')),
    ("escaped letter in an id", lambda d, b: _edit(d, b'"id":"p02"', b'"id":"p\\u00302"')),
    ("leading zero", lambda d, b: _edit(d, b'"north":1}', b'"north":01}')),
    ("minus zero", lambda d, b: _edit(d, b'"east":0,', b'"east":-0,')),
    (
        "priority keys unsorted",
        lambda d, b: _edit(d, b'{"east":0,"north":1}', b'{"north":1,"east":0}'),
    ),
    (
        "priority for an unlisted school",
        lambda d, b: _edit(d, b'"priority":{"north":1}', b'"priority":{"west":1}'),
    ),
    ("school listed twice", lambda d, b: _edit(d, b'["east","north"]', b'["east","east"]')),
    ("unknown school", lambda d, b: _edit(d, b'["north"]', b'["south"]')),
    (
        "extra key in a record",
        lambda d, b: _edit(d, b'{"choices":[],', b'{"choices":[],"extra":1,'),
    ),
    ("ids out of order", lambda d, b: d.replace(b'"p01"', b'"p99"')),
    ("duplicate id", lambda d, b: d.replace(b'"p02"', b'"p01"')),
    ("empty id", lambda d, b: d.replace(b'"p05"', b'""')),
    ("non-ASCII id", lambda d, b: d.replace(b'"p05"', '"p\u00e9"'.encode())),
    ("capacity as text", lambda d, b: _edit(d, b'"capacity":2', b'"capacity":"2"')),
    ("capacity too large", lambda d, b: _edit(d, b'"capacity":2', b'"capacity":9007199254740992')),
    ("assigned school unknown", lambda d, b: _edit(d, b'"school":null', b'"school":"south"')),
    ("ticket changed", lambda d, b: _edit(d, b'"ticket":"', b'"ticket":"0')),
    ("ticket not hex", lambda d, b: _edit(d, b'"ticket":"', b'"ticket":"zz', 1)),
    ("assignments swapped", lambda d, b: _swap_assignments(b)),
    ("float in the ceremony", lambda d, b: _edit(d, b'"seed":"', b'"x":1.5,"seed":"')),
    ("key after signatures", lambda d, b: d[:-1] + b',"zzz":1}'),
    (
        "nested applicants key first",
        lambda d, b: canonical({"allocation": {"applicants": []}, **b}),
    ),
    ("trailing whitespace", lambda d, b: d + b" "),
    ("truncated", lambda d, b: d[:-3]),
]


def _swap_assignments(bundle: Any) -> bytes:
    rows = list(bundle["assignments"])
    rows[0], rows[1] = rows[1], rows[0]
    return canonical({**bundle, "assignments": rows})


@pytest.mark.parametrize(("name", "edit"), EDITS, ids=[e[0] for e in EDITS])
@pytest.mark.parametrize("resigned", [False, True], ids=["as-is", "re-signed"])
def test_every_other_file_gets_the_parsing_path_s_answer(
    small_bundle: Any, name: str, edit: Any, resigned: bool
) -> None:
    bundle = small_bundle
    data = edit(canonical(bundle), bundle)
    if resigned:  # the edit made again on the re-signed bundle: the signature holds
        try:
            value = resign(lottery.parse_bundle(data))
        except (lottery.InvalidBundle, AttributeError, KeyError, TypeError, ValueError):
            pytest.skip("nothing to re-sign")
        data = (
            edit(canonical(value), value)
            if name.startswith(("pretty", "keys"))
            else (canonical(value) if data.isascii() else data)
        )
    fast, plain = both(data)
    assert fast == plain, name


def _same_width(data: bytes) -> bytes:
    """School ids of one width (east_, north, west_): the NumPy tokeniser's case."""
    return data.replace(b'"east"', b'"east_"').replace(b'"west"', b'"west_"')


@pytest.mark.parametrize("reader", ["_fixed_width_applicants", "_fixed_width_tokens"])
def test_same_width_ids_take_the_numpy_readers(
    bundle_factory: Any, reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One width of applicant and of school ids: the whole records are read in NumPy;
    without that reader (here: switched off), the regular expressions cut the records and
    the choices and priorities are still tokenised in NumPy."""
    from lottery import _scan  # noqa: PLC0415

    schools = [
        {"id": "s-1", "capacity": 1},
        {"id": "s-2", "capacity": 1},
        {"id": "s-3", "capacity": 0},
    ]
    applicants = [
        {"id": f"a{i:02d}", "choices": c, "priority": dict.fromkeys(c, p)}
        for i, (c, p) in enumerate(
            [(["s-2", "s-1"], 1), (["s-1"], -12), ([], 0), (["s-3", "s-1", "s-2"], 1234567)]
        )
    ]
    data = canonical(bundle_factory(schools=schools, applicants=applicants))
    if reader == "_fixed_width_tokens":
        monkeypatch.setattr(_scan, "_fixed_width_applicants", lambda *args: None)
    found = getattr(_scan, reader)
    used: list[bool] = []

    def spy(*args: Any) -> Any:
        out = found(*args)
        used.append(out is not None)
        return out

    monkeypatch.setattr(_scan, reader, spy)
    fast, plain = both(data)
    assert used == [True]
    assert fast == plain and fast[0] == "report"


@pytest.mark.parametrize(("name", "edit"), EDITS, ids=[e[0] for e in EDITS])
def test_same_width_edits_get_the_parsing_path_s_answer(
    small_bundle: Any, name: str, edit: Any
) -> None:
    data = _same_width(edit(canonical(small_bundle), small_bundle))
    try:
        value = resign(lottery.parse_bundle(data))
    except (lottery.InvalidBundle, AttributeError, KeyError, TypeError, ValueError):
        value = None
    for case in (data, _same_width(canonical(value)) if value is not None else data):
        fast, plain = both(case)
        assert fast == plain, name


@pytest.mark.parametrize("dense", [True, False], ids=["dense-codes", "binary-search"])
@pytest.mark.parametrize(("name", "edit"), EDITS, ids=[e[0] for e in EDITS])
def test_school_lookups_agree(
    small_bundle: Any, name: str, edit: Any, dense: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ways of naming the schools of fixed-width tokens (a table of dense codes, or a
    binary search when the table would be large) give the parsing path's answer."""
    from lottery import _scan  # noqa: PLC0415

    if not dense:
        monkeypatch.setattr(_scan, "_DENSE_CODES", 0)
    data = _same_width(edit(canonical(small_bundle), small_bundle))
    fast, plain = both(data)
    assert fast == plain, name


def test_dense_school_codes_name_only_listed_schools() -> None:
    import numpy as np  # noqa: PLC0415

    from lottery import _scan  # noqa: PLC0415

    lookup = _scan._school_lookup(["cd", "ab", "ax"], 2)

    def tokens(*names: str) -> Any:
        return np.frombuffer("".join(names).encode(), dtype=np.uint8).reshape(-1, 2)

    index, order = lookup(tokens("ab", "cd", "ax", "ab"))
    assert index.tolist() == [1, 0, 2, 1]
    assert (order[:-1] < order[1:]).tolist() == [True, False, False]  # ab < cd, cd > ax, ax > ab
    for name in ("ad", "cb", "zz"):  # bytes each seen at their place, or not: no such school
        with pytest.raises(_scan._NotCanonical):
            lookup(tokens("ab", name))


def _spy_worker(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Force the forked hashing worker on every file; record what each one returned."""
    from lottery import _scan  # noqa: PLC0415

    monkeypatch.setattr(_scan, "_PARALLEL_BYTES", 0)
    results: list[Any] = []
    real = _scan._Worker.result

    def result(self: Any) -> Any:
        out = real(self)
        results.append(out)
        return out

    monkeypatch.setattr(_scan._Worker, "result", result)
    return results


@settings(max_examples=25, deadline=None)
@given(bundles(max_applicants=12))
def test_forked_hashing_gives_the_same_report(bundle: Any) -> None:
    data = canonical(bundle)
    with pytest.MonkeyPatch.context() as monkeypatch:
        results = _spy_worker(monkeypatch)
        fast, plain = both(data)
    assert fast == plain
    assert fast[0] == "report"
    assert all(r is not None for r in results)


@pytest.mark.parametrize(("name", "edit"), EDITS, ids=[e[0] for e in EDITS])
def test_forked_hashing_on_edited_files(
    small_bundle: Any, name: str, edit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = _spy_worker(monkeypatch)
    for data in (edit(canonical(small_bundle), small_bundle), _same_width(canonical(small_bundle))):
        fast, plain = both(data)
        assert fast == plain, name
    assert results and all(r is not None for r in results)  # the unedited file forked


def test_a_failed_worker_is_made_good_in_process(
    small_bundle: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that fails (here: its hashing raises in the child) returns None, and the
    parent computes the same hashes itself; a wrong count from a worker is refused."""
    from lottery import _scan  # noqa: PLC0415

    results = _spy_worker(monkeypatch)
    real = _scan._bulk_hashes
    calls: list[int] = []

    def failing(*args: Any) -> Any:
        calls.append(os.getpid())
        if os.getpid() != parent:
            raise RuntimeError("the worker fails")
        return real(*args)

    parent = os.getpid()
    monkeypatch.setattr(_scan, "_bulk_hashes", failing)
    data = canonical(small_bundle)
    fast, plain = both(data)
    assert fast == plain and fast[0] == "report"
    assert results == [None] and calls == [parent]  # the child's call is not seen here

    def miscounted(*args: Any) -> Any:
        digest, count, root = real(*args)
        return digest, count + 1, root

    monkeypatch.setattr(_scan, "_bulk_hashes", miscounted)
    assert scan(data, encoder(accelerate=True)) is None


def _ticket_of(data: bytes, applicant: bytes) -> bytes:
    at = data.index(b'{"applicant":"' + applicant + b'"')
    at = data.index(b'"ticket":"', at) + len(b'"ticket":"')
    return data[at : at + 64]


ASSIGNMENT_EDITS: list[tuple[str, Any]] = [
    ("unedited", lambda d: d),
    (
        "ticket in upper case",
        lambda d: d.replace(_ticket_of(d, b"p02"), _ticket_of(d, b"p02").upper()),
    ),
    ("ticket of another", lambda d: d.replace(_ticket_of(d, b"p02"), _ticket_of(d, b"p03"), 1)),
    ("ticket of 63", lambda d: d.replace(_ticket_of(d, b"p02"), _ticket_of(d, b"p02")[1:])),
    ("ticket of 65", lambda d: d.replace(_ticket_of(d, b"p02"), _ticket_of(d, b"p02") + b"0")),
    (
        "brace in a ticket",
        lambda d: d.replace(_ticket_of(d, b"p02"), b"{" + _ticket_of(d, b"p02")[1:]),
    ),
    ("placed, stated unplaced", lambda d: _edit(d, b'"school":"east_"', b'"school":null')),
    ("unplaced, stated placed", lambda d: _edit(d, b'"school":null', b'"school":"west_"')),
    ("school of another width", lambda d: _edit(d, b'"school":null', b'"school":"west"')),
    (
        "school of the same width, unknown",
        lambda d: _edit(d, b'"school":null', b'"school":"south"'),
    ),
    ("school in capitals", lambda d: _edit(d, b'"school":null', b'"school":NULL')),
    ("key renamed", lambda d: _edit(d, b'{"applicant":"p03"', b'{"applicanx":"p03"')),
    ("applicant renamed", lambda d: _edit(d, b'{"applicant":"p03"', b'{"applicant":"p3x"')),
    ("space before a record", lambda d: _edit(d, b',{"applicant":"p03"', b', {"applicant":"p03"')),
    (
        "closing brace dropped",
        lambda d: _edit(d, b'"},{"applicant":"p03"', b'",{"applicant":"p03"'),
    ),
    ("two commas", lambda d: _edit(d, b',{"applicant":"p03"', b',,{"applicant":"p03"')),
]


@pytest.mark.parametrize(("name", "edit"), ASSIGNMENT_EDITS, ids=[e[0] for e in ASSIGNMENT_EDITS])
@pytest.mark.parametrize("resigned", [False, True], ids=["as-is", "re-signed"])
def test_numpy_assignments_reader_gives_the_parsing_path_s_answer(
    small_bundle: Any, name: str, edit: Any, resigned: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lottery import _scan  # noqa: PLC0415

    data = edit(_same_width(canonical(small_bundle)))
    if resigned:
        try:
            data = _same_width(canonical(resign(lottery.parse_bundle(data))))
        except (lottery.InvalidBundle, AttributeError, KeyError, TypeError, ValueError):
            pytest.skip("nothing to re-sign")
    found = _scan._fixed_width_assignments
    used: list[bool] = []

    def spy(*args: Any) -> Any:
        out = found(*args)
        used.append(out is not None)
        return out

    monkeypatch.setattr(_scan, "_fixed_width_assignments", spy)
    fast, plain = both(data)
    assert fast == plain, name
    if name in {"unedited", "ticket in upper case", "ticket of another"} or (
        resigned and name.startswith(("placed", "unplaced"))
    ):
        assert used == [True], name  # well-shaped lists are read in NumPy


APPLICANT_EDITS: list[tuple[str, Any]] = [
    ("unedited", lambda d: d),
    (
        "priority value changed",
        lambda d: _edit(
            d,
            b'"north":1}},{"choices":["east_","north"]',
            b'"north":7}},{"choices":["east_","north"]',
        ),
    ),
    ("priority of many digits", lambda d: _edit(d, b'"west_":0}', b'"west_":-123456789012345}')),
    ("priority of 17 digits", lambda d: _edit(d, b'"west_":0}', b'"west_":12345678901234567}')),
    ("priority with a plus", lambda d: _edit(d, b'"west_":0}', b'"west_":+1}')),
    ("priority empty", lambda d: _edit(d, b'"west_":0}', b'"west_":}')),
    ("choices reordered", lambda d: _edit(d, b'["east_","west_"]', b'["west_","east_"]')),
    ("an id of another width", lambda d: _edit(d, b'"id":"p05"', b'"id":"p050"')),
    ("a brace in an id", lambda d: _edit(d, b'"p05"', b'"p0{"', 2)),
    ("braces in two ids", lambda d: _edit(_edit(d, b'"p04"', b'"p{{"', 2), b'"p05"', b'"p}}"', 2)),
    ("a comma after a digit in an id", lambda d: _edit(d, b'"p05"', b'"p5,"', 2)),
    ("a colon in an id", lambda d: _edit(d, b'"p05"', b'"p5:"', 2)),
    ("choice of another width", lambda d: _edit(d, b'["north"]', b'["nort"]')),
    (
        "no choices but a priority",
        lambda d: _edit(d, b'"id":"p05","priority":{}', b'"id":"p05","priority":{"east_":1}'),
    ),
    (
        "a choice but no priority",
        lambda d: _edit(
            d,
            b'"choices":[],"id":"p05","priority":{}',
            b'"choices":["east_"],"id":"p05","priority":{}',
        ),
    ),
    ("brackets swapped", lambda d: _edit(d, b'["north"]', b']"north"[')),
    (
        "missing comma between records",
        lambda d: _edit(d, b'}},{"choices":["north"]', b'}}{"choices":["north"]'),
    ),
    ("key misspelt", lambda d: _edit(d, b'"id":"p03","priority"', b'"id":"p03","priorita"')),
]


@pytest.mark.parametrize(("name", "edit"), APPLICANT_EDITS, ids=[e[0] for e in APPLICANT_EDITS])
@pytest.mark.parametrize("resigned", [False, True], ids=["as-is", "re-signed"])
def test_numpy_applicants_reader_gives_the_parsing_path_s_answer(
    small_bundle: Any, name: str, edit: Any, resigned: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lottery import _scan  # noqa: PLC0415

    data = edit(_same_width(canonical(small_bundle)))
    if resigned:
        try:
            data = canonical(resign(lottery.parse_bundle(data)))
        except (lottery.InvalidBundle, AttributeError, KeyError, TypeError, ValueError):
            pytest.skip("nothing to re-sign")
    found = _scan._fixed_width_applicants
    used: list[bool] = []

    def spy(*args: Any) -> Any:
        out = found(*args)
        used.append(out is not None)
        return out

    monkeypatch.setattr(_scan, "_fixed_width_applicants", spy)
    fast, plain = both(data)
    assert fast == plain, name
    if name in {"unedited", "priority value changed", "choices reordered"}:
        assert used == [True], name  # well-shaped lists are read in NumPy


def test_ticket_column_is_the_list_of_tickets() -> None:
    from lottery._scan import TicketColumn  # noqa: PLC0415

    tickets = [f"{i:02d}".ljust(64, "ab"[i % 2]) for i in range(5)]
    column = TicketColumn("".join(tickets))
    assert len(column) == 5
    assert list(column) == tickets
    assert [column[i] for i in range(-5, 5)] == tickets + tickets
    assert column[1:4] == tickets[1:4] and column[::-2] == tickets[::-2]
    for bad in (5, -6):
        with pytest.raises(IndexError):
            column[bad]
    assert list(TicketColumn("")) == []


@pytest.mark.parametrize("order", ["by id", "not by id"])
def test_school_order_does_not_change_the_answer(bundle_factory: Any, order: str) -> None:
    schools = [{"id": f"s-{i}", "capacity": 1} for i in (3, 1, 2)]
    if order == "by id":
        schools.sort(key=lambda s: s["id"])
    applicants = [
        {"id": f"a{i:02d}", "choices": c, "priority": dict.fromkeys(c, i)}
        for i, c in enumerate([["s-2", "s-1"], ["s-3", "s-1", "s-2"], ["s-1"], ["s-3", "s-2"]])
    ]
    data = canonical(bundle_factory(schools=schools, applicants=applicants))
    assert scan(data, encoder(accelerate=True)) is not None
    fast, plain = both(data)
    assert fast == plain and fast[0] == "report"
