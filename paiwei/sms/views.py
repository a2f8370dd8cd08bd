from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AppSettings, DbSession, Now, Sender
from api.problems import responses
from api.scope import Public
from paiwei.intake import service as intake

router = APIRouter(tags=["sms"])


class RegisterCodeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mobile: str = Field(max_length=11)


class Accepted(BaseModel):
    message: str


@router.post("/sms/register-codes", status_code=202, response_model=Accepted,
             responses=responses(422, 429, 503), dependencies=[Public])
def request_register_code(body: RegisterCodeCreate, db_session: DbSession, settings: AppSettings,
                          sender: Sender, now: Now) -> Accepted:
    """获取验证码 on the registration page: a 6-digit code, valid 5 minutes."""
    intake.request_registration_code(db_session=db_session, settings=settings, sender=sender,
                                     mobile=body.mobile, now=now)
    return Accepted(message="短信验证码已发送，5 分钟内有效")
