"""Test helpers for the intake: a fake clock, valid ID numbers, a registration driver."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from paiwei.accounts.models import Role
from paiwei.accounts.service import create_staff
from paiwei.captcha.service import answer_for
from paiwei.intake.identity import gb11643_check_digit
from paiwei.settings import Settings
from paiwei.sms.models import SmsOutbox

CHAOYANG = "110105"
HAIDIAN = "110108"
STREET = "110105001"  # 建外街道
OTHER_STREET = "110105002"
STAFF_PASSWORD = "Staff-Passw0rd"  # noqa: S105 - test fixture
PARENT_PASSWORD = "Abcdef12"  # noqa: S105 - test fixture


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2024, 5, 6, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def resident_id(birth: date, sex: str, seq: int = 12, region: str = "110105") -> str:
    """A GB 11643 number with a correct check digit; odd 17th digit = male."""
    order = seq * 10 + (1 if sex == "M" else 2) if seq < 100 else seq
    body = f"{region}{birth:%Y%m%d}{order % 1000:03d}"
    return body + gb11643_check_digit(body)


def child_id(n: int, sex: str = "M") -> str:
    return resident_id(date(2018, 3, 1), sex, seq=n % 100)


@dataclass
class Intake:
    """Drives the registration flow through the API, reading captcha/SMS like a parent."""

    client: TestClient
    clock: FakeClock
    sessions: sessionmaker[Session]
    mobiles: list[str] = field(default_factory=list)

    def captcha(self) -> dict[str, str]:
        response = self.client.post("/api/captchas")
        assert response.status_code == 201, response.text
        captcha_id = response.json()["captcha_id"]
        answer = answer_for(self.client.app.state.settings, captcha_id)  # type: ignore[attr-defined]
        return {"captcha_id": captcha_id, "captcha_answer": answer}

    def last_sms(self, mobile: str) -> str:
        with self.sessions() as s:
            body = s.scalars(select(SmsOutbox.body).where(SmsOutbox.mobile == mobile)
                             .order_by(SmsOutbox.id.desc())).first()
        assert body is not None
        return body

    def last_code(self, mobile: str) -> str:
        match = re.search(r"验证码为(\d{6})", self.last_sms(mobile))
        assert match is not None
        return match.group(1)

    def sms_code(self, mobile: str) -> str:
        response = self.client.post("/api/sms/register-codes", json={"mobile": mobile})
        assert response.status_code == 202, response.text
        return self.last_code(mobile)

    def notice(self, district: str = CHAOYANG, wait: float = 11) -> str:
        response = self.client.post("/api/intake/notices", json={"district": district})
        assert response.status_code == 201, response.text
        self.clock.advance(wait)
        return str(response.json()["notice_token"])

    def payload(self, n: int = 1, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "district": CHAOYANG,
            "notice_agreed": True,
            "privacy_agreed": True,
            "child_nationality": "CHN",
            "hukou_province": "13",
            "residence_district": CHAOYANG,
            "child_name": "张小明",
            "child_sex": "M",
            "child_birth_date": "2018-03-01",
            "child_id_type": "resident_id",
            "child_id_number": child_id(n),
            "guardian_name": "张大山",
            "guardian_mobile": f"139{n:08d}",
            "password": PARENT_PASSWORD,
            "password_confirm": PARENT_PASSWORD,
        }
        body.update(overrides)
        return body

    def register(self, n: int = 1, *, advance: float = 181, **overrides: Any) -> Any:
        """Full flow: notice (waits 11 s), SMS code, captcha, submit. Returns the response."""
        body = self.payload(n, **overrides)
        if "notice_token" not in body:
            body["notice_token"] = self.notice(body["district"])
        if "sms_code" not in body:
            body["sms_code"] = self.sms_code(body["guardian_mobile"])
        if "captcha_id" not in body:
            body.update(self.captcha())
        response = self.client.post("/api/intake/registrations", json=body)
        self.clock.advance(advance)  # past the 180 s wait for the next code
        return response

    def login(self, login: str, password: str = PARENT_PASSWORD) -> Any:
        response = self.client.post("/api/accounts/login",
                                    json={"login": login, "password": password, **self.captcha()})
        if response.status_code == 200:
            self.client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return response

    def logout(self) -> None:
        self.client.cookies.clear()
        self.client.headers.pop("X-CSRF-Token", None)


def details(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "child": {"hukou_address": "河北省保定市某路1号", "hukou_type": "family_rural",
                  "ethnicity": "01", "address": "北京市朝阳区建外街道某小区2号楼"},
        "residence": {"district": CHAOYANG, "street": STREET,
                      "address": "北京市朝阳区建外街道某小区2号楼301", "dwelling_type": "rented",
                      "rental": {"start_date": "2020-01-01", "continuous": True, "sole_tenancy": True,
                                 "registration_no": "ZL2021-0001", "registration_date": "2021-04-01"}},
        "guardians": [{
            "name": "张大山", "relation": "father", "nationality": "CHN", "hukou_province": "13",
            "id_type": "resident_id", "id_number": resident_id(date(1988, 6, 1), "M", 31, "130602"),
            "education": "bachelor", "phone": "13900000001", "work_nature": "employed",
            "employer": "某某科技有限公司", "employer_district": CHAOYANG,
            "social_insurance_months": 36, "employment_start": "2019-03-01", "labour_contract": True,
            "social_insurance_district": CHAOYANG,
        }],
        "family_property": "none",
        "categories": [],
    }
    body.update(overrides)
    return body


def make_staff(sessions: sessionmaker[Session], clock: FakeClock, username: str, role: str, *,
               district: str | None = CHAOYANG, street: str | None = None) -> None:
    settings = Settings(database_url="sqlite://", scrypt_log2_n=10)
    with sessions() as s:
        create_staff(db_session=s, settings=settings, username=username, role=Role(role),
                     password=STAFF_PASSWORD, district=district, street=street, now=clock())
