"""The staff console: school plans, routes by zone, the round lifecycle with its ceremony
steps, statistics with charts, and publication. HTTP form -> the domain's use case -> a
template, as in :mod:`paiwei.web.views`.

Every route declares the same access as the API route it mirrors (``paiwei/rounds/views.py``,
``paiwei/choices/views.py``); the table is ``PAGE_SCOPES`` in
``tests/integration/web/test_pages.py``. Signatures are made on the signer's own machine
(``paiwei sign``, ``paiwei notary countersign``) and uploaded here as files: no page takes
a private key, and a file that holds one is refused without being kept.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from api.deps import DbSession, Now
from api.params import RoundPk
from api.scope import DistrictStaff, Scope
from paiwei import data
from paiwei.accounts.models import Role
from paiwei.accounts.service import AuthUser
from paiwei.audit.service import Actor
from paiwei.choices import service as choices
from paiwei.plans import FORMATS, HEADERS, PlanInvalid, parse_plan
from paiwei.problems import ProblemError
from paiwei.rounds import service as rounds
from paiwei.rounds.errors import RoundError

# The same access as the round API: one declaration per kind of caller.
from paiwei.rounds.views import CeremonyUser, Notary, RoundLister, RoundStaff, Verifier
from paiwei.web.views import MECHANISMS, ROUND_STATES, page
from paiwei.windows import service as windows
from reports.public import Bar, Chart, bar_chart_svg

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

_OWN = Scope.OWN_DISTRICT

STAGES = {"primary": "小学", "junior": "初中"}
KINDS = {"public": "公办", "private": "民办", "boarding": "公办寄宿", "special-education": "特殊教育"}
ZONE_KINDS = {"multi-school": "多校划片", "single-school": "单校划片"}
ROUTES = {"none": "不参加派位", "single-school": "单校划片（对口入学）", "zone": "多校划片（片区统筹派位）",
          "district": "区教委统筹安排"}
MODES = {"direct": "直接录取", "drawn": "派位"}
CONTRIBUTORS = {"district": "区教委", "notary": "公证处", "notary-draw": "公证处现场摇号",
                rounds.BEACON: "公开随机信标（drand）"}
ACCOUNT_LABELS = {"in-round": "参加本轮派位", "placed-earlier": "已在此前轮次录取",
                  "ineligible": "不符合入学条件", "no-list": "未填报本轮可参加的志愿",
                  "other-route": "经其他途径入学"}
SIGNERS = {"district": "区教委", "notary": "公证处"}
MAX_LISTED = 200  # applicants shown per reason; the counts are always whole
CHART_WIDTH = 400  # the reports draw 640 wide for paper; a phone shows 400 at close to full size


def _actor(user: AuthUser) -> Actor:
    return Actor(user.id, user.role)


def _slug(user: AuthUser) -> str:
    return data.district_slug(user.district or "") or "-"


def zone_labels(zones: Sequence[Mapping[str, Any]], schools: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Zone id -> what staff read: its name, else its schools' names (a catalogue may name
    no zone; ids are never shown)."""
    names = {str(s["id"]): str(s.get("name") or "") for s in schools}
    out = {}
    for z in zones:
        if z.get("name"):
            out[str(z["id"])] = str(z["name"])
            continue
        members = [names.get(str(i)) or "" for i in z.get("schools", [])]
        members = [m for m in members if m]
        if len(members) == 1:
            out[str(z["id"])] = f"{members[0]}片区"
        elif members:
            out[str(z["id"])] = f"{members[0]}等{len(members)}所学校的片区"
    return out


# --- uploads ------------------------------------------------------------------------------


@dataclass(eq=False)
class UploadRefused(ProblemError):
    """A file or value the page cannot use; nothing of it is kept."""

    CATALOGUE: ClassVar[Mapping[str, tuple[int, str]]] = {
        "file_missing": (422, "请选择要上传的文件"),
        "file_not_json": (422, "文件不是 JSON 格式，请上传签名工具生成的文件"),
        "private_key": (422, "这是私钥文件。私钥只能留在持有人自己的电脑上，请勿上传；请上传用私钥签名后生成的文件"),
        "file_type": (422, "只接受 CSV 或 XLSX 格式的学校招生计划"),
        "bad_value": (422, "填写的内容格式不正确"),
    }
    code: str
    field: str | None = None
    detail: str | None = None


