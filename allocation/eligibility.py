"""Eligibility and zone routing (§三 and §四（一）), column by column.

From the applicants' verified records to: eligible or not with the rule that
decided; the round family that first places the child (single-school or the
zone's allocation) with the rule that routed it; the zone; and the priority class
at the zone's schools with its rule. Every decision is a rule code whose section
and Chinese text are in :data:`RULES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from allocation._dates import NO_DATE, add_years
from allocation.policy import Policy, Stage
from allocation.scenario import (
    Applicants,
    BoolArray,
    Details,
    Hukou,
    IntArray,
    Residence,
    Scenario,
    details_of,
)


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    section: str
    text: str  # Chinese, for parents and staff


_RULE_LIST: tuple[tuple[str, str, str, str], ...] = (
    # (enum name, code, section, Chinese text)
    ("AGE", "age", "§三（一）1", "未满6周岁（须在入学年龄截止日以前出生）"),
    ("HUKOU_CHAOYANG", "hukou-chaoyang", "§三（一）1（1）", "具有本区户籍"),
    (
        "BEIJING_PROPERTY",
        "beijing-property",
        "§三（一）1（2）",
        "本市户籍，父母或其他监护人在本区有房屋所有权证或不动产权证书",
    ),
    (
        "BEIJING_RENTING",
        "beijing-renting",
        "§三（一）1（3）",
        "本市外区户籍无房家庭，在本区连续单独承租并实际居住满3年并登记备案，监护人在本区稳定就业满3年",
    ),
    (
        "TREATED_AS_LOCAL",
        "treated-as-local",
        "§三（二）1（1）",
        "按本市户籍对待，且符合本区入学条件",
    ),
    (
        "NON_LOCAL_APPROVED",
        "non-local-approved",
        "§三（二）2（1）",
        "非本市户籍，通过在本区接受义务教育材料审核",
    ),
    (
        "NON_LOCAL_NOT_APPROVED",
        "non-local-not-approved",
        "§三（二）2（1）",
        "非本市户籍，未通过在本区接受义务教育材料审核",
    ),
    (
        "TALENT",
        "talent",
        "§三（四）",
        "区级以上引进人才子女，按户籍所在地、家庭实际居住地划定服务片区",
    ),
    (
        "NO_BASIS",
        "no-basis",
        "§三（一）1",
        "不具备本区户籍、本区房产或符合条件的租住等任一入学条件",
    ),
    (
        "RENTING_OWNS_PROPERTY",
        "renting-owns-property",
        "§三（一）1（3）",
        "租住家庭的父母或其他监护人有房，不属于无房家庭",
    ),
    ("JUNIOR_RECORD", "junior-record", "§三（一）2（1）", "本区小学毕业年级学生"),
    ("JUNIOR_RETURNED", "junior-returned", "§三（一）2（2）", "已办理回本区升入初中手续"),
    (
        "JUNIOR_NO_RECORD",
        "junior-no-record",
        "§三（一）2",
        "既非本区小学毕业年级学生，也未办理回本区升入初中手续",
    ),
    (
        "SINGLE_SCHOOL_ADDRESS",
        "single-school-address",
        "§四（二）1（1）",
        "户籍和实际居住地址对应一所服务学校",
    ),
    (
        "PROPERTY_AFTER_CUTOFF",
        "property-after-cutoff",
        "§四（一）2",
        "房产证书于多校划片政策日期之后取得，参加所在片区统筹派位",
    ),
    (
        "ADDRESS_REUSED",
        "address-reused",
        "§四（一）1",
        "该实际居住地址在规定年限内已提供过对应学校的入学学位，参加所在片区统筹派位",
    ),
    (
        "MULTI_SCHOOL_ADDRESS",
        "multi-school-address",
        "§四（二）1（1）",
        "实际居住地址对应多所服务学校，参加片区统筹派位",
    ),
    (
        "RENTED_ADDRESS",
        "rented-address",
        "§四（二）1（1）",
        "实际居住地址为租住房屋，按所在片区统筹派位",
    ),
    (
        "HUKOU_ZONE",
        "hukou-zone",
        "§四（二）1（1）",
        "户籍在本区、无可作为入学依据的本区住址，按户籍所在片区统筹派位",
    ),
    ("NON_LOCAL_ZONE", "non-local-zone", "§四（二）1（5）", "非本市户籍，按居住地所在片区统筹安排"),
    ("NO_ZONE", "no-zone", "§四（一）5", "无对应服务片区，由区教委统筹安排"),
    ("DISABLED", "disabled", "§三（三）", "残疾儿童，在服务片区内优先统筹安排"),
    (
        "PREFERENTIAL",
        "preferential",
        "§三（五）",
        "烈士、华侨、现役军人、全国劳模子女或台籍学生，同等条件下给予照顾（优先类别）",
    ),
    (
        "PREFERENTIAL_TIE_ONLY",
        "preferential-tie-only",
        "§三（五）",
        "照顾对象：仅在条件完全相同时照顾，随机派位中不改变顺序",
    ),
    ("ORDINARY", "ordinary", "§四（一）5", "普通类别"),
    ("SCHOOL_ZONE", "school-zone", "§四（二）2（1）③", "按学籍所在统筹分配服务片派位"),
    ("NOT_ELIGIBLE", "not-eligible", "§三", "不具备本区登记入学资格"),
    (
        "HUKOU_NOT_IN_CATCHMENT",
        "hukou-not-in-catchment",
        "§四（二）1（1）",
        "户籍不在房产对应的服务学校范围内（人户不一致），参加所在片区统筹派位",
    ),
    # --- §三（一）1（3）: the renter's conditions, one code each (in the text's order) ---
    (
        "RENTING_NOT_CONTINUOUS",
        "renting-not-continuous",
        "§三（一）1（3）",
        "在本区承租居住不连续（须连续单独承租并实际居住）",
    ),
    (
        "RENTING_NOT_SOLE",
        "renting-not-sole",
        "§三（一）1（3）",
        "不是单独承租（须单独承租并实际居住）",
    ),
    (
        "RENTING_UNDER_THREE_YEARS",
        "renting-under-three-years",
        "§三（一）1（3）",
        "在本区承租并实际居住不满3年（截至2024年5月1日）",
    ),
    (
        "RENTING_NOT_REGISTERED",
        "renting-not-registered",
        "§三（一）1（3）",
        "租赁未在北京市住房租赁监管平台登记备案",
    ),
    (
        "EMPLOYMENT_NOT_IN_DISTRICT",
        "employment-not-in-district",
        "§三（一）1（3）",
        "父母或其他监护人均不在本区就业",
    ),
    (
        "EMPLOYMENT_UNDER_THREE_YEARS",
        "employment-under-three-years",
        "§三（一）1（3）",
        "父母或其他监护人在本区就业不满3年（截至2024年5月1日）",
    ),
    (
        "EMPLOYMENT_NO_CONTRACT",
        "employment-no-contract",
        "§三（一）1（3）",
        "在本区就业的父母或其他监护人没有劳动合同",
    ),
    (
        "SOCIAL_INSURANCE_NOT_IN_DISTRICT",
        "social-insurance-not-in-district",
        "§三（一）1（3）",
        "在本区就业的父母或其他监护人的社会保险个人权益记录不在规定范围内",
    ),
    # --- §四（一）4: joint review findings ---
    (
        "REVIEW_EMPTY_HUKOU",
        "review-empty-hukou",
        "§四（一）4",
        "联动审核认定户籍为空挂户（人不在户籍地居住），户籍不能作为入学资格条件",
    ),
    (
        "REVIEW_PASSAGE_ROOM",
        "review-passage-room",
        "§四（一）4",
        "联动审核认定所报住址为过道房，不能作为入学资格条件",
    ),
    (
        "REVIEW_BASEMENT",
        "review-basement",
        "§四（一）4",
        "联动审核认定所报住址为地下室，不能作为入学资格条件",
    ),
    (
        "REVIEW_GARAGE",
        "review-garage",
        "§四（一）4",
        "联动审核认定所报住址为车库房，不能作为入学资格条件",
    ),
    (
        "REVIEW_NOT_ACTUAL_RESIDENCE",
        "review-not-actual-residence",
        "§四（一）4",
        "联动审核认定所报住址不是实际居住地址，不能作为入学资格条件",
    ),
    (
        "MATERIAL_NOT_SUBMITTED",
        "material-not-submitted",
        "§四（一）4",
        "未按规定提交入学资格审核材料，入学资格无法审核",
    ),
    (
        "NON_LOCAL_NOT_SUBMITTED",
        "non-local-not-submitted",
        "§三（二）2（1）、§四（二）1（5）",
        "非本市户籍，未提交在本区接受义务教育材料审核",
    ),
    # --- §三（一）1（2）、§四（一）3: the certificate ---
    (
        "CERTIFICATE_HOLDER",
        "certificate-holder-not-guardian",
        "§三（一）1（2）、§四（一）3",
        "房产证书持有人不是适龄儿童的父母或其他监护人（如祖父母等亲属），不能作为入学依据",
    ),
    (
        "CERTIFICATE_TYPE",
        "certificate-type-not-accepted",
        "§三（一）1（2）、§四（一）3",
        "所持证明不是房屋所有权证或不动产权证书",
    ),
    (
        "CERTIFICATE_ADDRESS",
        "certificate-address-mismatch",
        "§三（一）1（2）、§四（一）3",
        "房产证书所载地址不是所报实际居住地址",
    ),
    # --- junior high: §三（一）2、§三（二）1（2）、2（2）、§四（二）2 ---
    (
        "JUNIOR_NON_LOCAL_APPROVED",
        "junior-non-local-approved",
        "§三（二）2（2）、§四（二）2（5）",
        "非本市户籍、学籍在本区，通过非本市户籍小学毕业年级学生材料审核",
    ),
    (
        "JUNIOR_NON_LOCAL_OTHER_PROVINCE_APPROVED",
        "junior-non-local-other-province-approved",
        "§三（二）2（2）、§四（二）2（5）",
        "非本市户籍、外省市学籍，经居住地街道（地区、乡）初审并通过联网审核",
    ),
    (
        "JUNIOR_NON_LOCAL_NOT_APPROVED",
        "junior-non-local-not-approved",
        "§四（二）2（5）",
        "非本市户籍，材料审核未通过，原则上不再参加本区的初中登记入学",
    ),
    (
        "JUNIOR_NON_LOCAL_NOT_SUBMITTED",
        "junior-non-local-not-submitted",
        "§四（二）2（5）",
        "非本市户籍，未提交非本市户籍小学毕业年级学生材料审核",
    ),
    (
        "JUNIOR_NON_LOCAL_OTHER_BEIJING",
        "junior-non-local-other-beijing",
        "§三（二）2（2）",
        "非本市户籍、学籍在本市其他区：本区只接收具有本区学籍或外省市学籍的非本市户籍学生",
    ),
    (
        "JUNIOR_TREATED_AS_LOCAL",
        "junior-treated-as-local",
        "§三（二）1（2）",
        "按本市户籍对待的本区小学毕业年级学生",
    ),
    (
        "NINE_YEAR_SECTION",
        "nine-year-section",
        "§四（二）2（1）②",
        "九年一贯制学校的初中部对口接收本校小学部毕业年级学生",
    ),
    (
        "SINGLE_SCHOOL_ADDRESS_JUNIOR",
        "single-school-address-junior",
        "§四（二）2（1）②",
        "户籍所在地和家庭实际居住地归属该初中校招生服务片，对口入学",
    ),
    (
        "HUKOU_NOT_IN_CATCHMENT_JUNIOR",
        "hukou-not-in-catchment-junior",
        "§四（二）2（1）②",
        "户籍不在房产对应的初中校招生服务片内（人户不一致），参加所在片区派位",
    ),
    (
        "JUNIOR_RESIDENCE_ZONE",
        "junior-residence-zone",
        "§四（二）2（1）",
        "无学籍所在统筹分配服务片，按户籍所在地和家庭实际居住地所在服务片派位",
    ),
    (
        "JUNIOR_NON_LOCAL_ZONE",
        "junior-non-local-zone",
        "§四（二）2（5）",
        "非本市户籍，按居住地所在服务片安排初中登记入学",
    ),
    # --- §四（一）1: the address decision (every applicant) ---
    (
        "ADDRESS_AVAILABLE",
        "address-available",
        "§四（一）1",
        "该实际居住地址在规定年限内（小学六年、初中三年）未提供过入学学位，本次可以使用",
    ),
    (
        "ADDRESS_USED",
        "address-used",
        "§四（一）1",
        "该实际居住地址在规定年限内已提供过入学学位，不再提供该地址服务范围内的学位",
    ),
    (
        "ADDRESS_EXEMPT",
        "address-exempt",
        "§四（一）1",
        "该地址在规定年限内已使用，但符合国家生育政策，不受一个学位的限制",
    ),
    (
        "ADDRESS_NONE",
        "address-none",
        "§四（一）1",
        "未以房产证书或租住地址作为入学依据，不涉及地址学位记录",
    ),
    (
        "ADDRESS_RENTED_NOT_RECORDED",
        "address-rented-not-recorded",
        "§四（一）1",
        "租住地址不属于按房产证书记录管理的地址，不受一个学位的限制",
    ),
    (
        "ADDRESS_USED_DISTRICT",
        "address-used-district",
        "§四（一）1、§四（一）5",
        "该实际居住地址在规定年限内已提供过入学学位，不参加该地址服务范围内的派位，由区教委在片区派位之后统筹安排",
    ),
    # --- §四（二）1（4）、2（4）: the placement requested for a disabled child ---
    (
        "DISABILITY_SPECIAL_SCHOOL",
        "disability-special-school",
        "§四（二）1（4）、§四（二）2（4）",
        "残疾儿童，家长申请进入特殊教育学校：由区教委根据残疾程度安排，不参加随机派位",
    ),
    (
        "DISABILITY_SPECIAL_CLASS",
        "disability-special-class",
        "§四（二）1（4）",
        "残疾儿童，家长申请小学附设特教班：由区教委根据残疾程度安排，不参加随机派位",
    ),
    # --- §三（三）: the disability not confirmed by the verifying department ---
    (
        "DISABILITY_NOT_VERIFIED",
        "disability-not-verified",
        "§三（三）",
        "残疾儿童资格未通过相关职能部门核验：家长为残疾儿童申请的入学安置不予安排，"
        "不享受残疾儿童优先，按所属入学途径参加派位",
    ),
)


class R(IntEnum):
    """Rule codes: indices into RULES (the order of ``_RULE_LIST``)."""

    AGE = 0
    HUKOU_CHAOYANG = 1
    BEIJING_PROPERTY = 2
    BEIJING_RENTING = 3
    TREATED_AS_LOCAL = 4
    NON_LOCAL_APPROVED = 5
    NON_LOCAL_NOT_APPROVED = 6
    TALENT = 7
    NO_BASIS = 8
    RENTING_OWNS_PROPERTY = 9
    JUNIOR_RECORD = 10
    JUNIOR_RETURNED = 11
    JUNIOR_NO_RECORD = 12
    SINGLE_SCHOOL_ADDRESS = 13
    PROPERTY_AFTER_CUTOFF = 14
    ADDRESS_REUSED = 15
    MULTI_SCHOOL_ADDRESS = 16
    RENTED_ADDRESS = 17
    HUKOU_ZONE = 18
    NON_LOCAL_ZONE = 19
    NO_ZONE = 20
    DISABLED = 21
    PREFERENTIAL = 22
    PREFERENTIAL_TIE_ONLY = 23
    ORDINARY = 24
    SCHOOL_ZONE = 25
    NOT_ELIGIBLE = 26
    HUKOU_NOT_IN_CATCHMENT = 27
    RENTING_NOT_CONTINUOUS = 28
    RENTING_NOT_SOLE = 29
    RENTING_UNDER_THREE_YEARS = 30
    RENTING_NOT_REGISTERED = 31
    EMPLOYMENT_NOT_IN_DISTRICT = 32
    EMPLOYMENT_UNDER_THREE_YEARS = 33
    EMPLOYMENT_NO_CONTRACT = 34
    SOCIAL_INSURANCE_NOT_IN_DISTRICT = 35
    REVIEW_EMPTY_HUKOU = 36
    REVIEW_PASSAGE_ROOM = 37
    REVIEW_BASEMENT = 38
    REVIEW_GARAGE = 39
    REVIEW_NOT_ACTUAL_RESIDENCE = 40
    MATERIAL_NOT_SUBMITTED = 41
    NON_LOCAL_NOT_SUBMITTED = 42
    CERTIFICATE_HOLDER = 43
    CERTIFICATE_TYPE = 44
    CERTIFICATE_ADDRESS = 45
    JUNIOR_NON_LOCAL_APPROVED = 46
    JUNIOR_NON_LOCAL_OTHER_PROVINCE_APPROVED = 47
    JUNIOR_NON_LOCAL_NOT_APPROVED = 48
    JUNIOR_NON_LOCAL_NOT_SUBMITTED = 49
    JUNIOR_NON_LOCAL_OTHER_BEIJING = 50
    JUNIOR_TREATED_AS_LOCAL = 51
    NINE_YEAR_SECTION = 52
    SINGLE_SCHOOL_ADDRESS_JUNIOR = 53
    HUKOU_NOT_IN_CATCHMENT_JUNIOR = 54
    JUNIOR_RESIDENCE_ZONE = 55
    JUNIOR_NON_LOCAL_ZONE = 56
    ADDRESS_AVAILABLE = 57
    ADDRESS_USED = 58
    ADDRESS_EXEMPT = 59
    ADDRESS_NONE = 60
    ADDRESS_RENTED_NOT_RECORDED = 61
    ADDRESS_USED_DISTRICT = 62
    DISABILITY_SPECIAL_SCHOOL = 63
    DISABILITY_SPECIAL_CLASS = 64
    DISABILITY_NOT_VERIFIED = 65


RULES: tuple[Rule, ...] = tuple(Rule(code, section, text) for _n, code, section, text in _RULE_LIST)


class Target(IntEnum):
    NONE = 0  # not eligible, or placed outside the draws (a special school or class requested)
    SINGLE = 1  # single-school round first, then the zone's allocation
    ZONE = 2  # the zone's allocation (multi-school draw)
    DISTRICT = 3  # the district places the child (no zone, or §四（一）1 keeps it out of the zone)


class Address(IntEnum):
    """The §四（一）1 decision on the address an applicant registers with."""

    NONE = 0  # no owned or rented address is the basis (hukou only, none, or disqualified)
    AVAILABLE = 1
    USED = 2  # used inside its window: no seat in the address's service range
    EXEMPT = 3  # used inside its window, but the use is exempt (符合国家生育政策)


ADDRESS_DECISIONS = ("none", "available", "used", "exempt")

# The conditions whose failure an applicant's output lists one by one (bit i = UNMET[i]).
UNMET: tuple[R, ...] = (
    R.MATERIAL_NOT_SUBMITTED,
    R.REVIEW_EMPTY_HUKOU,
    R.REVIEW_PASSAGE_ROOM,
    R.REVIEW_BASEMENT,
    R.REVIEW_GARAGE,
    R.REVIEW_NOT_ACTUAL_RESIDENCE,
    R.CERTIFICATE_HOLDER,
    R.CERTIFICATE_TYPE,
    R.CERTIFICATE_ADDRESS,
    R.RENTING_OWNS_PROPERTY,
    R.RENTING_NOT_CONTINUOUS,
    R.RENTING_NOT_SOLE,
    R.RENTING_UNDER_THREE_YEARS,
    R.RENTING_NOT_REGISTERED,
    R.EMPLOYMENT_NOT_IN_DISTRICT,
    R.EMPLOYMENT_UNDER_THREE_YEARS,
    R.EMPLOYMENT_NO_CONTRACT,
    R.SOCIAL_INSURANCE_NOT_IN_DISTRICT,
    R.DISABILITY_NOT_VERIFIED,  # not an admission condition: the request it sets aside
)
_BIT = {r: 1 << i for i, r in enumerate(UNMET)}
# The unmet conditions an eligibility rule may be (the disability's finding never is one).
_ELIGIBILITY_UNMET = tuple(r for r in UNMET if r is not R.DISABILITY_NOT_VERIFIED)
# REVIEW_FINDINGS order (scenario.py) -> rule
_FINDING_RULES = (
    R.REVIEW_EMPTY_HUKOU,
    R.REVIEW_PASSAGE_ROOM,
    R.REVIEW_BASEMENT,
    R.REVIEW_GARAGE,
    R.REVIEW_NOT_ACTUAL_RESIDENCE,
    R.MATERIAL_NOT_SUBMITTED,
    R.DISABILITY_NOT_VERIFIED,
)
# The junior stage's own sections for routes the two stages share (§四（二）2（1））.
_JUNIOR_ROUTE = {
    R.SINGLE_SCHOOL_ADDRESS: R.SINGLE_SCHOOL_ADDRESS_JUNIOR,
    R.HUKOU_NOT_IN_CATCHMENT: R.HUKOU_NOT_IN_CATCHMENT_JUNIOR,
    R.MULTI_SCHOOL_ADDRESS: R.JUNIOR_RESIDENCE_ZONE,
    R.RENTED_ADDRESS: R.JUNIOR_RESIDENCE_ZONE,
    R.HUKOU_ZONE: R.JUNIOR_RESIDENCE_ZONE,
    R.NON_LOCAL_ZONE: R.JUNIOR_NON_LOCAL_ZONE,
}


@dataclass(frozen=True, slots=True)
class Routing:
    """Per applicant (scenario row order)."""

    eligible: BoolArray
    eligibility_rule: IntArray
    target: IntArray
    route_rule: IntArray
    school: IntArray  # single-school target: school index, else -1
    zone: IntArray  # multi-school zone index for the zone round (-1 none)
    home_zone: IntArray  # the zone the address or school of record maps to (-1 none)
    priority: IntArray  # priority integer at zone schools
    priority_rule: IntArray
    address: IntArray  # Address decision (§四（一）1), every applicant
    address_rule: IntArray
    unmet: IntArray  # bit mask over UNMET: every condition found not met
    nine_year: IntArray  # junior: the nine-year school whose primary section the pupil leaves, -1

    def unmet_rules(self, i: int) -> tuple[Rule, ...]:
        """Row ``i``'s unmet conditions, in the order of the policy text."""
        bits = int(self.unmet[i])
        return tuple(RULES[r] for k, r in enumerate(UNMET) if bits >> k & 1)


