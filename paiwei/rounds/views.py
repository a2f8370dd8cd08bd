"""Routes of the round lifecycle, plan import and result lookup. They call the service only."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import DbSession, Now
from api.locate import district_place, result_place, round_place
from api.params import DistrictName, Pseudonym, RoundPk, Year
from api.problems import responses
from api.scope import DistrictStaff, ParentUser, Public, Scope, access
from paiwei.accounts.models import Role
from paiwei.accounts.service import AuthUser
from paiwei.audit.service import Actor
from paiwei.plans import FORMATS, PlanInvalid, parse_plan
from paiwei.publication import ResultDocument, dump
from paiwei.rounds import service
from paiwei.rounds.errors import RoundError
from paiwei.rounds.models import Round
from paiwei.rounds.result_cache import PublishedResults
from paiwei.rounds.schemas import (
    AccountingRead,
    BeaconIn,
    CommitmentIn,
    ContributionIn,
    ContributionRead,
    CountersignIn,
    FreezeIn,
    KeyChangeIn,
    NotaryPackage,
    PlanIssueRead,
    PlanRead,
    RevealIn,
    RoundCreate,
    RoundRead,
    RoundStatistics,
    ScenarioIn,
    SeasonKeysIn,
    SignatureIn,
    StaffResultRead,
    WaiveIn,
)

router = APIRouter(tags=["rounds"])

_OWN = Scope.OWN_DISTRICT
# Notaries and auditors are not tied to a district; district staff act on their own only.
RoundStaff = Annotated[AuthUser, access({Role.DISTRICT_STAFF: _OWN}, locate=round_place)]
CeremonyUser = Annotated[AuthUser, access({Role.DISTRICT_STAFF: _OWN, Role.NOTARY: Scope.ALL},
                                          locate=round_place)]
Notary = Annotated[AuthUser, access({Role.NOTARY: Scope.ALL}, locate=round_place)]
Verifier = Annotated[AuthUser, access({Role.DISTRICT_STAFF: _OWN, Role.NOTARY: Scope.ALL,
                                       Role.AUDITOR: Scope.ALL}, locate=round_place)]
ResultReader = Annotated[AuthUser, access({Role.DISTRICT_STAFF: _OWN, Role.NOTARY: Scope.ALL,
                                           Role.AUDITOR: Scope.ALL}, locate=result_place)]
PlanImporter = Annotated[AuthUser, access({Role.DISTRICT_STAFF: _OWN}, locate=district_place)]


def _actor(user: AuthUser) -> Actor:
    return Actor(user.id, user.role)


def _read(row: Round) -> RoundRead:
    return RoundRead.model_validate(row, from_attributes=True)


PLAN_BODY = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}}}}}


@router.post("/plans/{year}", status_code=201, response_model=PlanRead,
             responses=responses(400, 401, 403, 409, 422), openapi_extra=PLAN_BODY)
async def import_plan(year: Year, district: DistrictName, fmt: Annotated[str, Query(max_length=8)],  # noqa: PLR0917
                      request: Request, user: PlanImporter,
                      db_session: DbSession, now: Now) -> PlanRead | Any:
    """导入学校招生计划 (CSV or XLSX as the request body; ``fmt`` csv|xlsx). A file with any bad
    row imports nothing: the answer lists every problem (422, ``errors``)."""
    from fastapi.responses import JSONResponse  # noqa: PLC0415

    from api.problems import MEDIA_TYPE, TYPE_BASE  # noqa: PLC0415

    if fmt not in FORMATS:
        raise RoundError("plan_invalid", detail=f"fmt must be one of {sorted(FORMATS)}")
    data = await request.body()  # its size is bounded by the body-size middleware
    try:
        plan = parse_plan(data, fmt, source=f"upload.{fmt}")
    except PlanInvalid as exc:
        err = RoundError("plan_invalid", detail=str(exc))
        issues = [PlanIssueRead(**i.to_json()).model_dump() for i in exc.issues]
        return JSONResponse({"type": TYPE_BASE + err.code, "title": err.title, "status": err.status,
                             "code": err.code, "detail": err.detail, "issues": issues},
                            status_code=err.status, media_type=MEDIA_TYPE)
    row = service.import_plan(db_session=db_session, actor=_actor(user), district=user.district or "", year=year,
                              plan=plan, now=now)
    return PlanRead(district=row.district, year=row.year, schools=len(row.schools), zones=len(row.zones),
                    source=row.source, source_sha256=row.source_sha256, imported_at=row.imported_at)


@router.post("/rounds", status_code=201, response_model=RoundRead, responses=responses(401, 403, 409, 422))
def create(body: RoundCreate, user: DistrictStaff, db_session: DbSession, now: Now) -> RoundRead:
    from allocation import policy_from_text, shipped_policy_text  # noqa: PLC0415

    try:
        text = shipped_policy_text(body.policy)
    except (FileNotFoundError, ValueError, OSError):
        raise RoundError("inputs_invalid", detail=f"no shipped policy {body.policy!r}") from None
    service.require_district(district=policy_from_text(text).district, staff_district=user.district)
    return _read(service.create(db_session=db_session, actor=_actor(user), policy_text=text,
                                stage=body.stage, round_id=body.round, scenario=body.scenario, now=now))


RoundLister = Annotated[AuthUser, access({Role.DISTRICT_STAFF: _OWN, Role.NOTARY: Scope.ALL,
                                          Role.AUDITOR: Scope.ALL})]


def _listing_scope(user: RoundLister) -> str | None:
    """The districts a listing covers: district staff their own (their account's code);
    notaries and auditors every district (None)."""
    if user.role != Role.DISTRICT_STAFF:
        return None
    return user.district or "-"


ListingScope = Annotated[str | None, Depends(_listing_scope)]


@router.get("/rounds", response_model=list[RoundRead], responses=responses(401, 403))
def list_rounds(scope: ListingScope, db_session: DbSession, year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
                stage: Literal["primary", "junior"] | None = None) -> list[RoundRead]:
    """Scope: own district (staff), all (notaries, auditors). Every round and its state, in
    plan order."""
    return [_read(r) for r in service.list_rounds(db_session=db_session, district=scope, year=year,
                                                  stage=stage)]


@router.get("/rounds/{round_pk}/statistics", response_model=RoundStatistics,
            responses=responses(401, 403, 404, 409))
def round_statistics(round_pk: RoundPk, _user: Verifier, db_session: DbSession) -> RoundStatistics:
    """Scope: own district (staff), all (notaries, auditors). Per school and zone: seats,
    listed, applied, admitted, direct or drawn, cut-off, placed by choice rank, unplaced."""
    return service.statistics(db_session=db_session, round_pk=round_pk)


@router.get("/rounds/{round_pk}/statistics.csv", response_class=Response, responses={
    200: {"content": {"text/csv": {}}, "description": "CSV, UTF-8 with BOM"}, **responses(401, 403, 404, 409)})
def round_statistics_csv(round_pk: RoundPk, _user: Verifier, db_session: DbSession) -> Response:
    """Scope: as the JSON statistics. One row per school of the round."""
    stats = service.statistics(db_session=db_session, round_pk=round_pk)
    return Response(service.statistics_csv([stats]), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="statistics-{stats.round}.csv"'})


@router.get("/rounds/{round_pk}", response_model=RoundRead, responses=responses(401, 403, 404))
def status(round_pk: RoundPk, _user: Verifier, db_session: DbSession) -> RoundRead:
    return _read(service.get_or_raise(db_session=db_session, round_pk=round_pk))


@router.put("/rounds/{round_pk}/inputs", response_model=RoundRead, responses=responses(401, 403, 404, 409, 422))
def stage_inputs(round_pk: RoundPk, body: ScenarioIn, user: RoundStaff, db_session: DbSession,
                 now: Now) -> RoundRead:
    return _read(service.stage_inputs(db_session=db_session, actor=_actor(user), round_pk=round_pk,
                                      scenario=body.scenario, now=now))


@router.post("/rounds/{round_pk}/commitments", status_code=201, response_model=ContributionRead,
             responses=responses(401, 403, 404, 409, 422))
def commit(round_pk: RoundPk, body: CommitmentIn, user: CeremonyUser, db_session: DbSession,
           now: Now) -> ContributionRead:
    row = service.record_commitment(db_session=db_session, actor=_actor(user), round_pk=round_pk,
                                    contributor=body.contributor, commitment=body.commitment, now=now)
    return ContributionRead.model_validate(row, from_attributes=True)


@router.post("/rounds/{round_pk}/season-keys", response_model=dict[str, str],
             responses=responses(401, 403, 404, 409, 422))
def pin_keys(round_pk: RoundPk, body: SeasonKeysIn, user: RoundStaff, db_session: DbSession,
             now: Now) -> dict[str, str]:
    """Pin the season's public keys (district, notary) before its first freeze. Own district."""
    return service.pin_keys(db_session=db_session, actor=_actor(user), round_pk=round_pk, keys=body.keys,
                            now=now)


@router.post("/rounds/{round_pk}/season-keys/changes", response_model=dict[str, str],
             responses=responses(401, 403, 404, 409, 422))
def change_key(round_pk: RoundPk, body: KeyChangeIn, user: RoundStaff, db_session: DbSession,
               now: Now) -> dict[str, str]:
    """Replace a pinned key with a change statement signed by the key it replaces. Own district."""
    return service.change_key(db_session=db_session, actor=_actor(user), round_pk=round_pk,
                              statement=body.statement, now=now)


@router.get("/rounds/{round_pk}/freeze-draft", responses=responses(401, 403, 404, 409, 422))
def freeze_draft(round_pk: RoundPk, user: RoundStaff, db_session: DbSession, now: Now,  # noqa: PLR0917
                 beacon_chain: Annotated[str | None, Query(max_length=64)] = None,
                 beacon_round: Annotated[int | None, Query(ge=1, le=2**53 - 1)] = None) -> dict[str, Any] | None:
    """The freeze statement for the district to sign on its own machine (nothing is stored);
    null when nobody is left to place. ``beacon_chain`` and ``beacon_round`` name a drand
    round published after the freeze. Own district."""
    beacon = None if beacon_round is None else {"chain": beacon_chain or "", "round": beacon_round}
    return service.prepare_freeze(db_session=db_session, round_pk=round_pk, now=now, beacon=beacon)


@router.post("/rounds/{round_pk}/freeze", response_model=RoundRead, responses=responses(401, 403, 404, 409, 422))
def freeze(round_pk: RoundPk, body: FreezeIn, user: RoundStaff, db_session: DbSession, now: Now) -> RoundRead:
    """Freeze with the signed freeze statement (checked against the pinned district key). Own district."""
    return _read(service.freeze(db_session=db_session, actor=_actor(user), round_pk=round_pk,
                                statement=body.statement, now=now))


@router.get("/rounds/{round_pk}/freeze-statement", responses=responses(404, 409), dependencies=[Public])
def freeze_statement(round_pk: RoundPk, db_session: DbSession) -> dict[str, Any]:
    """The signed freeze statement (public: anyone may fetch it once the round is frozen)."""
    row = service.get_or_raise(db_session=db_session, round_pk=round_pk)
    if row.freeze_statement is None:
        raise RoundError("out_of_order", detail="the round is not frozen")
    statement: dict[str, Any] = json.loads(row.freeze_statement)
    return statement


@router.post("/rounds/{round_pk}/reveals", response_model=ContributionRead,
             responses=responses(401, 403, 404, 409, 422))
def reveal(round_pk: RoundPk, body: RevealIn, user: CeremonyUser, db_session: DbSession,
           now: Now) -> ContributionRead:
    row = service.reveal(db_session=db_session, actor=_actor(user), round_pk=round_pk,
                         contributor=body.contributor, nonce=body.nonce, value=body.value, now=now)
    return ContributionRead.model_validate(row, from_attributes=True)


@router.post("/rounds/{round_pk}/contributions", status_code=201, response_model=ContributionRead,
             responses=responses(401, 403, 404, 409, 422))
def contribute(round_pk: RoundPk, body: ContributionIn, user: Notary, db_session: DbSession,
               now: Now) -> ContributionRead:
    """An after-freeze contribution: the notary's live draw (``balls``, docs/draw-spec.md
    §8.1) or a value in hex."""
    row = service.contribute(db_session=db_session, actor=_actor(user), round_pk=round_pk,
                             contributor=body.contributor, value=body.value or "", now=now)
    return ContributionRead.model_validate(row, from_attributes=True)


@router.post("/rounds/{round_pk}/beacon", status_code=201, response_model=ContributionRead,
             responses=responses(401, 403, 404, 409, 422))
def beacon(round_pk: RoundPk, body: BeaconIn, user: Notary, db_session: DbSession, now: Now) -> ContributionRead:
    """The drand round named at the freeze, from its published record, checked offline
    before it is recorded as a contribution. Notaries (all districts)."""
    row = service.contribute_beacon(db_session=db_session, actor=_actor(user), round_pk=round_pk,
                                    record=body.record, now=now)
    return ContributionRead.model_validate(row, from_attributes=True)


@router.post("/rounds/{round_pk}/waivers", response_model=ContributionRead,
             responses=responses(401, 403, 404, 409, 422))
def waive(round_pk: RoundPk, body: WaiveIn, user: Notary, db_session: DbSession, now: Now) -> ContributionRead:
    row = service.waive(db_session=db_session, actor=_actor(user), round_pk=round_pk,
                        contributor=body.contributor, reason=body.reason, now=now)
    return ContributionRead.model_validate(row, from_attributes=True)


@router.post("/rounds/{round_pk}/close-ceremony", response_model=RoundRead,
             responses=responses(401, 403, 404, 409))
def close_ceremony(round_pk: RoundPk, user: RoundStaff, db_session: DbSession, now: Now) -> RoundRead:
    return _read(service.close_ceremony(db_session=db_session, actor=_actor(user), round_pk=round_pk, now=now))


@router.post("/rounds/{round_pk}/run", response_model=RoundRead, responses=responses(401, 403, 404, 409, 422))
def run(round_pk: RoundPk, user: RoundStaff, db_session: DbSession, now: Now) -> RoundRead:
    return _read(service.run(db_session=db_session, actor=_actor(user), round_pk=round_pk, now=now))


@router.post("/rounds/{round_pk}/sign", response_model=RoundRead, responses=responses(401, 403, 404, 409, 422))
def sign(round_pk: RoundPk, body: SignatureIn, user: RoundStaff, db_session: DbSession, now: Now) -> RoundRead:
    """The district's signature of the drawn bundle (made with ``paiwei sign``). Own district."""
    return _read(service.sign(db_session=db_session, actor=_actor(user), round_pk=round_pk,
                              signature=body.model_dump(), now=now))


@router.post("/rounds/{round_pk}/countersign", response_model=RoundRead,
             responses=responses(401, 403, 404, 409, 422))
def countersign(round_pk: RoundPk, body: CountersignIn, user: Notary, db_session: DbSession, now: Now) -> RoundRead:
    """The notary's countersignature (made with ``paiwei notary countersign``); the round is
    published once the bundle verifies with both pinned keys. All districts (notaries)."""
    return _read(service.countersign(db_session=db_session, actor=_actor(user), round_pk=round_pk,
                                     signature=body.signature.model_dump() if body.signature else None,
                                     signed_bundle=body.bundle, now=now))


@router.get("/rounds/{round_pk}/results", response_model=list[StaffResultRead],
            responses=responses(401, 403, 404))
def results(round_pk: RoundPk, _user: RoundStaff, db_session: DbSession,
            after: Annotated[str, Query(max_length=40)] = "",
            limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> list[StaffResultRead]:
    """Staff: the full result of a drawn round, page by page (by applicant id)."""
    rows = service.round_results(db_session=db_session, round_pk=round_pk, after=after,
                                 limit=limit)
    return [StaffResultRead(**r) for r in rows]


@router.get("/rounds/{round_pk}/package", response_model=NotaryPackage, responses=responses(401, 403, 404))
def package(round_pk: RoundPk, _user: Verifier, db_session: DbSession) -> NotaryPackage:
    """Everything needed to verify the round: freeze statement, contributions, bundle, keys."""
    row = service.get_or_raise(db_session=db_session, round_pk=round_pk)
    contributions = [ContributionRead.model_validate(c, from_attributes=True)
                     for c in service.contributions_of(db_session=db_session, round_pk=round_pk)]
    return NotaryPackage(round=_read(row),
                         freeze_statement=json.loads(row.freeze_statement) if row.freeze_statement else None,
                         contributions=contributions, bundle=json.loads(row.bundle) if row.bundle else None,
                         keys=row.keys,
                         beacon_record=json.loads(row.beacon_record) if row.beacon_record else None)


@router.get("/rounds/{round_pk}/accounting", response_model=AccountingRead, responses=responses(401, 403, 404, 409))
def accounting(round_pk: RoundPk, _user: Verifier, db_session: DbSession) -> AccountingRead:
    """Scope: own district (staff), all (notaries, auditors). Every applicant at the
    round's freeze: how many are in it, and everyone else with the rule why not."""
    return service.accounting_of(db_session=db_session, round_pk=round_pk)


def _document(doc: ResultDocument) -> Response:
    """The result document as the publication folder's file holds it, byte for byte."""
    return Response(content=dump(doc), media_type="application/json")


@router.get("/results/me", response_model=ResultDocument, responses=responses(401, 403, 404))
async def my_result(user: ParentUser, request: Request) -> Response:
    """Scope: own account. 派位结果查询 (manual §五): after publication only. The same
    document (the same bytes) as the publication folder's result file. Answered from this
    process's cache of published results after the session check; a miss reads the
    database in a worker thread (``paiwei.rounds.result_cache``)."""
    results: PublishedResults = request.app.state.published_results
    body = results.cached(user.id)
    if body is None:
        body = await run_in_threadpool(results.load, user.id)
    return Response(body, media_type="application/json")


@router.get("/results/{applicant}", response_model=ResultDocument, responses=responses(401, 403, 404))
def staff_result(applicant: Pseudonym, _user: ResultReader, db_session: DbSession) -> Response:
    """Scope: own district (staff), all (notaries, auditors). One applicant's result
    document, including drawn rounds not yet published."""
    return _document(service.result_for(db_session=db_session, applicant=applicant, published_only=False))
