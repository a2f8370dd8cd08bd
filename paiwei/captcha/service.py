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
from PIL import Image, ImageDraw
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from paiwei.captcha.models import Captcha
from paiwei.intake.errors import IntakeError
from paiwei.settings import Settings

# No look-alikes, so that parents can read them: 0/O/Q/D-shapes keep only D, 1/I/L/J-shapes
# keep only J, and V/W (two Vs read as W), 7/T, 5/S, 8/B, 6/G, 2/Z lose one side each.
ALPHABET = "2345689ACDEFHJKMNPRUXY"
PADDING = 6  # transparent pixels around each glyph after rotation: nothing is clipped


class ReadableCaptcha(ImageCaptcha):
    """The ``captcha`` package's image, with every character drawn whole.

    The upstream glyph is rotated by up to 30 degrees, then warped onto a canvas the size
    of the unrotated glyph, which cuts its corners off; glyphs also overlap and the string
    is squeezed when it is wider than the image. Here a glyph is rotated by at most 10
    degrees onto an expanded canvas with a transparent margin and never warped, characters
    do not overlap, and the image is wide enough for four of them.
    """

    character_rotate = (-10, 10)
    word_space_probability = 1.0  # never insert a space
    word_offset_dx = 0.0  # no overlap between neighbours

    def __init__(self) -> None:
        super().__init__(width=200, height=70, font_sizes=(40, 44))

    def _draw_character(self, c: str, draw: ImageDraw.ImageDraw,
                        color: tuple[int, ...]) -> Image.Image:
        font = secrets.choice(self.truefonts)
        _, _, w, h = draw.multiline_textbbox((1, 1), c, font=font)
        im = Image.new("RGBA", (int(w) + 2, int(h) + 2))
        ImageDraw.Draw(im).text((1, 1), c, font=font, fill=color)
        box = im.getbbox()
        if box is None:  # a space
            return im
        im = im.crop(box)
        lo, hi = self.character_rotate
        im = im.rotate(lo + secrets.randbelow(hi - lo + 1), Image.Resampling.BILINEAR, expand=True)
        framed = Image.new("RGBA", (im.width + 2 * PADDING, im.height + 2 * PADDING))
        framed.paste(im, (PADDING, PADDING))
        return framed

    def png(self, answer: str) -> bytes:
        """The PNG of ``answer``: dark ink on a light background (contrast above 4.5:1)."""
        ink = (secrets.randbelow(70), secrets.randbelow(70), 40 + secrets.randbelow(80), 255)
        return self.generate(answer, bg_color=(250, 250, 245), fg_color=ink).getvalue()


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
    return ReadableCaptcha().png(answer_for(settings, captcha_id))


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
