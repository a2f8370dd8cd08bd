"""SMS verification codes: 6 digits, 5 minutes, single use, 180 s apart, capped per day.

Rate limits live in the database (the ``sms_codes`` rows themselves), not in process
memory: they must hold across several worker processes and across restarts, and the
rows are needed anyway to check the codes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from paiwei.intake.errors import IntakeError
from paiwei.settings import Settings
from paiwei.sms.models import SmsCode, SmsOutbox
from paiwei.sms.sender import SmsSender

MAX_FAILED_ATTEMPTS = 5
PURPOSES = frozenset({"register", "reset_password", "change_password", "cancel_account"})
PURPOSE_TEXT = {
    "register": "注册",
    "reset_password": "找回密码",
    "change_password": "修改密码",
    "cancel_account": "撤销账号",
}


def outbox(*, db_session: Session, limit: int) -> list[SmsOutbox]:
    """The latest outbox messages, newest first (staff, demo)."""
    return list(db_session.scalars(select(SmsOutbox).order_by(SmsOutbox.id.desc()).limit(limit)))


def _hash(mobile: str, purpose: str, code: str) -> str:
    return hashlib.sha256(f"{mobile}|{purpose}|{code}".encode()).hexdigest()


def issue_code(*, db_session: Session, settings: Settings, sender: SmsSender, mobile: str,
               purpose: str, now: datetime) -> None:
    """Create a code and hand it to the sender. Does not commit (part of a use case).

    Raises ``IntakeError`` ``sms_resend_too_soon`` within 180 s of the last code for this
    number and purpose, ``sms_daily_cap`` past the daily cap for the number.
    """
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    last = db_session.scalar(
        select(func.max(SmsCode.created_at)).where(SmsCode.mobile == mobile, SmsCode.purpose == purpose)
    )
    if last is not None:
        if last.tzinfo is None:  # aggregate results bypass the column type on SQLite
            last = last.replace(tzinfo=now.tzinfo)
        if now - last < timedelta(seconds=settings.sms_resend_seconds):
            raise IntakeError("sms_resend_too_soon")
    today = db_session.scalar(
        select(func.count()).select_from(SmsCode).where(
            SmsCode.mobile == mobile, SmsCode.created_at > now - timedelta(days=1)
        )
    )
    if (today or 0) >= settings.sms_daily_cap:
        raise IntakeError("sms_daily_cap")
    code = f"{secrets.randbelow(10**6):06d}"
    db_session.add(SmsCode(
        mobile=mobile, purpose=purpose, code_hash=_hash(mobile, purpose, code), created_at=now,
        failed_attempts=0,
        expires_at=now + timedelta(seconds=settings.sms_code_ttl_seconds),
    ))
    body = f"【北京市义务教育入学服务平台】您的{PURPOSE_TEXT[purpose]}验证码为{code}，5分钟内有效，请勿泄露。"
    sender.send(db_session=db_session, mobile=mobile, body=body, now=now)


def consume_code(*, db_session: Session, mobile: str, purpose: str, code: str | None,
                 now: datetime) -> None:
    """Check and consume a code (single use, even under concurrent requests).

    A wrong code counts against every live code for the number and purpose; after five
    wrong codes they are dead (no guessing a million codes). That count is committed at
    once, so call this before the use case's own writes. Otherwise does not commit.
    Raises ``IntakeError('sms_code_invalid')``.
    """
    if not code or len(code) != 6 or not code.isdigit():
        raise IntakeError("sms_code_invalid", field="sms_code")
    wanted = _hash(mobile, purpose, code)
    candidates = db_session.scalars(
        select(SmsCode).where(
            SmsCode.mobile == mobile, SmsCode.purpose == purpose,
            SmsCode.consumed_at.is_(None), SmsCode.expires_at > now, SmsCode.created_at <= now,
            SmsCode.failed_attempts < MAX_FAILED_ATTEMPTS,
        )
    ).all()
    match = next((c for c in candidates if hmac.compare_digest(c.code_hash, wanted)), None)
    if match is None:
        if candidates:
            db_session.execute(
                update(SmsCode).where(SmsCode.id.in_([c.id for c in candidates]))
                .values(failed_attempts=SmsCode.failed_attempts + 1)
                .execution_options(synchronize_session=False)
            )
            db_session.commit()
        raise IntakeError("sms_code_invalid", field="sms_code")
    claimed = db_session.execute(
        update(SmsCode).where(SmsCode.id == match.id, SmsCode.consumed_at.is_(None))
        .values(consumed_at=now).execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise IntakeError("sms_code_invalid", field="sms_code")
