"""``POST /api/verify/bundle``: the reference verifier's answer for a bundle, so that the
notary page can show it beside the in-browser verifier's (two implementations of one spec).

Public (scope: all); it stores nothing and needs no login. The bundle is the raw request
body; trusted keys come as repeated ``key=NAME=HEX`` query parameters, as ``--key`` does
for ``python -m lottery.verify``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

import lottery
from api.problems import responses
from api.scope import Public
from paiwei.problems import ProblemError

CATALOGUE: dict[str, tuple[int, str]] = {
    "bundle_malformed": (422, "文件不是合格的派位数据（paiwei-draw/1），无法核验"),
    "bundle_too_large": (413, "文件过大，请使用命令行核验工具 python -m lottery.verify"),
    "bad_key": (422, "可信公钥应写作 名称=64 位十六进制公钥"),
}


@dataclass(eq=False)
class VerifyError(ProblemError):
    CATALOGUE: ClassVar[Mapping[str, tuple[int, str]]] = CATALOGUE
    code: str
    detail: str | None = None
    field: str | None = None


class CheckRead(BaseModel):
    name: str
    ok: bool
    detail: str


class ReportRead(BaseModel):
    """The verifier's report, as ``python -m lottery.verify --json`` prints it (without path)."""

    valid: bool
    format: str
    draw_id: str
    mechanism: str
    rehearsal: bool
    kind: str
    schools: int
    applicants: int
    placed: int
    signers: list[str]
    trusted: list[str] = []
    not_checked: list[dict[str, Any]] = []
    checks: list[CheckRead]


router = APIRouter(tags=["verify"])


def _keys(values: list[str]) -> dict[str, bytes] | None:
    keys: dict[str, bytes] = {}
    for value in values:
        name, sep, hexa = value.partition("=")
        try:
            raw = bytes.fromhex(hexa.strip())
        except ValueError:
            raise VerifyError("bad_key", field="key") from None
        if not sep or not name.strip() or len(raw) != 32:
            raise VerifyError("bad_key", field="key")
        keys[name.strip()] = raw
    return keys or None


def _verify(data: bytes, keys: dict[str, bytes] | None) -> dict[str, Any]:
    try:
        report = lottery.verify(lottery.parse_bundle(data), keys)
    except lottery.VerificationError as exc:
        report = exc.report
    except lottery.InvalidBundle as exc:
        raise VerifyError("bundle_malformed", detail=str(exc)) from None
    return report.to_json()


BODY = {"requestBody": {"required": True, "description": "the bundle file's bytes (docs/draw-spec.md §14)",
                        "content": {"application/json": {"schema": {"type": "object"}}}}}


@router.post("/verify/bundle", response_model=ReportRead, responses=responses(413, 422),
             openapi_extra=BODY, dependencies=[Public])
async def verify_bundle(request: Request, key: list[str] = Query(default=[])) -> ReportRead:  # noqa: B008
    """Scope: all (public). The reference verifier on the posted bundle: every check, named."""
    keys = _keys(key)
    # The body limit middleware refuses more than PAIWEI_MAX_UPLOAD_BYTES (10 MiB by default:
    # a district's round; a million-applicant bundle is for the command line) with a 413.
    limit = request.app.state.settings.max_upload_bytes
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise VerifyError("bundle_too_large")
    return ReportRead(**await run_in_threadpool(_verify, bytes(data), keys))
