"""Identity-document checks: GB 11643 resident ID numbers and the other document types."""

from __future__ import annotations

import re
from datetime import date

from paiwei.intake.errors import IntakeError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_RESIDENT = re.compile(r"^\d{17}[\dX]$")
_FORMATS = {
    # 港澳居民来往内地通行证: H or M and 8 digits (10 digits on the 2013 card)
    "hk_macao_permit": re.compile(r"^[HM]\d{8}(\d{2})?$"),
    # 台湾居民来往大陆通行证: 8 digits (2015 card), or 10 with issue-count suffix
    "taiwan_permit": re.compile(r"^\d{8}(\d{2})?$"),
    # Passports: Chinese E/G + 8, others 6–17 letters and digits (ICAO 9303 allows 9 chars,
    # some states more)
    "passport": re.compile(r"^[A-Z0-9]{6,17}$"),
}


def gb11643_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def normalise(id_type: str, number: str) -> str:
    return number.strip().upper().replace(" ", "")


def check_document(id_type: str, number: str, *, birth_date: date | None, sex: str | None) -> None:
    """Validate an ID number for its type; for 18-digit numbers also birth date and sex.

    ``sex`` is ``"M"`` or ``"F"``. Raises ``IntakeError`` with code ``id_format``,
    ``id_checksum``, ``id_birth_mismatch`` or ``id_sex_mismatch``.
    """
    if id_type in {"resident_id", "hmt_residence_permit"}:
        if not _RESIDENT.match(number):
            raise IntakeError("id_format", field="id_number")
        if id_type == "hmt_residence_permit" and number[:2] not in {"81", "82", "83"}:
            raise IntakeError("id_format", field="id_number")
        if gb11643_check_digit(number[:17]) != number[17]:
            raise IntakeError("id_checksum", field="id_number")
        try:
            encoded = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            raise IntakeError("id_format", field="id_number") from None
        if birth_date is not None and encoded != birth_date:
            raise IntakeError("id_birth_mismatch", field="birth_date")
        if sex is not None and ("M" if int(number[16]) % 2 else "F") != sex:
            raise IntakeError("id_sex_mismatch", field="sex")
        return
    pattern = _FORMATS.get(id_type)
    if pattern is None or not pattern.match(number):
        raise IntakeError("id_format", field="id_number")
