"""Manual §一 注意事项 1–7, the guardian notice, the privacy policy, captcha and SMS.

Each test is named after the rule it guards and fails when the rule is broken.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from paiwei.accounts.models import User
from paiwei.intake.models import Applicant
from tests.integration.intake.helpers import CHAOYANG, HAIDIAN, Intake, child_id, resident_id


def _problem(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["code"] == code
    assert body["status"] == status
    return body


def test_registration_succeeds_with_year_prefixed_8_digit_account_sent_by_sms(intake: Intake) -> None:
    response = intake.register(1)
    assert response.status_code == 201, response.text
    account = response.json()["account_no"]
    assert len(account) == 8 and account.isdigit() and account.startswith("24")
    assert account in intake.last_sms("13900000001")


@pytest.mark.parametrize("field", ["child_name", "child_id_number", "child_birth_date",
                                   "guardian_mobile", "guardian_name", "child_sex",
                                   "hukou_province", "residence_district", "password", "sms_code"])
def test_rule1_starred_fields_are_required(intake: Intake, field: str) -> None:
    body = intake.payload(1)
    body.update(notice_token=intake.notice(), sms_code="123456", **intake.captcha())
    del body[field]
    problem = _problem(intake.client.post("/api/intake/registrations", json=body), 422,
                       "required_field_missing")
    assert problem["title"] == "带“*”的为必填项，请填写完整"
    assert problem["field"] == field


def test_rule1_blank_starred_field_counts_as_missing(intake: Intake) -> None:
    body = intake.payload(1, child_name="   ")
    body.update(notice_token=intake.notice(), sms_code="123456", **intake.captcha())
    assert _problem(intake.client.post("/api/intake/registrations", json=body), 422,
                    "required_field_missing")["field"] == "child_name"


def test_rule2_hukou_or_residence_must_match_chosen_district(intake: Intake) -> None:
    # Residence in Haidian, household registration in Hebei: not Chaoyang → refused.
    _problem(intake.register(1, residence_district=HAIDIAN), 422, "district_mismatch")
    # Beijing household registration in Chaoyang, residence elsewhere: accepted.
    ok = intake.register(2, residence_district=HAIDIAN, hukou_province="11", hukou_district=CHAOYANG)
    assert ok.status_code == 201, ok.text
    # Residence in Chaoyang: accepted.
    assert intake.register(3).status_code == 201


def test_rule3_one_account_per_id_number(intake: Intake) -> None:
    assert intake.register(1).status_code == 201
    again = intake.register(2, child_id_number=child_id(1))
    problem = _problem(again, 409, "id_already_registered")
    assert problem["title"] == "该证件号码已注册"


def test_rule3_lower_case_x_is_the_same_id_number(intake: Intake) -> None:
    number = next(resident_id(date(2018, 1, 2), "F", seq=s) for s in range(100)
                  if resident_id(date(2018, 1, 2), "F", seq=s).endswith("X"))
    assert intake.register(1, child_id_number=number, child_sex="F", child_birth_date="2018-01-02").status_code == 201
    _problem(intake.register(2, child_id_number=number.lower(), child_sex="F",
                             child_birth_date="2018-01-02"), 409, "id_already_registered")


@pytest.mark.parametrize("text", ["2018/03/01", "20180301", "2018-3-1", "01-03-2018", "2018-02-30"])
def test_rule4_birth_date_must_use_system_format(intake: Intake, text: str) -> None:
    _problem(intake.register(1, child_birth_date=text), 422, "birth_date_format")


def test_rule5_at_most_three_accounts_per_guardian_mobile(intake: Intake) -> None:
    mobile = "13812345678"
    for n in (1, 2, 3):
        assert intake.register(n, guardian_mobile=mobile).status_code == 201
    _problem(intake.register(4, guardian_mobile=mobile), 409, "mobile_quota_exceeded")
    with intake.sessions() as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.mobile == mobile)) == 3


@pytest.mark.parametrize("password", ["Abc1234", "Abcdefghij1234567890X", "abcdefg1", "ABCDEFG1",
                                      "Abcdefgh", "12345678", "Abc 12345"])
def test_rule6_password_8_to_20_with_digit_lower_upper(intake: Intake, password: str) -> None:
    _problem(intake.register(1, password=password, password_confirm=password), 422, "password_policy")


@pytest.mark.parametrize("password", ["Abcdefg1", "Abcdefghij123456789X"])
def test_rule6_passwords_at_the_limits_are_accepted(intake: Intake, password: str) -> None:
    assert intake.register(1, password=password, password_confirm=password).status_code == 201


def test_rule7_sms_code_must_match_the_6_digit_code(intake: Intake) -> None:
    mobile = "13900000001"
    code = intake.sms_code(mobile)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    _problem(intake.register(1, sms_code=wrong), 422, "sms_code_invalid")
    _problem(intake.register(1, sms_code=code[:5]), 422, "sms_code_invalid")


def test_rule7_sms_code_for_another_number_is_refused(intake: Intake) -> None:
    code = intake.sms_code("13700000000")
    _problem(intake.register(1, sms_code=code), 422, "sms_code_invalid")


def test_sms_code_expires_after_5_minutes(intake: Intake) -> None:
    code = intake.sms_code("13900000001")
    intake.clock.advance(290)  # the notice adds 11 s more: 301 s in all
    _problem(intake.register(1, sms_code=code), 422, "sms_code_invalid")


def test_sms_code_is_single_use(intake: Intake) -> None:
    code = intake.sms_code("13900000001")
    assert intake.register(1, sms_code=code).status_code == 201
    _problem(intake.register(2, guardian_mobile="13900000001", sms_code=code), 422, "sms_code_invalid")


def test_sms_new_code_no_sooner_than_180_seconds(intake: Intake) -> None:
    intake.sms_code("13900000001")
    intake.clock.advance(179)
    _problem(intake.client.post("/api/sms/register-codes", json={"mobile": "13900000001"}), 429,
             "sms_resend_too_soon")
    intake.clock.advance(1)
    assert intake.client.post("/api/sms/register-codes", json={"mobile": "13900000001"}).status_code == 202


def test_sms_daily_cap_per_number(intake: Intake) -> None:
    cap = intake.client.app.state.settings.sms_daily_cap  # type: ignore[attr-defined]
    for _ in range(cap):
        assert intake.client.post("/api/sms/register-codes", json={"mobile": "13900000001"}).status_code == 202
        intake.clock.advance(181)
    _problem(intake.client.post("/api/sms/register-codes", json={"mobile": "13900000001"}), 429,
             "sms_daily_cap")


def test_notice_must_be_shown_10_seconds_before_agreement(intake: Intake) -> None:
    token = intake.notice(wait=9)
    _problem(intake.register(1, notice_token=token), 422, "notice_not_read")
    token = intake.notice(wait=10)
    assert intake.register(1, notice_token=token).status_code == 201


def test_notice_must_be_agreed(intake: Intake) -> None:
    _problem(intake.register(1, notice_agreed=False), 422, "notice_not_agreed")


def test_notice_token_is_single_use_and_per_district(intake: Intake) -> None:
    token = intake.notice()
    assert intake.register(1, notice_token=token).status_code == 201
    _problem(intake.register(2, notice_token=token), 422, "notice_invalid")
    haidian = intake.notice(HAIDIAN)
    _problem(intake.register(3, notice_token=haidian), 422, "notice_invalid")


def test_privacy_policy_must_be_agreed(intake: Intake) -> None:
    _problem(intake.register(1, privacy_agreed=False), 422, "privacy_not_agreed")


def test_captcha_must_match_and_is_single_use(intake: Intake) -> None:
    captcha = intake.captcha()
    _problem(intake.register(1, captcha_id=captcha["captcha_id"], captcha_answer="????"), 422,
             "captcha_invalid")
    # The wrong guess burnt the image: even the right answer is now refused.
    _problem(intake.register(1, **captcha), 422, "captcha_invalid")


def test_captcha_expires(intake: Intake) -> None:
    captcha = intake.captcha()
    intake.clock.advance(301)
    _problem(intake.register(1, **captcha), 422, "captcha_invalid")


def test_captcha_image_is_a_png(intake: Intake) -> None:
    captcha = intake.captcha()
    image = intake.client.get(f"/api/captchas/{captcha['captcha_id']}.png")
    assert image.status_code == 200
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(("number", "code"), [
    ("11010520180301001", "id_format"),
    ("110105201803010122", "id_checksum"),
])
def test_resident_id_format_and_check_digit(intake: Intake, number: str, code: str) -> None:
    _problem(intake.register(1, child_id_number=number), 422, code)


def test_resident_id_birth_date_and_sex_consistent_with_form(intake: Intake) -> None:
    _problem(intake.register(1, child_birth_date="2018-03-02"), 422, "id_birth_mismatch")
    _problem(intake.register(1, child_sex="F"), 422, "id_sex_mismatch")


@pytest.mark.parametrize(("id_type", "good", "bad"), [
    ("passport", "E12345678", "E-1234"),
    ("hk_macao_permit", "H12345678", "X12345678"),
    ("taiwan_permit", "12345678", "1234567"),
])
def test_other_id_types_have_their_own_format(intake: Intake, id_type: str, good: str, bad: str) -> None:
    _problem(intake.register(1, child_id_type=id_type, child_id_number=bad), 422, "id_format")
    assert intake.register(2, child_id_type=id_type, child_id_number=good).status_code == 201


def test_mobile_number_format(intake: Intake) -> None:
    body = {"mobile": "1234"}
    _problem(intake.client.post("/api/sms/register-codes", json=body), 422, "mobile_format")


def test_applicant_pseudonym_is_random_and_not_derived_from_id(intake: Intake) -> None:
    assert intake.register(1).status_code == 201
    with intake.sessions() as s:
        applicant = s.scalars(select(Applicant)).one()
        assert applicant.pseudonym.startswith("A") and len(applicant.pseudonym) == 33
        assert applicant.child_id_number[-6:] not in applicant.pseudonym
        stored_hash = s.scalars(select(User.password_hash)).one()
    assert stored_hash.startswith("scrypt$") and "Abcdef12" not in stored_hash


def test_sms_code_dies_after_five_wrong_codes(intake: Intake) -> None:
    code = intake.sms_code("13900000001")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        _problem(intake.register(1, sms_code=wrong, advance=0), 422, "sms_code_invalid")
    _problem(intake.register(1, sms_code=code), 422, "sms_code_invalid")
