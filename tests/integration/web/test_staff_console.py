"""The staff console without a browser: a plan imported from its file (and a bad one
refused with every problem named), a round run through the pages by district staff and a
notary with the signing tools' files uploaded (never a key), statistics in words and
charts, and the access of each role."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from lottery import verify
from paiwei.rounds import service as rounds
from tests.integration.intake.helpers import STAFF_PASSWORD, Intake, make_staff
from tests.integration.web.staff_console import SAMPLE_PLAN, Signers, season_file
from tests.integration.web.test_pages import captcha_answer, hidden


def login(intake: Intake, name: str) -> str:
    """Log in through the form; the CSRF token of the page landed on."""
    intake.client.cookies.clear()
    form = intake.client.get("/login")
    landed = intake.client.post("/login", data={"login": name, "password": STAFF_PASSWORD,
                                                **captcha_answer(intake, form.text)})
    assert landed.status_code == 200, landed.text
    return hidden(landed.text, "csrf_token")


def main_text(html: str) -> str:
    body = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return re.sub(r"<[^>]+>", " ", body)


def upload(intake: Intake, url: str, csrf: str, field: str, path: Path, **data: str) -> Any:
    with path.open("rb") as fh:
        return intake.client.post(url, data={"csrf_token": csrf, **data}, files={field: (path.name, fh)},
                                  follow_redirects=True)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_plan_is_imported_from_its_file_and_shown_with_names(intake: Intake, tmp_path: Path) -> None:
    make_staff(intake.sessions, intake.clock, "cy31", "district_staff")
    csrf = login(intake, "cy31")
    bad = tmp_path / "bad-plan.csv"
    lines = SAMPLE_PLAN.read_text(encoding="utf-8").splitlines()
    bad.write_text("\n".join([lines[0], lines[1].replace(",120,", ",很多,"), *lines[2:]]) + "\n", encoding="utf-8")
    refused = upload(intake, "/staff/plans", csrf, "plan", bad, year="2024")
    assert refused.status_code == 422
    issues = re.search(r'<ul id="plan-issues">(.*?)</ul>', refused.text, re.S)
    assert issues is not None and "第 2 行" in issues.group(1) and "“学位数”列" in issues.group(1)
    assert "尚未导入学校招生计划" in refused.text

    done = upload(intake, "/staff/plans", csrf, "plan", SAMPLE_PLAN, year="2024")
    assert done.status_code == 200 and "学校招生计划已导入" in done.text
    text = main_text(done.text)
    assert "示例第一小学" in text and "第一片区" in text and "北京市朝阳区示例路1号" in text
    assert "P001" not in text and "Z01" not in text  # names, not codes
    routes = intake.client.get("/staff/routes?year=2024&stage=primary")
    assert routes.status_code == 200 and "尚无符合条件的适龄儿童" in routes.text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_staff_and_a_notary_run_a_round_by_uploading_signed_files(intake: Intake, tmp_path: Path) -> None:
    home = Signers(tmp_path / "signers")
    make_staff(intake.sessions, intake.clock, "cy32", "district_staff")
    make_staff(intake.sessions, intake.clock, "gz32", "notary", district=None)
    make_staff(intake.sessions, intake.clock, "sj32", "auditor", district=None)
    csrf = login(intake, "cy32")

    created = upload(intake, "/staff/rounds", csrf, "scenario", season_file(tmp_path), year="2024",
                     stage="primary")
    assert created.status_code == 200, created.text
    url = str(created.url)
    round_pk = int(url.rsplit("/", 1)[1].split("?", maxsplit=1)[0])
    row_url = f"/staff/rounds/{round_pk}"
    draw_id = re.search(r'id="draw-id">([^<]+)<', created.text).group(1)  # type: ignore[union-attr]
    assert "派位轮次已创建" in created.text
    assert created.text.count('class="step-current"') == 1  # one step to take now: the keys
    assert re.search(r'class="step-current">(?:(?!</li>).)*登记区教委和公证处的签名公钥', created.text)

    # A private key is refused without being kept; so is a key that is not 64 hex digits.
    refused = intake.client.post(f"{row_url}/season-keys", data={
        "csrf_token": csrf, "key_district": (home.folder / "district.pem").read_text(), "key_notary": "00"})
    assert refused.status_code == 422 and "公钥或签名格式不正确" in refused.text
    pinned = intake.client.post(f"{row_url}/season-keys", data={
        "csrf_token": csrf, "key_district": home.district_public, "key_notary": home.notary_public})
    assert pinned.status_code == 200 and home.notary_public in pinned.text

    commitment, opening = home.commit(draw_id)
    recorded = intake.client.post(f"{row_url}/commitments", data={
        "csrf_token": csrf, "contributor": "district", "commitment": commitment})
    assert recorded.status_code == 200 and commitment in recorded.text

    draft = intake.client.get(f"{row_url}/freeze-draft.json")
    assert draft.status_code == 200 and "attachment" in draft.headers["content-disposition"]
    statement = json.loads(draft.content)
    assert statement["format"] == "paiwei-freeze/1" and "signature" not in statement
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_bytes(draft.content)
    no_signature = upload(intake, f"{row_url}/freeze", csrf, "statement", unsigned)
    assert no_signature.status_code == 422 and "需要提交签名" in no_signature.text
    key_file = upload(intake, f"{row_url}/freeze", csrf, "statement", home.folder / "district.pem")
    assert key_file.status_code == 422 and "请勿上传" in key_file.text
    wrong_key = tmp_path / "signed-with-the-notary-key.json"
    wrong_key.write_bytes(draft.content)
    home.run("sign", str(wrong_key), "--key", str(home.folder / "notary.pem"))
    mismatch = upload(intake, f"{row_url}/freeze", csrf, "statement", wrong_key)
    assert mismatch.status_code == 422 and "签名密钥与冻结时登记的区教委公钥不一致" in mismatch.text
    signed_draft = tmp_path / "freeze-statement.json"
    signed_draft.write_bytes(draft.content)
    home.sign(signed_draft)
    frozen = upload(intake, f"{row_url}/freeze", csrf, "statement", signed_draft)
    assert frozen.status_code == 200 and "输入已冻结" in frozen.text
    assert statement["input_root"] in frozen.text
    revealed = upload(intake, f"{row_url}/reveals", csrf, "opening", opening)
    assert "贡献已揭示并通过核对" in revealed.text
    too_early = intake.client.post(f"{row_url}/close-ceremony", data={"csrf_token": csrf})
    assert too_early.status_code == 409 and "冻结后产生的随机数" in too_early.text
    # Staff cannot make the notary's contribution.
    assert intake.client.post(f"{row_url}/contributions", data={"csrf_token": csrf, "balls": "3,7"},
                              follow_redirects=False).status_code == 403

    notary_csrf = login(intake, "gz32")
    assert "中央" not in intake.client.get("/staff/rounds").text
    not_balls = intake.client.post(f"{row_url}/contributions", data={"csrf_token": notary_csrf, "balls": "3,x"})
    assert not_balls.status_code == 422 and "摇出的号码应为 0–999 的整数" in not_balls.text
    live = intake.client.post(f"{row_url}/contributions", data={"csrf_token": notary_csrf, "balls": "3, 7"})
    assert live.status_code == 200 and "冻结后的随机数贡献已登记" in live.text and "公证处现场摇号" in live.text
    # The same encoding as the API and the CLI (docs/draw-spec.md §8.1): the text "03 07".
    assert b"03 07".hex() in live.text

    csrf = login(intake, "cy32")
    closed = intake.client.post(f"{row_url}/close-ceremony", data={"csrf_token": csrf})
    assert closed.status_code == 200 and "随机种子已生成" in closed.text
    drawn = intake.client.post(f"{row_url}/run", data={"csrf_token": csrf})
    assert drawn.status_code == 200 and "派位已完成" in drawn.text
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(intake.client.get(f"{row_url}/bundle.json").content)
    signed = upload(intake, f"{row_url}/signature", csrf, "signature", home.sign(bundle))
    assert "区教委签名已核验并保存" in signed.text

    notary_csrf = login(intake, "gz32")
    bundle.write_bytes(intake.client.get(f"{row_url}/bundle.json").content)
    published = upload(intake, f"{row_url}/countersignature", notary_csrf, "countersignature",
                       home.countersign(bundle))
    assert "派位结果已公布" in published.text and 'data-state="published"' in published.text
    assert 'class="step-current"' not in published.text and published.text.count('class="step-done"') == 9
    with intake.sessions() as s:
        row = rounds.get_or_raise(db_session=s, round_pk=round_pk)
        assert row.state == "published"
        verify(json.loads(row.bundle or "{}"), {"district": bytes.fromhex(home.district_public),
                                                "notary": bytes.fromhex(home.notary_public)})
        stats = rounds.statistics(db_session=s, round_pk=round_pk)

    login(intake, "sj32")  # auditors read the statistics too
    page = intake.client.get(f"{row_url}/statistics")
    assert page.status_code == 200
    text = main_text(page.text)
    assert f"录取  {stats.placed} 人" in text and "民办第1小学" in text and "直接录取" in text
    assert "未满6周岁" in text  # everyone not in the round, with the rule why not
    assert not re.search(r"\b[PZ]\d{4}\b", text) and "drawn" not in text  # names, not codes
    assert page.text.count("<svg") >= 3 and 'role="img"' in page.text
    assert intake.client.post(f"{row_url}/run", data={"csrf_token": "x"}, follow_redirects=False).status_code == 403


def test_the_printed_collection_form_is_checked_at_its_qr_address(intake: Intake) -> None:
    from sqlalchemy import select  # noqa: PLC0415

    from paiwei.intake.models import Applicant  # noqa: PLC0415
    from tests.integration.intake.helpers import STREET, details  # noqa: PLC0415

    account = str(intake.register(1, child_name="欧阳小明").json()["account_no"])
    assert intake.login(account).status_code == 200
    assert intake.client.put("/api/intake/me/details", json=details()).status_code == 200
    make_staff(intake.sessions, intake.clock, "jw33", "street_reviewer", street=STREET)
    make_staff(intake.sessions, intake.clock, "cy33", "district_staff")
    with intake.sessions() as s:
        pseudonym = s.scalars(select(Applicant.pseudonym)).one()
    for staff, step in (("jw33", "material-approval"), ("cy33", "verification")):
        intake.logout()
        assert intake.login(staff, STAFF_PASSWORD).status_code == 200
        assert intake.client.post(f"/api/review/applicants/{pseudonym}/{step}").status_code == 200
    intake.logout()
    assert intake.login(account).status_code == 200
    printed = intake.client.get("/api/reports/collection-form.html").text
    url = re.search(r"(/verify/collection-form\?no=\d+&amp;code=[A-Z2-7]+)", printed)
    assert url is not None
    intake.logout()

    genuine = intake.client.get(url.group(1).replace("&amp;", "&"))  # anyone, without logging in
    assert genuine.status_code == 200
    assert 'data-state="genuine"' in genuine.text and "真实有效" in genuine.text
    assert "欧阳小明" not in genuine.text  # yes or no, nothing personal
    code = re.search(r"code=([A-Z2-7]+)", url.group(1)).group(1)  # type: ignore[union-attr]
    wrong = intake.client.get(f"/verify/collection-form?no={account}&code=AAAAAAAA")
    unknown = intake.client.get(f"/verify/collection-form?no=99999999&code={code}")
    for answer in (wrong, unknown):  # an unknown number answers as a wrong code does
        assert 'data-state="not-genuine"' in answer.text and "无法确认" in answer.text
    assert "form-verdict" not in intake.client.get("/verify/collection-form").text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_routes_by_zone_in_words_with_the_undecided_and_why(intake: Intake) -> None:
    from tests.integration.choices.helpers import (  # noqa: PLC0415
        beijing,
        primary_record,
        set_up_district,
        verified_family,
    )

    intake.clock.now = beijing(5, 20, 9)
    set_up_district(intake.sessions, intake.clock.now)
    verified_family(intake, 1)
    verified_family(intake, 2)
    verified_family(intake, 3, record=primary_record("Z2"))
    young = primary_record()
    young["birth_date"] = "2019-03-01"  # not 6 by the cut-off
    verified_family(intake, 4, record=young)
    make_staff(intake.sessions, intake.clock, "cy34", "district_staff")
    csrf = login(intake, "cy34")
    page = intake.client.get("/staff/routes?year=2024&stage=primary")
    assert page.status_code == 200
    zones = re.search(r'<table id="route-zones".*?</table>', page.text, re.S)
    assert zones is not None
    text = re.sub(r"<[^>]+>", " ", zones.group(0))
    # The catalogue names no zone: each is called by its schools, never by its id.
    assert "朝阳实验小学等3所学校的片区" in text and "望京小学片区" in text
    assert "多校划片（片区统筹派位）：2 人" in text and "Z1" not in text and "Z2" not in text
    assert "未满6周岁" in main_text(page.text)  # the ineligible, by the rule
    assert "共判定 4 人" in page.text
    again = intake.client.post("/staff/routes", data={"csrf_token": csrf, "year": "2024", "stage": "primary"})
    assert again.status_code == 200 and "已重新判定 4 名申请人" in again.text
