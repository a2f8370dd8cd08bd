from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from paiwei.db.base import Base


class SmsCode(Base):
    """A 6-digit code sent to a mobile number for one purpose; stored as a keyed hash."""

    __tablename__ = "sms_codes"
    __table_args__ = (Index("ix_sms_codes_mobile_purpose_created", "mobile", "purpose", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mobile: Mapped[str] = mapped_column(String(11))
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]
    failed_attempts: Mapped[int] = mapped_column(default=0)


class SmsCounter(Base):
    """Throttles of one number, changed only by conditional ``UPDATE``s so that they hold
    under concurrent requests: per purpose the time of the last code (180 s apart), and
    under purpose ``*`` the number of codes in the current 24-hour window (the daily cap)."""

    __tablename__ = "sms_counters"

    mobile: Mapped[str] = mapped_column(String(11), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_at: Mapped[datetime | None]
    window_start: Mapped[datetime | None]
    count: Mapped[int] = mapped_column(default=0)


class SmsOutbox(Base):
    """Messages to send. The outbox sender (development and demo only: production settings
    refuse it) stores them here; no route returns them."""

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    mobile: Mapped[str] = mapped_column(String(11), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="pending")
