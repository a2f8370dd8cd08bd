"""One typed settings object, read from ``PAIWEI_*`` environment variables at start-up.

Build it with ``Settings()`` in an entry point (``paiwei serve``, a CLI command, a test
fixture), never at import time. The clock lives here too, as a plain callable, so that
tests of the 10-second notice, the 180-second SMS wait and the 5-minute code expiry pass a
fake clock instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Clock = Callable[[], datetime]
"""Returns the current time as an aware UTC datetime."""


def system_clock() -> datetime:
    return datetime.now(UTC)


class Settings(BaseSettings):
    """Everything the shell needs to run; every field has a ``PAIWEI_`` variable."""

    model_config = SettingsConfigDict(env_prefix="PAIWEI_", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite:///./var/paiwei.sqlite3"
    database_echo: bool = False

    # Password hashing: scrypt (RFC 7914) from the standard library. N=2**15, r=8 uses
    # 128*N*r = 32 MiB per hash, the OWASP-recommended minimum. Tests lower N to 2**10
    # (1 MiB, still memory-hard) through PAIWEI_SCRYPT_LOG2_N so the suite stays fast.
    scrypt_log2_n: int = 15
    scrypt_r: int = 8
    scrypt_p: int = 1

    # Registration rules (manual §一).
    notice_min_read_seconds: int = 10
    max_accounts_per_mobile: int = 3
    intake_year: int | None = None  # two-digit account prefix; default: the current year

    # SMS codes (manual §一 7, §六, §七): 6 digits, 5 minutes, single use, 180 s between
    # two codes for the same number and purpose, and a daily cap per number.
    sms_code_ttl_seconds: int = 300
    sms_resend_seconds: int = 180
    sms_daily_cap: int = 10
    sms_backend: Literal["outbox", "http"] = "outbox"
    sms_gateway_url: str | None = None
    sms_gateway_token: SecretStr | None = None
    sms_gateway_timeout_seconds: float = 5.0

    # Image captcha: single use, expires.
    captcha_ttl_seconds: int = 300
    captcha_length: int = 4

    # Login throttling (stored in the database so it holds across worker processes).
    login_max_failures: int = 5
    login_lockout_seconds: int = 900
    login_ip_max_failures: int = 50
    login_ip_window_seconds: int = 900

    # Web sessions.
    session_ttl_seconds: int = 4 * 3600
    session_cookie_name: str = "paiwei_session"
    cookie_secure: bool = True

    def account_prefix(self, now: datetime) -> str:
        year = self.intake_year if self.intake_year is not None else now.year
        return f"{year % 100:02d}"
