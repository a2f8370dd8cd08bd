"""Pages: HTTP form -> the domain's use case -> a template. No SQL, no role checks here.

Every page declares its access as the API does (``api.scope``: ``Public``, or the roles it
admits with their scope and, for a named applicant, its locator); the pages' scope table is
in ``tests/integration/web/test_pages.py`` and the route-table test checks both. Forms post
back ``csrf_token`` (checked by those dependencies), and the pages show the use cases'
errors next to the field they name.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from api import problems
from api.deps import AppSettings, ClientIp, DbSession, Now, Sender
from api.locate import applicant_place, window_place
from api.params import Pseudonym, WindowId
from api.scope import AnyUser, DistrictStaff, ParentUser, Public, Scope, access
from paiwei import data
from paiwei.accounts import service as accounts
from paiwei.accounts.models import Role
from paiwei.accounts.service import AuthUser
from paiwei.audit.service import Actor
from paiwei.captcha import service as captcha
from paiwei.choices import service as choices
from paiwei.intake import service as intake
from paiwei.intake.errors import IntakeError
from paiwei.intake.schemas import DetailsCreate, RegistrationCreate
from paiwei.problems import ProblemError
from paiwei.review import service as review
from paiwei.rounds import service as rounds
from paiwei.rounds.errors import RoundError
from paiwei.windows import service as windows

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

# Staff pages declare exactly the review API's access (paiwei/review/views.py).
_REVIEWERS = {Role.STREET_REVIEWER: Scope.OWN_STREET, Role.DISTRICT_STAFF: Scope.OWN_DISTRICT}
Reviewers = Annotated[AuthUser, access(_REVIEWERS)]
ApplicantReviewer = Annotated[AuthUser, access(_REVIEWERS, locate=applicant_place)]
StreetReviewer = Annotated[AuthUser, access({Role.STREET_REVIEWER: Scope.OWN_STREET}, locate=applicant_place)]
DistrictReviewer = Annotated[AuthUser, access({Role.DISTRICT_STAFF: Scope.OWN_DISTRICT},
                                              locate=applicant_place)]

SEX = (("M", "男"), ("F", "女"))
LIST_TITLES = {"private_boarding": "民办或寄宿学校", "zone": "服务片区内公办学校",
               "groups": "初中入学分组志愿"}
STATUS_TITLES = {"placed": "已派位", "unplaced": "未派位（由区教委统筹安排学位）",
                 "ineligible": "不符合入学条件", "pending": "派位进行中，后续轮次尚未公布"}
MECHANISMS = {"preference-first": "志愿优先", "deferred-acceptance": "延迟接受"}


async def form_fields(request: Request) -> dict[str, str]:
    """The submitted form as text fields (files are not accepted by any page)."""
    form = await request.form()
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


Form = Annotated[dict[str, str], Depends(form_fields)]


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


LABELS = {
    "district": "入学所在区", "child_nationality": "适龄儿童国籍", "hukou_province": "户籍所在地",
    "hukou_district": "户籍所在区", "residence_district": "适龄儿童居住地", "child_name": "适龄儿童姓名",
    "child_sex": "适龄儿童性别", "child_birth_date": "适龄儿童出生日期",
    "child_id_type": "适龄儿童证件类型", "child_id_number": "适龄儿童证件号码",
    "guardian_name": "监护人（一）姓名", "guardian_mobile": "监护人（一）手机号", "password": "登录密码",
    "password_confirm": "再次输入登录密码", "captcha_answer": "图片验证码", "sms_code": "手机短信码",
    "notice_agreed": "监护人须知", "privacy_agreed": "个人信息保护政策", "login": "账号",
    "mobile": "手机号", "new_password": "新密码", "new_password_confirm": "再次输入新密码",
    "hukou_address": "户籍所在地详细地址", "hukou_type": "户籍类型", "ethnicity": "民族",
    "address": "地址", "street": "实际居住地所在乡镇（街道、地区）", "dwelling_type": "住所类型",
    "certificate_no": "房屋所有权证号", "certificate_date": "发证日期",
    "registration_no": "登记备案编号", "registration_date": "登记备案日期", "name": "姓名",
    "relation": "关系", "nationality": "国籍", "id_type": "证件类型", "id_number": "证件号码",
    "education": "学历", "phone": "联系电话", "work_nature": "工作性质", "employer": "工作单位",
    "employer_district": "工作单位所属区", "social_insurance_months": "在本区缴纳社会保险月数",
    "reason": "退回原因", "guardians": "法定监护人",
}


def describe(path: str) -> str:
    """A field path in words for the error summary: ``guardians.1.phone`` -> 监护人（二）联系电话."""
    parts = path.split(".")
    who = ""
    if parts[0] == "guardians" and len(parts) > 2 and parts[1].isdigit():
        who = "监护人（一）" if parts[1] == "0" else "监护人（二）"
    return who + LABELS.get(parts[-1], "")


templates.env.globals["describe"] = describe


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors as {field path: Chinese message}; values are never echoed."""
    out: dict[str, str] = {}
    for e in exc.errors():
        path = ".".join(str(p) for p in e.get("loc", ()))
        missing = e.get("type") in {"missing", "string_too_short", "list_too_short"}
        code = "required_field_missing" if missing else "validation_error"
        out.setdefault(path, "此项为必填项" if missing else IntakeError(code).title)
    return out


