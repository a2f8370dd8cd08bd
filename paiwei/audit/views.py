from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import AuditReader, DbSession
from api.problems import responses
from paiwei.audit import service

router = APIRouter(tags=["audit"])


class AuditVerifyRead(BaseModel):
    ok: bool
    events: int
    error: str | None = None


class AuditEventRead(BaseModel):
    seq: int
    at: datetime
    actor_id: int | None
    actor_role: str
    action: str
    subject: str | None
    from_state: str | None
    to_state: str | None
    reason: str | None
    prev_hash: str
    hash: str


@router.get("/audit/verify", response_model=AuditVerifyRead, responses=responses(401, 403))
def verify(_user: AuditReader, db_session: DbSession) -> AuditVerifyRead:
    try:
        count = service.verify(db_session=db_session)
    except service.AuditChainError as exc:
        return AuditVerifyRead(ok=False, events=0, error=str(exc))
    return AuditVerifyRead(ok=True, events=count)


@router.get("/audit/events", response_model=list[AuditEventRead], responses=responses(401, 403))
def events(_user: AuditReader, db_session: DbSession, subject: str | None = None,
           after: int = 0, limit: int = 100) -> list[AuditEventRead]:
    rows = service.events(db_session=db_session, subject=subject, after=after, limit=min(limit, 1000))
    return [AuditEventRead.model_validate(r, from_attributes=True) for r in rows]
