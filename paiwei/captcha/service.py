"""Captcha use cases. ``check`` is called inside other use cases' transactions.

The answer is never stored: it is derived from the captcha's random id with HMAC under the
server secret (``PAIWEI_SECRET_KEY``), so a reader of the database, or of a backup, cannot
read answers, and the image is drawn from the same derivation when it is asked for.
"""

from __future__ import annotations

import hashlib
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


def answer_for(settings: Settings, captcha_id: str) -> str:
    """The answer of a captcha: HMAC-SHA256 of its id under the server secret, read as
    ``captcha_length`` characters of the alphabet (the demo and tests read it the same way)."""
    digest = hmac.new(settings.secret_key.get_secret_value().encode(), b"captcha|" + captcha_id.encode(),
                      hashlib.sha256).digest()
    return "".join(ALPHABET[b % len(ALPHABET)] for b in digest[: settings.captcha_length])


def issue(*, db_session: Session, settings: Settings, now: datetime) -> IssuedCaptcha:
    """Create a captcha and commit it. The answer goes to the image, never to the client."""
    db_session.execute(delete(Captcha).where(Captcha.expires_at < now - timedelta(hours=1)))
    captcha_id = secrets.token_urlsafe(32)
    answer = answer_for(settings, captcha_id)
    row = Captcha(
        id=captcha_id,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.captcha_ttl_seconds),
    )
    db_session.add(row)
    db_session.commit()
    return IssuedCaptcha(id=row.id, answer=answer, expires_at=row.expires_at)


def render_png(*, db_session: Session, settings: Settings, captcha_id: str, now: datetime) -> bytes:
    """The image of a live captcha. Raises ``IntakeError('captcha_invalid')``."""
    row = db_session.get(Captcha, captcha_id)
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise IntakeError("captcha_invalid")
    return ImageCaptcha(width=160, height=60).generate(answer_for(settings, captcha_id)).getvalue()


def check(*, db_session: Session, settings: Settings, captcha_id: str | None, answer: str | None,
          now: datetime) -> None:
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
    expected = answer_for(settings, captcha_id)
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
