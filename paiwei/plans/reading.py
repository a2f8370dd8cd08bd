"""Reading a plan file's cells: CSV (UTF-8, with or without BOM) or XLSX (first sheet).

Every cell comes back as stripped text with its 1-based row number as a spreadsheet
shows it (the header is row 1), so the validator reports rows staff can find.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from paiwei.plans.errors import PlanInvalid, PlanIssue

FORMATS = ("csv", "xlsx")


@dataclass(frozen=True, slots=True)
class Sheet:
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (row number, cells)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _sheet(rows: Sequence[tuple[int, Sequence[object]]]) -> Sheet:
    if not rows:
        raise PlanInvalid((PlanIssue(None, None, "empty-file", "文件为空，没有表头"),))
    header = tuple(_cell(v) for v in rows[0][1])
    while header and not header[-1]:
        header = header[:-1]
    body = []
    for number, raw in rows[1:]:
        cells = tuple(_cell(v) for v in raw)
        if any(cells):  # a blank line is not a row
            body.append((number, cells))
    return Sheet(header, tuple(body))


def read_csv(data: bytes) -> Sheet:
    """Raises PlanInvalid when the bytes are not UTF-8 text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlanInvalid(
            (
                PlanIssue(
                    None,
                    None,
                    "not-utf8",
                    "文件不是 UTF-8 编码；请在 Excel 中“另存为 CSV UTF-8”，或直接上传 XLSX 文件",
                ),
            )
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise PlanInvalid(
            (PlanIssue(reader.line_num, None, "bad-csv", f"CSV 格式错误：{exc}"),)
        ) from None
    return _sheet(rows)


def read_xlsx(data: bytes) -> Sheet:
    """The first worksheet's cells. Raises PlanInvalid when the bytes are not an XLSX file."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # noqa: PLC0415
    from openpyxl.utils.exceptions import (  # type: ignore[import-untyped]  # noqa: PLC0415
        InvalidFileException,
    )

    try:
        with warnings.catch_warnings():
            # openpyxl warns about spreadsheet features it drops (data validation,
            # conditional formats): irrelevant to the cells we read.
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = book.worksheets[0]
                rows = [(i, tuple(r)) for i, r in enumerate(sheet.iter_rows(values_only=True), 1)]
            finally:
                book.close()
    except (zipfile.BadZipFile, InvalidFileException, KeyError, IndexError, OSError):
        raise PlanInvalid(
            (
                PlanIssue(
                    None, None, "not-xlsx", "无法读取 XLSX 文件（文件损坏或不是 Excel 工作簿）"
                ),
            )
        ) from None
    return _sheet(rows)


def read_sheet(data: bytes, fmt: str) -> Sheet:
    """Cells of a ``csv`` or ``xlsx`` file. Raises PlanInvalid."""
    if fmt == "csv":
        return read_csv(data)
    if fmt == "xlsx":
        return read_xlsx(data)
    raise PlanInvalid(
        (PlanIssue(None, None, "unknown-format", f"不支持的文件格式 {fmt!r}：请使用 CSV 或 XLSX"),)
    )
