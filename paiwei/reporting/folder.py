"""Reports from the publication folder alone (no database): the notary's protocol, the
public results per school and round, and the district statistics' public part.

Reads files; hands frozen values to :mod:`reports`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from paiwei.publication import read_index
from paiwei.reporting.service import district_name
from reports.protocol import MECHANISMS, Protocol, protocol_of
from reports.public import Admitted, Bar, Chart, RoundResults, SchoolResult, Statistics, Table


def protocol_from_files(bundle: Mapping[str, Any], statement: Mapping[str, Any] | None,
                        schools_report: Mapping[str, Any] | None) -> Protocol:
    """The protocol from a bundle, its freeze statement and the round's ``schools.json``.

    Raises ``reports.ProtocolError``.
    """
    names = {str(s["school"]): str(s["name"]) for s in (schools_report or {}).get("schools", [])
             if isinstance(s, Mapping) and "school" in s and "name" in s}
    allocation = bundle.get("allocation") if isinstance(bundle.get("allocation"), Mapping) else {}
    round_id = str((allocation or {}).get("round") or str(bundle.get("draw_id", "")).rsplit("/", 1)[-1])
    return protocol_of(bundle, statement, school_names=names,
                       district=district_name(str((allocation or {}).get("district", ""))),
                       bundle_file=f"rounds/{round_id}/bundle.json")


# --- public results per school and round ------------------------------------------------------

def _load(path: Path) -> dict[str, Any]:
    value = json.loads(path.read_bytes())
    if not isinstance(value, dict):
        raise ValueError(f"{path}: not a JSON object")
    return value


def freeze_statement_path(folder: Path, round_id: str) -> Path:
    """Where the publication writer puts a round's signed freeze statement."""
    return folder / "rounds" / round_id / "freeze-statement.json"


def drawn_rounds(folder: Path) -> list[dict[str, Any]]:
    """The index's rounds that held a draw, in order."""
    return [r for r in read_index(folder)["rounds"] if r.get("held") is not False]


def protocol_from_folder(folder: Path, round_id: str) -> Protocol:
    entry = next(r for r in drawn_rounds(folder) if r["round"] == round_id)
    statement_file = freeze_statement_path(folder, round_id)
    statement = _load(statement_file) if statement_file.is_file() else None
    return protocol_from_files(_load(folder / entry["bundle"]), statement, _load(folder / entry["schools"]))


def round_results(folder: Path, entry: Mapping[str, Any]) -> RoundResults:
    """One round's results per school: admitted opaque ids in the school's order."""
    bundle = _load(folder / entry["bundle"])
    schools = _load(folder / entry["schools"])["schools"]
    priority = {a["id"]: a.get("priority") or {} for a in bundle["applicants"]}
    by_school: dict[str, list[Admitted]] = {}
    unplaced = []
    for a in bundle["assignments"]:
        if a["school"] is None:
            unplaced.append(str(a["applicant"]))
            continue
        prio = int(priority.get(a["applicant"], {}).get(a["school"], 0))
        by_school.setdefault(a["school"], []).append(Admitted(str(a["applicant"]), str(a["ticket"])[:16], prio))
    allocation = bundle.get("allocation") or {}
    return RoundResults(
        round=str(entry["round"]), title=str(entry.get("title") or entry["round"]),
        district=district_name(str(allocation.get("district", ""))), draw_id=str(bundle["draw_id"]),
        section=str(allocation.get("section") or ""),
        mechanism=MECHANISMS.get(str(bundle.get("mechanism", "deferred-acceptance")), "—"),
        participants=len(bundle["assignments"]),
        schools=tuple(SchoolResult(
            name=str(s["name"]), seats=int(s["seats"]), applied=int(s["applied"]),
            mode="直接录取" if s["mode"] == "direct" else "派位",
            admitted=tuple(sorted(by_school.get(s["school"], []), key=lambda x: (x.priority, x.ticket))),
        ) for s in schools),
        unplaced=tuple(sorted(unplaced)), bundle_sha256=str(entry["sha256"]), verify=str(entry.get("verify", "")),
    )


# --- statistics --------------------------------------------------------------------------------