@dataclass
class Submitted:
    fields: dict[str, str]
    files: dict[str, tuple[str, bytes]]  # name -> (file name, content)


async def submitted(request: Request) -> Submitted:
    """The submitted form: text fields and uploaded files (their size is bounded by the
    body-size middleware before the form is parsed)."""
    form = await request.form()
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields[key] = value
        elif isinstance(value, UploadFile):
            if value.filename:
                files[key] = (value.filename, await value.read())
            await value.close()
    return Submitted(fields, files)


Upload = Annotated[Submitted, Depends(submitted)]


def _file(form: Submitted, name: str) -> tuple[str, bytes]:
    got = form.files.get(name)
    if got is None or not got[1].strip():
        raise UploadRefused("file_missing", field=name)
    if b"PRIVATE KEY" in got[1]:
        raise UploadRefused("private_key", field=name)
    return got


def _json_file(form: Submitted, name: str) -> dict[str, Any]:
    _, content = _file(form, name)
    try:
        value = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise UploadRefused("file_not_json", field=name) from None
    if not isinstance(value, dict):
        raise UploadRefused("file_not_json", field=name)
    return value


# --- school plans ---------------------------------------------------------------------------


def _season_years(db_session: DbSession, user: AuthUser, now: datetime) -> list[int]:
    rows = windows.list_windows(db_session=db_session, district=user.district or "")
    return sorted({w.year for w in rows}) or [now.year]


def _year(request: Request, years: list[int]) -> int:
    try:
        year = int(request.query_params.get("year", ""))
    except ValueError:
        return years[-1]
    return year if 2000 <= year <= 2100 else years[-1]


def _plan_page(request: Request, user: AuthUser, db_session: DbSession, now: datetime, *, year: int,
               errors: Mapping[str, str], issues: list[dict[str, Any]] | None = None,
               status_code: int = 200) -> HTMLResponse:
    years = sorted(set(_season_years(db_session, user, now)) | {year})
    plan = rounds.get_plan(db_session=db_session, district=_slug(user), year=year)
    schools: list[dict[str, Any]] = []
    zones: list[dict[str, Any]] = []
    if plan is not None:
        zone_names = zone_labels(plan.zones, plan.schools)
        addresses = dict(plan.addresses or {})
        for s in plan.schools:
            zone = str(s.get("zone") or "")
            schools.append({"name": s.get("name") or s["id"], "stage": STAGES.get(s.get("stage", ""), ""),
                            "kind": KINDS.get(str(s.get("kind")), str(s.get("kind"))), "seats": s.get("seats", 0),
                            "zone": zone_names.get(zone, "—"),
                            "address": addresses.get(str(s["id"]), "")})
        names = {str(s["id"]): str(s.get("name") or s["id"]) for s in plan.schools}
        for z in plan.zones:
            zones.append({"name": zone_names.get(str(z["id"]), "—"), "kind": ZONE_KINDS.get(str(z.get("kind")), ""),
                          "stage": STAGES.get(str(z.get("stage")), ""),
                          "schools": "、".join(names.get(str(i), str(i)) for i in z.get("schools", [])),
                          "seats": sum(int(s.get("seats", 0)) for s in plan.schools
                                       if str(s["id"]) in {str(i) for i in z.get("schools", [])})})
    frozen = any(r.state != "created" for r in rounds.list_rounds(db_session=db_session, district=_slug(user),
                                                                   year=year))
    return page(request, "staff/plans.html", status_code=status_code, user=user, year=year, years=years,
                plan=plan, schools=schools, zones=zones, errors=errors, issues=issues or [], frozen=frozen,
                imported=request.query_params.get("imported"))


@router.get("/staff/plans")
def staff_plans(request: Request, user: DistrictStaff, db_session: DbSession, now: Now) -> HTMLResponse:
    """学校招生计划: the district-year's imported plan with school names, zones, seats and
    addresses, and the form to import a plan file."""
    year = _year(request, _season_years(db_session, user, now))
    return _plan_page(request, user, db_session, now, year=year, errors={})


