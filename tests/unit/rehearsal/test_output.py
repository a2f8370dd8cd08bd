"""Writing outputs atomically: all files or none, and never over someone else's directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paiwei.rehearsal import RehearsalInputError, dump, write_file, write_tree
from paiwei.rehearsal.season import dump_rows


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_tree(tmp_path / "out", {"summary.json": b"{}", "../escape.json": b"{}"})
    assert list(tmp_path.iterdir()) == []


def test_an_earlier_output_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = dump({"format": "paiwei-rehearsal/1"})
    write_tree(out, {"summary.json": summary, "bundles/a.json": b"1"})
    write_tree(out, {"summary.json": summary, "bundles/b.json": b"2"})
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.json")) == [
        "bundles/b.json",
        "summary.json",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_foreign_directory_or_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d/summary.json").write_bytes(dump({"format": "something-else"}))
    with pytest.raises(RehearsalInputError):
        write_tree(tmp_path / "d", {"summary.json": b"{}"})
    (tmp_path / "f").write_text("x")
    with pytest.raises(RehearsalInputError):
        write_tree(tmp_path / "f", {"summary.json": b"{}"})
    assert (tmp_path / "f").read_text() == "x"


def test_write_file_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    write_file(path, b"1")
    with pytest.raises(RehearsalInputError):
        write_file(path, b"2")
    write_file(path, b"3", force=True)
    assert path.read_bytes() == b"3"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


def test_dump_is_sorted_and_stable() -> None:
    assert dump({"b": 1, "a": [2, "朝"]}) == dump({"a": [2, "朝"], "b": 1})
    assert dump({"b": 1, "a": 2}).index(b'"a"') < dump({"b": 1, "a": 2}).index(b'"b"')
    assert dump({}).endswith(b"\n")


def test_dump_rows_is_one_row_per_line_and_the_same_json() -> None:
    rows = [{"b": 1, "a": "朝"}, {"a": None}]
    data = dump_rows("applicants", rows, {"note": "x", "format": "f"})
    assert json.loads(data) == {"applicants": rows, "format": "f", "note": "x"}
    lines = data.splitlines()
    assert len(lines) == 4
    assert lines[1] == '{"a":"朝","b":1},'.encode()
    with pytest.raises(ValueError):
        dump_rows("zz", rows, {"format": "f"})
