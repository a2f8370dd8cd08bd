from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import DbSession
from api.params import After, Limit
from api.problems import responses
from api.scope import Scope, access
from paiwei.accounts.models import Role
from paiwei.accounts.service import AuthUser
from paiwei.audit import service

router = APIRouter(tags=["audit"])

# The log is one chain over every district: its events are read by roles meant to span
# districts (auditors, notaries); district staff may check that it verifies.
ChainChecker = Annotated[AuthUser, access({Role.AUDITOR: Scope.ALL, Role.NOTARY: Scope.ALL,
                                           Role.DISTRICT_STAFF: Scope.ALL})]
EventReader = Annotated[AuthUser, access({Role.AUDITOR: Scope.ALL, Role.NOTARY: Scope.ALL})]


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
def verify(_user: ChainChecker, db_session: DbSession) -> AuditVerifyRead:
    try:
        count = service.verify(db_session=db_session)
    except service.AuditChainError as exc:
        return AuditVerifyRead(ok=False, events=0, error=str(exc))
    return AuditVerifyRead(ok=True, events=count)


@router.get("/audit/events", response_model=list[AuditEventRead], responses=responses(401, 403))
def events(_user: EventReader, db_session: DbSession,
           subject: Annotated[str | None, Query(max_length=40)] = None,
           after: After = 0, limit: Limit = 100) -> list[AuditEventRead]:
    rows = service.events(db_session=db_session, subject=subject, after=after, limit=limit)
    return [AuditEventRead.model_validate(r, from_attributes=True) for r in rows]
