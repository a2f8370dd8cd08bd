"""SMS verification codes: 6 digits, 5 minutes, single use, 180 s apart, capped per day.

Rate limits live in the database (``sms_counters`` for sending, ``sms_codes`` for tries),
not in process memory: they must hold across several worker processes and across
restarts. Every limit is taken by a conditional UPDATE before the work it limits, so that
concurrent requests cannot all pass one check. Codes are stored as HMACs under the
server secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import case, literal, or_, update
from sqlalchemy.orm import Session

from paiwei.db.base import UTCDateTime
from paiwei.intake.errors import IntakeError
from paiwei.settings import Settings
from paiwei.sms.models import SmsCode, SmsCounter
from paiwei.sms.sender import SmsSender

MAX_FAILED_ATTEMPTS = 5
ALL = "*"  # the counter row of the daily cap, over every purpose
PURPOSES = frozenset({"register", "reset_password", "change_password", "cancel_account"})
PURPOSE_TEXT = {
    "register": "注册",
    "reset_password": "找回密码",
    "change_password": "修改密码",
    "cancel_account": "撤销账号",
}


def _hash(settings: Settings, mobile: str, purpose: str, code: str) -> str:
    """Keyed (HMAC-SHA256 under the server secret): a million codes per number are easy to
    try against a plain hash, impossible without the key."""
    return hmac.new(settings.secret_key.get_secret_value().encode(),
                    f"{mobile}|{purpose}|{code}".encode(), hashlib.sha256).hexdigest()


def issue_code(*, db_session: Session, settings: Settings, sender: SmsSender, mobile: str,
               purpose: str, now: datetime) -> None:
    """Create a code and hand it to the sender. Does not commit (part of a use case).

    Raises ``IntakeError`` ``sms_resend_too_soon`` within 180 s of the last code for this
    number and purpose, ``sms_daily_cap`` past the daily cap for the number.
    """
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    _reserve_send(db_session, settings, mobile, purpose, now)
    code = f"{secrets.randbelow(10**6):06d}"
    db_session.add(SmsCode(
        mobile=mobile, purpose=purpose, code_hash=_hash(settings, mobile, purpose, code), created_at=now,
        failed_attempts=0,
        expires_at=now + timedelta(seconds=settings.sms_code_ttl_seconds),
    ))
    body = f"【北京市义务教育入学服务平台】您的{PURPOSE_TEXT[purpose]}验证码为{code}，5分钟内有效，请勿泄露。"
    sender.send(db_session=db_session, mobile=mobile, body=body, now=now)


def _ensure_counters(db_session: Session, mobile: str, purpose: str) -> None:
    rows = [{"mobile": mobile, "purpose": purpose, "count": 0}, {"mobile": mobile, "purpose": ALL, "count": 0}]
    if db_session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert  # noqa: PLC0415
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]  # noqa: PLC0415
    db_session.execute(insert(SmsCounter).values(rows).on_conflict_do_nothing())


def _reserve_send(db_session: Session, settings: Settings, mobile: str, purpose: str,
                  now: datetime) -> None:
    """Claim the right to send: two conditional UPDATEs, each atomic on its row, so that
    concurrent requests cannot all pass a check made before any of them wrote."""
    _ensure_counters(db_session, mobile, purpose)
    at = literal(now, UTCDateTime())
    resend = db_session.execute(
        update(SmsCounter).where(
            SmsCounter.mobile == mobile, SmsCounter.purpose == purpose,
            or_(SmsCounter.last_at.is_(None),
                SmsCounter.last_at <= now - timedelta(seconds=settings.sms_resend_seconds)))
        .values(last_at=at).execution_options(synchronize_session=False))
    if resend.rowcount != 1:  # type: ignore[attr-defined]
        raise IntakeError("sms_resend_too_soon")
    day_ago = now - timedelta(days=1)
    expired = or_(SmsCounter.window_start.is_(None), SmsCounter.window_start <= day_ago)
    capped = db_session.execute(
        update(SmsCounter).where(SmsCounter.mobile == mobile, SmsCounter.purpose == ALL,
                                 or_(expired, SmsCounter.count < settings.sms_daily_cap))
        .values(count=case((expired, 1), else_=SmsCounter.count + 1),
                window_start=case((expired, at), else_=SmsCounter.window_start))
        .execution_options(synchronize_session=False))
    if capped.rowcount != 1:  # type: ignore[attr-defined]
        raise IntakeError("sms_daily_cap")


def consume_code(*, db_session: Session, settings: Settings, mobile: str, purpose: str,
                 code: str | None, now: datetime) -> None:
    """Check and consume a code (single use, even under concurrent requests).

    A wrong code counts against every live code for the number and purpose; after five
    wrong codes they are dead (no guessing a million codes). That count is committed at
    once, so call this before the use case's own writes. Otherwise does not commit.
    Raises ``IntakeError('sms_code_invalid')``.
    """
    if not code or len(code) != 6 or not code.isdigit():
        raise IntakeError("sms_code_invalid", field="sms_code")
    wanted = _hash(settings, mobile, purpose, code)
    # Each guess first takes one of the five tries of every live code (one atomic UPDATE,
    # committed at once), and only then is compared: concurrent guesses cannot all be
    # checked against a count read before any of them was counted.
    tried = db_session.execute(
        update(SmsCode).where(
            SmsCode.mobile == mobile, SmsCode.purpose == purpose,
            SmsCode.consumed_at.is_(None), SmsCode.expires_at > now, SmsCode.created_at <= now,
            SmsCode.failed_attempts < MAX_FAILED_ATTEMPTS,
        ).values(failed_attempts=SmsCode.failed_attempts + 1)
        .returning(SmsCode.id, SmsCode.code_hash).execution_options(synchronize_session=False)
    ).all()
    db_session.commit()
    match = next((c for c in tried if hmac.compare_digest(c.code_hash, wanted)), None)
    if match is None:
        raise IntakeError("sms_code_invalid", field="sms_code")
    claimed = db_session.execute(
        update(SmsCode).where(SmsCode.id == match.id, SmsCode.consumed_at.is_(None))
        .values(consumed_at=now).execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise IntakeError("sms_code_invalid", field="sms_code")
