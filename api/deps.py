"""Request dependencies: the database session, the clock, the SMS sender, the client's
address and the logged-in user. Who may call a route, over what, is declared with
``api.scope.access`` (role, scope and CSRF checks), never checked in route bodies.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from paiwei.accounts.service import AuthUser, authenticate
from paiwei.intake.errors import IntakeError
from paiwei.settings import Settings
from paiwei.sms.sender import SmsSender

CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db(request: Request) -> Iterator[Session]:
    """One session per request; use cases commit, this only closes (rolling back leftovers)."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
    finally:
        session.close()


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def get_sender(request: Request) -> SmsSender:
    sender: SmsSender = request.app.state.sms_sender
    return sender


def client_ip(request: Request, settings: AppSettings) -> str:
    """The client's address for throttling. ``X-Forwarded-For`` is believed only when the
    connection comes from a proxy listed in ``PAIWEI_TRUSTED_PROXIES`` (default: none), and
    then the address is the last one the trusted proxies did not add."""
    peer = request.client.host if request.client else "unknown"
    trusted = settings.trusted_proxies
    if peer not in trusted:
        return peer
    forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",") if a.strip()]
    for address in reversed(forwarded):
        if address not in trusted:
            return address[:45]
    return peer


DbSession = Annotated[Session, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Now = Annotated[datetime, Depends(get_now)]
Sender = Annotated[SmsSender, Depends(get_sender)]
ClientIp = Annotated[str, Depends(client_ip)]


def current_user(request: Request, settings: AppSettings, now: Now) -> AuthUser:
    """The logged-in user: one query on a session of its own, whose connection goes back to
    the pool before the route runs (a route that needs the database opens ``DbSession``;
    the parent's result lookup does not)."""
    token = request.cookies.get(settings.session_cookie_name)
    if not token:
        raise IntakeError("not_authenticated")
    with request.app.state.session_factory() as db_session:
        user = authenticate(db_session=db_session, token=token, now=now)
    if user is None:
        raise IntakeError("not_authenticated")
    return user
