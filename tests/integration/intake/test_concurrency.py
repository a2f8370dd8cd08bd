"""Rules 3 and 5 under concurrent registrations (PostgreSQL, 50 parallel requests)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paiwei.accounts.models import User
from paiwei.captcha import service as captcha
from paiwei.db import make_engine, make_session_factory
from paiwei.intake import service as intake
from paiwei.intake.errors import IntakeError
from paiwei.intake.schemas import RegistrationCreate
from paiwei.settings import Settings
from tests.integration.intake.helpers import CHAOYANG, child_id

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("db_url", ["postgres"], indirect=True),
              pytest.mark.usefixtures("pg_serial")]

N = 50
T0 = datetime(2024, 5, 6, 1, 0, tzinfo=UTC)


class CapturingSender:
    def __init__(self) -> None:
        self.codes: dict[str, list[str]] = {}
        self.lock = threading.Lock()

    def send(self, *, db_session: Session, mobile: str, body: str, now: datetime) -> None:
        match = re.search(r"验证码为(\d{6})", body)
        if match:
            with self.lock:
                self.codes.setdefault(mobile, []).append(match.group(1))


def _race(settings: Settings, *, mobile_of: Callable[[int], str], id_of: Callable[[int], str],
          now_of: Callable[[int], datetime]) -> list[str]:
    """Prepare N complete registrations, then submit them all at once. Returns outcomes."""
    engine = make_engine(settings.database_url, pool_size=N + 5)
    sessions = make_session_factory(engine)
    sender = CapturingSender()
    bodies = []
    with sessions() as s:
        # Captchas newest first: issuing one purges captchas expired an hour before it.
        captchas = {i: captcha.issue(db_session=s, settings=settings, now=now_of(i) - timedelta(seconds=1))
                    for i in reversed(range(N))}
        for i in range(N):
            notice = intake.open_notice(db_session=s, district=CHAOYANG, now=T0 - timedelta(seconds=60))
            issued = captchas[i]
            intake.request_registration_code(db_session=s, settings=settings, sender=sender,
                                             mobile=mobile_of(i), now=now_of(i) - timedelta(seconds=1))
            bodies.append(RegistrationCreate(
                district=CHAOYANG, notice_token=notice.token, notice_agreed=True, privacy_agreed=True,
                child_nationality="CHN", hukou_province="13", residence_district=CHAOYANG,
                child_name="王小红", child_sex="M", child_birth_date="2018-03-01",
                child_id_type="resident_id", child_id_number=id_of(i), guardian_name="王大力",
                guardian_mobile=mobile_of(i), password="Abcdef12", password_confirm="Abcdef12",  # noqa: S106
                captcha_id=issued.id, captcha_answer=issued.answer,
                sms_code=sender.codes[mobile_of(i)][-1],
            ))
    barrier = threading.Barrier(N)

    def submit(i: int) -> str:
        with sessions() as s:
            barrier.wait()
            try:
                intake.register(db_session=s, settings=settings, sender=sender,
                                registration_in=bodies[i], now=now_of(i))
            except IntakeError as exc:
                return exc.code
            return "ok"

    try:
        with ThreadPoolExecutor(max_workers=N) as pool:
            return list(pool.map(submit, range(N)))
    finally:
        engine.dispose()


def test_rule3_one_account_per_id_number_under_50_parallel_registrations(settings: Settings) -> None:
    outcomes = _race(settings, mobile_of=lambda i: f"135{i:08d}", id_of=lambda i: child_id(7),
                     now_of=lambda i: T0)
    assert outcomes.count("ok") == 1
    assert set(outcomes) == {"ok", "id_already_registered"}


def test_rule5_three_accounts_per_mobile_under_50_parallel_registrations(settings: Settings) -> None:
    settings = settings.model_copy(update={"sms_daily_cap": N})
    # Codes for one number come 181 s apart; each registration is submitted at a moment
    # when its own code is live (the clock is per call, so no sleeping).
    outcomes = _race(settings, mobile_of=lambda i: "13600000000", id_of=child_id,
                     now_of=lambda i: T0 + timedelta(seconds=181 * i))
    assert outcomes.count("ok") == 3
    assert set(outcomes) == {"ok", "mobile_quota_exceeded"}
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.mobile == "13600000000")) == 3
    engine.dispose()