def problem_errors(exc: ProblemError) -> dict[str, str]:
    return {exc.field or "_form": exc.title}


def new_captcha(db_session: DbSession, settings: AppSettings, now: Now) -> str:
    return captcha.issue(db_session=db_session, settings=settings, now=now).id


def options(name: str) -> tuple[tuple[str, str], ...]:
    return data.items(name)


def label(name: str, code: str | None) -> str:
    if not code:
        return ""
    try:
        return data.label(name, code)
    except KeyError:
        return code


BEIJING = ZoneInfo("Asia/Shanghai")


def as_utc(value: datetime) -> datetime:
    """Stored datetimes are UTC; SQLite gives them back without a zone."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def beijing(value: datetime) -> str:
    """A moment in Beijing time, in words: 2024年5月20日 09:00."""
    t = as_utc(value).astimezone(BEIJING)
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}"


YES_NO = (("yes", "是"), ("no", "否"))
# 工作单位所属区、社会保险个人权益记录所在区: Beijing's districts, outside Beijing, none
PLACES = (*data.items("districts"), *data.items("work_places"))
templates.env.globals.update(options=options, label=label, SEX=dict(SEX), YES_NO=YES_NO, PLACES=PLACES)
templates.env.filters["bj"] = beijing
templates.env.filters["utc"] = as_utc


# --- home, registration, login ------------------------------------------------------------


@router.get("/", dependencies=[Public])
def home(request: Request) -> HTMLResponse:
    """Figure 1-3: the district, then the service."""
    return page(request, "home.html", districts=options("districts"))


def _register_page(request: Request, db_session: DbSession, settings: AppSettings, now: Now, *,
                   district: str, notice_token: str | None, values: Mapping[str, str],
                   errors: Mapping[str, str], status_code: int = 200) -> HTMLResponse:
    left = None
    if notice_token:
        left = intake.notice_seconds_left(db_session=db_session, settings=settings,
                                          token=notice_token, now=now)
    if left is None:  # first visit, or the notice was used or is unknown: show it again
        notice_token = intake.open_notice(db_session=db_session, district=district, now=now).token
        left = settings.notice_min_read_seconds
    return page(request, "register.html", status_code=status_code, district=district,
                district_name=label("districts", district), notice_text=intake.NOTICE_TEXT,
                notice_token=notice_token, seconds_left=left,
                captcha_id=new_captcha(db_session, settings, now), values=values, errors=errors)


@router.get("/register", dependencies=[Public])
def register_form(request: Request, db_session: DbSession, settings: AppSettings, now: Now,
                  district: str = data.CHAOYANG) -> HTMLResponse:
    """Figures 5 and 6: the guardian notice with its 10-second wait, then the form."""
    if district not in data.codes("districts"):
        district = data.CHAOYANG
    return _register_page(request, db_session, settings, now, district=district, notice_token=None,
                          values={}, errors={})


REGISTRATION_TEXT = ("district", "notice_token", "child_nationality", "hukou_province",
                     "hukou_district", "residence_district", "child_name", "child_sex",
                     "child_birth_date", "child_id_type", "child_id_number", "guardian_name",
                     "guardian_mobile", "password", "password_confirm", "captcha_id",
                     "captcha_answer", "sms_code")


@router.post("/register", dependencies=[Public])
def register(request: Request, form: Form, db_session: DbSession, settings: AppSettings,
             sender: Sender, now: Now) -> HTMLResponse:
    fields: dict[str, Any] = {k: form.get(k, "") for k in REGISTRATION_TEXT}
    if not fields["hukou_district"]:
        fields["hukou_district"] = None
    fields["notice_agreed"] = form.get("notice_agreed") == "on"
    fields["privacy_agreed"] = form.get("privacy_agreed") == "on"
    district = fields["district"] if fields["district"] in data.codes("districts") else data.CHAOYANG
    try:
        done = intake.register(db_session=db_session, settings=settings, sender=sender,
                               registration_in=RegistrationCreate.model_validate(fields), now=now)
    except ValidationError as exc:
        errors = field_errors(exc)
    except ProblemError as exc:
        errors = problem_errors(exc)
    else:
        return page(request, "registered.html", account_no=done.account_no)
    # Keep what was typed except secrets; a wrong captcha answer gets a fresh image
    # (换一张) instead of a dead one, and the SMS code stays valid (not consumed).
    kept = {k: v for k, v in form.items()
            if k not in {"password", "password_confirm", "captcha_answer", "captcha_id"}}
    return _register_page(request, db_session, settings, now, district=district,
                          notice_token=form.get("notice_token"), values=kept, errors=errors,
                          status_code=422)


@router.get("/login", dependencies=[Public])
def login_form(request: Request, db_session: DbSession, settings: AppSettings, now: Now) -> HTMLResponse:
    return page(request, "login.html", captcha_id=new_captcha(db_session, settings, now),
                values={}, errors={})


@router.post("/login", response_model=None, dependencies=[Public])
def login(request: Request, form: Form, db_session: DbSession, settings: AppSettings, ip: ClientIp,
          now: Now) -> Response:
    try:
        session = accounts.login(db_session=db_session, settings=settings,
                                 login=form.get("login", "").strip(), password=form.get("password", ""),
                                 captcha_id=form.get("captcha_id", ""),
                                 captcha_answer=form.get("captcha_answer", ""), ip=ip, now=now)
    except ProblemError as exc:
        errors = problem_errors(exc)
        if "_form" in errors and exc.code == "login_failed":
            errors = {"password": errors.pop("_form")}
        return page(request, "login.html", status_code=422,
                    captcha_id=new_captcha(db_session, settings, now),
                    values={"login": form.get("login", "")}, errors=errors)
    target = {Role.PARENT: "/me", Role.NOTARY: "/staff/rounds", Role.AUDITOR: "/staff/rounds"}.get(
        Role(session.role), "/staff/review")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(settings.session_cookie_name, session.token, httponly=True,
                        secure=settings.cookie_secure, samesite="strict", path="/",
                        max_age=settings.session_ttl_seconds)
    return response


@router.post("/logout", response_model=None)
def logout(user: AnyUser, db_session: DbSession, settings: AppSettings, now: Now) -> Response:
    accounts.logout(db_session=db_session, session_id=user.session_id, now=now)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(settings.session_cookie_name, path="/")
    return response


@router.get("/password/forgot", dependencies=[Public])
def forgot_form(request: Request, db_session: DbSession, settings: AppSettings, now: Now) -> HTMLResponse:
    """Figures 15-16: the 8-digit number or the ID number, the mobile, codes, new password."""
    return page(request, "forgot.html", captcha_id=new_captcha(db_session, settings, now),
                values={}, errors={})


@router.post("/password/forgot", dependencies=[Public])
def forgot(request: Request, form: Form, db_session: DbSession, settings: AppSettings,
           now: Now) -> HTMLResponse:
    try:
        accounts.reset_password(
            db_session=db_session, settings=settings, login=form.get("login", "").strip(),
            mobile=form.get("mobile", "").strip(), sms_code=form.get("sms_code", "").strip(),
            captcha_id=form.get("captcha_id", ""), captcha_answer=form.get("captcha_answer", ""),
            new_password=form.get("new_password", ""),
            new_password_confirm=form.get("new_password_confirm", ""), now=now)
    except ProblemError as exc:
        kept = {k: form.get(k, "") for k in ("login", "mobile", "sms_code")}
        return page(request, "forgot.html", status_code=422,
                    captcha_id=new_captcha(db_session, settings, now), values=kept,
                    errors=problem_errors(exc))
    return page(request, "message.html", title="密码重置成功",
                message="密码重置成功，请使用新密码登录。", link=("/login", "去登录"))


# --- the parent's own pages -----------------------------------------------------------------


@router.get("/me")
def me(request: Request, user: ParentUser, db_session: DbSession) -> HTMLResponse:
    """Figures 7, 10, 11: where the application stands and what to do next."""
    application = intake.my_application(db_session=db_session, user_id=user.id)
    return page(request, "me.html", user=user, a=application)


def _nest(flat: Mapping[str, str]) -> dict[str, Any]:
    """``{"guardians.0.name": v}`` -> ``{"guardians": [{"name": v}]}``; a blank field is
    left out (required: 此项为必填项; optional: not given), and so are blank optional
    groups (a second guardian, the unused dwelling record, the 学籍)."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if key == "csrf_token":
            continue
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if value.strip():
            node[parts[-1]] = value.strip()
    guardians = out.get("guardians", {})
    out["guardians"] = [g for _, g in sorted(guardians.items()) if any(g.values())]
    res = out.setdefault("residence", {})
    for group in ("property", "rental"):
        if not any(res.get(group, {}).values()):
            res.pop(group, None)
    if not any(out.get("school_record", {}).values()):
        out.pop("school_record", None)
    out["categories"] = [c for c in flat.get("categories", "").split(",") if c]
    return out


