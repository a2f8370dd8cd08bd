from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from paiwei.db.base import Base


class Role(StrEnum):
    PARENT = "parent"
    STREET_REVIEWER = "street_reviewer"
    DISTRICT_STAFF = "district_staff"
    NOTARY = "notary"
    AUDITOR = "auditor"


STAFF_ROLES = frozenset(Role) - {Role.PARENT}


class User(Base):
    """A login. Parents log in with their 8-digit account number, staff with a username."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[str] = mapped_column(String(24))
    password_hash: Mapped[str] = mapped_column(String(200))
    district: Mapped[str | None] = mapped_column(String(6))
    street: Mapped[str | None] = mapped_column(String(16))
    mobile: Mapped[str | None] = mapped_column(String(11), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]


class WebSession(Base):
    """A login session; the cookie holds a random token, the table its SHA-256."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """Failed logins by client address, for the per-IP slow-down."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(String(45), index=True)
    at: Mapped[datetime] = mapped_column(index=True)


class MobileQuota(Base):
    """How many live accounts a guardian mobile number holds (at most three).

    The conditional ``UPDATE ... SET used = used + 1 WHERE used < 3`` on this row is what
    keeps the limit under concurrent registrations: PostgreSQL re-checks the condition
    after waiting for the row lock.
    """

    __tablename__ = "mobile_quotas"
    __table_args__ = (CheckConstraint("used >= 0", name="used_non_negative"),)

    mobile: Mapped[str] = mapped_column(String(11), primary_key=True)
    used: Mapped[int] = mapped_column(default=0)
