"""The one-file verifier's report in Chinese and English (核验报告，中英对照).

``paiwei_verify.py`` runs each command with ``--json`` and prints that report here with
bilingual labels (``--json`` itself prints the machine-readable report unchanged). Check
names stay in English after the Chinese label, as the protocol names them
(docs/draw-spec.md §17, docs/publication.md), so a failure can be looked up either way.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from seeding import balls_of

LABELS = {
    "input root": "输入根（冻结的全部报名与学校记录）",
    "seed": "随机种子",
    "tickets": "抽签号",
    "assignments": "录取结果",
    "school results": "各校汇总",
    "signatures": "签名",
    "trusted signature": "可信密钥签名",
    "index": "索引文件 index.json",
    "files": "文件哈希（SHA-256）",
    "bundle": "抽签数据包",
    "freeze statement": "冻结声明",
    "commitments": "冻结前的承诺",
    "after-freeze contribution": "冻结后产生的随机数",
    "beacon": "公共随机信标（drand）",
    "placed earlier": "前轮已录取者未再参加",
    "placed twice": "无人被重复录取",
    "result files": "个人结果文件",
    "record": "报名记录",
    "path": "证明路径",
}
PREFIXES = {
    "commitment of ": "{} 的承诺",
    "signature of ": "{} 的签名",
    "missing signature of ": "缺少 {} 的签名",
}
OK, FAIL, SKIPPED = "通过 ok  ", "未通过 FAIL", "通过 ok（部分跳过 partly skipped）"


def label(name: str) -> str:
    """``中文 / english`` for a check name (``round R: name`` keeps the round's id)."""
    round_id, sep, rest = name.partition(": ")
    if sep and round_id.startswith("round "):
        return f"轮次 {round_id.removeprefix('round ')}：{label(rest)}"
    if name in LABELS:
        return f"{LABELS[name]} / {name}"
    for prefix, zh in PREFIXES.items():
        if name.startswith(prefix):
            return f"{zh.format(name.removeprefix(prefix))} / {name}"
    return name


def _check_line(check: Mapping[str, Any]) -> str:
    status = FAIL if not check.get("ok") else SKIPPED if check.get("skipped") else OK
    detail = check.get("detail") or ""
    return f"  [{status}] {label(str(check.get('name', '')))}" + (f"：{detail}" if detail else "")


def _trust_lines(trusted: Sequence[str], fingerprint: str | None) -> list[str]:
    if not trusted and not fingerprint:
        return ["  未用任何可信公钥核对签名 / no signature was checked against a trusted key"]
    names = "、".join(trusted) if trusted else ""
    line = f"  可信公钥 trusted keys：{names}" if names else "  可信公钥 trusted keys"
    return [line + (f"（公钥集指纹 key set fingerprint {fingerprint}）" if fingerprint else "")]


def _verdict(valid: bool, failed: Sequence[str]) -> str:
    if valid:
        return "结论 verdict：VALID（有效）"
    return "结论 verdict：INVALID（无效）：" + "，".join(label(n) for n in failed)


def _contribution_lines(contributions: Sequence[Mapping[str, Any]]) -> list[str]:
    """The report's contributions, a live draw's balls read back (docs/draw-spec.md §8.1)."""
    lines = []
    for c in contributions:
        name, value = str(c.get("contributor", "")), str(c.get("value", ""))
        if c.get("committed"):
            lines.append(
                f"  随机数 contribution {name}：冻结前承诺、冻结后揭示 committed before the freeze, revealed"
            )
            continue
        try:
            balls = balls_of(bytes.fromhex(value))
        except ValueError:
            balls = None
        if balls is not None:
            shown = " ".join(f"{b:02d}" for b in balls)
            lines.append(
                f"  随机数 contribution {name}：冻结后现场摇号 live draw after the freeze，号码 balls {shown}"
            )
        else:
            lines.append(
                f"  随机数 contribution {name}：冻结后产生 made after the freeze，{value[:16]}…"
            )
    return lines


def render_bundle(doc: Mapping[str, Any]) -> str:
    lines = [
        f"抽签 draw {doc.get('draw_id')}（{doc.get('mechanism')}）：报名 {doc.get('applicants')} 人 applicants，"
        f"学校 {doc.get('schools')} 所 schools，录取 {doc.get('placed')} 人 placed"
    ]
    if doc.get("rehearsal"):
        lines.append("  演练，不是正式派位 / rehearsal, not a published draw")
    if doc.get("after_freeze_contributions") == 0:
        lines.append(
            "  注意：没有冻结后产生的随机数（无信标、无现场摇号），掌握揭示值者可能事先知道种子 / "
            "note: no contribution was made after the freeze"
        )
    lines.extend(_contribution_lines(doc.get("contributions", [])))
    lines.extend(_check_line(c) for c in doc.get("checks", []))
    lines.extend(
        f"  [未核对 not checked] {u.get('signer')}：未给出该签名方的可信公钥 no trusted key given "
        f"({'与自带公钥相符 verifies with its own key' if u.get('verifies_with_own_key') else '与自带公钥不符 does NOT verify'})"
        for u in doc.get("not_checked", [])
    )
    lines.extend(_trust_lines(doc.get("trusted", []), doc.get("trusted_keys_fingerprint")))
    failed = [str(c.get("name")) for c in doc.get("checks", []) if not c.get("ok")]
    lines.append(_verdict(bool(doc.get("valid")), failed))
    return "\n".join(lines)


def render_season(doc: Mapping[str, Any]) -> str:
    rounds = doc.get("rounds", [])
    lines = [
        f"招生季 season {doc.get('season')}：已抽签轮次 {len(rounds)} 轮 drawn rounds（{', '.join(rounds)}）"
    ]
    lines.extend(_check_line(c) for c in doc.get("checks", []))
    fingerprint = doc.get("trusted_keys_fingerprint")
    lines.extend(
        _trust_lines([], fingerprint)
        if fingerprint is None
        else [f"  可信公钥集指纹 trusted keys fingerprint {fingerprint}"]
    )
    failed = [str(c.get("name")) for c in doc.get("checks", []) if not c.get("ok")]
    lines.append(_verdict(bool(doc.get("valid")), failed))
    return "\n".join(lines)


def render_proof(doc: Mapping[str, Any]) -> str:
    failed = [str(n) for n in doc.get("failed", [])]
    lines = [
        f"报名编号 applicant {doc.get('applicant')}，抽签 draw {doc.get('draw_id')}，"
        f"输入根 input root {str(doc.get('input_root'))[:16]}…"
    ]
    if doc.get("valid"):
        lines.append("  该报名记录在冻结的输入之中 / the record is among the frozen inputs")
    lines.extend(f"  [{FAIL}] {label(n)}" for n in failed)
    lines.append(_verdict(bool(doc.get("valid")), failed))
    return "\n".join(lines)


RENDER: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "bundle": render_bundle,
    "season": render_season,
    "proof": render_proof,
}


def run(command: str, main: Callable[[list[str]], int], argv: list[str]) -> int:
    """Run ``main`` with ``--json`` and print its report(s) bilingually. What ``main``
    prints to stderr (unreadable or malformed input) goes through unchanged."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*argv, "--json"])
    for line in out.getvalue().splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            print(line)
            continue
        print(RENDER[command](doc) if type(doc) is dict else line)
    return code
