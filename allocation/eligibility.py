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
from allocation.scenario import BoolArray, IntArray, Scenario


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    section: str
    text: str  # Chinese, for parents and staff


class R(IntEnum):
    """Rule codes (indices into RULES)."""

    AGE = 0
    HUKOU_CHAOYANG = 1
    BEIJING_PROPERTY = 2
    BEIJING_RENTING = 3
    TREATED_AS_LOCAL = 4
    NON_LOCAL_APPROVED = 5
    NON_LOCAL_NOT_APPROVED = 6
    TALENT = 7
    NO_BASIS = 8
    RENTING_NOT_QUALIFIED = 9
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


RULES: tuple[Rule, ...] = (
    Rule("age", "§三（一）1", "未满6周岁（须在入学年龄截止日以前出生）"),
    Rule("hukou-chaoyang", "§三（一）1（1）", "具有本区户籍"),
    Rule(
        "beijing-property",
        "§三（一）1（2）",
        "本市户籍，父母或其他监护人在本区有房屋所有权证或不动产权证书",
    ),
    Rule(
        "beijing-renting",
        "§三（一）1（3）",
        "本市外区户籍无房家庭，在本区连续承租满3年并备案，监护人在本区稳定就业满3年",
    ),
    Rule("treated-as-local", "§三（二）1（1）", "按本市户籍对待，且符合本区入学条件"),
    Rule("non-local-approved", "§三（二）2（1）", "非本市户籍，通过在本区接受义务教育材料审核"),
    Rule(
        "non-local-not-approved", "§三（二）2（1）", "非本市户籍，未通过在本区接受义务教育材料审核"
    ),
    Rule("talent", "§三（四）", "区级以上引进人才子女，按户籍所在地、家庭实际居住地划定服务片区"),
    Rule("no-basis", "§三（一）1", "不具备本区户籍、本区房产或符合条件的租住等任一入学条件"),
    Rule(
        "renting-not-qualified",
        "§三（一）1（3）",
        "租住条件不满足（须无房、连续承租满3年并备案、监护人就业满3年）",
    ),
    Rule("junior-record", "§三（一）2（1）", "本区小学毕业年级学生"),
    Rule("junior-returned", "§三（一）2（2）", "已办理回本区升入初中手续"),
    Rule("junior-no-record", "§三（一）2", "既非本区小学毕业年级学生，也未办理回本区升入初中手续"),
    Rule("single-school-address", "§四（二）1（1）", "户籍和实际居住地址对应一所服务学校"),
    Rule(
        "property-after-cutoff",
        "§四（一）2",
        "房产证书于多校划片政策日期之后取得，参加所在片区统筹派位",
    ),
    Rule(
        "address-reused",
        "§四（一）1",
        "该实际居住地址在规定年限内已提供过入学学位，参加所在片区统筹派位",
    ),
    Rule(
        "multi-school-address", "§四（二）1（1）", "实际居住地址对应多所服务学校，参加片区统筹派位"
    ),
    Rule("rented-address", "§四（二）1（1）", "实际居住地址为租住房屋，按所在片区统筹派位"),
    Rule("hukou-zone", "§四（二）1（1）", "户籍在本区、无本区房产，按户籍所在片区统筹派位"),
    Rule("non-local-zone", "§四（二）1（5）", "非本市户籍，按居住地所在片区统筹安排"),
    Rule("no-zone", "§四（一）5", "无对应服务片区，由区教委统筹安排"),
    Rule("disabled", "§三（三）", "残疾儿童，在服务片区内优先统筹安排"),
    Rule(
        "preferential",
        "§三（五）",
        "烈士、华侨、现役军人、全国劳模子女或台籍学生，同等条件下给予照顾（优先类别）",
    ),
    Rule(
        "preferential-tie-only",
        "§三（五）",
        "照顾对象：仅在条件完全相同时照顾，随机派位中不改变顺序",
    ),
    Rule("ordinary", "§四（一）5", "普通类别"),
    Rule("school-zone", "§四（二）2（1）③", "按学籍所在统筹分配服务片派位"),
    Rule("not-eligible", "§三", "不具备本区登记入学资格"),
    Rule(
        "hukou-not-in-catchment",
        "§四（二）1（1）",
        "户籍不在房产对应的服务学校范围内（人户不一致），参加所在片区统筹派位",
    ),
)


