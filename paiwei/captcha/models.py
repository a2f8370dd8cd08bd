from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from paiwei.db.base import Base


class Captcha(Base):
    __tablename__ = "captchas"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    # The answer is needed to render the image; it is not personal data and dies with
    # the row (expired or used).
    answer: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
