"""ASGI middleware: request body limits, security headers and the in-flight request limit.

All are plain ASGI (no ``BaseHTTPMiddleware``): they add no task or copy per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Pages (the web issue) run under this policy: no inline script or style, nothing from
# another origin, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit. An HTTPException, so
    that FastAPI's body parsing passes it on (it turns other errors into 400) and the
    problem handler answers 413."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class BodyLimit:
    """Refuse bodies over ``limit`` bytes (``upload_limit`` under ``upload_prefixes``) with
    413 problem+json: at once when Content-Length says so, else as soon as the streamed
    body passes the limit, before the route parses it."""

    def __init__(self, app: ASGIApp, *, limit: int, upload_limit: int,
                 upload_prefixes: tuple[str, ...], too_large: Callable[[], Any]) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit
        self.upload_prefixes = upload_prefixes
        self.too_large = too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = self.upload_limit if path.startswith(self.upload_prefixes) else self.limit
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = limit + 1
                if declared > limit:
                    await self.too_large()(scope, receive, send)
                    return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if started:  # pragma: no cover - routes read their body before answering
                raise
            await self.too_large()(scope, receive, send)


class SecurityHeaders:
    """Security headers on every response (API and pages alike)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        headers = [
            (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if hsts:
            headers.append((b"strict-transport-security", b"max-age=31536000"))
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                message["headers"] = list(message.get("headers", ())) + [
                    (n, v) for n, v in self.headers if n not in present]
            await send(message)

        await self.app(scope, receive, with_headers)


class ConcurrencyLimit:
    """At most ``limit`` HTTP requests inside the app at once per process; the others wait
    here, holding nothing (no thread, no database connection), in arrival order.

    Why: a request can hold a pooled connection between two trips through the threadpool
    (a sync route's session stays open while FastAPI validates its response in another
    thread). With more requests in flight than threads, every thread can end up waiting
    for a connection that a request waiting for a thread holds: the results-day wedge,
    broken only by the pool's timeout. A request holds at most one connection at a time,
    so with ``limit`` equal to the threads and to the pool's size no request ever waits on
    the pool or for a thread. The limit applies per event loop (one per uvicorn worker)."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots = asyncio.Semaphore(limit)

    def _slots_of_this_loop(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a test client runs each session on a fresh loop
            self._loop, self._slots = loop, asyncio.Semaphore(self.limit)
        return self._slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with self._slots_of_this_loop():
            await self.app(scope, receive, send)