@router.post("/staff/plans", response_model=None)
def staff_import_plan(request: Request, user: DistrictStaff, form: Upload, db_session: DbSession,
                      now: Now) -> Response:
    """Import a plan file (CSV or XLSX): a file with any bad row imports nothing and every
    problem is listed with its row and column."""
    try:
        year = int(form.fields.get("year", ""))
    except ValueError:
        year = now.year
    try:
        name, content = _file(form, "plan")
        fmt = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if fmt not in FORMATS:
            raise UploadRefused("file_type", field="plan")
        try:
            plan = parse_plan(content, fmt, source=name)
        except PlanInvalid as exc:
            columns = {v: k for k, v in HEADERS.items()}
            issues = [{"row": i.row, "column": columns.get(i.column or "", i.column or ""), "message": i.message}
                      for i in exc.issues]
            err = RoundError("plan_invalid")
            return _plan_page(request, user, db_session, now, year=year, errors={"plan": err.title},
                              issues=issues, status_code=err.status)
        rounds.import_plan(db_session=db_session, actor=_actor(user), district=_slug(user), year=year,
                           plan=plan, now=now)
    except ProblemError as exc:
        return _plan_page(request, user, db_session, now, year=year, errors={exc.field or "plan": exc.title},
                          status_code=exc.status)
    return RedirectResponse(f"/staff/plans?year={year}&imported=1", status_code=303)


# --- routes by zone -------------------------------------------------------------------------


def _stage(request: Request) -> str:
    stage = request.query_params.get("stage", "primary")
    return stage if stage in STAGES else "primary"


def _routes_page(request: Request, user: AuthUser, db_session: DbSession, now: datetime, *, year: int,
                 stage: str, errors: Mapping[str, str], status_code: int = 200) -> HTMLResponse:
    years = sorted(set(_season_years(db_session, user, now)) | {year})
    read = choices.routes(db_session=db_session, district=user.district or "", year=year, stage=stage)
    zone_names: dict[str, str] = {}
    try:
        source = choices.schools_of(db_session=db_session, district=user.district or "", year=year, stage=stage)
        zone_names = zone_labels(source.zones, source.schools)
    except ProblemError:
        pass
    return page(request, "staff/routes.html", status_code=status_code, user=user, r=read, year=year,
                years=years, stage=stage, stages=STAGES, routes=ROUTES, zone_names=zone_names, errors=errors,
                done=request.query_params.get("routed"))


@router.get("/staff/routes")
def staff_routes(request: Request, user: DistrictStaff, db_session: DbSession, now: Now) -> HTMLResponse:
    """片区与派位途径: eligible children per zone and route, the ineligible by rule, and the
    verified applicants still undecided with the reason."""
    return _routes_page(request, user, db_session, now, year=_year(request, _season_years(db_session, user, now)),
                        stage=_stage(request), errors={})


@router.post("/staff/routes", response_model=None)
def staff_route_again(request: Request, user: DistrictStaff, form: Upload, db_session: DbSession,
                      now: Now) -> Response:
    """Route (again) every verified applicant with a routing record."""
    stage = form.fields.get("stage", "primary")
    stage = stage if stage in STAGES else "primary"
    try:
        year = int(form.fields.get("year", ""))
    except ValueError:
        year = now.year
    try:
        done = choices.route_district(db_session=db_session, actor=_actor(user), district=user.district or "",
                                      year=year, stage=stage, now=now)
    except ProblemError as exc:
        return _routes_page(request, user, db_session, now, year=year, stage=stage,
                            errors={"_form": exc.title}, status_code=exc.status)
    return RedirectResponse(f"/staff/routes?year={year}&stage={stage}&routed={done.routed}", status_code=303)


# --- rounds ----------------------------------------------------------------------------------


