"""A plan's problems: every bad cell or row, each with a stable code and a Chinese message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class PlanIssue:
    """One problem. ``row`` is the spreadsheet row (header = 1) or None for the whole file;
    ``column`` the column's canonical name or None; ``code`` stable for programs; ``message``
    for staff, in Chinese."""

    row: int | None
    column: str | None
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}

    def line(self, source: str = "") -> str:
        where = source
        if self.row is not None:
            where += f"{':' if where else ''}第{self.row}行"
        if self.column is not None:
            where += f" {self.column}"
        return (
            f"{where}: {self.message} [{self.code}]" if where else f"{self.message} [{self.code}]"
        )


class PlanInvalid(Exception):
    """The plan has problems; nothing from it may be imported. ``issues`` lists them all."""

    def __init__(self, issues: Sequence[PlanIssue]) -> None:
        self.issues = tuple(
            sorted(issues, key=lambda i: (i.row is not None, i.row or 0, i.column or ""))
        )
        rows = {i.row for i in self.issues if i.row is not None}
        super().__init__(f"{len(self.issues)} problems in {len(rows)} rows")

    @property
    def bad_rows(self) -> int:
        return len({i.row for i in self.issues if i.row is not None})
