"""The server-rendered pages without a browser: every page declared with its scope, no
inline script or style, the registration form's field errors and captcha refresh, login,
details, the review pages of a street office and the district, and the result page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from api.app import create_app
from api.scope import declared_access
from paiwei.captcha.service import answer_for
from paiwei.settings import Settings
from tests.integration.intake.helpers import (
    CHAOYANG,
    PARENT_PASSWORD,
    STAFF_PASSWORD,
    STREET,
    Intake,
    details,
    make_staff,
)

WEB = Path(__file__).resolve().parents[3] / "paiwei" / "web"


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match is not None, f"no hidden field {name}"
    return match.group(1)


def captcha_answer(intake: Intake, html: str) -> dict[str, str]:
    """What the parent reads in the image (any case)."""
    captcha_id = hidden(html, "captcha_id")
    answer = answer_for(intake.client.app.state.settings, captcha_id)  # type: ignore[attr-defined]
    return {"captcha_id": captcha_id, "captcha_answer": answer.lower()}


def flatten(prefix: str, value: Any, out: dict[str, str]) -> dict[str, str]:
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(f"{prefix}.{k}" if prefix else k, v, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            flatten(f"{prefix}.{i}", v, out)
    else:
        out[prefix] = str(value)
    return out


P, S, D, N, A = "parent", "street_reviewer", "district_staff", "notary", "auditor"
OWN, STREET_, DISTRICT_, ALL = "own_account", "own_street", "own_district", "all"
EVERYONE_OWN = {r: OWN for r in (P, S, D, "notary", "auditor")}
# (method, path) -> {role admitted: its scope}; {} is public. Every page appears here, in
# the same form as the API's SCOPES (tests/integration/intake/test_roles_and_api.py).
PAGE_SCOPES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/"): {},
    ("GET", "/register"): {},
    ("POST", "/register"): {},
    ("GET", "/login"): {},
    ("POST", "/login"): {},
    ("POST", "/logout"): EVERYONE_OWN,
    ("GET", "/password/forgot"): {},
    ("POST", "/password/forgot"): {},
    ("GET", "/me"): {P: OWN},
    ("GET", "/me/details"): {P: OWN},
    ("POST", "/me/details"): {P: OWN},
    ("GET", "/me/collection-form"): {P: OWN},
    ("GET", "/me/choices"): {P: OWN},
    ("POST", "/me/choices/{kind}"): {P: OWN},
    ("GET", "/me/record"): {P: OWN},
    ("GET", "/me/choices/{kind}/receipt"): {P: OWN},
    ("GET", "/me/result"): {P: OWN},
    ("GET", "/me/password"): {P: OWN},
    ("POST", "/me/password"): {P: OWN},
    ("GET", "/me/cancel"): {P: OWN},
    ("POST", "/me/cancel"): {P: OWN},
    ("GET", "/verify/ticket"): {},
    ("GET", "/verify/bundle"): {},
    ("GET", "/verify/collection-form"): {},
    ("GET", "/docs"): {},
    ("GET", "/staff/review"): {S: STREET_, D: DISTRICT_},
    ("GET", "/staff/season"): {D: DISTRICT_},
    ("POST", "/staff/windows/{window_id}/extension"): {D: DISTRICT_},
    ("GET", "/staff/review/{pseudonym}"): {S: STREET_, D: DISTRICT_},
    ("POST", "/staff/review/{pseudonym}/material-approval"): {S: STREET_},
    ("POST", "/staff/review/{pseudonym}/verification"): {D: DISTRICT_},
    ("POST", "/staff/review/{pseudonym}/return"): {S: STREET_, D: DISTRICT_},
    # The staff console (paiwei/web/staff.py): the same access as the API routes it mirrors.
    ("GET", "/staff/plans"): {D: DISTRICT_},
    ("POST", "/staff/plans"): {D: DISTRICT_},
    ("GET", "/staff/routes"): {D: DISTRICT_},
    ("POST", "/staff/routes"): {D: DISTRICT_},
    ("GET", "/staff/rounds"): {D: DISTRICT_, N: ALL, A: ALL},
    ("POST", "/staff/rounds"): {D: DISTRICT_},
    ("GET", "/staff/rounds/{round_pk}"): {D: DISTRICT_, N: ALL, A: ALL},
    ("POST", "/staff/rounds/{round_pk}/season-keys"): {D: DISTRICT_},
    ("POST", "/staff/rounds/{round_pk}/commitments"): {D: DISTRICT_, N: ALL},
    ("GET", "/staff/rounds/{round_pk}/freeze-draft.json"): {D: DISTRICT_},
    ("POST", "/staff/rounds/{round_pk}/freeze"): {D: DISTRICT_},
    ("POST", "/staff/rounds/{round_pk}/reveals"): {D: DISTRICT_, N: ALL},
    ("POST", "/staff/rounds/{round_pk}/contributions"): {N: ALL},
    ("POST", "/staff/rounds/{round_pk}/beacon"): {N: ALL},
    ("POST", "/staff/rounds/{round_pk}/waivers"): {N: ALL},
    ("POST", "/staff/rounds/{round_pk}/close-ceremony"): {D: DISTRICT_},
    ("POST", "/staff/rounds/{round_pk}/run"): {D: DISTRICT_},
    ("GET", "/staff/rounds/{round_pk}/bundle.json"): {D: DISTRICT_, N: ALL, A: ALL},
    ("POST", "/staff/rounds/{round_pk}/signature"): {D: DISTRICT_},
    ("POST", "/staff/rounds/{round_pk}/countersignature"): {N: ALL},
    ("GET", "/staff/rounds/{round_pk}/statistics"): {D: DISTRICT_, N: ALL, A: ALL},
}


def test_every_page_declares_exactly_its_scope(settings: Settings) -> None:
    app = create_app(settings)
    seen = set()
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or route.path.startswith("/api/"):
            continue
        declared = declared_access(route.dependant)
        for method in route.methods or ():
            key = (method, route.path)
            seen.add(key)
            assert len(declared) == 1, f"{key}: {len(declared)} access declarations"
            rules = {str(role): str(scope) for role, scope in declared[0].rules.items()}
            assert rules == PAGE_SCOPES.get(key), key
    app.state.engine.dispose()
    assert seen == set(PAGE_SCOPES)


def test_no_inline_script_or_style_in_any_template() -> None:
    for path in (WEB / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\sstyle=", text), path
        assert not re.search(r"\son[a-z]+=", text), path
        assert "http://" not in text and "https://" not in text, path


def test_docs_page_serves_swagger_from_the_app(intake: Intake) -> None:
    page = intake.client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert intake.client.get(asset).status_code == 200


def test_pages_need_a_login_and_redirect_to_it(intake: Intake) -> None:
    response = intake.client.get("/me", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert intake.client.get("/api/intake/me").headers["content-type"].startswith("application/problem+json")


def register_through_the_form(intake: Intake, n: int = 1) -> str:
    form = intake.client.get(f"/register?district={CHAOYANG}")
    assert form.status_code == 200 and "监护人须知" in form.text
    assert 'data-countdown="10"' in form.text
    intake.clock.advance(11)
    values = flatten("", intake.payload(n), {})
    values = {k: v for k, v in values.items() if k not in {"notice_agreed", "privacy_agreed"}}
    values.update(notice_agreed="on", privacy_agreed="on", notice_token=hidden(form.text, "notice_token"))
    values["sms_code"] = intake.sms_code(values["guardian_mobile"])
    # A wrong captcha: the form comes back with the error next to the field, a new image,
    # and everything typed except the secrets.
    wrong = intake.client.post("/register", data={**values, "captcha_id": hidden(form.text, "captcha_id"),
                                                  "captcha_answer": "0000"})
    assert wrong.status_code == 422
    assert "图片验证码不正确" in wrong.text and 'aria-invalid="true"' in wrong.text
    assert hidden(wrong.text, "captcha_id") != hidden(form.text, "captcha_id")
    assert values["child_name"] in wrong.text and PARENT_PASSWORD not in wrong.text
    # A field-level error in Chinese, next to its field.
    bad = intake.client.post("/register", data={**values, "child_birth_date": "2018/03/01",
                                                **captcha_answer(intake, wrong.text)})
    assert bad.status_code == 422
    assert re.search(r'id="f-child_birth_date-error"[^>]*>.*出生日期请按照', bad.text)
    done = intake.client.post("/register", data={**values, **captcha_answer(intake, bad.text)})
    assert done.status_code == 200, done.text
    match = re.search(r'id="account-no">(\d{8})<', done.text)
    assert match is not None
    return match.group(1)


def login_through_the_form(intake: Intake, login: str, password: str) -> Any:
    form = intake.client.get("/login")
    response = intake.client.post("/login", data={"login": login, "password": password,
                                                  **captcha_answer(intake, form.text)},
                                  follow_redirects=False)
    assert response.status_code == 303, response.text
    return response


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_parent_registers_logs_in_enters_details_and_staff_review(intake: Intake) -> None:
    account = register_through_the_form(intake)
    assert login_through_the_form(intake, account, PARENT_PASSWORD).headers["location"] == "/me"
    me = intake.client.get("/me")
    assert "已注册，请录入详细信息" in me.text
    page = intake.client.get("/me/details")
    csrf = hidden(page.text, "csrf_token")
    fields = flatten("", details(), {})
    # Without the CSRF field the form is refused.
    assert intake.client.post("/me/details", data=fields).status_code == 403
    missing = intake.client.post("/me/details", data={**fields, "csrf_token": csrf,
                                                      "child.hukou_address": ""})
    assert missing.status_code == 422 and 'id="f-child-hukou_address-error"' in missing.text
    saved = intake.client.post("/me/details", data={**fields, "csrf_token": csrf}, follow_redirects=False)
    assert saved.status_code == 303
    assert "待街道（地区）材料审核" in intake.client.get("/me").text

    make_staff(intake.sessions, intake.clock, "jw01", "street_reviewer", street=STREET)
    make_staff(intake.sessions, intake.clock, "cy01", "district_staff")
    intake.client.cookies.clear()
    assert login_through_the_form(intake, "jw01", STAFF_PASSWORD).headers["location"] == "/staff/review"
    queue = intake.client.get("/staff/review")
    pseudonym = re.search(r'href="/staff/review/(A[0-9a-f]+)"', queue.text).group(1)  # type: ignore[union-attr]
    detail = intake.client.get(f"/staff/review/{pseudonym}")
    assert "材料审核通过" in detail.text
    # The reviewer sees the conditions the decision rests on (figure 9, policy §三（一）1（3）), in words.
    for words in ("自 2020-01-01 起，连续承租，单独承租", "已签劳动合同", "缴纳地：朝阳区",
                  "户籍类别</dt><dd>非本市户籍（河北省）", "家庭产权住房</dt><dd>在本市无产权住房"):
        assert words in detail.text, words
    assert "残疾儿童申请的就读方式" not in detail.text  # no request, nothing shown
    csrf = hidden(detail.text, "csrf_token")
    empty = intake.client.post(f"/staff/review/{pseudonym}/return", data={"csrf_token": csrf, "reason": ""})
    assert empty.status_code == 422 and "退回时请填写退回原因" in empty.text
    assert intake.client.post(f"/staff/review/{pseudonym}/return",
                              data={"csrf_token": csrf, "reason": "租赁登记备案编号与证明不一致"},
                              follow_redirects=False).status_code == 303

    intake.client.cookies.clear()
    login_through_the_form(intake, account, PARENT_PASSWORD)
    me = intake.client.get("/me")
    assert "租赁登记备案编号与证明不一致" in me.text and 'id="return-reason"' in me.text
    csrf = hidden(intake.client.get("/me/details").text, "csrf_token")
    intake.client.post("/me/details", data={**fields, "csrf_token": csrf})

    intake.client.cookies.clear()
    login_through_the_form(intake, "jw01", STAFF_PASSWORD)
    csrf = hidden(intake.client.get(f"/staff/review/{pseudonym}").text, "csrf_token")
    assert intake.client.post(f"/staff/review/{pseudonym}/material-approval",
                              data={"csrf_token": csrf}).status_code == 200
    intake.client.cookies.clear()
    login_through_the_form(intake, "cy01", STAFF_PASSWORD)
    detail = intake.client.get(f"/staff/review/{pseudonym}")
    assert "身份证及户籍信息验证通过" in detail.text
    assert intake.client.post(f"/staff/review/{pseudonym}/verification",
                              data={"csrf_token": hidden(detail.text, "csrf_token")}).status_code == 200

    season = intake.client.get("/staff/season")
    assert season.status_code == 200 and "报名时间" in season.text

    intake.client.cookies.clear()
    login_through_the_form(intake, account, PARENT_PASSWORD)
    assert "身份证及户籍信息已验证" in intake.client.get("/me").text
    assert intake.client.get("/staff/season", follow_redirects=False).status_code == 403
    form = intake.client.get("/me/collection-form")
    assert form.status_code == 200 and "学龄人口信息采集表" in form.text and account in form.text
    assert "派位结果尚未公布" in intake.client.get("/me/result").text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_district_staff_extend_an_open_window_with_a_reason(intake: Intake) -> None:
    from tests.integration.choices.helpers import beijing, set_up_district  # noqa: PLC0415
    from tests.integration.intake.helpers import HAIDIAN  # noqa: PLC0415

    intake.clock.now = beijing(5, 20, 9)  # the multi-school window is open
    set_up_district(intake.sessions, intake.clock.now)
    make_staff(intake.sessions, intake.clock, "cy01", "district_staff")
    make_staff(intake.sessions, intake.clock, "hd01", "district_staff", district=HAIDIAN)
    login_through_the_form(intake, "cy01", STAFF_PASSWORD)
    season = intake.client.get("/staff/season")
    assert "正在报名" in season.text and "2024年6月1日 00:00" in season.text
    window = re.search(r'action="/staff/windows/(\d+)/extension"', season.text).group(1)  # type: ignore[union-attr]
    csrf = hidden(season.text, "csrf_token")
    url = f"/staff/windows/{window}/extension"
    no_reason = intake.client.post(url, data={"csrf_token": csrf, "date": "2024-06-03", "time": "17:00"})
    assert no_reason.status_code == 422 and f'id="w-{window}-error"' in no_reason.text
    done = intake.client.post(url, data={"csrf_token": csrf, "date": "2024-06-03", "time": "17:00",
                                         "reason": "系统维护顺延"}, follow_redirects=False)
    assert done.status_code == 303
    season = intake.client.get("/staff/season")
    assert "2024年6月3日 17:00（已延长）" in season.text
    intake.client.cookies.clear()
    login_through_the_form(intake, "hd01", STAFF_PASSWORD)
    other = intake.client.post(url, data={"csrf_token": hidden(intake.client.get("/staff/season").text,
                                                                "csrf_token"),
                                          "date": "2024-06-05", "time": "17:00", "reason": "x"})
    assert other.status_code == 403 and "该记录不属于您所在的区" in other.text