def _details_values(a: Any) -> dict[str, str]:
    values = {
        "child.hukou_address": a.hukou_address or "", "child.hukou_type": a.hukou_type or "",
        "child.ethnicity": a.ethnicity or "", "child.address": a.address or "",
        "residence.district": a.actual_district or "", "residence.street": a.actual_street or "",
        "residence.address": a.actual_address or "", "residence.dwelling_type": a.dwelling_type or "",
        "residence.property.certificate_no": a.property_certificate_no or "",
        "residence.property.certificate_date": a.property_certificate_date or "",
        "residence.property.address": a.property_address or "",
        "residence.rental.registration_no": a.rental_registration_no or "",
        "residence.rental.registration_date": a.rental_registration_date or "",
        "residence.property.holder": a.property_holder or "",
        "residence.property.certificate_type": a.property_certificate_type or "",
        "residence.property.for_residence": _yes_no(a.property_for_residence),
        "residence.rental.start_date": a.rental_start_date or "",
        "residence.rental.continuous": _yes_no(a.rental_continuous),
        "residence.rental.sole_tenancy": _yes_no(a.rental_sole),
        "school_record.province": a.school_record_province or "",
        "school_record.district": a.school_record_district or "",
        "family_property": a.family_property or "",
        "disability_placement": a.disability_placement or "",
    }
    for i, g in enumerate(a.guardians):
        for attr in ("name", "relation", "nationality", "hukou_province", "id_type", "id_number",
                     "education", "phone", "work_nature", "employer", "employer_district",
                     "social_insurance_months", "employment_start", "social_insurance_district"):
            value = getattr(g, attr)
            values[f"guardians.{i}.{attr}"] = "" if value is None else str(value)
        values[f"guardians.{i}.labour_contract"] = _yes_no(g.labour_contract)
    return values


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