class Target(IntEnum):
    NONE = 0  # not eligible
    SINGLE = 1  # single-school round first, then the zone's allocation
    ZONE = 2  # the zone's allocation (multi-school draw)
    DISTRICT = 3  # no zone: the district places the child


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


def _years_elapsed_ok(start: IntArray, years: int, reference: int, inclusive: bool) -> BoolArray:
    """start + years <= reference (anniversary counts) or < reference; NO_DATE never qualifies."""
    # The anniversary of the reference date `years` back is the latest qualifying start.
    latest = add_years(reference, -years)
    ok: BoolArray = (start <= latest) if inclusive else (start < latest)
    out: BoolArray = ok & (start != NO_DATE)
    return out


def route(policy: Policy, scenario: Scenario) -> Routing:  # noqa: PLR0912, PLR0915  the rules, in the policy's order
    """Decide eligibility, routing and priority for every applicant. Pure and columnar."""
    a = scenario.applicants
    n = a.size
    stage = scenario.stage
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

    hukou_cy = a.hukou == 0
    hukou_bj = a.hukou == 1
    talent = a.has("talent")
    local = hukou_cy | hukou_bj | a.treated_as_local
    owned = (a.residence == 0) & (a.residence_zone >= 0)
    rented = (a.residence == 1) & (a.residence_zone >= 0)

    rule = np.full(n, R.NO_BASIS, dtype=np.int64)
    eligible = np.zeros(n, dtype=np.bool_)
    if stage is Stage.PRIMARY:
        if rd.birth_cutoff_inclusive:
            age_ok = a.birth <= policy.birth_cutoff
        else:
            age_ok = a.birth < policy.birth_cutoff
        age_ok &= a.birth != NO_DATE
        no_property = (
            ~a.owns_beijing if rd.no_property_means == "none-in-beijing" else ~a.owns_chaoyang
        )
        incl = rd.tenancy_anniversary_inclusive
        renting_ok = (
            rented
            & no_property
            & a.rental_registered
            & _years_elapsed_ok(
                a.rental_start, policy.residence_years, policy.residence_reference, incl
            )
            & _years_elapsed_ok(
                a.employment_start, policy.employment_years, policy.residence_reference, incl
            )
        )
        # Decided in reverse order of precedence: the last assignment wins.
        non_local = ~local
        rule[non_local] = np.where(
            a.review[non_local] == 1, R.NON_LOCAL_APPROVED, R.NON_LOCAL_NOT_APPROVED
        )
        eligible[non_local] = a.review[non_local] == 1
        other_local = local & ~hukou_cy
        rule[other_local & rented & ~renting_ok] = R.RENTING_NOT_QUALIFIED
        ok = other_local & renting_ok
        rule[ok] = np.where(
            a.treated_as_local[ok] & ~hukou_bj[ok], R.TREATED_AS_LOCAL, R.BEIJING_RENTING
        )
        eligible[ok] = True
        ok = other_local & owned
        rule[ok] = np.where(
            a.treated_as_local[ok] & ~hukou_bj[ok], R.TREATED_AS_LOCAL, R.BEIJING_PROPERTY
        )
        eligible[ok] = True
        ok = talent & ~hukou_cy & ~eligible & ((a.residence_zone >= 0) | (a.hukou_zone >= 0))
        rule[ok] = R.TALENT
        eligible[ok] = True
        rule[hukou_cy] = R.HUKOU_CHAOYANG
        eligible[hukou_cy] = True
        rule[~age_ok] = R.AGE
        eligible[~age_ok] = False
    else:
        in_district = a.school_of_record >= 0
        rule[:] = R.JUNIOR_NO_RECORD
        loc = local | talent
        rule[loc & a.returned] = R.JUNIOR_RETURNED
        rule[loc & in_district] = R.JUNIOR_RECORD
        eligible[loc & (a.returned | in_district)] = True
        non_local = ~loc
        rule[non_local] = np.where(
            a.review[non_local] == 1, R.NON_LOCAL_APPROVED, R.NON_LOCAL_NOT_APPROVED
        )
        eligible[non_local] = a.review[non_local] == 1

    # --- routing -------------------------------------------------------------------
    rz = a.residence_zone
    rz_safe = np.where(rz >= 0, rz, len(zones))
    single_addr = owned & zkind_single[rz_safe]
    if rd.property_after_strict:
        after = a.certificate > policy.property_cutoff
    else:
        after = a.certificate >= policy.property_cutoff
    # §四（一）1: an address "用于登记入学之年起，小学六年内、初中三年内" gives one seat; the
    # window is counted per stage (a junior use never blocks a primary seat: "小学六年内、
    # 初中三年内" are two windows). Where the window starts is the reading address_window.
    # A use recorded in the admission year itself (age 0) or later is inside the window
    # under both readings. Records exist "从2017年起" only: the scenario carries what the
    # platform recorded, so an earlier use is simply absent, never inferred here.
    # The reuse rule concerns the one school an address maps to; it changes the route of
    # single-school addresses only (a multi-school address gives no particular school).
    window = policy.reuse_years[stage]
    last = a.last_use_primary if stage is Stage.PRIMARY else a.last_use_junior
    age = scenario.year - last
    reused = (last > 0) & (
        (age < window) if rd.address_window == "from-year-of-use" else (age <= window)
    )
    if policy.family_planning_exemption:
        reused &= ~a.family_planning_exempt
    non_local_child = ~(local | talent)

    target = np.full(n, Target.DISTRICT, dtype=np.int64)
    route_rule = np.full(n, R.NO_ZONE, dtype=np.int64)
    home = np.full(n, -1, dtype=np.int64)
    # hukou-only children of the district: their hukou's zone
    hz = a.hukou_zone
    m = hukou_cy & (hz >= 0)
    home[m] = hz[m]
    route_rule[m] = R.HUKOU_ZONE
    m = rented
    home[m] = rz[m]
    route_rule[m] = R.RENTED_ADDRESS
    m = owned & ~single_addr
    home[m] = rz[m]
    route_rule[m] = R.MULTI_SCHOOL_ADDRESS
    m = single_addr
    home[m] = rz[m]
    route_rule[m & after] = R.PROPERTY_AFTER_CUTOFF
    route_rule[m & ~after & reused] = R.ADDRESS_REUSED
    single = m & ~after & ~reused
    if rd.single_school_basis == "hukou-and-residence":
        # §四（二）1（1）、2（1）②"户籍所在地和家庭实际居住地址…对应的服务学校为一所": under
        # this reading the hukou must lie in the same single-school catchment as the
        # flat (人户一致); otherwise the child joins the area's multi-school allocation.
        apart = single & ~(hukou_cy & (a.hukou_zone == rz))
        route_rule[apart] = R.HUKOU_NOT_IN_CATCHMENT
        single &= ~apart
    if rd.non_local_route == "multi-school":
        # §四（二）1（1）gives the single school to 本市户籍（含按本市户籍对待）children;
        # §四（二）1（5）says only how non-local children register. Under this reading
        # they join their residence zone's multi-school allocation (rule non-local-zone).
        single &= ~non_local_child
    route_rule[single] = R.SINGLE_SCHOOL_ADDRESS
    m = non_local_child & (rz >= 0) & ~single
    home[m] = rz[m]
    route_rule[m] = R.NON_LOCAL_ZONE
    home_safe = np.where(home >= 0, home, len(zones))
    zone = np.where(zkind_single[home_safe], zone_area[home_safe], own_area[home_safe])
    if stage is Stage.JUNIOR:
        has_sz = (a.school_zone >= 0) & ~single
        zone[has_sz] = own_area[a.school_zone[has_sz]]
        route_rule[has_sz] = R.SCHOOL_ZONE
    target[zone >= 0] = Target.ZONE
    target[single] = Target.SINGLE
    school = np.where(single, zone_school[home_safe], -1)
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
    for arr in (eligible, rule, target, route_rule, school, zone, home, priority, prule):
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
    )


def rule_of(code: int) -> Rule:
    return RULES[code]
