"""Pure rules of the choices: which schools an applicant may list, checks of a submitted
list, and the receipt of a locked choice record. No database, no clock.

Routing is the allocation engine's: :func:`decide` builds a
scenario in the allocation scenario format from the district's schools and zones and
the applicant's verified record, and asks ``allocation.route`` for eligibility and zone.
:func:`decide` routes a batch (a district's verified applicants) in one pass.

Receipts. A receipt is the canonical JSON (RFC 8785, ``lottery.canonical_json``) of the
locked choice record and its plain SHA-256 (not a protocol tagged hash: a parent can
recompute it with ``sha256sum`` over the canonical bytes). Its ``applicant`` member is
``{"id": pseudonym, "choices": [...]}``, exactly the ``id`` and ``choices`` of the
applicant's record in the published draw bundle (the round adds ``priority``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from allocation import (
    RULES,
    SCENARIO_FORMAT,
    AllocationInputError,
    Policy,
    RoundKind,
    Rule,
    SchoolKind,
    Stage,
    Target,
    route,
    scenario_from_mapping,
    shipped_policy,
)
from allocation.scenario import REVIEW_FINDINGS
from lottery import CanonicalError, canonical_json
from paiwei.choices.errors import ChoiceError

RECEIPT_FORMAT = "paiwei-choice-receipt/1"
LISTS = ("private_boarding", "zone", "groups")
ROUND_OF_LIST = {"private_boarding": RoundKind.APPLICATION, "zone": RoundKind.ZONE,
                  "groups": RoundKind.GROUPS}
_KINDS_OF_LIST = {"private_boarding": (SchoolKind.PRIVATE, SchoolKind.BOARDING),
                  "zone": (SchoolKind.PUBLIC, SchoolKind.SPECIAL), "groups": (SchoolKind.PUBLIC,)}


@dataclass(frozen=True, slots=True)
class Allowed:
    """What one applicant may choose, per choice list, and how many."""

    eligible: bool
    zone: str | None
    schools: Mapping[str, tuple[str, ...]]  # list -> allowed school ids
    group_of: Mapping[str, int]  # junior first batch: school id -> group 1 or 2
    max_choices: Mapping[str, int]  # list -> most schools the policy's round takes


@lru_cache(maxsize=8)
def policy_named(name: str) -> Policy:
    """The shipped policy ``allocation/policies/<name>.toml`` (parsed once)."""
    return shipped_policy(name)


def check_catalogue(*, policy: Policy, year: int, stage: str, schools: Any, zones: Any) -> None:
    """Validate schools and zones in the scenario format. Raises ``catalogue_invalid``."""
    try:
        scenario_from_mapping({"format": SCENARIO_FORMAT, "district": policy.district, "year": year,
                               "stage": stage, "schools": schools, "zones": zones, "applicants": []})
    except AllocationInputError as exc:
        raise ChoiceError("catalogue_invalid", detail=str(exc)) from None


@dataclass(frozen=True, slots=True)
class IntakeFacts:
    """What the parent's verified details and the reviewers' findings say, in the scenario
    format's version-2 terms (built by ``paiwei.choices.facts.facts_of``). ``None``: not
    stated (the routing record's value, or the format's default, stands)."""

    findings: tuple[str, ...] = ()
    residence_kind: str | None = None  # owned | rented | none (住所类型)
    tenancy: Mapping[str, Any] | None = None  # rental_start, registered, continuous, sole_tenancy
    certificate: Mapping[str, Any] | None = None  # holder, type, date
    certificate_for_residence: bool = True  # False: the certificate is for another address
    guardians: tuple[Mapping[str, Any], ...] | None = None
    school_record_place: str | None = None  # junior 学籍
    hukou_kind: str | None = None  # chaoyang | beijing | other, from the registration's hukou
    property: Mapping[str, bool] | None = None  # 无房: {"beijing": bool, "chaoyang": bool}
    disability_placement: str | None = None  # regular-class | special-class | special-school
    stage: str | None = None  # the stage routed (a junior child has no special class)


# What a placement request says, in words (§四（二）1（4）、2（4）)
PLACEMENT_TEXT = {"regular-class": "在普通学校随班就读", "special-class": "在小学附设特教班就读",
                  "special-school": "在特殊教育学校就读"}


# The address a certificate for another address than the residence is given: the
# residence's pseudonym with this suffix (an id the residence never has, nothing personal).
OTHER_ADDRESS_SUFFIX = "~certificate"


def _v1_employment_met(start: Any, guardians: Sequence[Mapping[str, Any]]) -> bool:
    """Version 1's ``employment_start: D`` means a guardian employed in the district since
    D, with a labour contract and social insurance there: does one of ``guardians`` say so?"""
    return any(g.get("employment_place") == "in-district" and g.get("employment_start") == start
               and g.get("labour_contract") is True and g.get("social_insurance_place") == "in-district"
               for g in guardians)


def _put(target: dict[str, Any], key: str, value: Any, where: str, conflicts: list[str]) -> None:
    if key in target and target[key] != value:
        conflicts.append(where)
    target[key] = value


def _join_certificate(res: dict[str, Any], facts: IntakeFacts, conflicts: list[str]) -> None:
    """The certificate (§三（一）1（2）、§四（一）3) into the residence ``res``: version 1's
    ``certificate_date`` or a stated ``certificate`` must agree with it."""
    if facts.certificate is None:
        return
    cert = dict(facts.certificate)
    home = res.get("address")
    if not facts.certificate_for_residence:
        cert["address"] = f"{home}{OTHER_ADDRESS_SUFFIX}"
    if "certificate_date" in res and res.pop("certificate_date") != cert["date"]:
        conflicts.append("residence.certificate_date")
    stated = res.get("certificate")
    if isinstance(stated, dict):
        conflicts.extend(f"residence.certificate.{key}" for key in ("holder", "type", "date")
                         if key in stated and stated[key] != cert[key])
        if "address" in stated:
            elsewhere = stated["address"] != home
            if elsewhere == facts.certificate_for_residence:
                conflicts.append("residence.certificate.address")
            elif elsewhere:
                cert["address"] = stated["address"]
    res["certificate"] = cert


def _join_guardians(out: dict[str, Any], record: Mapping[str, Any], facts: IntakeFacts,
                    conflicts: list[str]) -> None:
    if facts.guardians is None:
        return
    guardians = [dict(g) for g in facts.guardians]
    if "guardians" in record and record["guardians"] != guardians:
        conflicts.append("guardians")
    start = out.pop("employment_start", None)
    if start is not None and not _v1_employment_met(start, guardians):
        conflicts.append("employment_start")
    out["guardians"] = guardians


NOT_VERIFIED = "disability-not-verified"  # the review finding (§三（三）)


def _join_placement(out: dict[str, Any], record: Mapping[str, Any], facts: IntakeFacts,
                    conflicts: list[str], problems: list[str]) -> None:
    """A disabled child's requested placement (§四（二）1（4）、2（4）). The category
    ``disabled`` stays staff's (§三（三）: verified by 相关职能部门): a request without it
    in the record is refused, never dropped, unless the reviewers found the disability not
    confirmed (finding ``disability-not-verified``): the request is then joined with the
    finding, and the engine sets it aside with that rule (the child is drawn as any child
    of its route, and its explanation says why). The finding with ``disabled`` in the
    record is a contradiction, refused naming ``review_findings``."""
    cats = record.get("categories")
    disabled = isinstance(cats, list) and "disabled" in cats
    listed = record.get("review_findings")
    not_verified = NOT_VERIFIED in facts.findings or (isinstance(listed, list) and NOT_VERIFIED in listed)
    if not_verified and disabled:
        problems.append(
            "review_findings：审核已认定残疾资格未通过相关职能部门核验（disability-not-verified，§三（三）），"
            "入学资格记录的照顾类别却登记了 disabled（残疾儿童），二者矛盾；请更正其一")
    placement = facts.disability_placement
    if placement is None:
        return
    _put(out, "disability_placement", placement, "disability_placement", conflicts)
    if not disabled and not not_verified:
        problems.append(
            f"disability_placement：家长申请{PLACEMENT_TEXT[placement]}（§四（二）1（4）、2（4）），"
            "须经相关职能部门认定为残疾儿童（§三（三））并在入学资格记录的照顾类别中登记 disabled（残疾儿童）；"
            "未通过核验的，请在审核中记录“残疾资格未通过相关职能部门核验”（该申请将注明理由不予安排），"
            "或退回详细信息由家长修改，该申请不会被忽略")
    if placement == "special-class" and facts.stage == "junior":
        problems.append("disability_placement：小学附设特教班仅适用于小学入学，初中入学可申请特殊教育学校"
                        "或在普通学校随班就读（§四（二）2（4））")


def routing_input(record: Mapping[str, Any], facts: IntakeFacts | Sequence[str] = ()) -> dict[str, Any]:
    """The routing record with what intake collected joined in: the registration's hukou
    (``hukou.kind``), the parent's verified details (住所类型, the certificate, the tenancy,
    无房 as ``property``, each guardian's employment and social insurance, a junior
    applicant's 学籍, a disabled child's requested placement) and the reviewers' findings
    (§四（一）4).

    The one place they meet, so nothing is typed twice: staff record what only they know
    (zones, the pseudonymous address, earlier uses, the non-local review, the verified
    categories), intake the rest. A requested placement needs the category ``disabled`` in
    the record (verified by 相关职能部门, §三（三）) or the reviewers' finding
    ``disability-not-verified`` (the engine then sets it aside, with its reason), else it
    is refused, never dropped.
    A value the record states too must agree with the details, else
    ``ChoiceError('routing_record_invalid')`` names the field (neither is silently
    preferred). Findings are joined, each once, in the format's order. ``facts`` may be
    the findings alone (a sequence of codes). Unchanged when nothing was collected.
    """
    if not isinstance(facts, IntakeFacts):
        facts = IntakeFacts(findings=tuple(facts))
    out = dict(record)
    conflicts: list[str] = []
    problems: list[str] = []
    if facts.hukou_kind is not None:
        given = record.get("hukou")
        hukou = dict(given) if isinstance(given, dict) else {}
        _put(hukou, "kind", facts.hukou_kind, "hukou.kind", conflicts)
        out["hukou"] = hukou
    if facts.property is not None:
        given = record.get("property")
        owned = dict(given) if isinstance(given, dict) else {}
        for key in ("beijing", "chaoyang"):
            _put(owned, key, facts.property[key], f"property.{key}", conflicts)
        out["property"] = owned
    if facts.residence_kind is not None:
        given = record.get("residence")
        res = dict(given) if isinstance(given, dict) else {}
        _put(res, "kind", facts.residence_kind, "residence.kind", conflicts)
        for key, value in (facts.tenancy or {}).items():
            _put(res, key, value, f"residence.{key}", conflicts)
        _join_certificate(res, facts, conflicts)
        out["residence"] = res
    _join_guardians(out, record, facts, conflicts)
    if facts.school_record_place is not None:
        _put(out, "school_record_place", facts.school_record_place, "school_record_place", conflicts)
    _join_placement(out, record, facts, conflicts, problems)
    if facts.findings:
        listed = record.get("review_findings")
        have = set(listed) if isinstance(listed, list) else set()
        out["review_findings"] = [f for f in REVIEW_FINDINGS if f in have or f in facts.findings]
    if conflicts:
        problems.insert(0, f"{'、'.join(conflicts)}：与家长注册或填报并经审核的信息不一致"
                           "（这些信息取自注册信息和详细信息，入学资格记录中不必再填写）")
    if problems:
        raise ChoiceError("routing_record_invalid", detail="；".join(problems))
    return out


@dataclass(frozen=True, slots=True)
class Decision:
    """One applicant's routing decision: each part with the rule (``allocation.RULES``)
    that decided it, and what the applicant may choose."""

    eligible: bool
    eligibility_rule: Rule
    route: str  # ROUTES: none | single-school | zone | district
    route_rule: Rule
    zone: str | None
    school: str | None  # single-school route: the catchment's school
    priority: int
    priority_rule: Rule
    allowed: Allowed


ROUTES = {Target.NONE: "none", Target.SINGLE: "single-school", Target.ZONE: "zone",
          Target.DISTRICT: "district"}


def decide(*, policy: Policy, year: int, stage: str, schools: Sequence[Mapping[str, Any]],
           zones: Sequence[Mapping[str, Any]], records: Mapping[str, Mapping[str, Any]],
           ) -> dict[str, Decision]:
    """Route every applicant of ``records`` (pseudonym -> routing record) with the
    allocation engine in one pass, and list what each may choose.

    - ``private_boarding``: an eligible applicant may apply to any private or public
      boarding school of its stage (§四（二）1（2）（3）, 2（2）（3）).
    - ``zone``: the schools of the multi-school zone routing assigns (§四（二）1（1）,
      2（1）③); none when routing gives no zone.
    - ``groups``: junior high, the first-batch schools of group 1 and 2 (§四（二）2（1）①).

    Raises ``ChoiceError('routing_record_invalid')`` naming the applicant when a record
    does not fit the scenario format or the schools.
    """
    for pseudonym, record in records.items():
        if "id" in record or "choices" in record:
            raise ChoiceError("routing_record_invalid",
                              detail=f"{pseudonym}: id and choices are not part of the record")
    ids = list(records)
    try:
        scenario = scenario_from_mapping({
            "format": SCENARIO_FORMAT, "district": policy.district, "year": year, "stage": stage,
            "schools": list(schools), "zones": list(zones),
            "applicants": [{**records[p], "id": p} for p in ids],
        })
    except AllocationInputError as exc:
        where = exc.where.split("/")
        who = ids[int(where[2])] if len(where) > 2 and where[1] == "applicants" and where[2].isdigit() else ""
        raise ChoiceError("routing_record_invalid", detail=f"{who}: {exc}" if who else str(exc)) from None
    routing = route(policy, scenario)
    st = Stage(stage)
    by_id = {s.id: s for s in scenario.schools}
    group_of = MappingProxyType({s.id: s.group for s in scenario.schools if s.group is not None})
    maxima = MappingProxyType({name: max((r.max_choices for r in policy.plan(st)
                                          if r.kind is ROUND_OF_LIST[name]), default=0)
                               for name in LISTS})
    private = tuple(s.id for s in scenario.schools
                    if s.stage is st and s.kind in _KINDS_OF_LIST["private_boarding"])
    groups = tuple(s.id for s in scenario.schools if s.stage is st and s.group is not None)
    out: dict[str, Decision] = {}
    for i, pseudonym in enumerate(ids):
        eligible = bool(routing.eligible[i])
        zone_index = int(routing.zone[i])
        # §四（一）1: a child whose used address keeps it out of the zone's draw (target
        # district) lists no zone schools; the district round places it.
        in_draw = int(routing.target[i]) != Target.DISTRICT
        zone = scenario.zones[zone_index] if eligible and zone_index >= 0 and in_draw else None
        allowed: dict[str, tuple[str, ...]] = {name: () for name in LISTS}
        if eligible:
            allowed["private_boarding"] = private
            if zone is not None:
                allowed["zone"] = tuple(sid for sid in zone.schools
                                        if by_id[sid].kind in _KINDS_OF_LIST["zone"])
            if st is Stage.JUNIOR:
                allowed["groups"] = groups
        school = int(routing.school[i])
        out[pseudonym] = Decision(
            eligible=eligible, eligibility_rule=RULES[int(routing.eligibility_rule[i])],
            route=ROUTES[Target(int(routing.target[i]))], route_rule=RULES[int(routing.route_rule[i])],
            zone=zone.id if zone is not None else None,
            school=scenario.schools[school].id if eligible and school >= 0 else None,
            priority=int(routing.priority[i]), priority_rule=RULES[int(routing.priority_rule[i])],
            allowed=Allowed(eligible=eligible, zone=zone.id if zone is not None else None,
                            schools=MappingProxyType(allowed), group_of=group_of, max_choices=maxima))
    return out


def allowed_schools(*, policy: Policy, year: int, stage: str, schools: Sequence[Mapping[str, Any]],
                    zones: Sequence[Mapping[str, Any]], record: Mapping[str, Any],
                    pseudonym: str) -> Allowed:
    """What one applicant may choose (:func:`decide` for one record). Raises
    ``ChoiceError('routing_record_invalid')``."""
    return decide(policy=policy, year=year, stage=stage, schools=schools, zones=zones,
                  records={pseudonym: record})[pseudonym].allowed


def check_choices(kind: str, schools: Sequence[str], allowed: Allowed) -> list[str]:
    """The submitted list, checked against the rules; returns it as a list.

    Raises ``ChoiceError``: ``no_choices``, ``duplicate_choice``, ``too_many_choices``,
    ``school_not_allowed`` (所选学校不在可选范围内), ``one_per_group``.
    """
    chosen = list(schools)
    if not chosen:
        raise ChoiceError("no_choices", field="schools")
    if len(set(chosen)) != len(chosen):
        raise ChoiceError("duplicate_choice", field="schools")
    for i, sid in enumerate(chosen):
        if sid not in allowed.schools.get(kind, ()):
            raise ChoiceError("school_not_allowed", field=f"schools.{i}")
    if kind == "groups":
        groups = [allowed.group_of[sid] for sid in chosen]
        if len(set(groups)) != len(groups):
            raise ChoiceError("one_per_group", field="schools")
    if len(chosen) > allowed.max_choices.get(kind, 0):
        raise ChoiceError("too_many_choices", field="schools")
    return chosen


def receipt_digest(record: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a receipt record."""
    return hashlib.sha256(canonical_json(dict(record))).hexdigest()


def receipt_matches_bundle_record(receipt: Mapping[str, Any], applicant_record: Mapping[str, Any]) -> bool:
    """Whether a parent's receipt is consistent with its record in a published draw bundle.

    True exactly when (1) the receipt's ``sha256`` is the SHA-256 of the canonical JSON
    of its ``record`` (the receipt was not altered), and (2) the bundle record's ``id``
    and ``choices`` equal the receipt's ``record.applicant`` (the draw used the locked
    choices, in order). Malformed input gives False; it never raises.
    """
    try:
        record = receipt["record"]
        if receipt_digest(record) != receipt["sha256"]:
            return False
        mine = record["applicant"]
        return bool(applicant_record["id"] == mine["id"] and
                    applicant_record["choices"] == mine["choices"])
    except (KeyError, TypeError, CanonicalError):
        return False