@router.get("/me/details")
def details_form(request: Request, user: ParentUser, db_session: DbSession) -> HTMLResponse:
    """Figure 9: 录入详细信息."""
    a = intake.my_application(db_session=db_session, user_id=user.id)
    return page(request, "details.html", user=user, a=a, values=_details_values(a), errors={},
                streets=data.streets_of(data.CHAOYANG))


@router.post("/me/details", response_model=None)
def details(request: Request, user: ParentUser, form: Form, db_session: DbSession,
            now: Now) -> Response:
    try:
        details_in = DetailsCreate.model_validate(_nest(form))
        intake.submit_details(db_session=db_session, user_id=user.id, details_in=details_in, now=now)
    except ValidationError as exc:
        errors = field_errors(exc)
    except ProblemError as exc:
        errors = problem_errors(exc)
    else:
        return RedirectResponse("/me?saved=details", status_code=303)
    a = intake.my_application(db_session=db_session, user_id=user.id)
    return page(request, "details.html", status_code=422, user=user, a=a, values=form,
                errors=errors, streets=data.streets_of(data.CHAOYANG))


@router.get("/me/collection-form")
def collection_form(request: Request, user: ParentUser, db_session: DbSession, now: Now) -> HTMLResponse:
    """Figures 12-13: 学龄人口信息采集表, to print."""
    try:
        form = intake.collection_form(db_session=db_session, user_id=user.id, now=now)
    except IntakeError as exc:
        return page(request, "message.html", status_code=exc.status, title="打印信息采集表",
                    message=exc.title, link=("/me", "返回"))
    return page(request, "collection_form.html", user=user, f=form, a=form.applicant)


