"""Account use cases: login and sessions, forgotten password, change, cancellation.

Login throttling is stored in the database (a failure counter and lock-out time on the
user row, failed attempts per client address in ``login_attempts``): limits must hold
across uvicorn workers and restarts, and a process-local limiter would reset with each.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, literal, or_, select, update
from sqlalchemy.orm import Session

from paiwei.accounts.models import LoginAttempt, MobileQuota, Role, User, WebSession
from paiwei.accounts.passwords import (
    DUMMY_HASH_PASSWORD,
    check_policy,
    hash_password,
    verify_password,
)
from paiwei.audit import service as audit
from paiwei.captcha import service as captcha
from paiwei.db.base import UTCDateTime
from paiwei.intake import identity
from paiwei.intake.errors import IntakeError
from paiwei.intake.models import Applicant
from paiwei.settings import Settings
from paiwei.sms import service as sms
from paiwei.sms.sender import SmsSender

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AuthUser:
    """The authenticated principal of a request (a core value, not an ORM row)."""

    id: int
    login: str
    role: Role
    district: str | None
    street: str | None
    csrf_token: str
    session_id: str


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str
    csrf_token: str
    role: Role
    expires_at: datetime


def _hash_pw(settings: Settings, password: str) -> str:
    return hash_password(password, log2_n=settings.scrypt_log2_n, r=settings.scrypt_r,
                         p=settings.scrypt_p)


def find_user(*, db_session: Session, login: str) -> User | None:
    """By account number / username, else by the child's ID number (manual §六 1)."""
    user = db_session.scalar(select(User).where(User.login == login))
    if user is not None:
        return user
    number = identity.normalise("", login)
    return db_session.scalar(
        select(User).join(Applicant, Applicant.user_id == User.id).where(
            Applicant.child_id_number == number, Applicant.child_id_key.is_not(None)
        )
    )


def login(*, db_session: Session, settings: Settings, login: str, password: str,
          captcha_id: str, captcha_answer: str, ip: str, now: datetime) -> NewSession:
    """Check captcha, throttles and password; open a session.

    Raises ``IntakeError``: ``captcha_invalid``, ``ip_throttled``, ``account_locked``,
    ``login_failed``, ``account_cancelled``.
    """
    captcha.check(db_session=db_session, settings=settings, captcha_id=captcha_id, answer=captcha_answer, now=now)
    # Both limits are taken before the password is checked, each committed at once, so
    # that concurrent attempts cannot all pass a count read before any of them was counted.
    attempt = _reserve_address(db_session, settings, ip, now)
    user = find_user(db_session=db_session, login=login)
    if user is None:
        verify_password(DUMMY_HASH_PASSWORD, _hash_pw(settings, "x"))  # same cost as a real check
        raise IntakeError("login_failed")
    failures = _reserve_password_check(db_session, settings, user.id, now)
    if not verify_password(password, user.password_hash):
        locked = failures >= settings.login_max_failures
        if locked:
            db_session.execute(update(User).where(User.id == user.id).values(
                locked_until=literal(now + timedelta(seconds=settings.login_lockout_seconds),
                                     UTCDateTime())))
            db_session.commit()
        raise IntakeError("account_locked" if locked else "login_failed")
    if user.status != "active":
        raise IntakeError("account_cancelled")
    db_session.execute(update(User).where(User.id == user.id).values(failed_logins=0, locked_until=None))
    db_session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt))  # not a failure
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + timedelta(seconds=settings.session_ttl_seconds)
    db_session.add(WebSession(id=hashlib.sha256(token.encode()).hexdigest(), user_id=user.id,
                              csrf_token=csrf, created_at=now, expires_at=expires))
    db_session.execute(delete(WebSession).where(WebSession.expires_at < now - timedelta(days=1)))
    db_session.commit()
    log.info("login ok user_id=%s role=%s", user.id, user.role)
    return NewSession(token=token, csrf_token=csrf, role=Role(user.role), expires_at=expires)


