"""The printable collection form over the API (own account, verified applicants only):
labels not codes, HTML and PDF from one template, a verification code the check accepts."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from paiwei.intake.models import Applicant
from paiwei.reporting import service
from tests.integration.intake.helpers import (
    STAFF_PASSWORD,
    STREET,
    Intake,
    child_id,
    details,
    make_staff,
)
from tests.pdfcheck import check_pdf


def test_collection_form_html_and_pdf_for_the_verified_parent_only(intake: Intake, tmp_path: Path) -> None:
    response = intake.register(1, child_name="欧阳小明", guardian_name="欧阳大山")
    assert response.status_code == 201, response.text
    account = str(response.json()["account_no"])
    assert intake.login(account).status_code == 200
    assert intake.client.put("/api/intake/me/details", json=details()).status_code == 200
    refused = intake.client.get("/api/reports/collection-form.pdf")
    assert refused.status_code == 403 and refused.json()["code"] == "not_verified"

    make_staff(intake.sessions, intake.clock, "jw", "street_reviewer", street=STREET)
    make_staff(intake.sessions, intake.clock, "cy", "district_staff")
    with intake.sessions() as s:
        pseudonym = s.scalars(select(Applicant.pseudonym)).one()
    for staff, step in (("jw", "material-approval"), ("cy", "verification")):
        intake.logout()
        assert intake.login(staff, STAFF_PASSWORD).status_code == 200
        assert intake.client.post(f"/api/review/applicants/{pseudonym}/{step}").status_code == 200
    intake.logout()
    assert intake.login(account).status_code == 200

    html = intake.client.get("/api/reports/collection-form.html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    page = html.text
    for label in ("学龄人口信息采集表", "朝阳区", account, "欧阳小明", child_id(1), "河北省", "父亲", "大学本科",
                  "居民身份证", "汉族", "ZL2021-0001", "监护人签字", "<svg"):
        assert label in page, label
    for code in ("family_rural", "father", "bachelor", "resident_id", "CHN", ">01<"):
        assert code not in page, code

    pdf = intake.client.get("/api/reports/collection-form.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf.content)
    text = check_pdf(path, tmp_path, expected=["学龄人口信息采集表", account, "欧阳小明", "父亲", "验证码"])
    code = text.split("验证码：")[1].split()[0]
    with intake.sessions() as s:
        ok = service.check_collection_form(db_session=s, form_no=account, code=code, now=intake.clock(),
                                           base_url="http://x")
        wrong = service.check_collection_form(db_session=s, form_no=account, code="AAAAAAAA", now=intake.clock(),
                                              base_url="http://x")
        other = service.check_collection_form(db_session=s, form_no="99999999", code=code, now=intake.clock(),
                                              base_url="http://x")
    assert (ok, wrong, other) == (True, False, False)
