"""Errors of the choices and windows domains: a stable code, an HTTP status, Chinese text.

The API turns :class:`ChoiceError` into problem+json (RFC 9457) with the same shape as
intake's problems (``api.problems.Problem``), through the one handler for ``ProblemError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from paiwei.problems import ProblemError

# code: (HTTP status, title in Chinese)
CATALOGUE: dict[str, tuple[int, str]] = {
    "window_closed": (409, "不在报名时间内"),
    "window_not_found": (404, "该报名项目本年度未开放"),
    "window_extension_invalid": (422, "延长后的截止时间须晚于原截止时间"),
    "window_already_closed": (409, "报名已截止，不能延长"),
    "extension_reason_required": (422, "延长报名时间须填写原因"),
    "private_boarding_taken": (409, "已报名民办或寄宿学校"),
    "school_not_allowed": (422, "所选学校不在可选范围内"),
    "choices_locked": (409, "志愿已锁定，不能修改"),
    "choices_not_found": (404, "尚未填报该项志愿"),
    "choices_exist": (409, "已填报该项志愿，如需调整请修改志愿"),
    "too_many_choices": (422, "所选学校数量超过规定"),
    "one_per_group": (422, "第一组、第二组各限选一所学校"),
    "no_choices": (422, "请至少选择一所学校"),
    "duplicate_choice": (422, "同一所学校不能重复选择"),
    "not_verified": (403, "入学审核通过（身份证及户籍信息已验证）后方可填报志愿"),
    "not_routed": (409, "尚未确定服务片区，暂不能填报志愿"),
    "catalogue_missing": (409, "本年度学校及服务片区信息尚未发布"),
    "catalogue_invalid": (422, "学校及服务片区信息格式不正确"),
    "routing_record_invalid": (422, "入学资格记录格式不正确"),
    "window_still_open": (409, "报名尚未截止，志愿尚未锁定"),
    "unknown_kind": (404, "没有该类志愿"),
}


@dataclass(eq=False)
class ChoiceError(ProblemError):
    """A rule of windows or choices was broken. ``code`` is stable; ``field`` names the input."""

    CATALOGUE: ClassVar[Mapping[str, tuple[int, str]]] = CATALOGUE
    code: str
    field: str | None = None
    detail: str | None = None

