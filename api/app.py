"""The FastAPI application factory: ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI

from api import problems
from api.middleware import BodyLimit, ConcurrencyLimit, SecurityHeaders
from paiwei.accounts.views import router as accounts_router
from paiwei.audit.views import router as audit_router
from paiwei.captcha.views import router as captcha_router
from paiwei.choices.views import router as choices_router
from paiwei.db import make_engine, make_session_factory
from paiwei.intake.views import router as intake_router
from paiwei.reporting.views import router as reports_router
from paiwei.review.views import router as review_router
from paiwei.rounds.result_cache import PublishedResults
from paiwei.rounds.views import router as rounds_router
from paiwei.settings import Clock, Settings, system_clock
from paiwei.sms.sender import SmsSender, sender_from_settings
from paiwei.sms.views import router as sms_router
from paiwei.web import install as install_pages
from paiwei.web.verify_api import router as verify_router
from paiwei.windows.views import router as windows_router

# Plan files; bundles for the notary page; the staff console's plan and signed-bundle uploads.
UPLOAD_PREFIXES = ("/api/plans/", "/api/verify/", "/staff/plans", "/staff/rounds")


def create_app(settings: Settings, *, clock: Clock = system_clock,
               sms_sender: SmsSender | None = None) -> FastAPI:
    """Build the app. The schema must exist (``paiwei serve`` runs the migrations first)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Sync routes and dependencies run on this many threads; the pool below holds as
        # many connections, so a thread never waits on the pool for a connection that
        # another waiting thread holds (the results-day wedge).
        to_thread.current_default_thread_limiter().total_tokens = settings.threads
        # Results day is mostly first lookups: read every published result once, now.
        await to_thread.run_sync(_app.state.published_results.warm_up)
        yield

    app = FastAPI(
        title="paiwei API",
        version="0.1.0",
        description="北京市义务教育入学服务平台（非本市户籍适龄儿童）注册、详细信息录入、审核与派位。"
        " Errors are application/problem+json (RFC 9457) with a stable `code`.",
        lifespan=lifespan,
        docs_url=None,  # /docs is a page of paiwei.web with Swagger UI served by the app
        redoc_url=None,
    )
    engine = make_engine(settings.database_url, echo=settings.database_echo,
                         pool_size=settings.threads, max_overflow=settings.database_pool_overflow,
                         pool_timeout=settings.database_pool_timeout_seconds)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.published_results = PublishedResults(
        app.state.session_factory, recheck_seconds=settings.results_cache_seconds,
        max_entries=settings.results_cache_entries, warm=settings.results_cache_warm)
    app.state.clock = clock
    app.state.sms_sender = sms_sender or sender_from_settings(settings)
    problems.install(app)
    for router in (captcha_router, sms_router, intake_router, accounts_router, review_router,
                   audit_router, windows_router, choices_router, rounds_router, verify_router,
                   reports_router):
        app.include_router(router, prefix="/api")
    install_pages(app)
    # Innermost: requests beyond the threads (and pooled connections) wait before the app.
    app.add_middleware(ConcurrencyLimit, limit=settings.threads)
    app.add_middleware(SecurityHeaders, hsts=settings.cookie_secure)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes,
                       upload_prefixes=UPLOAD_PREFIXES, too_large=problems.too_large)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi  # noqa: PLC0415

            app.openapi_schema = problems.document_common_problems(get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def app_from_environment() -> FastAPI:
    """``create_app(Settings())``: the factory each uvicorn worker process calls
    (``paiwei serve``), reading the ``PAIWEI_*`` environment."""
    return create_app(Settings())