@router.get("/me/choices")
def my_choices(request: Request, user: ParentUser, db_session: DbSession, now: Now) -> HTMLResponse:
    """Route, allowed schools by name, each list's window dates, what is chosen."""
    try:
        opts = choices.options(db_session=db_session, user_id=user.id, now=now)
        names = choices.school_names(db_session=db_session, user_id=user.id)
    except ProblemError as exc:
        return page(request, "message.html", title="填报志愿", message=exc.title, link=("/me", "返回"))
    return page(request, "choices.html", user=user, o=opts, names=names, titles=LIST_TITLES,
                errors={}, saved=request.query_params.get("saved"), now=as_utc(now))


@router.post("/me/choices/{kind}", response_model=None)
def save_choices(kind: str, request: Request, user: ParentUser, form: Form, db_session: DbSession,
                 now: Now) -> Response:
    picked = [form[k] for k in sorted((k for k in form if k.startswith("choice.")),
                                      key=lambda k: int(k.split(".")[1])) if form[k]]
    try:
        current = form.get("existing") == "1"
        use_case = choices.edit if current else choices.submit
        use_case(db_session=db_session, user_id=user.id, kind=kind, schools=picked, now=now)
    except ProblemError as exc:
        opts = choices.options(db_session=db_session, user_id=user.id, now=now)
        names = choices.school_names(db_session=db_session, user_id=user.id)
        return page(request, "choices.html", status_code=exc.status, user=user, o=opts, names=names,
                    titles=LIST_TITLES, errors={kind: exc.title}, saved=None, now=as_utc(now))
    return RedirectResponse(f"/me/choices?saved={quote(kind)}", status_code=303)