def _years_elapsed_ok(start: IntArray, years: int, reference: int, inclusive: bool) -> BoolArray:
    """start + years <= reference (anniversary counts) or < reference; NO_DATE never qualifies."""
    # The anniversary of the reference date `years` back is the latest qualifying start.
    latest = add_years(reference, -years)
    ok: BoolArray = (start <= latest) if inclusive else (start < latest)
    out: BoolArray = ok & (start != NO_DATE)
    return out


def _first(codes: IntArray, unmet: IntArray, order: tuple[R, ...]) -> IntArray:
    """Per row, the first rule of ``order`` whose bit is set in ``unmet`` (else ``codes``)."""
    out = codes.copy()
    rows = np.flatnonzero(unmet)
    if rows.size:
        bits, picked = unmet[rows], out[rows]
        for r in reversed(order):
            picked[(bits & _BIT[r]) != 0] = r
        out[rows] = picked
    return out


def _renting_unmet(policy: Policy, a: Applicants, d: Details, rows: IntArray) -> IntArray:
    """§三（一）1（3）: each unmet condition of a rented basis, one bit each, for ``rows``.

    无房 (the reading no_property_means), 连续, 单独承租, 3 years (the reading
    tenancy_anniversary_inclusive), 登记备案; then 父母或其他监护人至少一方 in
    the district 满3年 with a 劳动合同 and the 社会保险个人权益记录 (the reading
    social_insurance_place): one guardian must meet all four. When none does, the
    conditions shown are those of the guardian who met the most, in that order.
    """
    rd = policy.readings
    incl = rd.tenancy_anniversary_inclusive
    ref = policy.residence_reference
    owns = a.owns_beijing if rd.no_property_means == "none-in-beijing" else a.owns_chaoyang
    unmet = np.zeros(rows.size, dtype=np.int64)
    unmet[owns[rows]] |= _BIT[R.RENTING_OWNS_PROPERTY]
    unmet[~d.rental_continuous[rows]] |= _BIT[R.RENTING_NOT_CONTINUOUS]
    unmet[~d.rental_sole[rows]] |= _BIT[R.RENTING_NOT_SOLE]
    years_ok = _years_elapsed_ok(a.rental_start[rows], policy.residence_years, ref, incl)
    unmet[~years_ok] |= _BIT[R.RENTING_UNDER_THREE_YEARS]
    unmet[~a.rental_registered[rows]] |= _BIT[R.RENTING_NOT_REGISTERED]
    place, ins = d.employment_place[rows], d.insurance_place[rows]
    insured = (
        (ins == 0) if rd.social_insurance_place == "in-district" else ((ins == 0) | (ins == 1))
    )
    start = d.employment_start[rows]
    conds = (
        (R.EMPLOYMENT_NOT_IN_DISTRICT, place == 0),
        (
            R.EMPLOYMENT_UNDER_THREE_YEARS,
            np.stack(
                [
                    _years_elapsed_ok(start[:, k], policy.employment_years, ref, incl)
                    for k in range(start.shape[1])
                ],
                axis=1,
            ),
        ),
        (R.EMPLOYMENT_NO_CONTRACT, d.labour_contract[rows]),
        (R.SOCIAL_INSURANCE_NOT_IN_DISTRICT, insured),
    )
    # per guardian: the conditions it fails; the best guardian fails the fewest (then earliest)
    fails = np.zeros(place.shape, dtype=np.int64)
    for r, ok in conds:
        fails[~ok] |= _BIT[r]
    count = np.zeros(fails.shape, dtype=np.int64)
    for r, _ok in conds:
        count += (fails & _BIT[r]) != 0
    best = np.argmin(count, axis=1)
    unmet |= fails[np.arange(rows.size), best]
    return unmet


