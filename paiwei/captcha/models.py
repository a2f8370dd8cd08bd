from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from paiwei.db.base import Base


class Captcha(Base):
    __tablename__ = "captchas"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
