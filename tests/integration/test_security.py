"""Regression tests for the defects an attack on the running service found (issue 16).

Each test is named after the defect it reproduces; each failed on the code before the fix
(the issue's note records what each observed before and after). Cross-district writes and
reads (defects 2 and 3) are in ``test_route_scope.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from paiwei.accounts import service as accounts
from paiwei.audit import service as audit
from paiwei.audit.models import AuditEvent, AuditHead
from paiwei.captcha import service as captcha
from paiwei.db import make_engine, make_session_factory
from paiwei.intake.errors import IntakeError
from paiwei.settings import Settings
from paiwei.sms import service as sms
from paiwei.sms.models import SmsCode
from paiwei.sms.sender import OutboxSender
from tests.integration.intake.helpers import (
    CHAOYANG,
    PARENT_PASSWORD,
    STAFF_PASSWORD,
    FakeClock,
    Intake,
    details,
    make_staff,
)

# 1. Account takeover by any staff member: the SMS outbox was readable through the API.

def test_no_route_returns_sms_messages_to_staff(intake: Intake) -> None:
    intake.register(1)
    for role in ("district_staff", "auditor"):
        make_staff(intake.sessions, intake.clock, role, role)
        intake.logout()
        assert intake.login(role, STAFF_PASSWORD).status_code == 200
        response = intake.client.get("/api/sms/outbox")
        assert response.status_code == 404, role
        assert "验证码" not in response.text


def test_production_refuses_the_outbox_and_the_development_secret() -> None:
    with pytest.raises(ValueError, match="SMS gateway"):
        Settings(environment="production", secret_key="x" * 40, sms_backend="outbox")
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(environment="production", sms_backend="http", sms_gateway_url="https://sms.example")
    Settings(environment="production", secret_key="x" * 40, sms_backend="http",
             sms_gateway_url="https://sms.example")


# 4. The audit log could be emptied or rewritten and still verify.

@contextmanager
def insider_without_triggers(sessions: sessionmaker[Session]) -> Iterator[None]:
    """What an insider with DDL rights on the database can do: drop the append-only
    triggers (restored afterwards: the PostgreSQL test database is shared by the run)."""
    postgres = sessions.kw["bind"].dialect.name == "postgresql"
    with sessions() as s:
        if postgres:
            s.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
            s.execute(text("DROP TRIGGER audit_head_forward_only ON audit_head"))
        else:
            for trigger in ("audit_events_no_update", "audit_events_no_delete",
                            "audit_head_forward_only"):
                s.execute(text(f"DROP TRIGGER {trigger}"))
        s.commit()
    try:
        yield
    finally:
        if postgres:
            with sessions() as s:
                s.execute(text("CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE "
                               "ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"))
                s.execute(text("CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head "
                               "FOR EACH ROW WHEN (NEW.last_seq < OLD.last_seq) "
                               "EXECUTE FUNCTION audit_refuse()"))
                s.commit()


def test_an_emptied_audit_log_does_not_verify(intake: Intake) -> None:
    intake.register(1)
    with intake.sessions() as s:
        assert audit.verify(db_session=s) >= 1
        # The head refuses to move backwards even for the database's owner ...
        with pytest.raises(Exception, match="append-only"):
            s.execute(text("UPDATE audit_head SET last_seq = 0"))
            s.commit()
        s.rollback()
    # ... and with the triggers gone, emptying the events leaves the head naming them.
    with insider_without_triggers(intake.sessions), intake.sessions() as s:
        s.execute(text("DELETE FROM audit_events"))
        s.commit()
        with pytest.raises(audit.AuditChainError, match="head records event"):
            audit.verify(db_session=s)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
@pytest.mark.postgres
def test_truncate_of_the_audit_log_is_refused(intake: Intake) -> None:
    intake.register(1)
    with intake.sessions() as s:
        for table in ("audit_events", "audit_head"):
            with pytest.raises(Exception, match="append-only"):
                s.execute(text(f"TRUNCATE {table}"))
            s.rollback()
        assert audit.verify(db_session=s) >= 1


def test_a_rewritten_history_fails_against_a_published_head(intake: Intake) -> None:
    intake.register(1)
    intake.register(2)
    with intake.sessions() as s:
        published = audit.head(db_session=s)  # as a freeze statement publishes it
    with insider_without_triggers(intake.sessions), intake.sessions() as s:
        # Rewrite event 1 and recompute the whole chain and the head: the log verifies.
        prev = audit.GENESIS
        for event in s.scalars(select(AuditEvent).order_by(AuditEvent.seq)):
            if event.seq == 1:
                event.reason = "rewritten"
            event.prev_hash = prev
            event.hash = audit.event_hash(
                seq=event.seq, at=event.at, actor_id=event.actor_id, actor_role=event.actor_role,
                action=event.action, subject=event.subject, from_state=event.from_state,
                to_state=event.to_state, reason=event.reason, prev_hash=prev)
            prev = event.hash
        head = s.get(AuditHead, 1)
        assert head is not None
        head.last_hash = prev
        s.commit()
        assert audit.verify(db_session=s) == published["seq"]
        with pytest.raises(audit.AuditChainError, match=f"published head {published['seq']}"):
            audit.check_published_head(db_session=s, seq=int(published["seq"]),
                                       digest=str(published["hash"]))


# 5. Lockout race: 20 concurrent wrong passwords checked 12-16 passwords, not 5.

@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
@pytest.mark.postgres
@pytest.mark.usefixtures("pg_serial")
def test_concurrent_wrong_passwords_check_at_most_the_limit(intake: Intake, settings: Settings,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    account = intake.register(1).json()["account_no"]
    now = intake.clock()
    engine = make_engine(settings.database_url, pool_size=25)
    sessions = make_session_factory(engine)
    with sessions() as s:
        issued = [captcha.issue(db_session=s, settings=settings, now=now) for _ in range(20)]
    checked = []
    lock = threading.Lock()
    real = accounts.verify_password

    def counting(password: str, encoded: str) -> bool:
        with lock:
            checked.append(password)
        return real(password, encoded)

    monkeypatch.setattr(accounts, "verify_password", counting)
    barrier = threading.Barrier(20)

    def attempt(i: int) -> str:
        with sessions() as s:
            barrier.wait()
            try:
                accounts.login(db_session=s, settings=settings, login=account, password=f"Wrong{i:03d}x",
                               captcha_id=issued[i].id, captcha_answer=issued[i].answer,
                               ip=f"10.0.0.{i}", now=now)
            except IntakeError as exc:
                return exc.code
            return "ok"

    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            outcomes = list(pool.map(attempt, range(20)))
    finally:
        engine.dispose()
    assert len(checked) == settings.login_max_failures
    assert outcomes.count("login_failed") == settings.login_max_failures - 1
    assert outcomes.count("account_locked") == 20 - settings.login_max_failures + 1


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
@pytest.mark.postgres
@pytest.mark.usefixtures("pg_serial")
def test_concurrent_wrong_sms_codes_use_at_most_five_tries(settings: Settings,
                                                           sessions: sessionmaker[Session]) -> None:
    clock = FakeClock()
    sent: list[str] = []

    class Capture:
        def send(self, *, db_session: Session, mobile: str, body: str, now: object) -> None:
            sent.append(body[body.index("验证码为") + 4:][:6])

    with sessions() as s:
        sms.issue_code(db_session=s, settings=settings, sender=Capture(), mobile="13900000009",
                       purpose="register", now=clock())
        s.commit()
    engine = make_engine(settings.database_url, pool_size=25)
    race = make_session_factory(engine)
    barrier = threading.Barrier(20)
    wrong = [f"{(int(sent[0]) + i) % 10**6:06d}" for i in range(1, 21)]

    def guess(i: int) -> None:
        with race() as s:
            barrier.wait()
            with pytest.raises(IntakeError):
                sms.consume_code(db_session=s, settings=settings, mobile="13900000009",
                                 purpose="register", code=wrong[i], now=clock())

    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            list(pool.map(guess, range(20)))
    finally:
        engine.dispose()
    with sessions() as s:
        row = s.scalars(select(SmsCode)).one()
        assert row.failed_attempts == sms.MAX_FAILED_ATTEMPTS
        # Dead after five tries: the right code no longer works either.
        with pytest.raises(IntakeError):
            sms.consume_code(db_session=s, settings=settings, mobile="13900000009",
                             purpose="register", code=sent[0], now=clock())


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
@pytest.mark.postgres
@pytest.mark.usefixtures("pg_serial")
def test_concurrent_code_requests_respect_the_resend_interval(settings: Settings) -> None:
    clock = FakeClock()
    engine = make_engine(settings.database_url, pool_size=25)
    race = make_session_factory(engine)
    barrier = threading.Barrier(20)

    def ask(_: int) -> str:
        with race() as s:
            barrier.wait()
            try:
                sms.issue_code(db_session=s, settings=settings, sender=OutboxSender(),
                               mobile="13900000010", purpose="register", now=clock())
                s.commit()
            except IntakeError as exc:
                return exc.code
            return "ok"

    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            outcomes = list(pool.map(ask, range(20)))
    finally:
        engine.dispose()
    assert outcomes.count("ok") == 1
    assert outcomes.count("sms_resend_too_soon") == 19


# 6. Throttle bypass: X-Forwarded-For from 127.0.0.1 was trusted by default.

def _failed_logins(intake: Intake, forwarded: list[str]) -> list[str]:
    codes = []
    for address in forwarded:
        response = intake.client.post("/api/accounts/login", headers={"X-Forwarded-For": address},
                                      json={"login": "nobody", "password": "Wrong-pass1",
                                            **intake.captcha()})
        codes.append(response.json()["code"])
    return codes


@pytest.mark.parametrize("trusted", [False, True])
def test_forwarded_addresses_are_believed_only_from_trusted_proxies(settings: Settings, trusted: bool,
                                                                    ) -> None:
    tuned = settings.model_copy(update={
        "login_ip_max_failures": 3,
        "trusted_proxies": frozenset({"testclient"}) if trusted else frozenset()})
    from starlette.testclient import TestClient  # noqa: PLC0415

    app = create_app(tuned, clock=FakeClock(), sms_sender=OutboxSender())
    with TestClient(app) as client:
        intake = Intake(client=client, clock=app.state.clock, sessions=app.state.session_factory)
        codes = _failed_logins(intake, [f"203.0.113.{i}" for i in range(5)])
    app.state.engine.dispose()
    if trusted:  # five addresses behind the proxy: none throttled
        assert codes == ["login_failed"] * 5
    else:  # one client, whatever it claims: throttled after three
        assert codes == ["login_failed"] * 3 + ["ip_throttled"] * 2


# 7. 500s at the edge: integers beyond the column range, negative limits, long strings.

@pytest.mark.parametrize("url", [
    "/api/rounds/2147483648/freeze-statement",
    "/api/rounds/0/freeze-statement",
    "/api/rounds/99999999999999999999/freeze-statement",
])
def test_out_of_range_ids_are_a_422_problem(intake: Intake, url: str) -> None:
    response = intake.client.get(url)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_negative_and_huge_limits_are_refused(intake: Intake) -> None:
    make_staff(intake.sessions, intake.clock, "aud", "auditor")
    assert intake.login("aud", STAFF_PASSWORD).status_code == 200
    for params in ({"limit": -1}, {"limit": 10**6}, {"after": -5}, {"after": 2**40}):
        response = intake.client.get("/api/audit/events", params=params)
        assert response.status_code == 422, params
    assert intake.client.get("/api/audit/events", params={"limit": 5}).status_code == 200


def test_strings_longer_than_their_column_are_a_422_not_a_500(intake: Intake) -> None:
    account = intake.register(1).json()["account_no"]
    assert intake.login(account).status_code == 200
    body = details()
    body["residence"] = {**body["residence"], "district": "110108", "street": "街" * 17}
    response = intake.client.put("/api/intake/me/details", json=body)
    assert response.status_code == 422
    assert response.json()["field"] == "residence.street"


# 8. SMS codes stored as unkeyed sha256(mobile|purpose|code); captcha answers in plain text.

def test_sms_codes_and_captcha_answers_are_keyed(intake: Intake, settings: Settings) -> None:
    code = intake.sms_code("13900000001")
    with intake.sessions() as s:
        stored = s.scalars(select(SmsCode.code_hash)).one()
        columns = {c["name"] for c in inspect(s.get_bind()).get_columns("captchas")}
    assert stored != hashlib.sha256(f"13900000001|register|{code}".encode()).hexdigest()
    assert stored == hmac.new(settings.secret_key.get_secret_value().encode(),
                              f"13900000001|register|{code}".encode(), hashlib.sha256).hexdigest()
    assert "answer" not in columns
    other = settings.model_copy(update={"secret_key": SecretStr("another-secret-of-enough-length-00")})
    assert captcha.answer_for(settings, "id-1") != captcha.answer_for(other, "id-1")


# 9. categories accepted any list.

@pytest.mark.parametrize("categories", [["made-up"], ["taiwan", "taiwan"], ["taiwan"] * 9])
def test_unknown_or_repeated_categories_are_refused(intake: Intake, categories: list[str]) -> None:
    account = intake.register(1).json()["account_no"]
    assert intake.login(account).status_code == 200
    response = intake.client.put("/api/intake/me/details", json=details(categories=categories))
    assert response.status_code == 422
    assert response.json()["code"] in {"invalid_choice", "validation_error"}


def test_known_categories_are_stored(intake: Intake) -> None:
    account = intake.register(1).json()["account_no"]
    assert intake.login(account).status_code == 200
    response = intake.client.put("/api/intake/me/details",
                                 json=details(categories=["taiwan", "disabled"]))
    assert response.status_code == 200, response.text
    assert response.json()["categories"] == ["disabled", "taiwan"]


# 10. No body size limit: a 50 MB unauthenticated JSON body was parsed whole.

def test_large_bodies_are_refused_before_parsing(intake: Intake) -> None:
    big = b'{"district": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    declared = intake.client.post("/api/intake/notices", content=big,
                                  headers={"content-type": "application/json"})
    assert declared.status_code == 413
    assert declared.json()["code"] == "body_too_large"

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(40):
            yield b"x" * 65536

    streamed = intake.client.post("/api/intake/notices", content=chunks(),
                                  headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert streamed.json()["code"] == "body_too_large"


def test_security_headers_are_on_every_answer(intake: Intake) -> None:
    for response in (intake.client.get("/api/enumerations/districts"), intake.client.get("/nowhere")):
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


# 11. `paiwei users create` accepted a password ending in a newline that can never log in.

@pytest.mark.parametrize("password", ["Abcdef12\n", " Abcdef12", "Abcdef12 "])
def test_cli_refuses_passwords_with_whitespace(tmp_path: Path, password: str) -> None:
    env = {**os.environ, "PAIWEI_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3", "PW": password}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("paiwei")), "users", "create", "--username", "cy01", "--role",
         "district_staff", "--district", CHAOYANG, "--password-env", "PW"],
        capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "password_policy" in done.stderr
    assert "Traceback" not in done.stderr


def test_api_does_not_strip_passwords(intake: Intake) -> None:
    response = intake.register(1, password=PARENT_PASSWORD + "\n", password_confirm=PARENT_PASSWORD + "\n")
    assert response.status_code == 422
    assert response.json()["code"] == "password_policy"
    response = intake.register(2)
    assert response.status_code == 201
    assert intake.login(response.json()["account_no"], PARENT_PASSWORD + " ").status_code == 401


def test_login_lock_expires(intake: Intake) -> None:
    account = intake.register(1).json()["account_no"]
    codes = [intake.login(account, "Wrong-pass1").json()["code"] for _ in range(6)]
    assert codes == ["login_failed"] * 4 + ["account_locked"] * 2
    intake.clock.advance(timedelta(minutes=16).total_seconds())
    assert intake.login(account).status_code == 200


def test_paiwei_serve_does_not_believe_forwarded_addresses(tmp_path: Path) -> None:
    """Defect 6 as found: against `paiwei serve`, each failed login claimed a new address."""
    import socket  # noqa: PLC0415
    import time  # noqa: PLC0415

    import httpx  # noqa: PLC0415

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PAIWEI_DATABASE_URL": f"sqlite:///{tmp_path}/serve.sqlite3",
           "PAIWEI_LOGIN_IP_MAX_FAILURES": "2", "PAIWEI_COOKIE_SECURE": "false",
           "PAIWEI_SCRYPT_LOG2_N": "10", "PAIWEI_ENVIRONMENT": "test"}
    server = subprocess.Popen([str(Path(sys.executable).with_name("paiwei")), "serve", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api"
    try:
        for _ in range(300):  # bounded wait for start-up (migrations first)
            try:
                httpx.get(f"{base}/enumerations/districts", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        codes = []
        for i in range(4):
            captcha_id = httpx.post(f"{base}/captchas", timeout=5).json()["captcha_id"]
            answer = captcha.answer_for(Settings(), captcha_id)
            response = httpx.post(f"{base}/accounts/login", timeout=10,
                                  headers={"X-Forwarded-For": f"203.0.113.{i}"},
                                  json={"login": "nobody", "password": "Wrong-pass1",
                                        "captcha_id": captcha_id, "captcha_answer": answer})
            codes.append(response.json()["code"])
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert codes == ["login_failed", "login_failed", "ip_throttled", "ip_throttled"]