def _address_uses(policy: Policy, scenario: Scenario, d: Details) -> tuple[BoolArray, BoolArray]:
    """§四（一）1 per applicant: (a blocking use inside the window, an exempt use inside it).

    The window is counted per stage ("小学六年内、初中三年内" are two windows; a junior
    use never blocks a primary seat), starting where the reading address_window says;
    a use in the admission year itself or later is inside it under both readings.
    Records exist "从2017年起" only: the scenario carries what the platform recorded, so
    an earlier use is simply absent, never inferred here. A use is exempt (符合国家生育
    政策的除外, when the policy file grants the exemption) when the record marks it so,
    or when the applicant is marked exempt and the use was not another household's.
    """
    a = scenario.applicants
    stage = scenario.stage.value
    window = policy.reuse_years[scenario.stage]
    full = policy.readings.address_window == "full-years-after"
    allow = policy.family_planning_exemption
    if d.use_by is None or d.use_exempt is None:
        # version 1: every use by an unknown household, none marked exempt; the latest
        # use of the stage decides, in columns
        last = a.last_use_primary if scenario.stage is Stage.PRIMARY else a.last_use_junior
        ages = scenario.year - last
        inside = (last > 0) & ((ages <= window) if full else (ages < window))
        exempt_all = inside & a.family_planning_exempt if allow else np.zeros(a.size, np.bool_)
        return inside & ~exempt_all, exempt_all
    blocking = np.zeros(a.size, dtype=np.bool_)
    exempted = np.zeros(a.size, dtype=np.bool_)
    for i in np.flatnonzero([bool(u) for u in a.address_uses]).tolist():
        fp = bool(a.family_planning_exempt[i])
        for (year, st), by, ex in zip(a.address_uses[i], d.use_by[i], d.use_exempt[i], strict=True):
            age = scenario.year - year
            if st != stage or not ((age <= window) if full else (age < window)):
                continue
            if allow and (ex or (fp and by != "other-household")):
                exempted[i] = True
            else:
                blocking[i] = True
    return blocking, exempted


