"""Errors of the round lifecycle: a stable code, an HTTP status, a Chinese title.

The API renders :class:`RoundError` as problem+json (the one handler for
``ProblemError``); the CLI prints :meth:`~paiwei.problems.ProblemError.line` and exits 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from paiwei.problems import ProblemError

# code: (HTTP status, title in Chinese)
CATALOGUE: dict[str, tuple[int, str]] = {
    "round_not_found": (404, "未找到该派位轮次"),
    "unknown_district": (422, "未知的区，或该区该年度没有招生政策"),
    "out_of_district": (403, "该派位轮次不属于您所在的区"),
    "round_exists": (409, "该派位轮次已创建"),
    "unknown_round": (422, "政策中没有该派位轮次"),
    "out_of_order": (409, "派位步骤顺序不正确"),
    "round_published": (409, "该轮次已公布，不能再做任何修改"),
    "inputs_frozen": (409, "该轮次的输入已冻结，不能修改"),
    "inputs_changed": (409, "冻结后的输入已被改动，与公布的输入根不一致"),
    "applicants_undecided": (409, "仍有审核通过的申请人未判定入学资格和片区，不能冻结"),
    "no_inputs": (409, "没有可用的派位输入（学校招生计划或申请人）"),
    "inputs_invalid": (422, "派位输入不符合格式或政策"),
    "ceremony_invalid": (422, "随机数贡献不正确"),
    "contributor_exists": (409, "该贡献者已登记"),
    "contributor_not_found": (404, "未找到该贡献者"),
    "reveal_missing": (409, "仍有已承诺的贡献者未揭示，公证人员须先作出处理"),
    "no_contributions": (409, "至少需要一项随机数贡献"),
    "no_after_freeze_contribution": (409, "至少需要一项冻结后产生的随机数（公证人员现场摇号或公开信标）"),
    "key_mismatch": (422, "签名密钥与冻结时登记的区教委公钥不一致"),
    "key_invalid": (422, "公钥或签名格式不正确"),
    "keys_not_pinned": (409, "本学段尚未登记区教委和公证处的签名公钥"),
    "keys_pinned": (409, "签名公钥已登记；更换须提交由原密钥签名的更换声明"),
    "signature_invalid": (422, "签名未通过核验"),
    "signature_required": (422, "需要提交签名"),
    "beacon_invalid": (422, "公共随机信标记录未通过核验"),
    "bundle_invalid": (422, "派位数据包未通过核验"),
    "rehearsal_refused": (422, "模拟派位的数据包不能导入或公布为正式结果"),
    "plan_invalid": (422, "学校招生计划有错误，未导入任何内容"),
    "result_not_published": (404, "派位结果尚未公布"),
    "publication_failed": (409, "公示目录写入失败"),
}


@dataclass(eq=False)
class RoundError(ProblemError):
    """A lifecycle rule was broken. ``code`` is stable; ``detail`` says exactly what."""

    CATALOGUE: ClassVar[Mapping[str, tuple[int, str]]] = CATALOGUE
    code: str
    detail: str | None = None
    field: str | None = None

