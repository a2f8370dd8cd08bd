from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from api.deps import AppSettings, DbSession, Now, OutboxReader, Sender
from api.problems import responses
from paiwei.intake import service as intake
from paiwei.sms import service as sms

router = APIRouter(tags=["sms"])


class RegisterCodeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mobile: str


class Accepted(BaseModel):
    message: str


class OutboxItem(BaseModel):
    id: int
    mobile: str
    body: str
    created_at: datetime
    status: str


@router.post("/sms/register-codes", status_code=202, response_model=Accepted,
             responses=responses(422, 429))
def request_register_code(body: RegisterCodeCreate, db_session: DbSession, settings: AppSettings,
                          sender: Sender, now: Now) -> Accepted:
    """获取验证码 on the registration page: a 6-digit code, valid 5 minutes."""
    intake.request_registration_code(db_session=db_session, settings=settings, sender=sender,
                                     mobile=body.mobile, now=now)
    return Accepted(message="短信验证码已发送，5 分钟内有效")


@router.get("/sms/outbox", response_model=list[OutboxItem], responses=responses(401, 403))
def outbox(db_session: DbSession, _user: OutboxReader, limit: int = 100) -> list[OutboxItem]:
    """The database outbox (staff and demo): the latest messages first."""
    rows = sms.outbox(db_session=db_session, limit=min(limit, 1000))
    return [OutboxItem(id=r.id, mobile=r.mobile, body=r.body, created_at=r.created_at, status=r.status)
            for r in rows]
