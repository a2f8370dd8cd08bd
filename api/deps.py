"""Request dependencies: the database session, the clock, the SMS sender, the user.

Role checks live here, never in route bodies: each route declares the roles it admits
with one of the ``...User`` annotations, and unsafe methods also check the CSRF token.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from paiwei.accounts.models import Role
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


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


DbSession = Annotated[Session, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Now = Annotated[datetime, Depends(get_now)]
Sender = Annotated[SmsSender, Depends(get_sender)]
ClientIp = Annotated[str, Depends(client_ip)]


def current_user(request: Request, db_session: DbSession, settings: AppSettings, now: Now) -> AuthUser:
    user = authenticate(db_session=db_session, token=request.cookies.get(settings.session_cookie_name),
                        now=now)
    if user is None:
        raise IntakeError("not_authenticated")
    return user


def require_roles(*roles: Role) -> Callable[..., Awaitable[AuthUser]]:
    allowed = frozenset(roles)

    async def dependency(request: Request,
                         user: Annotated[AuthUser, Depends(current_user)]) -> AuthUser:
        if user.role not in allowed:
            raise IntakeError("forbidden")
        if request.method not in SAFE_METHODS:
            # Synchronizer token: the X-CSRF-Token header (API) or a csrf_token form field
            # (HTML forms); SameSite=Strict on the cookie is a second line of defence.
            token = request.headers.get(CSRF_HEADER)
            if token is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
                value = (await request.form()).get(CSRF_FORM_FIELD)
                token = value if isinstance(value, str) else None
            if token is None or not hmac.compare_digest(token, user.csrf_token):
                raise IntakeError("csrf_failed")
        return user

    dependency.__name__ = "require_" + "_or_".join(sorted(allowed))
    return dependency


AnyUser = Annotated[AuthUser, Depends(require_roles(*Role))]
ParentUser = Annotated[AuthUser, Depends(require_roles(Role.PARENT))]
ReviewerUser = Annotated[AuthUser, Depends(require_roles(Role.STREET_REVIEWER, Role.DISTRICT_STAFF))]
StreetReviewer = Annotated[AuthUser, Depends(require_roles(Role.STREET_REVIEWER))]
DistrictStaff = Annotated[AuthUser, Depends(require_roles(Role.DISTRICT_STAFF))]
AuditReader = Annotated[AuthUser, Depends(require_roles(Role.AUDITOR, Role.NOTARY, Role.DISTRICT_STAFF))]
OutboxReader = Annotated[AuthUser, Depends(require_roles(Role.DISTRICT_STAFF, Role.AUDITOR))]
