"""The timetable as windows: Beijing dates, closing at the end of the last day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paiwei.windows.service import KINDS, WindowFileError, parse_windows, shipped_windows


def test_shipped_chaoyang_2024_windows_follow_the_timetable() -> None:
    file = shipped_windows("chaoyang-2024")
    assert (file.district, file.year, file.policy) == ("110105", 2024, "chaoyang-2024")
    by_kind = {w.kind: w for w in file.windows}
    private = by_kind["primary.private_boarding"]  # 附件：6 月 6 日- 6 月 9 日
    assert private.opens_at == datetime(2024, 6, 5, 16, 0, tzinfo=UTC)  # 6 June 00:00 +08:00
    assert private.closes_at == datetime(2024, 6, 9, 16, 0, tzinfo=UTC)  # end of 9 June +08:00
    groups = by_kind["junior.groups"]  # 附件：5 月 30 日- 5 月 31 日
    assert (groups.opens_at, groups.closes_at) == (datetime(2024, 5, 29, 16, 0, tzinfo=UTC),
                                                   datetime(2024, 5, 31, 16, 0, tzinfo=UTC))
    assert "6 月 6 日- 6 月 9 日" in private.source and "5 月 30 日- 5 月 31 日" in groups.source
    # The one window the timetable does not name is marked as a reading.
    assert by_kind["primary.zone"].reading and private.reading is None and groups.reading is None
    assert set(by_kind) <= set(KINDS)


BASE = 'format = "paiwei-windows/1"\ndistrict = "110105"\npolicy = "chaoyang-2024"\nyear = 2024\n'
ENTRY = '[[windows]]\nkind = "{kind}"\nfirst_day = "{first}"\nlast_day = "{last}"\nsection = "s"\nsource = "t"\n'


def entry(kind: str = "primary.zone", first: str = "2024-05-06", last: str = "2024-05-31") -> str:
    return ENTRY.format(kind=kind, first=first, last=last)


@pytest.mark.parametrize("text", [
    "not toml [",
    BASE.replace("paiwei-windows/1", "paiwei-windows/0") + entry(),
    BASE.replace('policy = "chaoyang-2024"\n', "") + entry(),
    BASE + entry(kind="primary.groups"),
    BASE + entry(first="2024-06-09", last="2024-06-06"),
    BASE + entry(first="2023-06-06", last="2024-06-09"),
    BASE + entry(first="2024-13-01"),
    BASE + entry() + entry(),
    BASE + ENTRY.replace('source = "t"\n', "").format(kind="primary.zone", first="2024-05-06",
                                                        last="2024-05-31"),
])
def test_malformed_windows_files_are_refused(text: str) -> None:
    with pytest.raises(WindowFileError):
        parse_windows(text)


def test_unknown_shipped_name() -> None:
    with pytest.raises(WindowFileError):
        shipped_windows("../etc/passwd")
    with pytest.raises(WindowFileError):
        shipped_windows("nowhere-2024")
