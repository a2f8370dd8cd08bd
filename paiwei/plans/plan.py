"""A district's plan: its schools, zones and seats, validated row by row and across rows.

One row per school. Columns (the canonical English name or the Chinese header staff
use; order free; optional columns may be left out)::

    school_id       学校代码      required  letters, digits, '-' or '_' (at most 32)
    name            学校名称      required
    stage           学段          required  primary | junior  (小学 | 初中)
    kind            办学类型      required  public | private | boarding | special-education
                                            (公办 | 民办 | 寄宿 | 特殊教育)
    seats           学位数        required  integer >= 0
    zone            片区          optional  the zone the school admits for
    zone_type       片区类型      with zone single | multi  (单校划片 | 多校划片)
    zone_name       片区名称      optional
    area            所属片区      optional  single-school zone: the multi-school zone whose
                                            remaining seats it joins (it then lists the school)
    neighbours      相邻片区      optional  multi-school zone: neighbouring zones, ';'-separated
    group           分组          optional  junior public first batch: 1 or 2
    nine_year_link  九年一贯对口小学 optional  junior section of a nine-year school: the primary
                                            section's school id
    address         学校地址      optional  shown to parents with the schools they may choose
                                            (at most 200 characters; not part of the draw)

The result maps onto the scenario format's ``schools`` and ``zones`` records
(:mod:`allocation.scenario`), and is checked by :func:`allocation.scenario_from_mapping`
itself, so whatever passes here the rounds engine accepts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from allocation import SCENARIO_FORMAT, AllocationInputError, School, Zone, scenario_from_mapping
from paiwei.plans.errors import PlanInvalid, PlanIssue
from paiwei.plans.reading import FORMATS, Sheet, read_sheet

PLAN_FORMAT = "paiwei-plan/1"
REQUIRED = ("school_id", "name", "stage", "kind", "seats")
OPTIONAL = ("zone", "zone_type", "zone_name", "area", "neighbours", "group", "nine_year_link", "address")
COLUMNS = REQUIRED + OPTIONAL
HEADERS: Mapping[str, str] = {
    "学校代码": "school_id",
    "学校名称": "name",
    "学段": "stage",
    "办学类型": "kind",
    "学位数": "seats",
    "片区": "zone",
    "片区类型": "zone_type",
    "片区名称": "zone_name",
    "所属片区": "area",
    "相邻片区": "neighbours",
    "分组": "group",
    "九年一贯对口小学": "nine_year_link",
    "学校地址": "address",
}
STAGES = {"primary": "primary", "junior": "junior", "小学": "primary", "初中": "junior"}
KINDS = {
    "public": "public",
    "private": "private",
    "boarding": "boarding",
    "special-education": "special-education",
    "公办": "public",
    "民办": "private",
    "寄宿": "boarding",
    "公办寄宿": "boarding",
    "特殊教育": "special-education",
}
ZONE_TYPES = {
    "single": "single-school",
    "multi": "multi-school",
    "single-school": "single-school",
    "multi-school": "multi-school",
    "单校划片": "single-school",
    "多校划片": "multi-school",
}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_SPLIT = re.compile(r"[;；、,，\s]+")


@dataclass(frozen=True, slots=True)
class Plan:
    """A validated plan: the scenario format's school and zone records."""

    schools: tuple[School, ...]
    zones: tuple[Zone, ...]
    schools_json: tuple[dict[str, Any], ...]
    zones_json: tuple[dict[str, Any], ...]
    source: str
    sha256: str
    addresses: Mapping[str, str] = field(default_factory=dict)  # school id -> address

    def to_mapping(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "source": {"file": self.source, "sha256": self.sha256},
            "schools": list(self.schools_json),
            "zones": list(self.zones_json),
            "addresses": dict(self.addresses),
        }


