"""The application windows table: one row per district, year and kind of choice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from paiwei.db.base import Base


class ApplicationWindow(Base):
    """``[opens_at, closes_at)`` in UTC. ``closes_at`` only ever moves later (extensions,
    each with its reason in the audit log), and only while the window is open."""

    __tablename__ = "application_windows"
    __table_args__ = (
        UniqueConstraint("district", "year", "kind", name="uq_application_windows_district_year_kind"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opens"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district: Mapped[str] = mapped_column(String(6))
    year: Mapped[int]
    kind: Mapped[str] = mapped_column(String(32))  # "<stage>.<list>", e.g. primary.private_boarding
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    scheduled_closes_at: Mapped[datetime]  # as published, before any extension
    policy: Mapped[str] = mapped_column(String(64))  # allocation/policies/<policy>.toml
    section: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200))  # the timetable line
    reading: Mapped[str | None] = mapped_column(Text)