@router.get("/staff/rounds")
def staff_rounds(request: Request, user: RoundLister, db_session: DbSession, now: Now) -> HTMLResponse:
    """派位轮次: every round (district staff: their own district's) with its state, and the
    form to create the next round."""
    district = _slug(user) if user.role == Role.DISTRICT_STAFF else None
    rows = rounds.list_rounds(db_session=db_session, district=district)
    years = _season_years(db_session, user, now) if user.role == Role.DISTRICT_STAFF else []
    return page(request, "staff/rounds.html", user=user, rows=rows, titles=rounds.round_titles(rows=rows),
                states=ROUND_STATES, stages=STAGES, years=years, errors={},
                districts=dict(data.items("districts")), codes={r.district: data.district_code(r.district)
                                                               for r in rows})


@router.post("/staff/rounds", response_model=None)
def staff_create_round(request: Request, user: DistrictStaff, form: Upload, db_session: DbSession,
                       now: Now) -> Response:
    """Create the stage's next round of the district's policy; an optional scenario file
    (paiwei-scenario/1 or /2) stages the inputs, else the freeze reads the database."""
    from allocation import PolicyError, shipped_policy_text  # noqa: PLC0415

    stage = form.fields.get("stage", "")
    try:
        year = int(form.fields.get("year", ""))
        scenario = _json_file(form, "scenario") if "scenario" in form.files else None
        if stage not in STAGES:
            raise UploadRefused("bad_value", field="stage")
        policy = f"{_slug(user)}-{year}"
        try:
            text = shipped_policy_text(policy)
        except (PolicyError, FileNotFoundError, ValueError, OSError):
            raise RoundError("unknown_district", field="year", detail=policy) from None
        row = rounds.create(db_session=db_session, actor=_actor(user), policy_text=text, stage=stage,
                            scenario=scenario, now=now)
    except ValueError:
        return _rounds_error(request, user, db_session, now, "year", UploadRefused("bad_value").title, 422)
    except ProblemError as exc:
        return _rounds_error(request, user, db_session, now, exc.field or "_form", exc.title, exc.status)
    return RedirectResponse(f"/staff/rounds/{row.id}?done=created", status_code=303)


def _rounds_error(request: Request, user: AuthUser, db_session: DbSession, now: datetime, field: str,
                  message: str, status_code: int) -> HTMLResponse:
    rows = rounds.list_rounds(db_session=db_session, district=_slug(user))
    return page(request, "staff/rounds.html", status_code=status_code, user=user, rows=rows,
                titles=rounds.round_titles(rows=rows), states=ROUND_STATES, stages=STAGES,
                years=_season_years(db_session, user, now), errors={field: message},
                districts=dict(data.items("districts")),
                codes={r.district: data.district_code(r.district) for r in rows})


DONE = {
    "created": "派位轮次已创建。", "keys": "签名公钥已登记。", "commitment": "承诺已登记。",
    "frozen": "输入已冻结，冻结声明已公布。", "revealed": "贡献已揭示并通过核对。",
    "contributed": "冻结后的随机数贡献已登记。", "waived": "已放弃该承诺，原因已记录。",
    "closed": "仪式已结束，随机种子已生成。", "run": "派位已完成，请下载数据包签名。",
    "signed": "区教委签名已核验并保存，待公证处会签。", "published": "公证处会签已核验，派位结果已公布。",
}


@dataclass
class Step:
    title: str
    state: str  # done | current | later
    note: str = ""


ORDER = ["created", "frozen", "ready", "drawn", "signed", "publishing", "published"]


def _steps(state: str, keys_pinned: bool) -> list[Step]:
    """The lifecycle as staff follow it: what is done, the one step to take now, what follows."""
    if state == "empty":
        return [Step("创建轮次", "done"), Step("冻结：无人参加本轮，未派位", "done")]
    at = ORDER.index(state) if state in ORDER else 0
    items = [("创建轮次", True, False), ("登记区教委和公证处的签名公钥", keys_pinned or at > 0, False),
             ("登记冻结前的承诺（可选）", at > 0, True), ("冻结输入：下载冻结声明草稿，签名后上传", at > 0, False),
             ("揭示承诺；公证处登记现场摇号等冻结后的贡献", at > 1, False), ("结束仪式，生成随机种子", at > 1, False),
             ("运行派位", at > 2, False), ("区教委签名派位数据包", at > 3, False),
             ("公证处会签，公布派位结果", at > 5, False)]
    current = next((i for i, (_, done, optional) in enumerate(items) if not done and not optional), None)
    return [Step(title, "done" if done else ("current" if i == current else "later"))
            for i, (title, done, _) in enumerate(items)]