@dataclass(slots=True)
class _Row:
    number: int
    school_id: str
    name: str
    stage: str
    kind: str
    seats: int
    zone: str
    zone_type: str
    zone_name: str
    area: str
    neighbours: tuple[str, ...]
    group: int | None
    link: str
    address: str = ""


def _columns(header: Sequence[str]) -> tuple[dict[str, int], list[PlanIssue]]:
    issues: list[PlanIssue] = []
    where: dict[str, int] = {}
    for i, raw in enumerate(header):
        name = HEADERS.get(raw, raw.lower().replace(" ", "_"))
        if name not in COLUMNS:
            issues.append(
                PlanIssue(1, raw or f"第{i + 1}列", "unknown-column", f"未知的列名 {raw!r}")
            )
        elif name in where:
            issues.append(PlanIssue(1, name, "duplicate-column", "该列出现了两次"))
        else:
            where[name] = i
    issues.extend(
        PlanIssue(1, name, "missing-column", "缺少必填列") for name in REQUIRED if name not in where
    )
    return where, issues


def _row(  # noqa: PLR0912, PLR0915  one check per column, read top to bottom
    number: int, cells: Sequence[str], cols: Mapping[str, int], width: int
) -> tuple[_Row, list[PlanIssue]]:
    issues: list[PlanIssue] = []

    def get(name: str) -> str:
        i = cols.get(name)
        return cells[i] if i is not None and i < len(cells) else ""

    def bad(column: str, code: str, message: str) -> None:
        issues.append(PlanIssue(number, column, code, message))

    for name in REQUIRED:
        if not get(name):
            bad(name, "required", "必填项为空")
    if extra := [c for c in cells[width:] if c]:
        bad(f"第{width + 1}列起", "extra-cells", f"表头之外还有内容：{extra[:3]!r}")
    sid = get("school_id")
    if sid and not _ID.match(sid):
        bad("school_id", "bad-id", "学校代码只能由字母、数字、“-”和“_”组成，且不超过32个字符")
    stage = STAGES.get(get("stage"), "")
    if get("stage") and not stage:
        bad(
            "stage",
            "bad-value",
            f"学段应为“小学”或“初中”（primary/junior），而不是 {get('stage')!r}",
        )
    kind = KINDS.get(get("kind"), "")
    if get("kind") and not kind:
        bad("kind", "bad-value", f"办学类型应为公办、民办、寄宿或特殊教育，而不是 {get('kind')!r}")
    seats = -1
    if get("seats"):
        try:
            seats = int(get("seats"))
        except ValueError:
            seats = -1
        if seats < 0:
            bad("seats", "bad-integer", f"学位数应为不小于0的整数，而不是 {get('seats')!r}")
    zone, zone_type, area = get("zone"), get("zone_type"), get("area")
    ztype = ZONE_TYPES.get(zone_type, "")
    if zone and not _ID.match(zone):
        bad("zone", "bad-id", "片区代码只能由字母、数字、“-”和“_”组成，且不超过32个字符")
    if zone and not zone_type:
        bad("zone_type", "required", "填写了片区，须同时填写片区类型（单校划片或多校划片）")
    elif zone_type and not ztype:
        bad("zone_type", "bad-value", f"片区类型应为“单校划片”或“多校划片”，而不是 {zone_type!r}")
    elif zone_type and not zone:
        bad("zone_type", "zone-missing", "填写了片区类型，但没有填写片区")
    if area and ztype != "single-school":
        bad("area", "area-not-single", "只有单校划片的片区才填写所属片区")
    elif area and not _ID.match(area):
        bad("area", "bad-id", "所属片区代码格式不正确")
    neighbours = tuple(n for n in _SPLIT.split(get("neighbours")) if n)
    if neighbours and ztype != "multi-school":
        bad("neighbours", "neighbours-not-multi", "只有多校划片的片区才填写相邻片区")
    group: int | None = None
    if get("group"):
        if get("group") not in ("1", "2"):
            bad("group", "bad-value", f"分组应为1或2，而不是 {get('group')!r}")
        elif stage != "junior" or kind != "public":
            bad("group", "group-not-allowed", "只有公办初中才分组（第一批次）")
        else:
            group = int(get("group"))
    link = get("nine_year_link")
    if link and stage != "junior":
        bad(
            "nine_year_link",
            "link-not-junior",
            "九年一贯对口小学只对初中（九年一贯制学校的初中部）填写",
        )
    if len(get("address")) > 200:
        bad("address", "too-long", "学校地址不超过200个字符")
    return (
        _Row(
            number,
            sid,
            get("name"),
            stage,
            kind,
            seats,
            zone,
            ztype,
            get("zone_name"),
            area,
            neighbours,
            group,
            link,
            get("address"),
        ),
        issues,
    )


