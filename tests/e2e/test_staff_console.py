"""Staff run a round in the browser, at phone width (390 × 844): the district imports its
plan, creates a round of a small seeded season, pins the keys, records a commitment,
downloads the freeze draft, signs it with ``paiwei sign`` on "its own machine" and uploads
the signed statement; reveals; the notary records the live draw; the district closes the
ceremony, runs the draw and uploads the bundle it signed; the notary uploads the bundle
countersigned with ``paiwei notary countersign``; the round is published and its
statistics shown with charts. axe-core finds no serious violation on any of these pages,
nothing is wider than the phone, and screenshots are written to PAIWEI_SCREENSHOTS (e.g.
docs/images) or pytest's tmp_path."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

import lottery
from paiwei.audit.service import Actor
from paiwei.rounds import service as rounds
from paiwei.windows import service as windows
from tests.e2e.conftest import PHONE, Live
from tests.e2e.test_parent_journey import Shots, beijing, check_page, login
from tests.integration.intake.helpers import STAFF_PASSWORD, make_staff
from tests.integration.web.staff_console import SAMPLE_PLAN, Signers, season_file

SYSTEM = Actor(None, "system")


def phone_page(browser: Any) -> Any:
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="zh-CN", is_mobile=True,
                                  has_touch=True, accept_downloads=True)
    return context.new_page()


def download(page: Any, link: str, to: Path) -> Path:
    """Click a download link; the file lands on the signer's machine."""
    with page.expect_download() as got:
        page.click(link)
    got.value.save_as(str(to))
    return to


