"""A parent's whole journey at 390 × 844 (the manual's figures 1-22), the street office's
and the district's review, a round run by staff, the result page with its ticket check;
axe-core on every main page; phone-width screenshots (written to the folder named by
PAIWEI_SCREENSHOTS, e.g. docs/images, and to pytest's tmp_path otherwise)."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

import lottery
from allocation import shipped_policy_text
from lottery import public_key_hex
from paiwei.audit.service import Actor
from paiwei.captcha.service import answer_for
from paiwei.choices import service as choices
from paiwei.intake.models import Applicant
from paiwei.rounds import service as rounds
from paiwei.rounds import signer
from paiwei.sms.models import SmsOutbox
from paiwei.windows import service as windows
from seeding import commit
from tests.e2e.conftest import Live, axe_violations
from tests.integration.choices.helpers import PRIMARY_SCHOOLS, PRIMARY_ZONES, primary_record
from tests.integration.intake.helpers import (
    STAFF_PASSWORD,
    STREET,
    child_id,
    make_staff,
    resident_id,
)
from tests.integration.rounds.helpers import key

SYSTEM = Actor(None, "system")
STAFF = Actor(1, "district_staff")
NOTARY = Actor(2, "notary")
PASSWORD = "Abcdef12"  # noqa: S105 - test fixture
NEW_PASSWORD = "Newpass34"  # noqa: S105 - test fixture
MOBILE = "13900000021"


def beijing(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=windows.BEIJING).astimezone(UTC)


class Shots:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Any, name: str) -> None:
        page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)


def check_page(page: Any, shots: Shots | None = None, name: str = "") -> None:
    """No serious accessibility violation, nothing wider than the phone, no console error."""
    assert axe_violations(page) == [], page.url
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (page.url, width)
    if shots is not None:
        shots(page, name)


def exact(text: str) -> re.Pattern[str]:
    """A label's whole text, with or without the required-field star."""
    return re.compile(rf"^\*?{re.escape(text)}$")


def captcha(live: Live, page: Any, form: str = "form") -> str:
    captcha_id = page.locator(f"{form} input[name=captcha_id]").input_value()
    return answer_for(live.settings, captcha_id)  # what the parent reads in the image


def last_code(live: Live, mobile: str) -> str:
    with live.sessions() as s:
        body = s.scalars(select(SmsOutbox.body).where(SmsOutbox.mobile == mobile)
                         .order_by(SmsOutbox.id.desc())).first()
    assert body is not None
    match = re.search(r"(\d{6})", body)
    assert match is not None
    return match.group(1)


