"""The SMS sender interface: outbox by default, HTTP gateway when configured."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from paiwei.intake.errors import IntakeError
from paiwei.settings import Settings
from paiwei.sms.models import SmsOutbox
from paiwei.sms.sender import HttpGatewaySender, OutboxSender, sender_from_settings

NOW = datetime(2024, 5, 6, tzinfo=UTC)


class FakeSession:
    def __init__(self) -> None:
        self.added: list[Any] = []

    def add(self, row: Any) -> None:
        self.added.append(row)


def test_outbox_is_the_default() -> None:
    assert isinstance(sender_from_settings(Settings(database_url="sqlite://")), OutboxSender)


def test_http_backend_needs_a_url() -> None:
    with pytest.raises(ValueError, match="GATEWAY_URL"):
        sender_from_settings(Settings(database_url="sqlite://", sms_backend="http"))
    sender = sender_from_settings(Settings(database_url="sqlite://", sms_backend="http",
                                           sms_gateway_url="https://sms.example/send"))
    assert isinstance(sender, HttpGatewaySender)


def test_gateway_posts_the_message_with_the_token_and_records_it() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    sender = HttpGatewaySender(url="https://sms.example/send", token="t0ken", timeout=1,  # noqa: S106
                               client=httpx.Client(transport=httpx.MockTransport(handler)))
    session = FakeSession()
    sender.send(db_session=session, mobile="13900000001", body="验证码为123456", now=NOW)  # type: ignore[arg-type]
    assert json.loads(seen[0].content) == {"mobile": "13900000001", "text": "验证码为123456"}
    assert seen[0].headers["authorization"] == "Bearer t0ken"
    assert [(r.status, r.sent_at) for r in session.added if isinstance(r, SmsOutbox)] == [("sent", NOW)]


def test_gateway_failure_fails_the_use_case_with_a_503_problem() -> None:
    sender = HttpGatewaySender(url="https://sms.example/send", token=None, timeout=1,
                               client=httpx.Client(transport=httpx.MockTransport(
                                   lambda request: httpx.Response(503))))
    session = FakeSession()
    with pytest.raises(IntakeError) as caught:
        sender.send(db_session=session, mobile="13900000001", body="x", now=NOW)  # type: ignore[arg-type]
    assert (caught.value.code, caught.value.status) == ("sms_unavailable", 503)
    assert session.added == []


@pytest.mark.parametrize("failure", [httpx.ConnectTimeout, httpx.ReadTimeout, httpx.ConnectError])
def test_gateway_timeout_or_refusal_is_a_503_problem(failure: type[httpx.HTTPError]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure("no answer", request=request)

    sender = HttpGatewaySender(url="https://sms.example/send", token=None, timeout=1,
                               client=httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(IntakeError) as caught:
        sender.send(db_session=FakeSession(), mobile="13900000001", body="x", now=NOW)  # type: ignore[arg-type]
    assert caught.value.code == "sms_unavailable"
