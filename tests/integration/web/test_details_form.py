"""Figure 9 on the parent's details page (manual ``shared/seeds/000_2d54bbbc127f97a2.txt``,
二、详细信息录入) with the conditions 朝教〔2024〕21号 decides on (issue 18): the certificate,
the tenancy, each guardian's employment and social insurance, the 学籍. Chinese labels,
Chinese errors next to their fields, and what was saved shown again."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from paiwei.intake.models import Applicant
from tests.integration.intake.helpers import HAIDIAN, PARENT_PASSWORD, Intake, details
from tests.integration.web.test_pages import flatten, hidden, login_through_the_form


def _selected(html: str, name: str) -> str:
    select_html = re.search(rf'<select id="[^"]*" name="{re.escape(name)}".*?</select>', html, re.S)
    assert select_html is not None, name
    chosen = re.search(r'<option value="([^"]*)" selected>', select_html.group(0))
    return chosen.group(1) if chosen else ""


def _form(intake: Intake) -> tuple[str, dict[str, str]]:
    account = intake.register(31).json()["account_no"]
    login_through_the_form(intake, account, PARENT_PASSWORD)
    page = intake.client.get("/me/details")
    assert page.status_code == 200
    body = details()
    body["residence"]["rental"].update(continuous="no", sole_tenancy="yes")
    body["guardians"][0].update(labour_contract="yes", social_insurance_district=HAIDIAN)
    body.update(family_property="beijing", disability_placement="special_school")
    fields: dict[str, Any] = flatten("", body, {})
    fields.update({"school_record.province": "", "school_record.district": "",
                   "residence.property.holder": "", "guardians.1.name": ""})
    return hidden(page.text, "csrf_token"), fields


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_policy_fields_have_chinese_labels_and_are_saved_and_shown_again(intake: Intake) -> None:
    csrf, fields = _form(intake)
    page = intake.client.get("/me/details").text
    for text in ("证书持有人", "证书类型", "证书所载房屋是否为实际居住房屋", "在本区承租并实际居住的起始日期",
                 "自起始日期起是否连续承租并实际居住", "是否单独承租（非与他人合租）", "就业起始日期",
                 "是否与用人单位签订劳动合同", "社会保险个人权益记录所在区", "学籍所在省（自治区、直辖市）",
                 "其他亲属（如祖父母、外祖父母）", "北京市以外",
                 "家庭（父母或其他监护人）在本市、本区是否有产权住房", "在本市其他区有产权住房，在本区无产权住房",
                 "申请的就读方式", "在特殊教育学校就读", "在小学附设特教班就读（仅小学）"):
        assert text in page, text
    saved = intake.client.post("/me/details", data={**fields, "csrf_token": csrf}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    with intake.sessions() as s:
        a = s.scalars(select(Applicant)).one()
        assert (a.rental_continuous, a.rental_sole, a.rental_start_date.isoformat()) == (False, True, "2020-01-01")
        assert (a.guardians[0].labour_contract, a.guardians[0].social_insurance_district) == (True, HAIDIAN)
        assert a.school_record_province is None and len(a.guardians) == 1  # blank groups left out
        assert (a.family_property, a.disability_placement) == ("beijing", "special_school")
    again = intake.client.get("/me/details").text
    assert _selected(again, "residence.rental.continuous") == "no"
    assert _selected(again, "residence.rental.sole_tenancy") == "yes"
    assert _selected(again, "guardians.0.social_insurance_district") == HAIDIAN
    assert 'name="residence.rental.start_date" type="text" value="2020-01-01"' in again
    assert _selected(again, "family_property") == "beijing"
    assert _selected(again, "disability_placement") == "special_school"
    # no request: the blank choice stores nothing (not stated)
    cleared = intake.client.post("/me/details", data={**fields, "disability_placement": "", "csrf_token": csrf},
                                 follow_redirects=False)
    assert cleared.status_code == 303, cleared.text
    with intake.sessions() as s:
        assert s.scalars(select(Applicant.disability_placement)).one() is None


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_each_policy_field_s_error_is_in_chinese_next_to_it(intake: Intake) -> None:
    csrf, fields = _form(intake)
    cases = [
        ({"residence.rental.start_date": "2099-01-01"}, "residence-rental-start_date", "日期不能晚于填报当天"),
        ({"residence.rental.start_date": "2020/01/01"}, "residence-rental-start_date", "年-月-日"),
        ({"residence.rental.registration_date": ""}, "residence-rental-registration_date", "须同时填写"),
        ({"residence.rental.continuous": ""}, "residence-rental-continuous", "此项为必填项"),
        ({"guardians.0.labour_contract": ""}, "guardians-0-labour_contract", "此项为必填项"),
        ({"guardians.0.social_insurance_district": "moon"}, "guardians-0-social_insurance_district",
         "不在可选范围内"),
        ({"school_record.province": "11"}, "school_record-district", "请选择学籍所在区"),
        ({"family_property": ""}, "family_property", "此项为必填项"),
        ({"family_property": "moon"}, "family_property", "不在可选范围内"),
        # a junior applicant (a 学籍 is given) cannot ask for a primary school's special class
        ({"disability_placement": "special_class", "school_record.province": "13"}, "disability_placement",
         "小学附设特教班仅适用于小学入学"),
    ]
    for change, field_id, message in cases:
        response = intake.client.post("/me/details", data={**fields, **change, "csrf_token": csrf})
        assert response.status_code == 422, change
        assert re.search(rf'id="f-{field_id}-error"[^>]*>.*{re.escape(message)}', response.text), change
    owned = {**fields, "residence.dwelling_type": "owned", "residence.property.certificate_no": "京0001",
             "residence.property.certificate_date": "2016-05-01", "residence.property.address": "朝阳区某路3号",
             "residence.property.certificate_type": "real_estate_certificate",
             "residence.property.for_residence": "yes"}
    response = intake.client.post("/me/details", data={**owned, "csrf_token": csrf})
    assert response.status_code == 422
    assert re.search(r'id="f-residence-property-holder-error"[^>]*>.*此项为必填项', response.text)
