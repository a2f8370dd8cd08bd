"""What an applicant's intake says in the scenario format: the parent's details (figure 9
and the policy's conditions, issue 18) and the reviewers' findings, as
:class:`~paiwei.choices.rules.IntakeFacts` for ``rules.routing_input``.

Reads the applicant's columns only (no session, no clock). The hukou kind comes from the
registration (figure 6: 户籍所在省、区), for every applicant. A field recorded before the
details held it (``None``, migrations 0009 and 0011) is not stated: the routing record's
value, or the scenario format's default, stands for it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from paiwei import data
from paiwei.choices.rules import IntakeFacts
from paiwei.intake.models import Applicant, Guardian

# 住所类型 -> the scenario's residence kind ("other": no owned or rented home, §四（一）3)
RESIDENCE_KIND = {"owned": "owned", "rented": "rented", "other": "none"}
# 关系 -> the scenario's guardian relation: grandparents and others are 其他监护人
GUARDIAN_RELATION = {"father": "father", "mother": "mother"}
# certificate codes (data/certificate_*.json) -> the scenario's
CERT_HOLDER = {"parent": "parent", "other_guardian": "other-guardian", "relative": "relative",
               "other": "other"}
CERT_TYPE = {"ownership_certificate": "ownership-certificate",
             "real_estate_certificate": "real-estate-certificate", "other": "other"}
# 家庭产权住房 (data/family_property.json) -> the scenario's property (无房, §三（一）1（3）)
FAMILY_PROPERTY = {"none": {"beijing": False, "chaoyang": False},
                   "beijing": {"beijing": True, "chaoyang": False},
                   "district": {"beijing": True, "chaoyang": True}}
# 申请的就读方式 (data/disability_placements.json) -> the scenario's disability_placement
PLACEMENT = {"regular_class": "regular-class", "special_class": "special-class",
             "special_school": "special-school"}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def place_of(code: str | None, district: str) -> str | None:
    """工作单位所属区 / 社会保险缴纳地 -> PLACES: the applicant's district, another Beijing
    district, outside Beijing; ``none`` (and not stated) -> None."""
    if code is None or code == "none":
        return None
    if code == district:
        return "in-district"
    return "other-beijing" if code in data.codes("districts") else "outside-beijing"


def hukou_kind_of(province: str, district: str | None, applicant_district: str) -> str:
    """户籍 (registration, figure 6) -> the scenario's ``hukou.kind``: the applicant's
    district ``chaoyang`` (the policy's district), another Beijing district ``beijing``,
    outside Beijing ``other``."""
    if province != data.BEIJING_PROVINCE_CODE:
        return "other"
    return "chaoyang" if district == applicant_district else "beijing"


def record_place_of(province: str | None, district: str | None, applicant_district: str) -> str | None:
    """学籍所在地 -> RECORD_PLACES (None when not stated)."""
    if province is None:
        return None
    if province != data.BEIJING_PROVINCE_CODE:
        return "other-province"
    return "in-district" if district == applicant_district else "other-beijing"


def _guardian(g: Guardian, district: str) -> dict[str, Any]:
    employed = g.work_nature != "unemployed"
    return {
        "relation": GUARDIAN_RELATION.get(g.relation, "other-guardian"),
        "employment_place": place_of(g.employer_district, district) if employed else None,
        "employment_start": _iso(g.employment_start) if employed else None,
        "labour_contract": bool(g.labour_contract) and employed,
        "social_insurance_place": place_of(g.social_insurance_district, district),
    }


def facts_of(applicant: Applicant, *, stage: str) -> IntakeFacts:
    """The applicant's intake in scenario-format terms, for a routing of ``stage``."""
    a = applicant
    hukou = hukou_kind_of(a.hukou_province, a.hukou_district, a.district)
    if a.details_submitted_at is None:  # an imported reviewed record: its routing record is all
        return IntakeFacts(findings=tuple(a.review_findings or ()), hukou_kind=hukou)
    kind = RESIDENCE_KIND.get(a.dwelling_type or "")
    tenancy = certificate = None
    if kind == "rented" and a.rental_start_date is not None:
        tenancy = {"rental_start": a.rental_start_date.isoformat(),
                   "registered": a.rental_registration_no is not None,
                   "continuous": bool(a.rental_continuous), "sole_tenancy": bool(a.rental_sole)}
    if (kind == "owned" and a.property_holder is not None and a.property_certificate_type is not None
            and a.property_certificate_date is not None):
        certificate = {"holder": CERT_HOLDER[a.property_holder],
                       "type": CERT_TYPE[a.property_certificate_type],
                       "date": a.property_certificate_date.isoformat()}
    # every guardian states the policy's employment fields, or none is joined (before 0008)
    stated = bool(a.guardians) and all(g.labour_contract is not None for g in a.guardians)
    return IntakeFacts(
        findings=tuple(a.review_findings or ()),
        residence_kind=kind,
        tenancy=tenancy,
        certificate=certificate,
        certificate_for_residence=a.property_for_residence is not False,
        guardians=tuple(_guardian(g, a.district) for g in a.guardians) if stated else None,
        school_record_place=(record_place_of(a.school_record_province, a.school_record_district, a.district)
                             if stage == "junior" else None),
        hukou_kind=hukou,
        property=FAMILY_PROPERTY[a.family_property] if a.family_property is not None else None,
        disability_placement=(PLACEMENT[a.disability_placement]
                              if a.disability_placement is not None else None),
        stage=stage,
    )