def _round_page(request: Request, user: AuthUser, db_session: DbSession, round_pk: int, *,
                errors: Mapping[str, str], status_code: int = 200) -> HTMLResponse:
    row = rounds.get_or_raise(db_session=db_session, round_pk=round_pk)
    keys = rounds.season_keys(db_session=db_session, district=row.district, year=row.year, stage=row.stage)
    contributions = rounds.contributions_of(db_session=db_session, round_pk=row.id)
    title = rounds.round_titles(rows=[row]).get(row.id, row.round)
    statement = json.loads(row.freeze_statement) if row.freeze_statement else None
    return page(request, "staff/round.html", status_code=status_code, user=user, row=row, title=title,
                states=ROUND_STATES, stages=STAGES, keys=keys, signers=SIGNERS, contributions=contributions,
                contributors=CONTRIBUTORS, steps=_steps(row.state, set(keys) == {"district", "notary"}),
                statement=statement, errors=errors, done=DONE.get(request.query_params.get("done", ""), ""),
                district_name=_district_name(row.district),
                beacon=(statement or {}).get("beacon"))


def _district_name(slug: str) -> str:
    code = data.district_code(slug)
    try:
        return data.label("districts", code) if code else slug
    except KeyError:
        return slug


@router.get("/staff/rounds/{round_pk}")
def staff_round(round_pk: RoundPk, request: Request, user: Verifier, db_session: DbSession) -> HTMLResponse:
    """One round: where it stands in the lifecycle, its ceremony, and the next step."""
    return _round_page(request, user, db_session, round_pk, errors={})


def _after(round_pk: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"/staff/rounds/{round_pk}?done={done}", status_code=303)


def _step_error(request: Request, user: AuthUser, db_session: DbSession, round_pk: int, step: str,
                exc: ProblemError) -> HTMLResponse:
    db_session.rollback()
    message = exc.title
    detail = getattr(exc, "detail", None)
    if detail and exc.code in {"applicants_undecided", "reveal_missing", "inputs_changed"}:
        message += f"（{detail}）"
    return _round_page(request, user, db_session, round_pk, errors={step: message}, status_code=exc.status)


@router.post("/staff/rounds/{round_pk}/season-keys", response_model=None)
def staff_pin_keys(round_pk: RoundPk, request: Request, user: RoundStaff, form: Upload,
                   db_session: DbSession, now: Now) -> Response:
    """Pin the season's public keys (hex), before the first freeze."""
    keys = {name: form.fields.get(f"key_{name}", "").strip().lower() for name in SIGNERS}
    try:
        for name, value in keys.items():
            if b"PRIVATE KEY" in value.encode() or len(value) != 64:
                raise RoundError("key_invalid", field="keys",
                                 detail=f"{name}: 64 hex digits (the public key)")
        rounds.pin_keys(db_session=db_session, actor=_actor(user), round_pk=round_pk, keys=keys, now=now)
    except ProblemError as exc:
        return _step_error(request, user, db_session, round_pk, "keys", exc)
    return _after(round_pk, "keys")


@router.post("/staff/rounds/{round_pk}/commitments", response_model=None)
def staff_commit(round_pk: RoundPk, request: Request, user: CeremonyUser, form: Upload,
                 db_session: DbSession, now: Now) -> Response:
    """Record a commitment made with ``paiwei ceremony commit`` (before the freeze)."""
    contributor = form.fields.get("contributor", "").strip()
    commitment = form.fields.get("commitment", "").strip().lower()
    try:
        if not contributor or len(commitment) != 64:
            raise RoundError("ceremony_invalid", field="commitment")
        rounds.record_commitment(db_session=db_session, actor=_actor(user), round_pk=round_pk,
                                 contributor=contributor, commitment=commitment, now=now)
    except ProblemError as exc:
        return _step_error(request, user, db_session, round_pk, "commitment", exc)
    return _after(round_pk, "commitment")


