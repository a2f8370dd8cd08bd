"""The demo's parents and staff at the platform, through the HTTP API in-process.

A demo operator plays every part: the captcha answer is derived with the server secret
(as the server draws the image) and the SMS codes are read from the development outbox,
as the operator of a demo sees them; no other shortcut is taken. Every step is the API a browser would call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from paiwei.captcha.service import answer_for
from paiwei.demo.clock import DemoClock
from paiwei.intake.identity import gb11643_check_digit
from paiwei.sms.models import SmsOutbox

CSRF = "X-CSRF-Token"
_CODE = re.compile(r"验证码为(\d{6})")


class PortalError(Exception):
    """An API call answered other than expected: ``<method> <path>: <status> <problem code>``."""


@dataclass
class Login:
    """A logged-in browser's state: the session cookie and the CSRF token."""

    cookies: dict[str, str]
    csrf: str


@dataclass
class Portal:
    client: TestClient
    clock: DemoClock
    sessions: sessionmaker[Session]
    current: Login | None = field(default=None)

    # --- plumbing -----------------------------------------------------------------------

    def call(self, method: str, path: str, expect: int, json: Any = None) -> Any:
        response = self.client.request(method, path, json=json)
        if response.status_code != expect:
            try:
                problem = response.json()
                code = problem.get("code") or problem.get("title") or problem
                detail = problem.get("detail") or ""
            except ValueError:
                code, detail = response.text[:200], ""
            raise PortalError(f"{method} {path}: {response.status_code} {code} {detail}".rstrip())
        return response.json() if response.content else None

    def captcha(self) -> dict[str, str]:
        captcha_id = self.call("POST", "/api/captchas", 201)["captcha_id"]
        answer = answer_for(self.client.app.state.settings, captcha_id)  # type: ignore[attr-defined]
        return {"captcha_id": captcha_id, "captcha_answer": answer}

    def sms_code(self, mobile: str) -> str:
        with self.sessions() as s:
            body = s.scalars(select(SmsOutbox.body).where(SmsOutbox.mobile == mobile)
                             .order_by(SmsOutbox.id.desc())).first()
        match = _CODE.search(body or "")
        if match is None:
            raise PortalError("no SMS code in the outbox")
        return match.group(1)

    def login(self, login: str, password: str) -> Login:
        self.logout()
        body = self.call("POST", "/api/accounts/login", 200,
                         {"login": login, "password": password, **self.captcha()})
        self.client.headers[CSRF] = body["csrf_token"]
        self.current = Login(dict(self.client.cookies.items()), body["csrf_token"])
        return self.current

    def resume(self, state: Login) -> None:
        """Back in a browser that is still logged in (its session has not expired)."""
        self.client.cookies.clear()
        for name, value in state.cookies.items():
            self.client.cookies.set(name, value)
        self.client.headers[CSRF] = state.csrf
        self.current = state

    def logout(self) -> None:
        self.client.cookies.clear()
        self.client.headers.pop(CSRF, None)
        self.current = None

    # --- the parent's path ----------------------------------------------------------------

    def register(self, form: Mapping[str, Any]) -> str:
        """Notice (read for the required seconds), SMS code, captcha, submit. Returns the
        account number (also sent by SMS)."""
        self.logout()
        notice = self.call("POST", "/api/intake/notices", 201, {"district": form["district"]})
        self.clock.advance(11)  # the notice stays on screen for at least 10 s
        self.call("POST", "/api/sms/register-codes", 202, {"mobile": form["guardian_mobile"]})
        body = {**form, "notice_token": notice["notice_token"],
                "sms_code": self.sms_code(form["guardian_mobile"]), **self.captcha()}
        account: str = self.call("POST", "/api/intake/registrations", 201, body)["account_no"]
        self.clock.advance(5)
        return account

    def submit_details(self, details: Mapping[str, Any]) -> None:
        self.call("PUT", "/api/intake/me/details", 200, details)

    def options(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", "/api/choices/me", 200)
        return result

    def choose(self, kind: str, schools: list[str]) -> dict[str, Any]:
        result: dict[str, Any] = self.call("POST", f"/api/choices/me/{kind}", 201, {"schools": schools})
        return result

    def my_result(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", "/api/results/me", 200)
        return result

    # --- staff ------------------------------------------------------------------------------

    def review_queue(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call("GET", "/api/review/applicants", 200)
        return result

    def approve_materials(self, pseudonym: str) -> None:
        self.call("POST", f"/api/review/applicants/{pseudonym}/material-approval", 200)

    def verify_identity(self, pseudonym: str) -> None:
        self.call("POST", f"/api/review/applicants/{pseudonym}/verification", 200)

    def record_routing(self, pseudonym: str, year: int, stage: str, record: dict[str, Any]) -> bool:
        """District staff record the routing record; the applicant is routed at once."""
        body = self.call("PUT", f"/api/routes/{pseudonym}/record", 200,
                         json={"year": year, "stage": stage, "record": record})
        return bool(body["routed"])


def resident_id(birth: date, sex: str, order: int, region: str) -> str:
    """A GB 11643 number with a correct check digit (odd 17th digit: male)."""
    seq = order * 2 + (1 if sex == "M" else 2)
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + gb11643_check_digit(body)
