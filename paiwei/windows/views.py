from __future__ import annotations

from fastapi import APIRouter

from api.deps import DbSession, DistrictStaff, Now
from api.problems import responses
from paiwei.audit.service import Actor
from paiwei.windows import service
from paiwei.windows.schemas import ExtensionCreate, WindowRead

router = APIRouter(tags=["windows"])


@router.get("/windows", response_model=list[WindowRead], responses=responses(401, 403))
def list_windows(user: DistrictStaff, db_session: DbSession, now: Now,
                 year: int | None = None) -> list[WindowRead]:
    """Application windows of the staff member's district, open or not."""
    rows = service.list_windows(db_session=db_session, district=user.district or "", year=year)
    return [service.to_read(w, now) for w in rows]


@router.post("/windows/{window_id}/extension", response_model=WindowRead,
             responses=responses(401, 403, 404, 409, 422))
def extend_window(window_id: int, body: ExtensionCreate, user: DistrictStaff, db_session: DbSession,
                  now: Now) -> WindowRead:
    """Extend a window before it closes; the reason goes to the audit log."""
    window = service.extend(db_session=db_session, actor=Actor(user.id, user.role),
                            district=user.district or "", window_id=window_id,
                            closes_at=body.closes_at, reason=body.reason, now=now)
    return service.to_read(window, now)
