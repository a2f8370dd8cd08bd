"""Errors of the round lifecycle: a stable code, an HTTP status, a Chinese title.

The API renders :class:`RoundError` as problem+json (:func:`install`); the CLI prints
one line and exits 2.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

# code: (HTTP status, title in Chinese)
CATALOGUE: dict[str, tuple[int, str]] = {
    "round_not_found": (404, "未找到该派位轮次"),
    "round_exists": (409, "该派位轮次已创建"),
    "unknown_round": (422, "政策中没有该派位轮次"),
    "out_of_order": (409, "派位步骤顺序不正确"),
    "round_published": (409, "该轮次已公布，不能再做任何修改"),
    "inputs_frozen": (409, "该轮次的输入已冻结，不能修改"),
    "inputs_changed": (409, "冻结后的输入已被改动，与公布的输入根不一致"),
    "no_inputs": (409, "没有可用的派位输入（学校招生计划或申请人）"),
    "inputs_invalid": (422, "派位输入不符合格式或政策"),
    "ceremony_invalid": (422, "随机数贡献不正确"),
    "contributor_exists": (409, "该贡献者已登记"),
    "contributor_not_found": (404, "未找到该贡献者"),
    "reveal_missing": (409, "仍有已承诺的贡献者未揭示，公证人员须先作出处理"),
    "no_contributions": (409, "至少需要一项随机数贡献"),
    "key_mismatch": (422, "签名密钥与冻结时登记的区教委公钥不一致"),
    "key_invalid": (422, "无法读取私钥文件或口令不正确"),
    "bundle_invalid": (422, "派位数据包未通过核验"),
    "rehearsal_refused": (422, "模拟派位的数据包不能导入或公布为正式结果"),
    "plan_invalid": (422, "学校招生计划有错误，未导入任何内容"),
    "result_not_published": (404, "派位结果尚未公布"),
    "publication_failed": (409, "公示目录写入失败"),
}


@dataclass(eq=False)
class RoundError(Exception):
    """A lifecycle rule was broken. ``code`` is stable; ``detail`` says exactly what."""

    code: str
    detail: str | None = None
    field: str | None = None

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise KeyError(f"unknown error code {self.code!r}")
        super().__init__(self.code)

    @property
    def status(self) -> int:
        return CATALOGUE[self.code][0]

    @property
    def title(self) -> str:
        return CATALOGUE[self.code][1]

    def line(self) -> str:
        """One line for the CLI."""
        return f"{self.title}: {self.detail} [{self.code}]" if self.detail else f"{self.title} [{self.code}]"


async def _round_error(_request: Request, exc: Exception) -> JSONResponse:
    from api.problems import MEDIA_TYPE, TYPE_BASE, Problem  # noqa: PLC0415  API layer only

    if not isinstance(exc, RoundError):  # pragma: no cover - registered for RoundError only
        raise exc
    body = Problem(type=TYPE_BASE + exc.code, title=exc.title, status=exc.status, code=exc.code,
                   detail=exc.detail, field=exc.field)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=exc.status,
                        media_type=MEDIA_TYPE)


def install(app: FastAPI) -> None:
    """Render ``RoundError`` as problem+json."""
    app.add_exception_handler(RoundError, _round_error)