@router.get("/me/choices/{kind}/receipt")
def choices_receipt(kind: str, request: Request, user: ParentUser, db_session: DbSession,
                    now: Now) -> HTMLResponse:
    """志愿回执, to print (after the window closes): the locked choices and their SHA-256."""
    try:
        read = choices.receipt(db_session=db_session, user_id=user.id, kind=kind, now=now)
        names = choices.school_names(db_session=db_session, user_id=user.id)
    except ProblemError as exc:
        return page(request, "message.html", status_code=exc.status, user=user, title="志愿回执",
                    message=exc.title, link=("/me/choices", "返回"))
    return page(request, "receipt.html", user=user, r=read, rec=read.record, names=names,
                title=LIST_TITLES.get(kind, kind))


@router.get("/me/result")
def my_result(request: Request, user: ParentUser, db_session: DbSession) -> HTMLResponse:
    """Manual §五: the result, explained in words; the ticket behind 详情."""
    try:
        result = rounds.my_result(db_session=db_session, user_id=user.id)
    except RoundError as exc:
        return page(request, "message.html", title="查看入学结果", message=exc.title,
                    link=("/me", "返回"))
    seeds = rounds.published_seeds(db_session=db_session,
                                   draw_ids=[r["draw_id"] for r in result["rounds"]])
    return page(request, "result.html", user=user, r=result, seeds=seeds,
                status_title=STATUS_TITLES.get(result["status"], result["status"]),
                mechanisms=MECHANISMS)


@router.get("/me/record")
def my_record(request: Request, user: ParentUser, db_session: DbSession) -> HTMLResponse:
    """After the freeze: the parent's record and choices, checked in the browser against the
    published input root with a Merkle inclusion proof (static/js/record-page.js)."""
    proofs = rounds.inclusion_proofs(db_session=db_session, user_id=user.id)
    names = {str(s["id"]): str(s.get("name") or s["id"]) for p in proofs for s in p["schools"]}
    # Without a catalogue for this applicant, the draw's own school records name them.
    with suppress(ProblemError):
        names.update(choices.school_names(db_session=db_session, user_id=user.id))
    return page(request, "record.html", user=user, proofs=proofs, school_names=names)


@router.get("/me/password")
def password_form(request: Request, user: ParentUser) -> HTMLResponse:
    """Figures 17-19: 修改密码 with an SMS code."""
    return page(request, "password.html", user=user, errors={})


@router.post("/me/password")
def change_password(request: Request, user: ParentUser, form: Form, db_session: DbSession,
                    settings: AppSettings, now: Now) -> HTMLResponse:
    try:
        accounts.change_password(db_session=db_session, settings=settings, user_id=user.id,
                                 new_password=form.get("new_password", ""),
                                 new_password_confirm=form.get("new_password_confirm", ""),
                                 sms_code=form.get("sms_code", "").strip(), now=now)
    except ProblemError as exc:
        return page(request, "password.html", status_code=422, user=user, errors=problem_errors(exc))
    return page(request, "message.html", user=user, title="修改密码",
                message="密码修改成功，下次登录请使用修改后的密码。", link=("/me", "返回"))


@router.get("/me/cancel")
def cancel_form(request: Request, user: ParentUser) -> HTMLResponse:
    """Figures 20-22: 撤销账号 with an SMS code."""
    return page(request, "cancel.html", user=user, errors={})


@router.post("/me/cancel")
def cancel(request: Request, user: ParentUser, form: Form, db_session: DbSession,
           settings: AppSettings, now: Now) -> HTMLResponse:
    try:
        accounts.cancel_account(db_session=db_session, settings=settings, user_id=user.id,
                                sms_code=form.get("sms_code", "").strip(), now=now)
    except ProblemError as exc:
        return page(request, "cancel.html", status_code=422, user=user, errors=problem_errors(exc))
    response = page(request, "message.html", title="撤销账号",
                    message="撤销成功，该账号不能再登录系统。", link=("/", "返回首页"))
    response.delete_cookie(settings.session_cookie_name, path="/")
    return response


# --- checks anyone can run in their browser -------------------------------------------------


