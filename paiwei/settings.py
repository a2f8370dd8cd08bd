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

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-not-for-production"  # noqa: S105 - refused in production

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

    # Server secret for keyed hashes (HMAC-SHA256) of SMS codes and captcha answers, so a
    # reader of the database cannot invert them. Production refuses the development value.
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)

    # Serving: worker processes (uvicorn), and per process the threads that run sync
    # routes; the database pool holds one connection per thread so that no request waits
    # on the pool while holding another (the results-day wedge).
    workers: int | None = None  # None: one per CPU on PostgreSQL, one on SQLite
    threads: int = 40
    database_pool_overflow: int = 10
    database_pool_timeout_seconds: float = 10.0
    # The parents' result lookup answers from each process's memory (paiwei.rounds.result_cache):
    # a publication by another process is seen within this many seconds; at most this many
    # answers are kept per process (beyond that they are served without being kept).
    results_cache_seconds: float = 1.0
    results_cache_entries: int = 200_000
    # Fill the results cache in one read at start-up and at each publication (results day).
    results_cache_warm: bool = True

    # Request bodies larger than this are refused with 413 before they are read whole.
    max_body_bytes: int = 64 * 1024
    max_upload_bytes: int = 10 * 1024 * 1024  # school plan uploads (CSV/XLSX)

    # Proxies whose X-Forwarded-For is believed (exact addresses). Default: none.
    trusted_proxies: frozenset[str] = frozenset()

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

    # Printed reports: the collection form's QR code leads to
    # {public_base_url}/verify/collection-form?no=…&code=… (reports.collection_form).
    public_base_url: str = "http://127.0.0.1:8000"

    @model_validator(mode="after")
    def _production_is_configured(self) -> Settings:
        if self.environment == "production":
            if self.secret_key.get_secret_value() == DEVELOPMENT_SECRET or \
                    len(self.secret_key.get_secret_value()) < 32:
                raise ValueError("production needs PAIWEI_SECRET_KEY (32 characters or more)")
            if self.sms_backend == "outbox":
                raise ValueError("production needs an SMS gateway (PAIWEI_SMS_BACKEND=http): "
                                 "the outbox is a development backend")
            if not self.cookie_secure:
                raise ValueError("production needs secure cookies (PAIWEI_COOKIE_SECURE=true)")
        return self

    def account_prefix(self, now: datetime) -> str:
        year = self.intake_year if self.intake_year is not None else now.year
        return f"{year % 100:02d}"
