"""Manual §六 (忘记密码) and §七 (修改密码, 撤销账号), login, lockout, sessions and CSRF."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from paiwei.intake.models import Applicant
from tests.integration.intake.helpers import PARENT_PASSWORD, Intake, child_id

MOBILE = "13900000001"


def _code(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    return str(response.json().get("code", ""))


def _registered(intake: Intake) -> str:
    response = intake.register(1)
    assert response.status_code == 201, response.text
    return str(response.json()["account_no"])


def test_login_with_account_number_or_child_id_number(intake: Intake) -> None:
    account = _registered(intake)
    response = intake.login(account)
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "parent"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert intake.client.get("/api/accounts/me").json()["login"] == account
    intake.logout()
    assert intake.login(child_id(1)).status_code == 200


def test_login_needs_the_image_captcha(intake: Intake) -> None:
    account = _registered(intake)
    body = {"login": account, "password": PARENT_PASSWORD, "captcha_id": intake.captcha()["captcha_id"],
            "captcha_answer": "0000"}
    assert _code(intake.client.post("/api/accounts/login", json=body), 422) == "captcha_invalid"


def test_wrong_password_is_refused(intake: Intake) -> None:
    account = _registered(intake)
    assert _code(intake.login(account, "Wrong-pass1"), 401) == "login_failed"
    assert _code(intake.login("99999999", "Wrong-pass1"), 401) == "login_failed"


def test_account_locks_after_repeated_failures_then_unlocks(intake: Intake) -> None:
    account = _registered(intake)
    for _ in range(4):
        assert _code(intake.login(account, "Wrong-pass1"), 401) == "login_failed"
    assert _code(intake.login(account, "Wrong-pass1"), 429) == "account_locked"
    # Even the right password is refused while locked.
    assert _code(intake.login(account), 429) == "account_locked"
    intake.clock.advance(901)
    assert intake.login(account).status_code == 200


def test_state_changing_requests_need_the_csrf_token(intake: Intake) -> None:
    _registered(intake)
    intake.login(child_id(1))
    token = intake.client.headers.pop("X-CSRF-Token")
    response = intake.client.post("/api/accounts/me/sms-codes", json={"purpose": "change_password"})
    assert _code(response, 403) == "csrf_failed"
    intake.client.headers["X-CSRF-Token"] = token
    assert intake.client.post("/api/accounts/me/sms-codes", json={"purpose": "change_password"}).status_code == 202


def _reset_code(intake: Intake, login: str, mobile: str = MOBILE) -> Any:
    return intake.client.post("/api/accounts/password-reset/code", json={"login": login, "mobile": mobile})


def _reset(intake: Intake, login: str, code: str, *, captcha: dict[str, str] | None = None,
           password: str = "Newpass99") -> Any:  # noqa: S107
    return intake.client.post("/api/accounts/password-reset", json={
        "login": login, "mobile": MOBILE, "sms_code": code, **(captcha or intake.captcha()),
        "new_password": password, "new_password_confirm": password})


def test_forgot_rule1_account_number_or_id_number_with_registered_mobile(intake: Intake) -> None:
    account = _registered(intake)
    assert _code(_reset_code(intake, account, "13700000000"), 422) == "reset_mismatch"
    assert _reset_code(intake, child_id(1)).status_code == 202
    assert _reset(intake, account, intake.last_code(MOBILE)).status_code == 200
    assert _code(intake.login(account), 401) == "login_failed"
    assert intake.login(account, "Newpass99").status_code == 200


def test_forgot_rule2_image_captcha_must_match(intake: Intake) -> None:
    account = _registered(intake)
    assert _reset_code(intake, account).status_code == 202
    captcha = intake.captcha()
    response = _reset(intake, account, intake.last_code(MOBILE),
                      captcha={"captcha_id": captcha["captcha_id"], "captcha_answer": "ZZZZ"})
    assert _code(response, 422) == "captcha_invalid"
    assert intake.login(account).status_code == 200  # password unchanged


def test_forgot_rule3_sms_code_must_match(intake: Intake) -> None:
    account = _registered(intake)
    assert _reset_code(intake, account).status_code == 202
    wrong = f"{(int(intake.last_code(MOBILE)) + 1) % 10**6:06d}"
    assert _code(_reset(intake, account, wrong), 422) == "sms_code_invalid"
    assert intake.login(account).status_code == 200


def test_change_password_needs_sms_code_and_180_second_wait(intake: Intake) -> None:
    account = _registered(intake)
    intake.login(account)
    assert intake.client.post("/api/accounts/me/sms-codes", json={"purpose": "change_password"}).status_code == 202
    intake.clock.advance(179)
    again = intake.client.post("/api/accounts/me/sms-codes", json={"purpose": "change_password"})
    assert _code(again, 429) == "sms_resend_too_soon"
    code = intake.last_code(MOBILE)
    mismatch = intake.client.post("/api/accounts/me/password", json={
        "new_password": "Changed99", "new_password_confirm": "Changed98", "sms_code": code})
    assert _code(mismatch, 422) == "password_mismatch"
    weak = intake.client.post("/api/accounts/me/password", json={
        "new_password": "changed99", "new_password_confirm": "changed99", "sms_code": code})
    assert _code(weak, 422) == "password_policy"
    ok = intake.client.post("/api/accounts/me/password", json={
        "new_password": "Changed99", "new_password_confirm": "Changed99", "sms_code": code})
    assert ok.status_code == 200 and ok.json()["message"] == "密码修改成功"
    intake.logout()
    assert intake.login(account, "Changed99").status_code == 200


def test_cancelled_account_cannot_log_in_and_records_stay(intake: Intake) -> None:
    account = _registered(intake)
    intake.login(account)
    assert intake.client.post("/api/accounts/me/sms-codes", json={"purpose": "cancel_account"}).status_code == 202
    bad = intake.client.post("/api/accounts/me/cancel", json={"sms_code": "000000"})
    assert _code(bad, 422) == "sms_code_invalid"
    ok = intake.client.post("/api/accounts/me/cancel", json={"sms_code": intake.last_code(MOBILE)})
    assert ok.status_code == 200 and ok.json()["message"] == "撤销成功"
    # The old session is gone too.
    assert _code(intake.client.get("/api/accounts/me"), 401) == "not_authenticated"
    intake.logout()
    assert _code(intake.login(account), 403) == "account_cancelled"
    with intake.sessions() as s:
        applicant = s.scalars(select(Applicant)).one()
        assert applicant.child_id_number == child_id(1)  # kept for audit
    # The child may register again.
    assert intake.register(1).status_code == 201


def test_csrf_token_accepted_as_a_form_field(intake: Intake) -> None:
    _registered(intake)
    intake.login(child_id(1))
    token = intake.client.headers.pop("X-CSRF-Token")
    forged = intake.client.post("/api/accounts/logout", data={"csrf_token": "forged"})
    assert _code(forged, 403) == "csrf_failed"
    assert intake.client.post("/api/accounts/logout", data={"csrf_token": token}).status_code == 204
    assert _code(intake.client.get("/api/accounts/me"), 401) == "not_authenticated"


def test_client_address_is_slowed_down_after_many_failures(intake: Intake) -> None:
    account = _registered(intake)
    settings = intake.client.app.state.settings  # type: ignore[attr-defined]
    intake.client.app.state.settings = settings.model_copy(  # type: ignore[attr-defined]
        update={"login_ip_max_failures": 3, "login_max_failures": 100})
    for n in range(3):
        assert _code(intake.login(f"0000000{n}", "Wrong-pass1"), 401) == "login_failed"
    assert _code(intake.login(account), 429) == "ip_throttled"
    intake.clock.advance(901)
    assert intake.login(account).status_code == 200