@router.get("/verify/ticket", dependencies=[Public])
def verify_ticket(request: Request, draw_id: str = "", seed: str = "", applicant: str = "") -> HTMLResponse:
    """The ticket computed in the browser (Web Crypto) from public values; id ``ticket``."""
    return page(request, "verify_ticket.html", draw_id=draw_id, seed=seed, applicant=applicant)


@router.get("/verify/bundle", dependencies=[Public])
def verify_bundle(request: Request) -> HTMLResponse:
    """The notary's page: a bundle verified entirely in the browser (static/js/verifier.js)."""
    return page(request, "verify_bundle.html")


@router.get("/verify/collection-form", dependencies=[Public])
def verify_collection_form(request: Request, db_session: DbSession, settings: AppSettings, now: Now,
                           no: Annotated[str, Query(max_length=16)] = "",
                           code: Annotated[str, Query(max_length=16)] = "") -> HTMLResponse:
    """Where the printed collection form's QR code leads: whether the form with this number
    and verification code is genuine and unchanged (yes or no; no personal data shown, and
    an unknown number answers as a wrong code does)."""
    from paiwei.reporting import service as reporting  # noqa: PLC0415

    no, code = no.strip(), code.strip()
    genuine = None
    if no and code:
        genuine = reporting.check_collection_form(db_session=db_session, form_no=no, code=code, now=now,
                                                  base_url=settings.public_base_url)
    return page(request, "verify_collection_form.html", no=no, code=code, genuine=genuine)


@router.get("/docs", dependencies=[Public])
def api_docs(request: Request) -> HTMLResponse:
    """The OpenAPI document in Swagger UI, served from static/vendor (no CDN)."""
    return page(request, "docs.html", openapi_url=request.app.openapi_url)


# --- staff: review queue ---------------------------------------------------------------------


@router.get("/staff/review")
def staff_queue(request: Request, user: Reviewers, db_session: DbSession) -> HTMLResponse:
    """Street office or district: applicants awaiting this reviewer."""
    items = review.queue(db_session=db_session, actor=user)
    status = request.query_params.get("status", "")
    if status:
        items = [i for i in items if i.status == status]
    return page(request, "staff/queue.html", user=user, items=items, status=status,
                streets=dict(data.streets_of(data.CHAOYANG)))


@router.get("/staff/review/{pseudonym}")
def staff_detail(pseudonym: Pseudonym, request: Request, user: ApplicantReviewer, db_session: DbSession) -> HTMLResponse:
    a = review.get_for_review(db_session=db_session, actor=user, pseudonym=pseudonym)
    findings = review.finding_labels(db_session=db_session, actor=user, pseudonym=pseudonym)
    return page(request, "staff/detail.html", user=user, a=a, pseudonym=pseudonym, findings=findings,
                streets=dict(data.streets_of(data.CHAOYANG)), errors={})


ROUND_STATES = {"created": "已创建", "frozen": "已冻结（输入根已公布）", "ready": "仪式完成，待派位",
                "drawn": "已派位，待签名", "signed": "区教委已签名，待公证处会签",
                "publishing": "已会签，公示目录写入中", "published": "已公布",
                "empty": "无人参加，未派位"}


WindowStaff = Annotated[AuthUser, access({Role.DISTRICT_STAFF: Scope.OWN_DISTRICT}, locate=window_place)]


@router.get("/staff/season")
def staff_season(request: Request, user: DistrictStaff, db_session: DbSession, now: Now) -> HTMLResponse:
    """District staff: the district's application windows and rounds with their states."""
    return _season_page(request, user, db_session, now, errors={})


