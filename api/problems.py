"""problem+json (RFC 9457) responses: a stable ``code`` and a Chinese ``title``.

Validation errors never echo the submitted values (they may be ID numbers or phones).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from paiwei.intake.errors import CATALOGUE
from paiwei.problems import ProblemError

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:paiwei:problem:"
_MISSING = {"missing", "string_too_short", "list_too_short"}


class FieldProblem(BaseModel):
    field: str
    code: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    field: str | None = None
    errors: list[FieldProblem] | None = None


def problem_response(code: str, *, status: int | None = None, field: str | None = None,
                     detail: str | None = None, errors: list[FieldProblem] | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    default_status, title = CATALOGUE[code]
    body = Problem(type=TYPE_BASE + code, title=title, status=status or default_status, code=code,
                   detail=detail, field=field, errors=errors)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=body.status,
                        media_type=MEDIA_TYPE, headers=headers)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses a route may give."""
    described = {
        400: "请求格式不正确", 401: "未登录或登录失败", 403: "无权限或 CSRF 校验失败",
        404: "未找到", 405: "不支持该请求方法", 409: "与已有记录冲突", 413: "提交的内容过大",
        422: "填写的信息不符合规则", 429: "操作过于频繁", 503: "外部服务暂时不可用",
    }
    return {
        s: {"model": Problem, "description": described.get(s, "错误"),
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for s in statuses
    }


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ProblemError):  # pragma: no cover - registered for ProblemError only
        raise exc
    body = Problem(type=TYPE_BASE + exc.code, title=exc.title, status=exc.status, code=exc.code,
                   detail=exc.detail, field=exc.field)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=exc.status,
                        media_type=MEDIA_TYPE)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):  # pragma: no cover
        raise exc
    errors = [FieldProblem(field=_field(tuple(e.get("loc", ()))),
                           code="required_field_missing" if e.get("type") in _MISSING else "validation_error")
              for e in exc.errors()]
    code = "required_field_missing" if any(e.code == "required_field_missing" for e in errors) else "validation_error"
    first = next((e.field for e in errors if e.code == code), None)
    return problem_response(code, field=first, errors=errors)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):  # pragma: no cover
        raise exc
    code = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed", 413: "body_too_large"}.get(exc.status_code)
    if code is None:
        return JSONResponse({"type": "about:blank", "title": str(exc.detail), "status": exc.status_code,
                             "code": f"http_{exc.status_code}"}, status_code=exc.status_code,
                            media_type=MEDIA_TYPE)
    return problem_response(code, status=exc.status_code,
                            headers=dict(exc.headers) if exc.headers else None)


COMMON_STATUSES = (400, 405, 413, 422)
"""Answers any route may give: an unreadable body (not UTF-8, not JSON), a method it
lacks, a body over the limit, a malformed parameter or body. Added to every operation of
the OpenAPI document."""


def document_common_problems(spec: dict[str, Any]) -> dict[str, Any]:
    """Add the problem responses every route may give to each operation of ``spec``."""
    common = responses(*COMMON_STATUSES)
    problem_content = common[422]["content"]
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            answers = operation.setdefault("responses", {})
            for status, entry in common.items():
                if str(status) not in answers:
                    answers[str(status)] = {"description": entry["description"],
                                            "content": entry["content"]}
            for status, entry in answers.items():
                if status[:1] in "45":  # every error is problem+json (FastAPI's 422 says JSON)
                    entry["content"] = problem_content
    spec.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
    spec.get("components", {}).get("schemas", {}).pop("ValidationError", None)
    return spec


def too_large() -> JSONResponse:
    return problem_response("body_too_large")


domain_error = _domain_error  # the web pages' handler delegates API paths to it


def install(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
