"""GB 11643 resident ID numbers and the other identity documents."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paiwei.intake.errors import IntakeError
from paiwei.intake.identity import check_document, gb11643_check_digit


def test_check_digit_of_the_standard_example() -> None:
    # GB 11643-1999 appendix example: 11010519491231002X
    assert gb11643_check_digit("11010519491231002") == "X"


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2024, 12, 31)),
       st.integers(min_value=0, max_value=999), st.sampled_from(["110105", "130602", "440305"]))
def test_valid_numbers_pass_and_any_single_digit_change_fails(birth: date, order: int, region: str) -> None:
    body = f"{region}{birth:%Y%m%d}{order:03d}"
    number = body + gb11643_check_digit(body)
    sex = "M" if order % 2 else "F"
    check_document("resident_id", number, birth_date=birth, sex=sex)
    for position in range(17):
        digit = str((int(number[position]) + 1) % 10)
        tampered = number[:position] + digit + number[position + 1:]
        with pytest.raises(IntakeError):
            check_document("resident_id", tampered, birth_date=birth, sex=sex)


@pytest.mark.parametrize(("number", "code"), [
    ("1101051949123100X", "id_format"),
    ("11010519491231002Y", "id_format"),
    ("110105194913310020", "id_checksum"),
    ("11010519491231002X", None),
])
def test_resident_id_errors(number: str, code: str | None) -> None:
    if code is None:
        check_document("resident_id", number, birth_date=date(1949, 12, 31), sex="F")
        return
    with pytest.raises(IntakeError) as info:
        check_document("resident_id", number, birth_date=None, sex=None)
    assert info.value.code == code


def test_birth_and_sex_must_agree_with_the_number() -> None:
    with pytest.raises(IntakeError, match="id_birth_mismatch"):
        check_document("resident_id", "11010519491231002X", birth_date=date(1949, 12, 30), sex="F")
    with pytest.raises(IntakeError, match="id_sex_mismatch"):
        check_document("resident_id", "11010519491231002X", birth_date=date(1949, 12, 31), sex="M")


def test_hmt_residence_permit_needs_81_82_83_prefix() -> None:
    body = "81000019900101001"
    check_document("hmt_residence_permit", body + gb11643_check_digit(body), birth_date=None, sex=None)
    body = "11000019900101001"
    with pytest.raises(IntakeError, match="id_format"):
        check_document("hmt_residence_permit", body + gb11643_check_digit(body), birth_date=None, sex=None)


@pytest.mark.parametrize(("id_type", "good", "bad"), [
    ("passport", "G12345678", "G1234"),
    ("hk_macao_permit", "M1234567801", "M123456"),
    ("taiwan_permit", "1234567801", "A1234567"),
])
def test_other_documents(id_type: str, good: str, bad: str) -> None:
    check_document(id_type, good, birth_date=None, sex=None)
    with pytest.raises(IntakeError, match="id_format"):
        check_document(id_type, bad, birth_date=None, sex=None)


def test_unknown_document_type_is_refused() -> None:
    with pytest.raises(IntakeError, match="id_format"):
        check_document("library_card", "12345678", birth_date=None, sex=None)