@router.get("/staff/rounds/{round_pk}/freeze-draft.json", response_model=None)
def staff_freeze_draft(round_pk: RoundPk, request: Request, user: RoundStaff, db_session: DbSession,
                       now: Now) -> Response:
    """The freeze statement to sign on the district's machine, as a file (nothing stored)."""
    try:
        statement = rounds.prepare_freeze(db_session=db_session, round_pk=round_pk, now=now)
    except ProblemError as exc:
        return _step_error(request, user, db_session, round_pk, "freeze", exc)
    if statement is None:  # nobody to place: the freeze needs no signature
        return _round_page(request, user, db_session, round_pk,
                           errors={"freeze": "本轮无人参加，无需签名：直接点击“冻结”即可。"}, status_code=409)
    row = rounds.get_or_raise(db_session=db_session, round_pk=round_pk)
    body = json.dumps(statement, ensure_ascii=False, indent=2) + "\n"
    name = f"freeze-draft-{row.district}-{row.year}-{row.stage}-{row.round}.json"
    return Response(body.encode("utf-8"), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/staff/rounds/{round_pk}/freeze", response_model=None)
def staff_freeze(round_pk: RoundPk, request: Request, user: RoundStaff, form: Upload,
                 db_session: DbSession, now: Now) -> Response:
    """Freeze with the statement signed on the district's machine (uploaded file)."""
    try:
        statement = _json_file(form, "statement") if "statement" in form.files else None
        rounds.freeze(db_session=db_session, actor=_actor(user), round_pk=round_pk, statement=statement, now=now)
    except ProblemError as exc:
        return _step_error(request, user, db_session, round_pk, "freeze", exc)
    return _after(round_pk, "frozen")


@router.post("/staff/rounds/{round_pk}/reveals", response_model=None)
def staff_reveal(round_pk: RoundPk, request: Request, user: CeremonyUser, form: Upload,
                 db_session: DbSession, now: Now) -> Response:
    """Reveal a commitment from its opening file (``paiwei ceremony commit --opening``)."""
    try:
        opening = _json_file(form, "opening")
        if not all(isinstance(opening.get(k), str) for k in ("contributor", "nonce", "value")):
            raise UploadRefused("file_not_json", field="opening")
        rounds.reveal(db_session=db_session, actor=_actor(user), round_pk=round_pk,
                      contributor=opening["contributor"], nonce=opening["nonce"], value=opening["value"], now=now)
    except ProblemError as exc:
        return _step_error(request, user, db_session, round_pk, "reveal", exc)
    return _after(round_pk, "revealed")


@router.post("/staff/rounds/{round_pk}/contributions", response_model=None)
def staff_contribute(round_pk: RoundPk, request: Request, user: Notary, form: Upload,
                     db_session: DbSession, now: Now) -> Response:
    """The notary's after-freeze contribution: the live draw's ball numbers in the order
    drawn, encoded as the API and ``paiwei round contribute --balls`` do (docs/draw-spec.md §8.1)."""
    from seeding import balls_value, parse_balls  # noqa: PLC0415

    contributor = form.fields.get("contributor", "").strip() or "notary-draw"
    try:
        value = balls_value(parse_balls(form.fields.get("balls", ""))).hex()
    except ValueError:
        return _round_page(request, user, db_session, round_pk, status_code=422, errors={
            "contribution": "摇出的号码应为 0–999 的整数，按摇出顺序用逗号或空格分隔，例如 3,17,42"})
    try:
        rounds.contribute(db_session=db_session, actor=_actor(user), round_pk=round_pk, contributor=contributor,
                          value=value, now=now)
    except ProblemError as exc:
        return _step_error(request, user, db_session, round_pk, "contribution", exc)
    return _after(round_pk, "contributed")


@router.post("/staff/rounds/{round_pk}/beacon", response_model=None)
def staff_beacon(round_pk: RoundPk, request: Request, user: Notary, form: Upload,
                 db_session: DbSession, now: Now) -> Response:
    """The drand round named at the freeze, from its published record file, checked offline."""
    try:
        record = _json_file(form, "record")
        rounds.contribute_beacon(db_session=db_session, actor=_actor(user), round_pk=round_pk, record=record,
                                 now=now)
    except ProblemError as exc:
        return _step_error(request, user, db_session, round_pk, "contribution", exc)
    return _after(round_pk, "contributed")


@router.post("/staff/rounds/{round_pk}/waivers", response_model=None)
def staff_waive(round_pk: RoundPk, request: Request, user: Notary, form: Upload,
                db_session: DbSession, now: Now) -> Response:
    """The notary leaves out a commitment that was not revealed, with the reason."""
    try:
        rounds.waive(db_session=db_session, actor=_actor(user), round_pk=round_pk,
                     contributor=form.fields.get("contributor", "").strip(),
                     reason=form.fields.get("reason", ""), now=now)
    except ProblemError as exc:
        return _step_error(request, user, db_session, round_pk, "waiver", exc)
    return _after(round_pk, "waived")


@router.post("/staff/rounds/{round_pk}/close-ceremony", response_model=None)
def staff_close(round_pk: RoundPk, request: Request, user: RoundStaff, db_session: DbSession,
                now: Now) -> Response:
    try:
        rounds.close_ceremony(db_session=db_session, actor=_actor(user), round_pk=round_pk, now=now)
    except ProblemError as exc:
        return _step_error(request, user, db_session, round_pk, "close", exc)
    return _after(round_pk, "closed")


@router.post("/staff/rounds/{round_pk}/run", response_model=None)
def staff_run(round_pk: RoundPk, request: Request, user: RoundStaff, db_session: DbSession,
              now: Now) -> Response:
    try:
        rounds.run(db_session=db_session, actor=_actor(user), round_pk=round_pk, now=now)
    except ProblemError as exc:
        return _step_error(request, user, db_session, round_pk, "run", exc)
    return _after(round_pk, "run")


@router.get("/staff/rounds/{round_pk}/bundle.json", response_model=None)
def staff_bundle(round_pk: RoundPk, request: Request, user: Verifier, db_session: DbSession) -> Response:
    """The drawn bundle as stored (with the signatures made so far), to sign or verify."""
    row = rounds.get_or_raise(db_session=db_session, round_pk=round_pk)
    if row.bundle is None:
        return _step_error(request, user, db_session, round_pk, "run",
                           RoundError("out_of_order", detail="not drawn yet"))
    name = f"bundle-{row.district}-{row.year}-{row.stage}-{row.round}.json"
    return Response(row.bundle.encode("utf-8"), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _signature_of(document: Mapping[str, Any], signer: str) -> Mapping[str, Any]:
    """The signer's entry: the file ``paiwei sign`` wrote (the signed bundle), or the
    signature it printed (``{"signer", "public_key", "signature"}``)."""
    if isinstance(document.get("signatures"), list):
        found = [s for s in document["signatures"] if isinstance(s, Mapping) and s.get("signer") == signer]
        if not found:
            raise RoundError("signature_required", field="signature")
        entry: Mapping[str, Any] = found[-1]
        return entry
    return document


@router.post("/staff/rounds/{round_pk}/signature", response_model=None)
def staff_sign(round_pk: RoundPk, request: Request, user: RoundStaff, form: Upload,
               db_session: DbSession, now: Now) -> Response:
    """The district's signature, from the file ``paiwei sign`` wrote on the district's machine."""
    try:
        signature = _signature_of(_json_file(form, "signature"), rounds.DISTRICT)
        rounds.sign(db_session=db_session, actor=_actor(user), round_pk=round_pk, signature=signature, now=now)
    except ProblemError as exc:
        return _step_error(request, user, db_session, round_pk, "signature", exc)
    return _after(round_pk, "signed")


@router.post("/staff/rounds/{round_pk}/countersignature", response_model=None)
def staff_countersign(round_pk: RoundPk, request: Request, user: Notary, form: Upload,
                      db_session: DbSession, now: Now) -> Response:
    """The notary's countersignature, from the file ``paiwei notary countersign`` wrote; the
    round is published once the bundle verifies with both pinned keys."""
    try:
        document = _json_file(form, "countersignature")
        if isinstance(document.get("signatures"), list):
            rounds.countersign(db_session=db_session, actor=_actor(user), round_pk=round_pk,
                               signed_bundle=document, now=now)
        else:
            rounds.countersign(db_session=db_session, actor=_actor(user), round_pk=round_pk,
                               signature=document, now=now)
    except ProblemError as exc:
        return _step_error(request, user, db_session, round_pk, "countersignature", exc)
    return _after(round_pk, "published")


# --- statistics ------------------------------------------------------------------------------


def _zone_names(db_session: DbSession, row: Any) -> dict[str, str]:
    """Zone id -> what staff read, from the round's own inputs, else the district's plan."""
    scenario = json.loads(row.inputs or "{}").get("scenario") or {}
    if scenario.get("zones"):
        return zone_labels(scenario["zones"], scenario.get("schools", []))
    plan = rounds.get_plan(db_session=db_session, district=row.district, year=row.year)
    if plan is not None:
        return zone_labels(plan.zones, plan.schools)
    try:
        source = choices.schools_of(db_session=db_session, district=data.district_code(row.district) or "",
                                    year=row.year, stage=row.stage)
    except ProblemError:
        return {}
    return zone_labels(source.zones, source.schools)


def _charts(stats: Any, zone_names: Mapping[str, str]) -> list[tuple[Chart, str]]:
    schools = sorted((s for s in stats.schools if s.seats > 0), key=lambda s: (-s.applied / s.seats, s.name))
    charts = [Chart("各校申请人数与学位数之比", "虚线：申请人数等于学位数。",
                    tuple(Bar(s.name, round(s.applied / s.seats, 2), f"{s.applied} / {s.seats}") for s in schools)
                    or (Bar("无", 0),), reference=1.0)]
    zoned = [z for z in stats.zones if z.zone is not None and z.seats > 0]
    if zoned:
        charts.append(Chart("各片区申请人数与学位数之比（多校划片）", "虚线：申请人数等于学位数。",
                             tuple(Bar(zone_names.get(z.zone, "其他片区"), round(z.applied / z.seats, 2),
                                       f"{z.applied} / {z.seats}") for z in zoned), reference=1.0))
    charts.append(Chart("按志愿顺序的录取人数", "",
                        tuple(Bar(f"第 {r} 志愿", n) for r, n in stats.placed_by_choice.items()) or (Bar("无", 0),)))
    charts.append(Chart("未录取人数（按第一志愿所在片区）", "",
                        tuple(Bar(zone_names.get(z.zone, "其他片区") if z.zone else "不属于多校划片片区", z.unplaced)
                              for z in stats.zones if z.unplaced) or (Bar("无", 0),)))
    return [(c, bar_chart_svg(c, width=CHART_WIDTH)) for c in charts]


@router.get("/staff/rounds/{round_pk}/statistics")
def staff_statistics(round_pk: RoundPk, request: Request, user: Verifier, db_session: DbSession) -> HTMLResponse:
    """A drawn round's statistics per zone and school (seats, applied, direct or drawn, the
    cut-off, placed by choice rank, unplaced) with the reports' charts, and the round's
    accounting: everyone not in the round, with the rule why not."""
    row = rounds.get_or_raise(db_session=db_session, round_pk=round_pk)
    title = rounds.round_titles(rows=[row]).get(row.id, row.round)
    try:
        stats = rounds.statistics(db_session=db_session, round_pk=round_pk)
    except RoundError as exc:
        return page(request, "message.html", status_code=exc.status, user=user, title="派位统计",
                    message="本轮尚未派位，还没有统计数据。", link=(f"/staff/rounds/{round_pk}", "返回派位轮次"))
    accounting = rounds.accounting_of(db_session=db_session, round_pk=round_pk)
    reasons: dict[str, list[str]] = {}
    for entry in accounting.others:
        text = entry.text or ACCOUNT_LABELS.get(entry.disposition, "")
        reasons.setdefault(text, []).append(entry.applicant)
    zone_names = _zone_names(db_session, row)
    return page(request, "staff/statistics.html", user=user, row=row, title=title, s=stats,
                charts=_charts(stats, zone_names), zone_names=zone_names, modes=MODES, states=ROUND_STATES,
                stages=STAGES, counts=accounting.counts, account_labels=ACCOUNT_LABELS, reasons=reasons,
                max_listed=MAX_LISTED, mechanisms=MECHANISMS,
                district_name=_district_name(row.district))


__all__ = ["router"]
