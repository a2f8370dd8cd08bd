from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Response

from api.deps import DbSession, Now
from api.locate import applicant_place
from api.params import Pseudonym, YearQuery
from api.problems import responses
from api.scope import DistrictStaff, ParentUser, Scope, access
from paiwei.accounts.models import Role
from paiwei.accounts.service import AuthUser
from paiwei.audit.service import Actor
from paiwei.choices import service
from paiwei.choices.schemas import (
    ChoiceOptionsRead,
    ChoicesCreate,
    ChoiceSetRead,
    CountsRead,
    ReceiptRead,
    RoutesRead,
    RoutingRecordIn,
    RoutingRecordRead,
    RoutingRun,
    RoutingSummary,
)

router = APIRouter(tags=["choices"])

Kind = Literal["private_boarding", "zone", "groups"]
Stage = Literal["primary", "junior"]
WindowKind = Literal["primary.private_boarding", "primary.zone", "junior.private_boarding",
                     "junior.zone", "junior.groups"]


@router.get("/choices/me", response_model=ChoiceOptionsRead, responses=responses(401, 403, 404, 409))
def my_options(user: ParentUser, db_session: DbSession, now: Now) -> ChoiceOptionsRead:
    """可填报的志愿：各类志愿的报名时间、可选学校和已填报的志愿。"""
    return service.options(db_session=db_session, user_id=user.id, now=now)


@router.post("/choices/me/{kind}", status_code=201, response_model=ChoiceSetRead,
             responses=responses(401, 403, 404, 409, 422))
def submit(kind: Kind, body: ChoicesCreate, user: ParentUser, db_session: DbSession,
           now: Now) -> ChoiceSetRead:
    """报名 / 填报志愿 (inside the window; one private or boarding application at most)."""
    return service.submit(db_session=db_session, user_id=user.id, kind=kind, schools=body.schools, now=now)


@router.put("/choices/me/{kind}", response_model=ChoiceSetRead, responses=responses(401, 403, 404, 409, 422))
def edit(kind: Kind, body: ChoicesCreate, user: ParentUser, db_session: DbSession,
         now: Now) -> ChoiceSetRead:
    """修改志愿 until the window closes; then the choices are locked."""
    return service.edit(db_session=db_session, user_id=user.id, kind=kind, schools=body.schools, now=now)


@router.get("/choices/me/{kind}/receipt", response_model=ReceiptRead,
            responses=responses(401, 403, 404, 409))
def receipt(kind: Kind, user: ParentUser, db_session: DbSession, now: Now,
            response: Response) -> ReceiptRead:
    """志愿回执 (after the window closes): the locked record and its SHA-256."""
    read = service.receipt(db_session=db_session, user_id=user.id, kind=kind, now=now)
    response.headers["Content-Disposition"] = f'attachment; filename="receipt-{kind}.json"'
    return read


@router.get("/choices/counts", response_model=CountsRead, responses=responses(401, 403, 404, 409))
def counts(kind: WindowKind, year: YearQuery, user: DistrictStaff, db_session: DbSession, now: Now) -> CountsRead:
    """Applicants per school and per zone so far (oversubscription forecast)."""
    return service.counts(db_session=db_session, district=user.district or "", year=year, kind=kind,
                          now=now)


@router.get("/choices/counts.csv", response_class=Response, responses={
    200: {"content": {"text/csv": {}}, "description": "CSV, UTF-8 with BOM"},
    **responses(401, 403, 404, 409)})
def counts_csv(kind: WindowKind, year: YearQuery, user: DistrictStaff, db_session: DbSession, now: Now) -> Response:
    """The per-school counts as CSV."""
    read = service.counts(db_session=db_session, district=user.district or "", year=year, kind=kind,
                          now=now)
    return Response(service.counts_csv(read), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="counts-{year}-{kind}.csv"'})


@router.get("/routes", response_model=RoutesRead, responses=responses(401, 403, 404, 409))
def routes(year: YearQuery, stage: Stage, user: DistrictStaff, db_session: DbSession) -> RoutesRead:
    """Scope: own district. Routing decisions by zone (children per route), the ineligible
    by rule, and verified applicants still undecided (who and why)."""
    return service.routes(db_session=db_session, district=user.district or "", year=year, stage=stage)


@router.post("/routes", response_model=RoutingSummary, responses=responses(401, 403, 404, 409, 422))
def route_district(body: RoutingRun, user: DistrictStaff, db_session: DbSession, now: Now) -> RoutingSummary:
    """Scope: own district. Route (again) every verified applicant with a routing record:
    eligibility, route and allowed schools, stored with their rules."""
    return service.route_district(db_session=db_session, actor=Actor(user.id, user.role),
                                  district=user.district or "", year=body.year, stage=body.stage, now=now)


ApplicantStaff = Annotated[AuthUser, access({Role.DISTRICT_STAFF: Scope.OWN_DISTRICT}, locate=applicant_place)]


@router.put("/routes/{pseudonym}/record", response_model=RoutingRecordRead,
            responses=responses(401, 403, 404, 409, 422))
def record_routing(pseudonym: Pseudonym, body: RoutingRecordIn, user: ApplicantStaff, db_session: DbSession,
                   now: Now) -> RoutingRecordRead:
    """Scope: own district. Record (or replace) an applicant's routing record (their
    verified facts in the scenario format); a verified applicant is routed at once."""
    route = service.record_routing(db_session=db_session, actor=Actor(user.id, user.role), pseudonym=pseudonym,
                                   year=body.year, stage=body.stage, record=body.record, now=now)
    return RoutingRecordRead(applicant=pseudonym, year=body.year, stage=body.stage, routed=route is not None)
