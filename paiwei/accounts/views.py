from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import AppSettings, ClientIp, DbSession, Now, Sender
from api.problems import responses
from api.scope import AnyUser, ParentUser, Public
from paiwei.accounts import service
from paiwei.accounts.schemas import (
    AccountCodeCreate,
    CancelCreate,
    LoginCreate,
    MeRead,
    MessageRead,
    PasswordChange,
    ResetCodeCreate,
    ResetCreate,
    SessionRead,
)

router = APIRouter(tags=["accounts"])


@router.post("/accounts/login", response_model=SessionRead, responses=responses(401, 403, 422, 429),
             dependencies=[Public])
def login(*, body: LoginCreate, response: Response, db_session: DbSession, settings: AppSettings,
          ip: ClientIp, now: Now) -> SessionRead:
    """Log in with the account number (or the child's ID number), password and captcha.

    Sets an HttpOnly, SameSite=Strict session cookie; send ``csrf_token`` back in the
    ``X-CSRF-Token`` header on every state-changing request.
    """
    session = service.login(db_session=db_session, settings=settings, login=body.login,
                            password=body.password, captcha_id=body.captcha_id,
                            captcha_answer=body.captcha_answer, ip=ip, now=now)
    response.set_cookie(settings.session_cookie_name, session.token, httponly=True,
                        secure=settings.cookie_secure, samesite="strict", path="/",
                        max_age=settings.session_ttl_seconds)
    return SessionRead(role=session.role, csrf_token=session.csrf_token, expires_at=session.expires_at)


@router.post("/accounts/logout", status_code=204, responses=responses(401, 403))
def logout(user: AnyUser, response: Response, db_session: DbSession, settings: AppSettings,
           now: Now) -> None:
    service.logout(db_session=db_session, session_id=user.session_id, now=now)
    response.delete_cookie(settings.session_cookie_name, path="/")


@router.get("/accounts/me", response_model=MeRead, responses=responses(401, 403))
def me(user: AnyUser) -> MeRead:
    return MeRead(login=user.login, role=user.role, district=user.district, street=user.street)


@router.post("/accounts/password-reset/code", status_code=202, response_model=MessageRead,
             responses=responses(422, 429, 503), dependencies=[Public])
def reset_code(body: ResetCodeCreate, db_session: DbSession, settings: AppSettings, sender: Sender,
               now: Now) -> MessageRead:
    """忘记密码: the 8-digit number or the ID number, and the registered mobile."""
    service.request_reset_code(db_session=db_session, settings=settings, sender=sender,
                               login=body.login, mobile=body.mobile, now=now)
    return MessageRead(message="短信验证码已发送至注册手机号")


@router.post("/accounts/password-reset", response_model=MessageRead, responses=responses(422),
             dependencies=[Public])
def reset(body: ResetCreate, db_session: DbSession, settings: AppSettings, now: Now) -> MessageRead:
    service.reset_password(db_session=db_session, settings=settings, login=body.login,
                           mobile=body.mobile, sms_code=body.sms_code, captcha_id=body.captcha_id,
                           captcha_answer=body.captcha_answer, new_password=body.new_password,
                           new_password_confirm=body.new_password_confirm, now=now)
    return MessageRead(message="密码重置成功，请使用新密码登录")


@router.post("/accounts/me/sms-codes", status_code=202, response_model=MessageRead,
             responses=responses(401, 403, 429, 503))
def account_code(*, body: AccountCodeCreate, user: ParentUser, db_session: DbSession,
                 settings: AppSettings, sender: Sender, now: Now) -> MessageRead:
    """获取验证码 for 修改密码 or 撤销账号; again only after 180 seconds."""
    service.request_account_code(db_session=db_session, settings=settings, sender=sender,
                                 user_id=user.id, purpose=body.purpose, now=now)
    return MessageRead(message="短信验证码已发送至注册手机号")


@router.post("/accounts/me/password", response_model=MessageRead, responses=responses(401, 403, 422))
def change_password(body: PasswordChange, user: ParentUser, db_session: DbSession,
                    settings: AppSettings, now: Now) -> MessageRead:
    service.change_password(db_session=db_session, settings=settings, user_id=user.id,
                            new_password=body.new_password,
                            new_password_confirm=body.new_password_confirm, sms_code=body.sms_code,
                            now=now)
    return MessageRead(message="密码修改成功")


@router.post("/accounts/me/cancel", response_model=MessageRead, responses=responses(401, 403, 422))
def cancel(*, body: CancelCreate, user: ParentUser, response: Response, db_session: DbSession,
           settings: AppSettings, now: Now) -> MessageRead:
    service.cancel_account(db_session=db_session, settings=settings, user_id=user.id, sms_code=body.sms_code, now=now)
    response.delete_cookie(settings.session_cookie_name, path="/")
    return MessageRead(message="撤销成功")