def _reserve_address(db_session: Session, settings: Settings, ip: str, now: datetime) -> int:
    """Record the attempt from ``ip`` (committed), then count: the k-th of concurrent
    attempts sees at least k, so at most the limit pass. Raises ``ip_throttled``."""
    attempt = LoginAttempt(ip=ip, at=now)
    db_session.add(attempt)
    db_session.commit()
    window = now - timedelta(seconds=settings.login_ip_window_seconds)
    recent = db_session.scalar(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.ip == ip, LoginAttempt.at > window)
    )
    if (recent or 0) > settings.login_ip_max_failures:
        db_session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt.id))
        db_session.commit()
        raise IntakeError("ip_throttled")
    return attempt.id


def _reserve_password_check(db_session: Session, settings: Settings, user_id: int, now: datetime) -> int:
    """Take one of the account's password checks: an atomic UPDATE that passes only while
    the account is not locked and has checks left (a lock that has run out starts a new
    count). Returns the failures so far, this one included. Raises ``account_locked``."""
    lapsed = User.locked_until.is_not(None)  # under the WHERE below: a lock that has run out
    taken = db_session.execute(
        update(User).where(
            User.id == user_id,
            or_(User.locked_until.is_(None), User.locked_until <= now),
            or_(User.failed_logins < settings.login_max_failures, lapsed))
        .values(failed_logins=case((lapsed, 1), else_=User.failed_logins + 1), locked_until=None)
        .returning(User.failed_logins).execution_options(synchronize_session=False)
    ).scalar()
    db_session.commit()
    if taken is None:
        raise IntakeError("account_locked")
    return int(taken)


def authenticate(*, db_session: Session, token: str | None, now: datetime) -> AuthUser | None:
    """The user of a session cookie, or None. Read-only: one query (session joined to its
    user, only the columns needed), the check every authenticated request pays."""
    if not token:
        return None
    row = db_session.execute(
        select(WebSession.id, WebSession.csrf_token, User.id.label("user_id"), User.login, User.role,
               User.district, User.street)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.id == hashlib.sha256(token.encode()).hexdigest(),
               WebSession.revoked_at.is_(None), WebSession.expires_at > now, User.status == "active")
    ).one_or_none()
    if row is None:
        return None
    return AuthUser(id=row.user_id, login=row.login, role=Role(row.role), district=row.district,
                    street=row.street, csrf_token=row.csrf_token, session_id=row.id)


def logout(*, db_session: Session, session_id: str, now: datetime) -> None:
    db_session.execute(update(WebSession).where(WebSession.id == session_id).values(revoked_at=now))
    db_session.commit()


