from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import AppSettings, DbSession, Now, Sender
from api.problems import responses
from api.scope import ParentUser, Public
from paiwei import data
from paiwei.intake import service
from paiwei.intake.errors import IntakeError
from paiwei.intake.schemas import (
    ApplicantRead,
    CollectionFormRead,
    DetailsCreate,
    EnumerationItem,
    NoticeCreate,
    NoticeRead,
    RegistrationCreate,
    RegistrationRead,
)

router = APIRouter(tags=["intake"])


@router.get("/enumerations/{name}", response_model=list[EnumerationItem], responses=responses(404),
            dependencies=[Public])
def enumeration(name: Annotated[str, Path(max_length=32)]) -> list[EnumerationItem]:
    """Choices for the forms: districts, chaoyang_streets, ethnic_groups, provinces, …"""
    if name not in data.ENUMERATIONS:
        raise IntakeError("not_found", field="name")
    return [EnumerationItem(code=c, name=n) for c, n in data.items(name)]


@router.post("/intake/notices", status_code=201, response_model=NoticeRead, responses=responses(422),
             dependencies=[Public])
def open_notice(body: NoticeCreate, db_session: DbSession, settings: AppSettings, now: Now) -> NoticeRead:
    """Show the guardian notice; agreement is accepted 10 seconds later at the earliest."""
    ticket = service.open_notice(db_session=db_session, district=body.district, now=now)
    return NoticeRead(notice_token=ticket.token, shown_at=ticket.shown_at,
                      min_read_seconds=settings.notice_min_read_seconds, text=service.NOTICE_TEXT)


@router.post("/intake/registrations", status_code=201, response_model=RegistrationRead,
             responses=responses(409, 422, 503), dependencies=[Public])
def register(body: RegistrationCreate, db_session: DbSession, settings: AppSettings, sender: Sender,
             now: Now) -> RegistrationRead:
    """账号注册 (figure 6). The account number is returned and sent by SMS."""
    done = service.register(db_session=db_session, settings=settings, sender=sender,
                            registration_in=body, now=now)
    return RegistrationRead(account_no=done.account_no,
                            message=f"信息注册成功，您的账号为：{done.account_no}。此账号为登录账号，同时将以短信形式发送至您的手机，请妥善保管。")


@router.get("/intake/me", response_model=ApplicantRead, responses=responses(401, 403, 404))
def my_application(user: ParentUser, db_session: DbSession) -> ApplicantRead:
    """The parent's registration, details and review status (身份证及户籍信息核验)."""
    return service.my_application(db_session=db_session, user_id=user.id)


@router.put("/intake/me/details", response_model=ApplicantRead,
            responses=responses(401, 403, 404, 409, 422))
def submit_details(body: DetailsCreate, user: ParentUser, db_session: DbSession, now: Now) -> ApplicantRead:
    """录入详细信息 (figure 9), then to review."""
    applicant = service.submit_details(db_session=db_session, user_id=user.id, details_in=body, now=now)
    return service.to_read(applicant, account_no=user.login)


@router.get("/intake/me/collection-form", response_model=CollectionFormRead,
            responses=responses(401, 403, 404))
def collection_form(user: ParentUser, db_session: DbSession, now: Now) -> CollectionFormRead:
    """学龄人口信息采集表: verified applicants only."""
    return service.collection_form(db_session=db_session, user_id=user.id, now=now)