def submit(page: Any, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()


def test_staff_run_a_round_in_the_browser(live: Live, browser: Any, tmp_path: Path) -> None:
    shots = Shots(Path(os.environ.get("PAIWEI_SCREENSHOTS") or tmp_path / "shots"))
    home = Signers(tmp_path / "signers")
    live.clock.set(beijing(6, 10, 9))
    with live.sessions() as s:
        windows.load(db_session=s, windows=windows.shipped_windows("chaoyang-2024"), actor=SYSTEM,
                     now=live.clock())
    make_staff(live.sessions, live.clock, "cy41", "district_staff")
    make_staff(live.sessions, live.clock, "gz41", "notary", district=None)
    staff, notary = phone_page(browser), phone_page(browser)
    errors: list[str] = []
    staff.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # The school plan, imported from its file and shown with names.
    login(live, staff, "cy41", STAFF_PASSWORD)
    staff.goto(live.url + "/staff/plans?year=2024")
    staff.set_input_files("#f-plan", str(SAMPLE_PLAN))
    submit(staff, "导入")
    expect(staff.locator("[role=status]")).to_contain_text("学校招生计划已导入")
    schools = staff.locator("#plan-schools").text_content() or ""
    assert "示例第一小学" in schools and "第一片区" in schools and "P001" not in schools
    check_page(staff, shots, "18-staff-plans")
    staff.goto(live.url + "/staff/routes?year=2024&stage=primary")
    check_page(staff)

    # Create the first round of a small seeded season (its inputs from a scenario file).
    staff.goto(live.url + "/staff/rounds")
    staff.get_by_label("年度").select_option("2024")
    staff.get_by_label("学段").select_option(label="小学")
    staff.set_input_files("#f-scenario", str(season_file(tmp_path, applicants=240, schools=10)))
    submit(staff, "创建")
    expect(staff.locator("#done")).to_have_text("派位轮次已创建。")
    round_url = staff.url.split("?")[0]
    draw_id = staff.text_content("#draw-id") or ""
    assert staff.locator("h1").text_content() == "民办小学、公办寄宿小学派位"
    check_page(staff, shots, "20-staff-round-created")

    # Keys (public only), a commitment, then the freeze with the statement signed at home.
    staff.get_by_label("区教委公钥").fill(home.district_public)
    staff.get_by_label("公证处公钥").fill(home.notary_public)
    submit(staff, "登记公钥")
    expect(staff.locator("#keys")).to_contain_text(home.notary_public)
    commitment, opening = home.commit(draw_id)
    staff.get_by_label("贡献者名称").fill("district")
    staff.get_by_label("承诺（64 位十六进制）").fill(commitment)
    submit(staff, "登记承诺")
    expect(staff.locator("#contributions")).to_contain_text(commitment)
    draft = download(staff, "#freeze-draft", tmp_path / "freeze-draft.json")
    assert json.loads(draft.read_bytes())["format"] == "paiwei-freeze/1"
    staff.set_input_files("#f-statement", str(home.folder / "district.pem"))  # a key is refused
    submit(staff, "冻结")
    expect(staff.locator("#freeze-error")).to_contain_text("请勿上传")
    staff.set_input_files("#f-statement", str(home.sign(draft)))
    submit(staff, "冻结")
    expect(staff.locator("#round-state")).to_have_attribute("data-state", "frozen")
    root = json.loads(draft.read_bytes())["input_root"]
    assert staff.text_content("#input-root") == root
    staff.set_input_files("#f-opening", str(opening))
    submit(staff, "揭示")
    expect(staff.locator("#done")).to_have_text("贡献已揭示并通过核对。")
    check_page(staff, shots, "21-staff-round-ceremony")

    # The notary's live draw, made after the freeze.
    login(live, notary, "gz41", STAFF_PASSWORD)
    assert notary.url.endswith("/staff/rounds")
    notary.get_by_role("link", name="民办小学、公办寄宿小学派位").click()
    notary.get_by_label("摇出的号码（按摇出顺序）").fill("3,7")
    submit(notary, "登记现场摇号")
    expect(notary.locator("#contributions")).to_contain_text("公证处现场摇号")
    check_page(notary)

    # Close, run, and the district's signature made with `paiwei sign`.
    staff.goto(round_url)
    submit(staff, "结束仪式")
    expect(staff.locator("#seed")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    submit(staff, "运行派位")
    expect(staff.locator("#round-state")).to_have_attribute("data-state", "drawn")
    bundle = download(staff, "#bundle-download", tmp_path / "bundle.json")
    staff.set_input_files("#f-signature", str(home.sign(bundle)))
    submit(staff, "上传区教委签名")
    expect(staff.locator("#round-state")).to_have_attribute("data-state", "signed")
    check_page(staff)

    # The notary countersigns at home with `paiwei notary countersign`: published.
    notary.goto(round_url)
    bundle = download(notary, "#bundle-download", tmp_path / "bundle-signed.json")
    notary.set_input_files("#f-countersignature", str(home.countersign(bundle)))
    submit(notary, "上传公证处会签并公布")
    expect(notary.locator("#round-state")).to_have_attribute("data-state", "published")
    assert "派位结果已公布" in (notary.text_content("#done") or "")
    with live.sessions() as s:
        row = rounds.get_or_raise(db_session=s, round_pk=int(round_url.rsplit("/", 1)[1]))
        assert row.state == "published" and row.input_root == root
        lottery.verify(json.loads(row.bundle or "{}"), {"district": bytes.fromhex(home.district_public),
                                                        "notary": bytes.fromhex(home.notary_public)})
        stats = rounds.statistics(db_session=s, round_pk=row.id)

    staff.goto(round_url)
    assert staff.text_content("#round-state") == "已公布"
    check_page(staff, shots, "23-staff-round-published")
    staff.get_by_role("link", name="派位统计（按片区和学校，附图表）").click()
    assert staff.text_content("#stat-placed") == f"{stats.placed} 人"
    table = staff.locator("#stat-schools").text_content() or ""
    assert "民办第1小学" in table and not re.search(r"\b[PZ]\d{4}\b", table)
    assert staff.locator(".chart-box svg[role=img]").count() >= 3
    check_page(staff, shots, "24-staff-statistics")
    staff.goto(live.url + "/staff/rounds")
    assert "已公布" in (staff.text_content("#rounds") or "")
    stats_link = staff.locator(f'#rounds a[href="{round_url.removeprefix(live.url)}/statistics"]')
    assert "派位统计" in (stats_link.text_content() or ""), staff.inner_html("#rounds")
    check_page(staff, shots, "25-staff-rounds")
    # The printed collection form's check page (public): yes or no, nothing personal.
    staff.goto(live.url + "/verify/collection-form?no=24000001&code=AAAAAAAA")
    expect(staff.locator("#form-verdict")).to_have_attribute("data-state", "not-genuine")
    check_page(staff)
    # The only console errors are the answers of forms refused on purpose (a key uploaded).
    assert all("status of 422" in e for e in errors), errors
    staff.context.close()
    notary.context.close()