def _cross(every: Sequence[_Row], rows: Sequence[_Row]) -> list[PlanIssue]:  # noqa: PLR0912  one check per rule
    """Checks across rows. Ids and links over ``every`` row; zones over ``rows``, those
    fine on their own (a bad stage or zone type would only cause knock-on reports)."""
    issues: list[PlanIssue] = []
    first: dict[str, _Row] = {}
    for r in every:
        if not r.school_id:
            continue
        if r.school_id in first:
            issues.append(
                PlanIssue(
                    r.number,
                    "school_id",
                    "duplicate-id",
                    f"学校代码 {r.school_id} 与第{first[r.school_id].number}行重复",
                )
            )
        else:
            first[r.school_id] = r
    zone_rows: dict[str, list[_Row]] = {}
    for r in rows:
        if r.zone:
            zone_rows.setdefault(r.zone, []).append(r)
    for zid, members in zone_rows.items():
        head = members[0]
        for r in members[1:]:
            if r.zone_type and head.zone_type and r.zone_type != head.zone_type:
                issues.append(
                    PlanIssue(
                        r.number,
                        "zone_type",
                        "zone-type-mismatch",
                        f"片区 {zid} 在第{head.number}行是另一种片区类型",
                    )
                )
            if head.zone_type == "single-school":
                issues.append(
                    PlanIssue(
                        r.number,
                        "zone",
                        "single-zone-several-schools",
                        f"片区 {zid} 是单校划片，但第{head.number}行已有学校 {head.school_id}",
                    )
                )
            if r.stage and head.stage and r.stage != head.stage:
                issues.append(
                    PlanIssue(
                        r.number,
                        "stage",
                        "zone-mixed-stage",
                        f"片区 {zid} 中的学校学段不同（第{head.number}行）",
                    )
                )
    multi = {z for z, m in zone_rows.items() if m[0].zone_type == "multi-school"}
    for r in every:
        if r.link:
            linked = first.get(r.link)
            if linked is None:
                issues.append(
                    PlanIssue(
                        r.number,
                        "nine_year_link",
                        "unknown-linked-school",
                        f"对口小学 {r.link} 不在本表中",
                    )
                )
            elif linked.stage and linked.stage != "primary":
                issues.append(
                    PlanIssue(
                        r.number,
                        "nine_year_link",
                        "linked-not-primary",
                        f"对口学校 {r.link}（第{linked.number}行）不是小学",
                    )
                )
    for r in rows:
        if r.area and r.area not in multi:
            issues.append(
                PlanIssue(
                    r.number, "area", "unknown-area", f"所属片区 {r.area} 不是本表中的多校划片片区"
                )
            )
        elif r.area and zone_rows[r.area][0].stage != r.stage:
            issues.append(
                PlanIssue(r.number, "area", "zone-mixed-stage", "所属片区的学段与本校不同")
            )
        for n in r.neighbours:
            if n not in multi or n == r.zone:
                issues.append(
                    PlanIssue(
                        r.number,
                        "neighbours",
                        "unknown-neighbour",
                        f"相邻片区 {n} 不是本表中的其他多校划片片区",
                    )
                )
    return issues


