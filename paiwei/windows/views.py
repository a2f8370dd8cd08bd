from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import DbSession, Now
from api.locate import window_place
from api.params import WindowId
from api.problems import responses
from api.scope import DistrictStaff, Scope, access
from paiwei.accounts.models import Role
from paiwei.accounts.service import AuthUser
from paiwei.audit.service import Actor
from paiwei.windows import service
from paiwei.windows.schemas import ExtensionCreate, WindowRead

router = APIRouter(tags=["windows"])

WindowStaff = Annotated[AuthUser, access({Role.DISTRICT_STAFF: Scope.OWN_DISTRICT}, locate=window_place)]


@router.get("/windows", response_model=list[WindowRead], responses=responses(401, 403))
def list_windows(user: DistrictStaff, db_session: DbSession, now: Now,
                 year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> list[WindowRead]:
    """Application windows of the staff member's district, open or not."""
    rows = service.list_windows(db_session=db_session, district=user.district or "", year=year)
    return [service.to_read(w, now) for w in rows]


@router.post("/windows/{window_id}/extension", response_model=WindowRead,
             responses=responses(401, 403, 404, 409, 422))
def extend_window(window_id: WindowId, body: ExtensionCreate, user: WindowStaff, db_session: DbSession,
                  now: Now) -> WindowRead:
    """Extend a window before it closes; the reason goes to the audit log."""
    window = service.extend(db_session=db_session, actor=Actor(user.id, user.role),
                            district=user.district or "", window_id=window_id,
                            closes_at=body.closes_at, reason=body.reason, now=now)
    return service.to_read(window, now)