def route(policy: Policy, scenario: Scenario) -> Routing:  # noqa: PLR0912, PLR0915  the rules, in the policy's order
    """Decide eligibility, routing, the address and priority for every applicant. Pure, columnar."""
    a = scenario.applicants
    d = details_of(a)
    n = a.size
    stage = scenario.stage
    junior = stage is Stage.JUNIOR
    rd = policy.readings
    zones = scenario.zones
    sindex = scenario.school_index()
    zkind_single = np.array([z.kind == "single-school" for z in zones] + [False], dtype=np.bool_)
    zone_school = np.array(
        [sindex[z.schools[0]] if z.kind == "single-school" else -1 for z in zones] + [-1],
        dtype=np.int64,
    )
    zidx = scenario.zone_index()
    zone_area = np.array(
        [zidx[z.area] if z.area is not None else -1 for z in zones] + [-1], dtype=np.int64
    )
    own_area = np.array(
        [i if z.kind == "multi-school" else -1 for i, z in enumerate(zones)] + [-1], dtype=np.int64
    )

    # --- §四（一）4 joint review findings, §四（一）3 the certificate ------------------------
    finding = d.findings
    unmet = np.zeros(n, dtype=np.int64)
    for k, r in enumerate(_FINDING_RULES):
        unmet[(finding >> k & 1) != 0] |= _BIT[r]
    empty_hukou = (unmet & _BIT[R.REVIEW_EMPTY_HUKOU]) != 0
    dwelling = (R.REVIEW_PASSAGE_ROOM, R.REVIEW_BASEMENT, R.REVIEW_GARAGE)
    dwelling_rules = (*dwelling, R.REVIEW_NOT_ACTUAL_RESIDENCE)
    bad_home = np.zeros(n, dtype=np.bool_)
    for r in dwelling_rules:
        bad_home |= (unmet & _BIT[r]) != 0
    not_submitted = (unmet & _BIT[R.MATERIAL_NOT_SUBMITTED]) != 0

    hukou_cy = a.hukou == Hukou.CHAOYANG
    hukou_bj = a.hukou == Hukou.BEIJING
    hukou_basis = hukou_cy & ~empty_hukou  # §四（一）4: a 空挂户 is no basis
    talent = a.has("talent")
    local = hukou_cy | hukou_bj | a.treated_as_local
    owned = (a.residence == Residence.OWNED) & (a.residence_zone >= 0)
    rented = (a.residence == Residence.RENTED) & (a.residence_zone >= 0)
    cert_bits = np.zeros(n, dtype=np.int64)
    cert_bits[owned & (d.cert_holder >= 2)] |= _BIT[R.CERTIFICATE_HOLDER]
    cert_bits[owned & (d.cert_type >= 2)] |= _BIT[R.CERTIFICATE_TYPE]
    if d.cert_address is not None:
        rows = np.flatnonzero(owned)
        certified = [d.cert_address[i] for i in rows.tolist()]
        mismatch = np.asarray(
            [c not in ("", a.address[i]) for c, i in zip(certified, rows.tolist(), strict=True)],
            dtype=np.bool_,
        ).reshape(rows.size)
        cert_bits[rows[mismatch]] |= _BIT[R.CERTIFICATE_ADDRESS]
    unmet |= cert_bits
    owned_basis = owned & ~bad_home & (cert_bits == 0)
    rented_home = rented & ~bad_home

    rule = np.full(n, R.NO_BASIS, dtype=np.int64)
    eligible = np.zeros(n, dtype=np.bool_)
    home_code = _first(rule, unmet, dwelling_rules)  # the finding that disqualified the home
    if stage is Stage.PRIMARY:
        if rd.birth_cutoff_inclusive:
            age_ok = a.birth <= policy.birth_cutoff
        else:
            age_ok = a.birth < policy.birth_cutoff
        age_ok &= a.birth != NO_DATE
        rent_unmet = np.zeros(n, dtype=np.int64)
        # whose basis the tenancy would be (a home the review disqualified is moot)
        renters = np.flatnonzero(rented_home & local & ~hukou_basis)
        rent_unmet[renters] = _renting_unmet(policy, a, d, renters)
        renting_ok = rented_home & (rent_unmet == 0)
        # Decided in reverse order of precedence: the last assignment wins.
        non_local = ~local
        review = a.review[non_local]
        rule[non_local] = np.select(
            [review == 1, review == 3],
            [R.NON_LOCAL_APPROVED, R.NON_LOCAL_NOT_SUBMITTED],
            R.NON_LOCAL_NOT_APPROVED,
        )
        eligible[non_local] = review == 1
        m = non_local & bad_home  # the joint review found the home they were approved on wanting
        rule[m] = home_code[m]
        eligible[m] = False
        other_local = local & ~hukou_basis
        unmet[other_local & rented] |= rent_unmet[other_local & rented]
        m = other_local & rented & ~renting_ok
        rule[m] = _first(rule, unmet, _ELIGIBILITY_UNMET)[m]
        ok = other_local & renting_ok
        rule[ok] = np.where(
            a.treated_as_local[ok] & ~hukou_bj[ok], R.TREATED_AS_LOCAL, R.BEIJING_RENTING
        )
        eligible[ok] = True
        m = other_local & owned & ~owned_basis
        rule[m] = _first(rule, unmet, _ELIGIBILITY_UNMET)[m]
        ok = other_local & owned_basis
        rule[ok] = np.where(
            a.treated_as_local[ok] & ~hukou_bj[ok], R.TREATED_AS_LOCAL, R.BEIJING_PROPERTY
        )
        eligible[ok] = True
        ok = (
            talent
            & ~hukou_basis
            & ~eligible
            & (((a.residence_zone >= 0) & ~bad_home) | ((a.hukou_zone >= 0) & ~empty_hukou))
        )
        rule[ok] = R.TALENT
        eligible[ok] = True
        m = empty_hukou & hukou_cy & ~eligible
        rule[m] = R.REVIEW_EMPTY_HUKOU
        rule[hukou_basis] = R.HUKOU_CHAOYANG
        eligible[hukou_basis] = True
    else:
        age_ok = np.ones(n, dtype=np.bool_)
        place = (
            d.record_place
        )  # RECORD_PLACES: in-district, other-beijing, other-province, unstated
        in_district = (place == 0) | ((place == 3) & (a.school_of_record >= 0))
        rule[:] = R.JUNIOR_NO_RECORD
        loc = local | talent
        rule[loc & a.returned] = R.JUNIOR_RETURNED
        m = loc & in_district
        rule[m] = np.where(
            a.treated_as_local[m] & ~hukou_cy[m] & ~hukou_bj[m],
            R.JUNIOR_TREATED_AS_LOCAL,
            R.JUNIOR_RECORD,
        )
        eligible[loc & (a.returned | in_district)] = True
        # §三（二）2（2）、§四（二）2（5）: a non-local pupil with a 学籍 in the district or in
        # another province, through the review; another Beijing district's pupil is not ours.
        non_local = ~loc
        review = a.review
        approved = np.where(
            place == 2, R.JUNIOR_NON_LOCAL_OTHER_PROVINCE_APPROVED, R.JUNIOR_NON_LOCAL_APPROVED
        )
        code = np.select(
            [place == 1, review == 1, review == 3],
            [R.JUNIOR_NON_LOCAL_OTHER_BEIJING, approved, R.JUNIOR_NON_LOCAL_NOT_SUBMITTED],
            R.JUNIOR_NON_LOCAL_NOT_APPROVED,
        )
        rule[non_local] = code[non_local]
        eligible[non_local] = ((review == 1) & (place != 1))[non_local]
        m = non_local & bad_home & eligible
        rule[m] = home_code[m]
        eligible[m] = False
    rule[not_submitted] = R.MATERIAL_NOT_SUBMITTED
    eligible[not_submitted] = False
    rule[~age_ok] = R.AGE
    eligible[~age_ok] = False

    # --- routing -------------------------------------------------------------------
    rz = a.residence_zone
    rz_safe = np.where(rz >= 0, rz, len(zones))
    single_addr = owned_basis & zkind_single[rz_safe]
    if rd.property_after_strict:
        after = a.certificate > policy.property_cutoff
    else:
        after = a.certificate >= policy.property_cutoff

    # §四（一）1 for every address basis: an owned flat (single-school, after the
    # 2017-06-30 cut-off, or multi-school) and, under the reading
    # rented_address_recorded, a rented home. A used address gives no seat in its
    # service range: under the reading address_used_range, a single-school address's
    # range is its one school (the child joins the area's multi-school allocation) or
    # the whole zone; a multi-school or rented address's range is its zone, so the child
    # is placed by the district (§四（一）5) and takes no part in the zone's draw.
    blocking, exempted = _address_uses(policy, scenario, d)
    recorded_rented = rented_home & rd.rented_address_recorded
    basis = owned_basis | recorded_rented
    address = np.full(n, Address.NONE, dtype=np.int64)
    address_rule = np.full(n, R.ADDRESS_NONE, dtype=np.int64)
    address[basis] = Address.AVAILABLE
    address_rule[basis] = R.ADDRESS_AVAILABLE
    m = basis & exempted & ~blocking
    address[m] = Address.EXEMPT
    address_rule[m] = R.ADDRESS_EXEMPT
    used = basis & blocking
    address[used] = Address.USED
    address_rule[used] = R.ADDRESS_USED
    if not rd.rented_address_recorded:
        address[rented_home] = Address.AVAILABLE
        address_rule[rented_home] = R.ADDRESS_RENTED_NOT_RECORDED
    non_local_child = ~(local | talent)

    target = np.full(n, Target.DISTRICT, dtype=np.int64)
    route_rule = np.full(n, R.NO_ZONE, dtype=np.int64)
    home = np.full(n, -1, dtype=np.int64)
    # hukou-only children of the district: their hukou's zone
    hz = a.hukou_zone
    m = hukou_basis & (hz >= 0)
    home[m] = hz[m]
    route_rule[m] = R.HUKOU_ZONE
    m = rented_home
    home[m] = rz[m]
    route_rule[m] = R.RENTED_ADDRESS
    m = owned_basis & ~single_addr
    home[m] = rz[m]
    route_rule[m] = R.MULTI_SCHOOL_ADDRESS
    m = single_addr
    home[m] = rz[m]
    route_rule[m & after] = R.PROPERTY_AFTER_CUTOFF
    route_rule[m & ~after & used] = R.ADDRESS_REUSED
    single = m & ~after & ~used
    if rd.single_school_basis == "hukou-and-residence":
        # §四（二）1（1）、2（1）②"户籍所在地和家庭实际居住地址…对应的服务学校为一所": under
        # this reading the hukou must lie in the same single-school catchment as the
        # flat (人户一致); otherwise the child joins the area's multi-school allocation.
        apart = single & ~(hukou_basis & (a.hukou_zone == rz))
        route_rule[apart] = R.HUKOU_NOT_IN_CATCHMENT
        single &= ~apart
    if rd.non_local_route == "multi-school":
        # §四（二）1（1）gives the single school to 本市户籍（含按本市户籍对待）children;
        # §四（二）1（5）says only how non-local children register. Under this reading
        # they join their residence zone's multi-school allocation (rule non-local-zone).
        single &= ~non_local_child
    route_rule[single] = R.SINGLE_SCHOOL_ADDRESS
    m = non_local_child & (rz >= 0) & ~single & ~bad_home
    home[m] = rz[m]
    route_rule[m] = R.NON_LOCAL_ZONE
    # the children whose seat would come from a used address's range
    out_of_range = used & ~single
    if rd.address_used_range == "catchment-school":
        out_of_range &= ~(single_addr & ~after)
    home_safe = np.where(home >= 0, home, len(zones))
    zone = np.where(zkind_single[home_safe], zone_area[home_safe], own_area[home_safe])
    nine = np.zeros(n, dtype=np.bool_)
    nine_school = np.full(n, -1, dtype=np.int64)
    if junior:
        # §四（二）2（1）③ the school zone of the 学籍 decides the multi-school draw: the
        # address is then no basis of that seat, and its use no bar.
        has_sz = (a.school_zone >= 0) & ~single
        zone[has_sz] = own_area[a.school_zone[has_sz]]
        route_rule[has_sz] = R.SCHOOL_ZONE
        out_of_range &= ~has_sz
        # §四（二）2（1）② a nine-year school's junior section admits its own primary
        # section's graduates (the link the nine-year round of the engine follows).
        link = np.full(len(scenario.schools) + 1, -1, dtype=np.int64)
        for j, s in enumerate(scenario.schools):
            if s.stage is Stage.JUNIOR and s.primary_section is not None:
                link[sindex[s.primary_section]] = j
        sor = a.school_of_record
        nine_school = link[np.where(sor >= 0, sor, len(scenario.schools))]
        nine = nine_school >= 0
        mapped = np.asarray([_JUNIOR_ROUTE.get(R(c), R(c)) for c in range(len(RULES))])
        route_rule = mapped[route_rule]
    route_rule[out_of_range] = R.ADDRESS_USED_DISTRICT
    target[zone >= 0] = Target.ZONE
    target[single] = Target.SINGLE
    target[out_of_range] = Target.DISTRICT
    # the nine-year round comes first; target and school stay the route after it
    route_rule[nine] = R.NINE_YEAR_SECTION
    school = np.where(single, zone_school[home_safe], -1)
    # §四（二）1（4）、2（4）: a special school or a special class is requested, not drawn:
    # the child takes part in no round and the district arranges the place. §三（三）: a
    # request whose disability 相关职能部门 did not confirm is set aside (the finding
    # disability-not-verified, listed as unmet): the child is routed as any child of its route.
    not_verified = (unmet & _BIT[R.DISABILITY_NOT_VERIFIED]) != 0
    special = eligible & (d.disability_placement > 0) & ~not_verified
    route_rule[special] = np.where(
        d.disability_placement[special] == 2,
        R.DISABILITY_SPECIAL_SCHOOL,
        R.DISABILITY_SPECIAL_CLASS,
    )
    target[special] = Target.NONE
    zone[special] = -1
    school[special] = -1
    nine_school = np.where(nine & eligible & ~special, nine_school, -1)
    target[~eligible] = Target.NONE
    route_rule[~eligible] = R.NOT_ELIGIBLE

    # --- priority at zone schools ---------------------------------------------------------
    pc = policy.priority
    pref_mask = np.zeros(n, dtype=np.bool_)
    for cat in pc.preferential_categories:
        pref_mask |= a.has(cat)
    priority = np.full(n, pc.others, dtype=np.int64)
    prule = np.full(n, R.ORDINARY, dtype=np.int64)
    if rd.preferential_care == "priority-class":
        priority[pref_mask] = pc.preferential
        prule[pref_mask] = R.PREFERENTIAL
    else:
        prule[pref_mask] = R.PREFERENTIAL_TIE_ONLY
    # §三（三）(disabled) and §三（五）(preferential) both give care "同等条件下" within
    # the zone; the policy file's [priority] integers order the two classes. A child in
    # both takes the better (lower) class; the rule shown is the class it took (disabled
    # on equal integers).
    dis = a.has("disabled")
    better = dis & (pc.disabled <= priority)
    priority[better] = pc.disabled
    prule[better] = R.DISABLED
    cols = (eligible, rule, target, route_rule, school, zone, home, priority, prule)
    for arr in (*cols, address, address_rule, unmet, nine_school):
        arr.setflags(write=False)
    return Routing(
        eligible=eligible,
        eligibility_rule=rule,
        target=target,
        route_rule=route_rule,
        school=school,
        zone=zone,
        home_zone=home,
        priority=priority,
        priority_rule=prule,
        address=address,
        address_rule=address_rule,
        unmet=unmet,
        nine_year=nine_school,
    )


def rule_of(code: int) -> Rule:
    return RULES[code]
