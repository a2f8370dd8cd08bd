"""Captcha use cases. ``check`` is called inside other use cases' transactions."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from captcha.image import ImageCaptcha
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from paiwei.captcha.models import Captcha
from paiwei.intake.errors import IntakeError
from paiwei.settings import Settings

# No look-alikes (0/O, 1/I/L) so that parents can read them.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass(frozen=True, slots=True)
class IssuedCaptcha:
    id: str
    answer: str
    expires_at: datetime


def issue(*, db_session: Session, settings: Settings, now: datetime) -> IssuedCaptcha:
    """Create a captcha and commit it. The answer goes to the image, never to the client."""
    db_session.execute(delete(Captcha).where(Captcha.expires_at < now - timedelta(hours=1)))
    answer = "".join(secrets.choice(ALPHABET) for _ in range(settings.captcha_length))
    row = Captcha(
        id=secrets.token_urlsafe(32),
        answer=answer,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.captcha_ttl_seconds),
    )
    db_session.add(row)
    db_session.commit()
    return IssuedCaptcha(id=row.id, answer=answer, expires_at=row.expires_at)


def render_png(*, db_session: Session, captcha_id: str, now: datetime) -> bytes:
    """The image of a live captcha. Raises ``IntakeError('captcha_invalid')``."""
    row = db_session.get(Captcha, captcha_id)
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise IntakeError("captcha_invalid")
    return ImageCaptcha(width=160, height=60).generate(row.answer).getvalue()


def check(*, db_session: Session, captcha_id: str | None, answer: str | None, now: datetime) -> None:
    """Consume the captcha (whatever the answer: one guess per image) and compare.

    Call it first in a use case, before any other write: it commits the consumption at
    once, so that a wrong guess burns the image even though the use case then fails (the
    one deliberate second commit in a use case). The UPDATE ... WHERE used_at IS NULL makes
    the captcha single use under concurrent requests. Raises ``IntakeError('captcha_invalid')``.
    """
    if not captcha_id or not answer:
        raise IntakeError("captcha_invalid", field="captcha_answer")
    row = db_session.get(Captcha, captcha_id)
    if row is None:
        raise IntakeError("captcha_invalid", field="captcha_answer")
    expected = row.answer
    claimed = db_session.execute(
        update(Captcha)
        .where(Captcha.id == captcha_id, Captcha.used_at.is_(None), Captcha.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    ok = hmac.compare_digest(answer.strip().upper().encode(), expected.encode())
    db_session.commit()
    if claimed.rowcount != 1 or not ok:  # type: ignore[attr-defined]
        raise IntakeError("captcha_invalid", field="captcha_answer")