def _revoke_all(db_session: Session, user_id: int, now: datetime) -> None:
    db_session.execute(
        update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _user_with_mobile(db_session: Session, login: str, mobile: str) -> User:
    user = find_user(db_session=db_session, login=login)
    if user is None or user.role != Role.PARENT or user.mobile != mobile or user.status != "active":
        raise IntakeError("reset_mismatch")
    return user


def request_reset_code(*, db_session: Session, settings: Settings, sender: SmsSender, login: str,
                       mobile: str, now: datetime) -> None:
    """Forgotten password, step 1: send a code to the registered mobile (manual §六 2)."""
    _user_with_mobile(db_session, login, mobile)
    sms.issue_code(db_session=db_session, settings=settings, sender=sender, mobile=mobile,
                   purpose="reset_password", now=now)
    db_session.commit()


def _new_password(settings: Settings, password: str, confirm: str) -> str:
    check_policy(password)
    if password != confirm:
        raise IntakeError("password_mismatch", field="new_password_confirm")
    return _hash_pw(settings, password)


def reset_password(*, db_session: Session, settings: Settings, login: str, mobile: str,
                   sms_code: str, captcha_id: str, captcha_answer: str, new_password: str,
                   new_password_confirm: str, now: datetime) -> None:
    """Forgotten password, step 2: captcha + SMS code, then a new password (manual §六 3)."""
    captcha.check(db_session=db_session, settings=settings, captcha_id=captcha_id, answer=captcha_answer, now=now)
    user = _user_with_mobile(db_session, login, mobile)
    sms.consume_code(db_session=db_session, settings=settings, mobile=mobile, purpose="reset_password",
                     code=sms_code, now=now)
    user.password_hash = _new_password(settings, new_password, new_password_confirm)
    user.failed_logins = 0
    user.locked_until = None
    _revoke_all(db_session, user.id, now)
    audit.append(db_session=db_session, actor=audit.Actor(user.id, user.role),
                 action="password_reset", subject=None, now=now)
    db_session.commit()


def request_account_code(*, db_session: Session, settings: Settings, sender: SmsSender,
                         user_id: int, purpose: str, now: datetime) -> None:
    """SMS code for password change or cancellation; 180 s between two (manual §七)."""
    user = db_session.get(User, user_id)
    if user is None or user.mobile is None:
        raise IntakeError("forbidden")
    sms.issue_code(db_session=db_session, settings=settings, sender=sender, mobile=user.mobile,
                   purpose=purpose, now=now)
    db_session.commit()


def change_password(*, db_session: Session, settings: Settings, user_id: int, new_password: str,
                    new_password_confirm: str, sms_code: str, now: datetime) -> None:
    user = db_session.get(User, user_id)
    if user is None or user.mobile is None:
        raise IntakeError("forbidden")
    new_hash = _new_password(settings, new_password, new_password_confirm)
    sms.consume_code(db_session=db_session, settings=settings, mobile=user.mobile, purpose="change_password",
                     code=sms_code, now=now)
    user.password_hash = new_hash
    audit.append(db_session=db_session, actor=audit.Actor(user.id, user.role),
                 action="password_changed", subject=None, now=now)
    db_session.commit()


def cancel_account(*, db_session: Session, settings: Settings, user_id: int, sms_code: str,
                   now: datetime) -> None:
    """撤销账号: login is refused afterwards; the records stay for audit (manual §七 (二))."""
    user = db_session.get(User, user_id)
    if user is None or user.mobile is None or user.status != "active":
        raise IntakeError("forbidden")
    sms.consume_code(db_session=db_session, settings=settings, mobile=user.mobile, purpose="cancel_account",
                     code=sms_code, now=now)
    user.status = "cancelled"
    user.cancelled_at = now
    _revoke_all(db_session, user.id, now)
    applicant = db_session.scalar(select(Applicant).where(Applicant.user_id == user.id))
    if applicant is not None:
        applicant.child_id_key = None  # the child may register again
    db_session.execute(
        update(MobileQuota).where(MobileQuota.mobile == user.mobile, MobileQuota.used > 0)
        .values(used=MobileQuota.used - 1)
    )
    audit.append(db_session=db_session, actor=audit.Actor(user.id, user.role),
                 action="account_cancelled",
                 subject=applicant.pseudonym if applicant is not None else None, now=now,
                 from_state=applicant.status if applicant is not None else None, to_state="cancelled")
    db_session.commit()


def create_staff(*, db_session: Session, settings: Settings, username: str, role: Role,
                 password: str, district: str | None, street: str | None, now: datetime) -> int:
    """``paiwei users create``. Raises ``IntakeError``: ``user_exists``, ``password_policy``."""
    check_policy(password)
    if db_session.scalar(select(User.id).where(User.login == username)) is not None:
        raise IntakeError("user_exists")
    user = User(login=username, role=role, password_hash=_hash_pw(settings, password),
                district=district, street=street, created_at=now, status="active", failed_logins=0)
    db_session.add(user)
    db_session.flush()
    audit.append(db_session=db_session, actor=audit.Actor(None, "cli"), action="staff_created",
                 subject=f"user:{user.id}", now=now, to_state=role)
    db_session.commit()
    return user.id
