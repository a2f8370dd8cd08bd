"""The timetable as windows: Beijing dates, closing at the end of the last day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from allocation.policy import shipped_policy, shipped_policy_text
from paiwei.windows.service import KINDS, WindowFileError, shipped_windows, windows_from_policy


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
    # The windows the timetable does not name are marked as readings (待区教委确认).
    assert {k for k, w in by_kind.items() if w.reading} == {"primary.zone", "junior.zone",
                                                            "junior.private_boarding"}
    assert set(by_kind) <= set(KINDS)


POLICY = shipped_policy_text("chaoyang-2024")
ENTRY = ('[[timetable]]\nkind = "{kind}"\nfirst_day = "{first}"\nlast_day = "{last}"\n'
         'section = "s"\nsource = "t"\n')


def with_timetable(*entries: str) -> str:
    """The shipped policy with its timetable replaced by ``entries``."""
    head = POLICY[:POLICY.index("[[timetable]]")]
    return head + "".join(entries)


def entry(kind: str = "primary.zone", first: str = "2024-05-06", last: str = "2024-05-31") -> str:
    return ENTRY.format(kind=kind, first=first, last=last)


def test_the_timetable_is_part_of_the_policy_file() -> None:
    # The windows are the policy's own (附件：时间表), not a second file that can drift from it.
    policy = shipped_policy("chaoyang-2024")
    assert {w.kind for w in policy.timetable} == set(KINDS)
    file = windows_from_policy(with_timetable(entry()), "mine")
    assert [(w.kind, w.first_day.isoformat(), w.last_day.isoformat()) for w in file.windows] == [
        ("primary.zone", "2024-05-06", "2024-05-31")]
    assert (file.district, file.policy) == ("110105", "mine")


@pytest.mark.parametrize("text", [
    "not toml [",
    POLICY.replace("paiwei-policy/1", "paiwei-policy/0"),
    with_timetable(),
    with_timetable(entry(kind="primary.groups")),
    with_timetable(entry(kind="primary")),
    with_timetable(entry(first="2024-06-09", last="2024-06-06")),
    with_timetable(entry(first="2023-06-06", last="2024-06-09")),
    with_timetable(entry(first="2024-13-01")),
    with_timetable(entry() + entry()),
    with_timetable(ENTRY.replace('source = "t"\n', "").format(kind="primary.zone", first="2024-05-06",
                                                               last="2024-05-31")),
    with_timetable(entry() + 'colour = "red"\n'),
    POLICY.replace('district = "chaoyang"', 'district = "atlantis"'),
])
def test_malformed_timetables_are_refused(text: str) -> None:
    with pytest.raises(WindowFileError):
        windows_from_policy(text, "bad")


def test_unknown_shipped_name() -> None:
    with pytest.raises(WindowFileError):
        shipped_windows("../etc/passwd")
    with pytest.raises(WindowFileError):
        shipped_windows("nowhere-2024")