def _records(rows: Sequence[_Row]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    zones: dict[str, dict[str, Any]] = {}
    for r in rows:
        if not r.zone:
            continue
        z = zones.setdefault(
            r.zone, {"id": r.zone, "kind": r.zone_type, "stage": r.stage, "schools": []}
        )
        z["schools"].append(r.school_id)
        if r.zone_name and "name" not in z:
            z["name"] = r.zone_name
        if r.area:
            z["area"] = r.area
        if r.neighbours:
            z["neighbours"] = list(dict.fromkeys([*z.get("neighbours", []), *r.neighbours]))
    for r in rows:  # a single-school zone's school also counts in its area's remaining seats
        if r.area and r.school_id not in zones[r.area]["schools"]:
            zones[r.area]["schools"].append(r.school_id)
    schools = []
    for r in rows:
        rec: dict[str, Any] = {
            "id": r.school_id,
            "name": r.name,
            "kind": r.kind,
            "stage": r.stage,
            "seats": r.seats,
        }
        if r.zone:
            rec["zone"] = r.area or r.zone
        if r.group is not None:
            rec["group"] = r.group
        if r.link:
            rec["primary_section"] = r.link
        schools.append(rec)
    return schools, list(zones.values())


def validate_sheet(sheet: Sheet, *, source: str = "", sha256: str = "") -> Plan:
    """The plan in ``sheet``. Raises PlanInvalid listing every problem, in row order."""
    cols, issues = _columns(sheet.header)
    if any(i.code == "missing-column" for i in issues):
        raise PlanInvalid(issues)
    if not sheet.rows:
        raise PlanInvalid([*issues, PlanIssue(None, None, "no-rows", "表中没有任何学校")])
    rows = []
    for number, cells in sheet.rows:
        row, problems = _row(number, cells, cols, len(sheet.header))
        issues.extend(problems)
        rows.append(row)
    bad = {i.row for i in issues}
    # Cross-row checks over the rows that are fine on their own (no knock-on reports).
    issues.extend(_cross(rows, [r for r in rows if r.number not in bad]))
    if issues:
        raise PlanInvalid(issues)
    schools, zones = _records(rows)
    probe = {
        "format": SCENARIO_FORMAT,
        "district": "plan",
        "year": 2000,
        "stage": rows[0].stage,
        "schools": schools,
        "zones": zones,
        "applicants": [],
    }
    try:
        scenario = scenario_from_mapping(probe)
    except AllocationInputError as exc:  # a rule of the scenario format not checked above
        raise PlanInvalid(
            [
                PlanIssue(
                    None,
                    None,
                    "plan-inconsistent",
                    f"学校与片区不一致：{exc.message}（{exc.where}）",
                )
            ]
        ) from None
    return Plan(
        schools=scenario.schools,
        zones=scenario.zones,
        schools_json=tuple(schools),
        zones_json=tuple(zones),
        source=source,
        sha256=sha256,
        addresses={r.school_id: r.address for r in rows if r.address},
    )


def parse_plan(data: bytes, fmt: str, *, source: str = "") -> Plan:
    """Validate a plan file's bytes (``fmt`` ``csv`` or ``xlsx``). Raises PlanInvalid."""
    sheet = read_sheet(data, fmt)
    return validate_sheet(sheet, source=source, sha256=hashlib.sha256(data).hexdigest())


def read_plan(path: Path) -> Plan:
    """Read and validate a plan file; the format follows the suffix (.csv or .xlsx).

    Raises PlanInvalid for any problem in the file, OSError when it cannot be read.
    """
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise PlanInvalid(
            [
                PlanIssue(
                    None,
                    None,
                    "unknown-format",
                    f"不支持的文件类型 {path.suffix!r}：请使用 .csv 或 .xlsx",
                )
            ]
        )
    return parse_plan(path.read_bytes(), fmt, source=path.name)
