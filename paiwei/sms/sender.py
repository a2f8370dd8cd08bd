"""The SMS sender interface and its two implementations, chosen from settings."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

import httpx
from sqlalchemy.orm import Session

from paiwei.intake.errors import IntakeError
from paiwei.settings import Settings
from paiwei.sms.models import SmsOutbox

log = logging.getLogger(__name__)


class SmsSender(Protocol):
    def send(self, *, db_session: Session, mobile: str, body: str, now: datetime) -> None:
        """Queue or send one message. Must not log the number or the body."""


class OutboxSender:
    """Stores the message in ``sms_outbox`` within the caller's transaction.

    A message is thus sent if and only if the use case commits. A relay (or staff, in
    the demo) reads the outbox.
    """

    def send(self, *, db_session: Session, mobile: str, body: str, now: datetime) -> None:
        db_session.add(SmsOutbox(mobile=mobile, body=body, created_at=now, status="pending"))


class HttpGatewaySender:
    """Posts to an HTTP SMS gateway (``PAIWEI_SMS_GATEWAY_URL``), bearer-token auth.

    The outbox row is written too (status ``sent``) as the record of what went out; the
    gateway call happens before commit, so a failed call fails the use case.
    """

    def __init__(self, *, url: str, token: str | None, timeout: float,
                 client: httpx.Client | None = None) -> None:
        self._url = url
        self._token = token
        self._client = client or httpx.Client(timeout=timeout)

    def send(self, *, db_session: Session, mobile: str, body: str, now: datetime) -> None:
        """Raises ``IntakeError('sms_unavailable')`` (503) when the gateway fails, refuses or
        does not answer in time: the use case then fails and nothing of it is kept."""
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            response = self._client.post(self._url, json={"mobile": mobile, "text": body}, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("sms gateway unreachable: %s", type(exc).__name__)
            raise IntakeError("sms_unavailable") from None
        log.info("sms gateway answered status=%s", response.status_code)
        if not response.is_success:
            raise IntakeError("sms_unavailable")
        db_session.add(SmsOutbox(mobile=mobile, body=body, created_at=now, sent_at=now, status="sent"))


def sender_from_settings(settings: Settings) -> SmsSender:
    if settings.sms_backend == "http":
        if not settings.sms_gateway_url:
            raise ValueError("PAIWEI_SMS_BACKEND=http needs PAIWEI_SMS_GATEWAY_URL")
        token = settings.sms_gateway_token.get_secret_value() if settings.sms_gateway_token else None
        return HttpGatewaySender(url=settings.sms_gateway_url, token=token,
                                 timeout=settings.sms_gateway_timeout_seconds)
    return OutboxSender()
