"""The FastAPI application factory: ``create_app(settings)``."""

from __future__ import annotations

from fastapi import FastAPI

from api import problems
from paiwei.accounts.views import router as accounts_router
from paiwei.audit.views import router as audit_router
from paiwei.captcha.views import router as captcha_router
from paiwei.choices.views import router as choices_router
from paiwei.db import make_engine, make_session_factory
from paiwei.intake.views import router as intake_router
from paiwei.review.views import router as review_router
from paiwei.rounds.views import router as rounds_router
from paiwei.settings import Clock, Settings, system_clock
from paiwei.sms.sender import SmsSender, sender_from_settings
from paiwei.sms.views import router as sms_router
from paiwei.windows.views import router as windows_router


def create_app(settings: Settings, *, clock: Clock = system_clock,
               sms_sender: SmsSender | None = None) -> FastAPI:
    """Build the app. The schema must exist (``paiwei serve`` runs the migrations first)."""
    app = FastAPI(
        title="paiwei intake API",
        version="0.1.0",
        description="北京市义务教育入学服务平台（非本市户籍适龄儿童）注册、详细信息录入与审核。"
        " Errors are application/problem+json (RFC 9457) with a stable `code`.",
    )
    engine = make_engine(settings.database_url, echo=settings.database_echo)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.clock = clock
    app.state.sms_sender = sms_sender or sender_from_settings(settings)
    problems.install(app)
    for router in (captcha_router, sms_router, intake_router, accounts_router, review_router,
                   audit_router, windows_router, choices_router, rounds_router):
        app.include_router(router, prefix="/api")
    return app