def login(live: Live, page: Any, account: str, password: str) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_label("账号").first.fill(account)
    page.get_by_label(exact("密码")).fill(password)
    page.get_by_label("图片验证码").fill(captcha(live, page))
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def test_a_parents_whole_journey_on_a_phone(live: Live, phone: Any, desktop: Any, tmp_path: Path) -> None:
    shots = Shots(Path(os.environ.get("PAIWEI_SCREENSHOTS") or tmp_path / "shots"))
    errors: list[str] = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    live.clock.set(beijing(5, 6, 9))

    # Figures 1-3: the district, then the service.
    phone.goto(live.url + "/")
    check_page(phone, shots, "01-home")
    phone.get_by_label("入学所在区").select_option("110105")
    phone.get_by_role("button", name="注册（非本市户籍适龄儿童入学服务）").click()

    # Figure 5: the notice, with its countdown; the box opens when it reaches zero.
    agree = phone.get_by_label("我已认真阅读并同意该条款")
    assert agree.is_disabled()
    assert "秒后方可勾选同意" in phone.text_content("#notice-countdown")
    check_page(phone, shots, "02-register")
    expect(agree).to_be_enabled(timeout=15_000)
    agree.check()

    # Figure 6: the registration form.
    phone.get_by_label("适龄儿童国籍").select_option("CHN")
    # a Chaoyang hukou: the routing record's hukou kind is derived from it (issue 18)
    phone.get_by_label("适龄儿童户籍所在省").select_option("11")
    phone.get_by_label("户籍在北京市时：户籍所在区").select_option("110105")
    phone.get_by_label("适龄儿童居住地").select_option("110105")
    phone.get_by_label("适龄儿童姓名").fill("张小明")
    phone.get_by_label("适龄儿童性别").select_option("M")
    phone.get_by_label("适龄儿童出生日期").fill("2018/03/01")  # wrong format: a field error
    phone.get_by_label("适龄儿童证件类型").select_option("resident_id")
    phone.get_by_label("适龄儿童证件号码").fill(child_id(21))
    phone.get_by_label("监护人（一）姓名").fill("张大山")
    phone.get_by_label("监护人（一）手机号").fill(MOBILE)
    phone.get_by_label(exact("登录密码")).fill(PASSWORD)
    phone.get_by_label("再次输入登录密码").fill(PASSWORD)
    phone.get_by_role("button", name="获取验证码").click()
    expect(phone.locator("[data-sms-status]")).not_to_be_empty()
    assert "已发送" in phone.text_content("[data-sms-status]")
    phone.get_by_label("手机短信码").fill(last_code(live, MOBILE))
    first_captcha = phone.locator("input[name=captcha_id]").input_value()
    phone.get_by_label("图片验证码").fill("0000")  # a wrong answer
    phone.get_by_label("我已阅读并同意《个人信息保护政策》").check()
    phone.get_by_role("button", name="提交信息").click()
    phone.wait_for_load_state()
    # The captcha is refreshed, not burned with the form: a new image, the rest kept.
    assert phone.locator("input[name=captcha_id]").input_value() != first_captcha
    assert "图片验证码不正确" in phone.text_content("#f-captcha_answer-error")
    assert phone.get_by_label("适龄儿童姓名").input_value() == "张小明"
    assert phone.locator("#error-summary").is_visible()
    check_page(phone, shots, "03-register-errors")
    # 换一张 gives another image without leaving the page.
    before = phone.locator("input[name=captcha_id]").input_value()
    phone.get_by_role("button", name="换一张").click()
    expect(phone.locator("input[name=captcha_id]")).not_to_have_value(before)
    phone.get_by_label(exact("登录密码")).fill(PASSWORD)
    phone.get_by_label("再次输入登录密码").fill(PASSWORD)
    phone.get_by_label("图片验证码").fill(captcha(live, phone))
    phone.get_by_role("button", name="提交信息").click()
    phone.wait_for_load_state()
    assert "出生日期请按照" in phone.text_content("#error-summary")
    assert "出生日期请按照" in phone.text_content("#f-child_birth_date-error")
    assert phone.get_by_label("适龄儿童出生日期").get_attribute("aria-invalid") == "true"
    phone.get_by_label("适龄儿童出生日期").fill("2018-03-01")
    phone.get_by_label(exact("登录密码")).fill(PASSWORD)
    phone.get_by_label("再次输入登录密码").fill(PASSWORD)
    phone.get_by_label("图片验证码").fill(captcha(live, phone).lower())
    phone.get_by_role("button", name="提交信息").click()
    phone.wait_for_load_state()
    account = phone.text_content("#account-no")
    assert account is not None and re.fullmatch(r"\d{8}", account)
    check_page(phone, shots, "04-registered")

    # Login, then figure 9.
    phone.get_by_role("link", name="去登录").click()
    check_page(phone, shots, "05-login")
    login(live, phone, account, PASSWORD)
    assert "已注册，请录入详细信息" in phone.text_content("#status-text")
    check_page(phone, shots, "06-me")
    phone.get_by_role("link", name="录入相关审核材料详细信息").click()
    phone.get_by_label("户籍所在地详细地址").fill("北京市朝阳区某路1号")
    phone.get_by_label("户籍类型").select_option("family_rural")
    phone.get_by_label("民族").select_option("01")
    phone.get_by_label("居住地址").first.fill("北京市朝阳区建外街道某小区2号楼")
    phone.get_by_label("实际居住地在哪个区").select_option("110105")
    phone.get_by_label("实际居住地在哪个乡镇").select_option(STREET)
    phone.get_by_label("实际居住详细地址").fill("北京市朝阳区建外街道某小区2号楼301")
    phone.get_by_label("住所类型").select_option("rented")
    phone.get_by_label("登记备案编号").fill("ZL2021-0001")
    phone.get_by_label("登记备案日期").fill("2021-04-01")
    phone.get_by_label("在本区承租并实际居住的起始日期").fill("2020-01-01")
    phone.get_by_label("自起始日期起是否连续承租并实际居住").select_option("yes")
    phone.get_by_label("是否单独承租").select_option("yes")
    phone.get_by_label("家庭（父母或其他监护人）在本市、本区是否有产权住房").select_option("none")
    g = phone.locator("fieldset", has_text="法定监护人（一）信息")
    g.get_by_label("姓名").fill("张大山")
    g.get_by_label("关系").select_option("father")
    g.get_by_label("国籍").select_option("CHN")
    g.get_by_label("户籍所在地").select_option("13")
    g.get_by_label("证件类型").select_option("resident_id")
    g.get_by_label("证件号码").fill(resident_id(date(1988, 6, 1), "M", 31, "130602"))
    g.get_by_label("学历").select_option("bachelor")
    g.get_by_label("联系电话").fill(MOBILE)
    g.get_by_label("工作性质").select_option("employed")
    g.get_by_label(exact("工作单位")).fill("某某科技有限公司")
    g.get_by_label("工作单位所属区").select_option("110105")
    g.get_by_label("就业起始日期").fill("2019-03-01")
    g.get_by_label("是否与用人单位签订劳动合同").select_option("yes")
    g.get_by_label("社会保险个人权益记录所在区").select_option("110105")
    g.get_by_label("在本区缴纳社会保险月数").fill("36")
    check_page(phone, shots, "07-details")
    phone.get_by_role("button", name="提交信息").click()
    phone.wait_for_load_state()
    errors_shown = phone.locator(".error-summary").all_text_contents()
    assert phone.url.endswith("/me?saved=details"), errors_shown
    assert "待街道（地区）材料审核" in phone.text_content("#status-text"), errors_shown

    # The street office, then the district, on a desktop.
    make_staff(live.sessions, live.clock, "jw21", "street_reviewer", street=STREET)
    make_staff(live.sessions, live.clock, "cy21", "district_staff")
    login(live, desktop, "jw21", STAFF_PASSWORD)
    assert desktop.url.endswith("/staff/review")
    assert axe_violations(desktop) == []
    shots(desktop, "16-staff-queue")
    desktop.locator("table.queue a").first.click()
    desktop.get_by_role("button", name="退回").click()
    assert "退回时请填写退回原因" in desktop.text_content("#f-reason-error")
    desktop.get_by_label("退回原因").fill("租赁登记备案日期请与备案证明核对")
    desktop.get_by_role("button", name="退回").click()
    phone.reload()
    assert "租赁登记备案日期请与备案证明核对" in phone.text_content("#return-reason")
    phone.get_by_role("link", name="查看或修改详细信息").click()
    phone.get_by_role("button", name="提交信息").click()
    phone.wait_for_load_state()
    desktop.goto(live.url + "/staff/review")
    desktop.locator("table.queue a").first.click()
    desktop.get_by_role("button", name="材料审核通过").click()
    desktop.context.clear_cookies()
    login(live, desktop, "cy21", STAFF_PASSWORD)
    desktop.get_by_label("按状态筛选").select_option("id_pending")
    desktop.get_by_role("button", name="筛选").click()
    desktop.locator("table.queue a").first.click()
    desktop.get_by_role("button", name="身份证及户籍信息验证通过").click()
    assert "已验证" in desktop.text_content("[role=status]")

    phone.reload()
    assert phone.text_content("#status-text") == "身份证及户籍信息已验证"
    phone.get_by_role("link", name="打印信息采集表").click()
    assert account in phone.text_content("main")
    check_page(phone, shots, "08-collection-form")

    # Windows, catalogue and the routing record, then choices inside the window.
    with live.sessions() as s:
        windows.load(db_session=s, windows=windows.shipped_windows("chaoyang-2024"), actor=SYSTEM,
                     now=live.clock())
        choices.load_catalogue(db_session=s, actor=SYSTEM, district="110105", year=2024, stage="primary",
                               schools=PRIMARY_SCHOOLS, zones=PRIMARY_ZONES, now=live.clock())
        pseudonym = s.scalars(select(Applicant.pseudonym)).one()
        choices.record_routing(db_session=s, actor=SYSTEM, pseudonym=pseudonym, year=2024,
                               stage="primary", record=primary_record(), now=live.clock())
    live.clock.set(beijing(6, 7, 10))
    login(live, phone, account, PASSWORD)
    phone.goto(live.url + "/me/choices")
    pb = phone.locator("section", has_text="民办或寄宿学校")
    assert "正在报名" in pb.text_content() and "某民办小学" in pb.text_content()
    assert "PV1" not in phone.text_content("main")  # names, not ids
    pb.get_by_label("第 1 志愿").select_option(label="某民办小学")
    pb.get_by_role("button", name="提交志愿").click()
    phone.wait_for_load_state()
    assert "志愿已保存" in phone.text_content("main")
    check_page(phone, shots, "09-choices")

    # Staff run the private/boarding round after its window: freeze, ceremony, draw, sign, publish.
    at = beijing(6, 10, 9)
    live.clock.set(at)
    with live.sessions() as s:
        row = rounds.create(db_session=s, actor=STAFF, policy_text=shipped_policy_text("chaoyang-2024"),
                            stage="primary", now=at)
        opening = commit(row.draw_id, "district", bytes([7]) * 32)
        assert opening.commitment is not None and opening.nonce is not None
        rounds.record_commitment(db_session=s, actor=STAFF, round_pk=row.id, contributor="district",
                                 commitment=opening.commitment.hex(), now=at)
        rounds.pin_keys(db_session=s, actor=STAFF, round_pk=row.id, now=at,
                        keys={"district": public_key_hex(key(1)), "notary": public_key_hex(key(2))})
        signer.freeze(db_session=s, actor=STAFF, round_pk=row.id, district_key=key(1), now=at)
        rounds.reveal(db_session=s, actor=STAFF, round_pk=row.id, contributor="district",
                      nonce=opening.nonce.hex(), value=opening.value.hex(), now=at)
        rounds.contribute(db_session=s, actor=NOTARY, round_pk=row.id, contributor="notary-draw",
                          value="0307", now=at)
        rounds.close_ceremony(db_session=s, actor=STAFF, round_pk=row.id, now=at)
        rounds.run(db_session=s, actor=STAFF, round_pk=row.id, now=at)
        signer.sign(db_session=s, actor=STAFF, round_pk=row.id, district_key=key(1), now=at)
        published = signer.countersign(db_session=s, actor=NOTARY, round_pk=row.id, notary_key=key(2), now=at)
        bundle = rounds.result_for(db_session=s, applicant=pseudonym)
        seed = published.seed
        bundle_bytes = (published.bundle or "").encode()
        statement_bytes = (published.freeze_statement or "").encode()
    ticket = bundle["rounds"][0]["ticket"]
    desktop.context.clear_cookies()
    login(live, desktop, "cy21", STAFF_PASSWORD)  # days later: a new session
    desktop.goto(live.url + "/staff/season")
    season = desktop.text_content("main") or ""
    # The notary loads the round's bundle and its freeze statement: both check out in the
    # browser; a statement naming another input root is refused by name.
    (tmp_path / "bundle.json").write_bytes(bundle_bytes)
    (tmp_path / "statement.json").write_bytes(statement_bytes)
    forged = json.loads(statement_bytes)
    forged["input_root"] = "00" * 32
    (tmp_path / "forged.json").write_text(json.dumps(forged), encoding="utf-8")
    keys = {"district": lottery.public_key_hex(key(1)), "notary": lottery.public_key_hex(key(2))}
    notary = desktop.context.new_page()
    notary.goto(live.url + "/verify/bundle")
    notary.fill("#trusted-keys", "\n".join(f"{k}={v}" for k, v in keys.items()))
    notary.set_input_files("#statement-file", str(tmp_path / "statement.json"))
    notary.set_input_files("#bundle-file", str(tmp_path / "bundle.json"))
    expect(notary.locator("#agreement")).to_have_attribute("data-same", "yes", timeout=60_000)
    assert notary.text_content("#verdict") == "VALID"
    assert "freeze statement commitments" in (notary.text_content("#checks") or "")
    notary.set_input_files("#statement-file", str(tmp_path / "forged.json"))
    expect(notary.locator("#agreement")).to_have_attribute("data-same", "yes", timeout=60_000)
    expect(notary.locator("#verdict")).to_have_text("INVALID")
    assert notary.locator("#failed-checks li").all_text_contents() == [
        "未通过 freeze statement signature", "未通过 freeze statement input root"]
    assert notary.text_content("#server-verdict") == "VALID"  # the bundle itself is fine
    notary.close()
    assert "民办小学、公办寄宿小学派位" in season and "已公布" in season and published.input_root in season
    assert axe_violations(desktop) == []
    shots(desktop, "17-staff-season")

    # After the window: the locked choices and the printable receipt.
    login(live, phone, account, PASSWORD)
    phone.goto(live.url + "/me/choices")
    phone.get_by_role("link", name="查看并打印志愿回执").click()
    assert "某民办小学" in phone.text_content("main")
    assert re.fullmatch(r"[0-9a-f]{64}", phone.text_content("#receipt-sha256") or "")
    check_page(phone, shots, "09-receipt")

    login(live, phone, account, PASSWORD)
    # The record and choices, with their Merkle inclusion proof checked in the browser
    # against the freeze statement fetched from its public address.
    phone.goto(live.url + "/me/record")
    expect(phone.locator("[data-check]")).not_to_have_attribute("data-state", "pending", timeout=30_000)
    check = phone.locator("[data-check]")
    assert check.get_attribute("data-state") == "ok", check.text_content()
    assert phone.text_content("[data-root]") == published.input_root
    assert "某民办小学" in phone.text_content("main")
    check_page(phone, shots, "10-record")
    # The same proof with the record changed (another first choice) leads elsewhere.
    moved = phone.evaluate("""async () => {
        const m = await import('/static/js/protocol.js');
        const p = JSON.parse(document.querySelector('[data-proof]').dataset.proof);
        const rec = {...p.record, choices: ['BD1'], priority: {BD1: 0}};
        const leaf = await m.taggedHash('paiwei/v1/leaf', m.utf8(m.jcs(rec)));
        const root = await m.rootFromPath(leaf, p.index, p.size, p.path.map(h => m.fromHex(h, 'path', 32)));
        const schools = await m.merkleRoot(await m.leafHashes(p.schools));
        return m.toHex(await m.inputRoot(p.draw_id, schools, root));
    }""")
    assert moved != published.input_root
    phone.goto(live.url + "/me/result")
    assert "某民办小学" in phone.text_content("#outcome")
    assert "\\n" not in phone.text_content("main")
    details = phone.locator("details").first
    assert not details.locator("code.hex").is_visible()  # the ticket is behind 详情
    check_page(phone, shots, "11-result")
    details.locator("summary").click()
    assert details.locator("code.hex").text_content() == ticket
    details.get_by_role("link", name="在浏览器中重新计算我的派位号").click()
    expect(phone.locator("#ticket")).to_have_attribute("data-state", "done")
    assert phone.text_content("#ticket") == ticket
    assert seed in phone.url
    check_page(phone, shots, "12-verify-ticket")

    # Password change (figures 17-19) and cancellation (figures 20-22), each with an SMS code.
    phone.goto(live.url + "/me/password")
    phone.get_by_label(exact("新密码")).fill(NEW_PASSWORD)
    phone.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="获取验证码").click()
    expect(phone.locator("[data-sms-status]")).to_contain_text("已发送")
    assert phone.get_by_role("button", name=re.compile("秒后可重新获取")).is_disabled()
    phone.get_by_label("短信验证码").fill(last_code(live, MOBILE))
    phone.get_by_role("button", name="确认").click()
    assert "密码修改成功" in phone.text_content("#message")
    phone.context.clear_cookies()
    login(live, phone, account, NEW_PASSWORD)
    assert phone.url.endswith("/me")
    live.clock.set(beijing(6, 10, 10))  # past the 180-second wait for the next code
    login(live, phone, account, NEW_PASSWORD)
    phone.goto(live.url + "/me/cancel")
    check_page(phone, shots, "13-cancel")
    phone.get_by_role("button", name="获取验证码").click()
    expect(phone.locator("[data-sms-status]")).to_contain_text("已发送")
    phone.get_by_label("短信验证码").fill(last_code(live, MOBILE))
    phone.get_by_role("button", name="确认撤销").click()
    assert "撤销成功" in phone.text_content("#message")
    login(live, phone, account, NEW_PASSWORD)
    assert "该账号已撤销" in phone.text_content("#error-summary")
    # The only console errors are the 422 answers of forms sent back with field errors.
    assert all("status of 422" in e for e in errors), errors


def test_other_main_pages_are_accessible_and_fit_a_phone(live: Live, phone: Any, tmp_path: Path) -> None:
    shots = Shots(Path(os.environ.get("PAIWEI_SCREENSHOTS") or tmp_path / "shots"))
    for path, name in (("/password/forgot", "14-forgot"), ("/verify/bundle", "15-verify-bundle")):
        phone.goto(live.url + path)
        check_page(phone, shots, name)
    errors: list[str] = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.goto(live.url + "/docs")
    phone.wait_for_selector(".swagger-ui .opblock")
    assert "paiwei API" in phone.text_content(".swagger-ui .info")
    assert "/api/verify/bundle" in phone.text_content(".swagger-ui")
    assert errors == [], errors  # nothing refused by the content security policy either