@router.post("/staff/windows/{window_id}/extension", response_model=None)
def staff_extend_window(window_id: WindowId, request: Request, user: WindowStaff, form: Form,
                        db_session: DbSession, now: Now) -> Response:
    """Extend an open window (Beijing date and time); the reason goes to the audit log."""
    try:
        try:
            closes = datetime.fromisoformat(f"{form.get('date', '')}T{form.get('time', '')}").replace(
                tzinfo=BEIJING)
        except ValueError:
            raise IntakeError("validation_error", field="closes_at") from None
        windows.extend(db_session=db_session, actor=Actor(user.id, user.role),
                       district=user.district or "", window_id=window_id, closes_at=closes,
                       reason=form.get("reason", "").strip(), now=now)
    except ProblemError as exc:
        return _season_page(request, user, db_session, now, errors={window_id: exc.title},
                            status_code=exc.status)
    return RedirectResponse("/staff/season?extended=1", status_code=303)


def _season_page(request: Request, user: AuthUser, db_session: DbSession, now: datetime, *,
                 errors: Mapping[int, str], status_code: int = 200) -> HTMLResponse:
    district = user.district or ""
    rows = windows.list_windows(db_session=db_session, district=district)
    years = sorted({w.year for w in rows}) or [now.year]
    season = [r for y in years for st in ("primary", "junior")
              for r in rounds.season_rounds(db_session=db_session, district=district, year=y, stage=st)]
    return page(request, "staff/season.html", user=user,
                windows=[windows.to_read(w, now) for w in rows], rounds=season, states=ROUND_STATES,
                titles=rounds.round_titles(rows=season), errors=errors, status_code=status_code)


def _after_review(request: Request, pseudonym: str, message: str) -> Response:
    return RedirectResponse(f"/staff/review?done={quote(message)}", status_code=303)


@router.post("/staff/review/{pseudonym}/material-approval", response_model=None)
def staff_approve(pseudonym: Pseudonym, request: Request, user: StreetReviewer, db_session: DbSession,
                  now: Now) -> Response:
    done = review.approve_materials(db_session=db_session, actor=user, pseudonym=pseudonym, now=now)
    return _after_review(request, pseudonym, done.status_text)


@router.post("/staff/review/{pseudonym}/verification", response_model=None)
def staff_verify(pseudonym: Pseudonym, request: Request, user: DistrictReviewer, db_session: DbSession,
                 now: Now) -> Response:
    done = review.verify_identity(db_session=db_session, actor=user, pseudonym=pseudonym, now=now)
    return _after_review(request, pseudonym, done.status_text)


@router.post("/staff/review/{pseudonym}/return", response_model=None)
def staff_return(pseudonym: Pseudonym, request: Request, user: ApplicantReviewer, form: Form,
                 db_session: DbSession, now: Now) -> Response:
    try:
        done = review.return_application(db_session=db_session, actor=user, pseudonym=pseudonym,
                                         reason=form.get("reason", "").strip(), now=now)
    except IntakeError as exc:
        a = review.get_for_review(db_session=db_session, actor=user, pseudonym=pseudonym)
        findings = review.finding_labels(db_session=db_session, actor=user, pseudonym=pseudonym)
        return page(request, "staff/detail.html", status_code=exc.status, user=user, a=a,
                    pseudonym=pseudonym, findings=findings, streets=dict(data.streets_of(data.CHAOYANG)),
                    errors={"reason": exc.title})
    return _after_review(request, pseudonym, done.status_text)


# --- wiring -----------------------------------------------------------------------------------


async def _problem(request: Request, exc: Exception) -> Response:
    """problem+json for the API; for a page, the login page or a page in words."""
    if request.url.path.startswith("/api/") or not isinstance(exc, ProblemError):
        return await problems.domain_error(request, exc)
    if exc.code == "not_authenticated":
        return RedirectResponse("/login?next=" + quote(request.url.path), status_code=303)
    return page(request, "message.html", status_code=exc.status, title="无法完成操作",
                message=exc.title, link=("/", "返回首页"))


def install(app: FastAPI) -> None:
    """Mount the pages, the static files and the page-aware error handler."""
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    from paiwei.web.staff import router as staff_router  # noqa: PLC0415 - it imports this module

    app.include_router(router)
    app.include_router(staff_router)
    app.add_exception_handler(ProblemError, _problem)


__all__ = ["install", "router"]