def statistics(folder: Path, zones: Mapping[str, str] | None = None) -> Statistics:
    """District statistics from the publication folder; ``zones`` maps school ids to zone
    names (the district's catalogue; without it the per-zone parts are left out)."""
    index = read_index(folder)
    season = index["season"]
    zones = dict(zones or {})
    ratio: dict[str, tuple[int, int, str]] = {}  # school -> (applied, seats, name), the round with the highest ratio
    zone_applied: dict[str, list[int]] = {}
    by_round: list[tuple[str, int, int]] = []
    rank_count: dict[int, int] = {}
    placed_somewhere: set[str] = set()
    seen: dict[str, str] = {}  # applicant -> zone (of its first listed school)
    district = "—"
    for entry in drawn_rounds(folder):
        bundle = _load(folder / entry["bundle"])
        district = district_name(str((bundle.get("allocation") or {}).get("district", "")))
        report = _load(folder / entry["schools"])["schools"]
        for s in report:
            seats, applied = int(s["seats"]), int(s["applied"])
            best = ratio.get(s["school"])
            if seats > 0 and (best is None or applied / seats > best[0] / max(best[1], 1)):
                ratio[s["school"]] = (applied, seats, str(s["name"]))
            if entry.get("mechanism") == "preference-first" and s["school"] in zones:
                z = zone_applied.setdefault(zones[s["school"]], [0, 0])
                z[0] += applied
                z[1] += seats
        choices = {a["id"]: list(a.get("choices") or []) for a in bundle["applicants"]}
        placed = 0
        for a in bundle["assignments"]:
            listed = choices.get(a["applicant"], [])
            if listed and a["applicant"] not in seen:
                seen[a["applicant"]] = zones.get(listed[0], "—")
            seen.setdefault(a["applicant"], "—")
            if a["school"] is not None:
                placed += 1
                placed_somewhere.add(a["applicant"])
                rank = listed.index(a["school"]) + 1 if a["school"] in listed else 0
                rank_count[rank] = rank_count.get(rank, 0) + 1
        by_round.append((str(entry.get("title") or entry["round"]), len(bundle["assignments"]), placed))
    unplaced_zone: dict[str, int] = {}
    for applicant, zone in seen.items():
        if applicant not in placed_somewhere:
            unplaced_zone[zone] = unplaced_zone.get(zone, 0) + 1

    top = sorted(ratio.items(), key=lambda kv: (-kv[1][0] / kv[1][1], kv[1][2]))
    charts = [Chart("各校申请人数与学位数之比（取各轮中最高者）", "虚线：申请人数等于学位数。",
                    tuple(Bar(name, round(a / s, 2), f"{a} / {s}") for _, (a, s, name) in top), reference=1.0)]
    if zone_applied:
        charts.append(Chart("各片区申请人数与学位数之比（多校划片派位）", "虚线：申请人数等于学位数。",
                             tuple(Bar(z, round(a / max(s, 1), 2), f"{a} / {s}")
                                   for z, (a, s) in sorted(zone_applied.items())), reference=1.0))
    charts.append(Chart("各轮录取人数", "", tuple(Bar(t, p, f"{p} / {n}") for t, n, p in by_round)))
    charts.append(Chart("按志愿顺序的录取人数", "“非所填志愿”：由区统筹安排到未填报的学校。",
                        tuple(Bar(f"第 {r} 志愿" if r else "非所填志愿", c)
                              for r, c in sorted(rank_count.items(), key=lambda kv: (kv[0] == 0, kv[0])))))
    if zones:
        charts.append(Chart("未录取人数（按片区）", "",
                            tuple(Bar(z, c) for z, c in sorted(unplaced_zone.items())) or (Bar("无", 0),)))
    tables = (
        Table("各轮录取情况", ("轮次", "参加人数", "录取人数"), tuple((t, str(n), str(p)) for t, n, p in by_round)),
        Table("各校申请与学位", ("学校", "申请人数", "学位数"),
              tuple((name, str(a), str(s)) for _, (a, s, name) in top)),
    )
    total = len(seen)
    notes = (f"参加派位 {total} 人，录取 {len(placed_somewhere)} 人，未录取 {total - len(placed_somewhere)} 人"
             "（由区教委统筹安排）。只统计参加派位的适龄儿童；不符合条件者未参加派位。",
             "数据来源：公示目录中各轮签名派位包与学校报告；图表由本系统按这些文件绘制。")
    return Statistics(district=district, season=str(season.get("title") or season.get("id")), charts=tuple(charts),
                      tables=tables, notes=notes)
