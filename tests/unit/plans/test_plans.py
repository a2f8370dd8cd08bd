"""Plan import: CSV (with and without BOM) and XLSX, every bad row reported, nothing imported."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from allocation import SCENARIO_FORMAT, scenario_from_mapping
from paiwei.cli import app
from paiwei.plans import PLAN_FORMAT, PlanInvalid, parse_plan, read_plan

SAMPLE = Path(__file__).parents[3] / "paiwei" / "plans" / "sample-chaoyang-2024.csv"
HEADER = [
    "school_id",
    "name",
    "stage",
    "kind",
    "seats",
    "zone",
    "zone_type",
    "area",
    "group",
    "nine_year_link",
]
GOOD = [
    ["P1", "一小", "primary", "public", "100", "Z1", "multi", "", "", ""],
    ["P2", "二小", "primary", "public", "80", "Z1", "multi", "", "", ""],
    ["P3", "三小", "primary", "public", "60", "Z1-S3", "single", "Z1", "", ""],
    ["M1", "民办", "primary", "private", "40", "", "", "", "", ""],
    ["J1", "一中", "junior", "public", "200", "JZ", "multi", "", "1", ""],
    ["J2", "九年一贯", "junior", "public", "50", "JZ", "multi", "", "2", "P2"],
]


def to_csv(rows: list[list[str]], header: list[str] = HEADER, *, bom: bool = False) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    return (b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8")


def to_xlsx(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [header, *rows]:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def issues(data: bytes, fmt: str = "csv") -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(PlanInvalid) as info:
        parse_plan(data, fmt)
    return [(i.row, i.column, i.code) for i in info.value.issues]


def test_sample_plan_maps_onto_the_scenario_format() -> None:
    plan = read_plan(SAMPLE)
    mapping = plan.to_mapping()
    assert mapping["format"] == PLAN_FORMAT
    ids = [s["id"] for s in mapping["schools"]]
    assert len(ids) == len(set(ids)) == 11
    for stage in ("primary", "junior"):
        scenario = scenario_from_mapping(
            {
                "format": SCENARIO_FORMAT,
                "district": "chaoyang",
                "year": 2024,
                "stage": stage,
                "schools": mapping["schools"],
                "zones": mapping["zones"],
                "applicants": [],
            }
        )
        assert [s.id for s in scenario.schools] == ids
    zones = {z["id"]: z for z in mapping["zones"]}
    # The single-school zone's school also counts in its area's remaining seats.
    assert zones["Z01-S03"] == {
        "id": "Z01-S03",
        "kind": "single-school",
        "stage": "primary",
        "schools": ["P003"],
        "area": "Z01",
    }
    assert "P003" in zones["Z01"]["schools"]
    assert zones["Z01"]["neighbours"] == ["Z02"]
    j003 = next(s for s in mapping["schools"] if s["id"] == "J003")
    assert j003["primary_section"] == "P004"


def test_csv_with_and_without_bom_and_xlsx_agree() -> None:
    plain = parse_plan(to_csv(GOOD), "csv")
    bom = parse_plan(to_csv(GOOD, bom=True), "csv")
    # XLSX cells come back typed: integers and floats for seats and groups.
    typed = [[int(c) if c.isdigit() else c for c in row] for row in GOOD]
    typed[0][4] = 100.0
    xlsx = parse_plan(to_xlsx(typed), "xlsx")
    assert plain.schools_json == bom.schools_json == xlsx.schools_json
    assert plain.zones_json == bom.zones_json == xlsx.zones_json
    assert plain.schools[5].primary_section == "P2"
    assert plain.schools[4].group == 1


def test_chinese_headers_are_accepted() -> None:
    header = ["学校代码", "学校名称", "学段", "办学类型", "学位数", "片区", "片区类型"]
    rows = [["P1", "一小", "小学", "公办", "10", "Z1", "多校划片"]]
    plan = parse_plan(to_csv(rows, header), "csv")
    assert plan.schools_json[0] == {
        "id": "P1",
        "name": "一小",
        "kind": "public",
        "stage": "primary",
        "seats": 10,
        "zone": "Z1",
    }


def _with(row: int, column: str, value: str) -> list[list[str]]:
    rows = [list(r) for r in GOOD]
    rows[row][HEADER.index(column)] = value
    return rows


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (_with(0, "seats", "many"), (2, "seats", "bad-integer")),
        (_with(0, "seats", "-3"), (2, "seats", "bad-integer")),
        (_with(0, "name", ""), (2, "name", "required")),
        (_with(1, "stage", "elementary"), (3, "stage", "bad-value")),
        (_with(1, "kind", "charter"), (3, "kind", "bad-value")),
        (_with(1, "school_id", "P 2"), (3, "school_id", "bad-id")),
        (_with(1, "school_id", "P1"), (3, "school_id", "duplicate-id")),
        (_with(1, "zone_type", ""), (3, "zone_type", "required")),
        (_with(3, "zone_type", "multi"), (5, "zone_type", "zone-missing")),
        (_with(1, "zone_type", "single"), (3, "zone_type", "zone-type-mismatch")),
        (_with(0, "area", "Z9"), (2, "area", "area-not-single")),
        (_with(2, "area", "Z9"), (4, "area", "unknown-area")),
        (_with(3, "group", "1"), (5, "group", "group-not-allowed")),
        (_with(4, "group", "3"), (6, "group", "bad-value")),
        (_with(5, "nine_year_link", "P9"), (7, "nine_year_link", "unknown-linked-school")),
        (_with(5, "nine_year_link", "J1"), (7, "nine_year_link", "linked-not-primary")),
        (_with(1, "nine_year_link", "P1"), (3, "nine_year_link", "link-not-junior")),
        (_with(0, "seats", "0"), None),
    ],
)
def test_each_bad_cell_is_reported(
    rows: list[list[str]], expected: tuple[int, str, str] | None
) -> None:
    if expected is None:  # the control: zero seats is allowed
        parse_plan(to_csv(rows), "csv")
        return
    assert expected in issues(to_csv(rows))


def test_a_single_school_zone_with_several_schools() -> None:
    rows = [
        ["P1", "一小", "primary", "public", "10", "S1", "single", "", "", ""],
        ["P2", "二小", "primary", "public", "10", "S1", "single", "", "", ""],
        ["P3", "三小", "primary", "public", "10", "S1", "single", "", "", ""],
    ]
    found = issues(to_csv(rows))
    assert found == [
        (3, "zone", "single-zone-several-schools"),
        (4, "zone", "single-zone-several-schools"),
    ]


def test_every_bad_row_is_reported_and_nothing_else() -> None:
    rows = _with(0, "seats", "x")
    rows[2][HEADER.index("stage")] = "middle"
    rows[3][HEADER.index("school_id")] = "P1"
    rows.append(["J9", "", "junior", "public", "1", "", "", "", "", "P404"])
    found = issues(to_xlsx(rows), "xlsx")
    assert {r for r, _, _ in found} == {2, 4, 5, 8}
    assert (8, "name", "required") in found and (
        8,
        "nine_year_link",
        "unknown-linked-school",
    ) in found


def test_file_level_problems() -> None:
    assert issues(to_csv(GOOD, HEADER[:4])) == [(1, "seats", "missing-column")]
    assert (1, "colour", "unknown-column") in issues(
        to_csv([[*r, "red"] for r in GOOD], [*HEADER, "colour"])
    )
    assert issues("学校代码,学校名称\n".encode("gbk"), "csv") == [(None, None, "not-utf8")]
    assert issues(b"PK\x03\x04 not really a workbook", "xlsx") == [(None, None, "not-xlsx")]
    assert issues(to_csv([]), "csv") == [(None, None, "no-rows")]
    assert issues(b"", "csv") == [(None, None, "empty-file")]
    with pytest.raises(PlanInvalid) as info:
        read_plan(Path("plan.ods"))
    assert info.value.issues[0].code == "unknown-format"


def test_blank_lines_are_skipped_and_rows_keep_their_numbers() -> None:
    bad = ["P9", "九小", "primary", "public", "x", "", "", "", "", ""]
    data = to_csv(GOOD[:2]) + b"\n,,,,,,,,,\n" + ",".join(bad).encode() + b"\n"
    # header 1, rows 2-3, an empty line 4 and a line of empty cells 5: the bad row is 6
    assert issues(data) == [(6, "seats", "bad-integer")]


# --- the command -------------------------------------------------------------------------


def run(*args: str | Path) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_command_writes_the_validated_plan(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = run("schools", "import", SAMPLE, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert json.loads(out.read_bytes()) == read_plan(SAMPLE).to_mapping()
    again = run("schools", "import", SAMPLE, "--out", out)
    assert again.exit_code == 2 and "exists" in again.stderr
    assert run("schools", "import", SAMPLE, "--out", out, "--force").exit_code == 0


def test_command_reports_every_bad_row_and_imports_nothing(tmp_path: Path) -> None:
    rows = _with(0, "seats", "x")
    rows[4][HEADER.index("group")] = "7"
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(to_xlsx(rows))
    out = tmp_path / "plan.json"
    result = run("schools", "import", plan, "--out", out)
    assert result.exit_code == 2
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{plan}:第2行 seats") and "[bad-integer]" in lines[0]
    assert lines[1].startswith(f"{plan}:第6行 group") and "[bad-value]" in lines[1]
    assert (
        lines[2].startswith("error:")
        and "2 bad rows" in lines[2]
        and "nothing imported" in lines[2]
    )
    assert len(lines) == 3
    assert not out.exists()


def test_command_help_says_the_database_import_comes_later() -> None:
    result = run("schools", "import", "--help")
    assert result.exit_code == 0
    assert "database" in result.stdout


def test_school_addresses_are_read_for_parents_and_stay_out_of_the_scenario_records() -> None:
    plan = read_plan(SAMPLE)
    assert plan.addresses["P001"] == "北京市朝阳区示例路1号"
    assert all("address" not in s for s in plan.schools_json)
