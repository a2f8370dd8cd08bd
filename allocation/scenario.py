"""The scenario format: a district's schools, zones and applicants as plain JSON-able data.

One versioned mapping (``"format": "paiwei-scenario/1"`` or ``"paiwei-scenario/2"``) holds the stage and year,
the policy it runs under (by path or embedded; the shell resolves a path), the
schools, the zones and the applicants' verified records with their locked choices.
Applicant and address ids are opaque pseudonyms: nothing personal.

:func:`scenario_from_mapping` validates strictly and raises :class:`ScenarioError`
with a JSON pointer and the rule broken; the applicants are held as columns
(NumPy arrays), so the engine never loops over per-record dicts.

Applicant record (keys not listed are rejected)::

    {"id": "c0001", "birth_date": "2018-03-02",
     "hukou": {"kind": "chaoyang" | "beijing" | "other", "zone": "Z01"?},
     "residence": {"kind": "owned", "address": "a17", "zone": "Z01-3",
                   "certificate_date": "2015-04-01"}
                | {"kind": "rented", "address": "a18", "zone": "Z02",
                   "rental_start": "2020-09-01", "registered": true}
                | {"kind": "none"},
     "property": {"beijing": bool, "chaoyang": bool},       # guardians own property in ...
     "employment_start": "2019-03-01" | null,               # a guardian's employment in the district
     "non_local_review": "not-required" | "approved" | "rejected",
     "treated_as_local": bool,                              # §三（二）1 按本市户籍对待
     "categories": ["disabled", "martyr", ...],
     "family_planning_exempt": bool,                        # §四（一）1 符合国家生育政策的除外
     "address_uses": [{"year": 2019, "stage": "primary"}],  # earlier uses of this address
     "school_of_record": "P001"?, "school_zone": "JZ1"?, "returned": bool,   # junior high
     "choices": {"private_boarding": [...], "zone": [...], "groups": [...]}}

Version 2 adds, each optional with version 1's meaning as its default (held in
:class:`Details`; docs/rehearsal.md documents each rule)::

     "review_findings": ["empty-hukou" | "passage-room" | "basement" | "garage"
                         | "not-actual-residence" | "material-not-submitted"   # §四（一）4
                         | "disability-not-verified"],                         # §三（三）
     "non_local_review": ... | "not-submitted",
     "residence": {"kind": "rented", ..., "continuous": bool, "sole_tenancy": bool}
                | {"kind": "owned", ..., "certificate": {"holder": "parent" | "other-guardian"
                   | "relative" | "other", "type": "ownership-certificate"
                   | "real-estate-certificate" | "other", "date": ..., "address": "a17"?}},
     "guardians": [{"relation": "father" | "mother" | "other-guardian",
                    "employment_place": "in-district" | "other-beijing" | "outside-beijing" | null,
                    "employment_start": date | null, "labour_contract": bool,
                    "social_insurance_place": (as employment_place)}],       # §三（一）1（3）
     "address_uses": [{"year", "stage", "by": "unknown" | "sibling" | "other-household",
                       "exempt": bool}],                                     # §四（一）1
     "school_record_place": "in-district" | "other-beijing" | "other-province" | "unstated",
     "disability_placement": "regular-class" | "special-class" | "special-school"  # §四（二）1（4）

A placement is requested for a child of the ``disabled`` category (verified by 相关职能部门,
§三（三））, or for one whose ``review_findings`` say ``disability-not-verified``: the request
is then set aside (the child is routed as any child of its route and the explanation says
why). That finding with the ``disabled`` category is a contradiction, refused.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from allocation._dates import NO_DATE, format_date, parse_date
from allocation._errors import ScenarioError, pointer_token
from allocation.policy import (
    CATEGORIES,
    CHOICE_LISTS,
    Policy,
    SchoolKind,
    Stage,
    policy_from_mapping,
)

SCENARIO_FORMAT_V1 = "paiwei-scenario/1"
SCENARIO_FORMAT = "paiwei-scenario/2"
SCENARIO_FORMATS = (SCENARIO_FORMAT_V1, SCENARIO_FORMAT)


class Hukou(IntEnum):
    """Where the child's household is registered: ``Applicants.hukou`` holds these values
    (the format's ``hukou.kind`` is the member's name in lower case)."""

    CHAOYANG = 0  # in the district
    BEIJING = 1  # elsewhere in Beijing
    OTHER = 2  # outside Beijing


class Residence(IntEnum):
    """The family's home: ``Applicants.residence`` holds these values (the format's
    ``residence.kind`` is the member's name in lower case)."""

    OWNED = 0
    RENTED = 1
    NONE = 2  # no home in the district


HUKOU_KINDS = tuple(k.name.lower() for k in Hukou)  # ("chaoyang", "beijing", "other")
RESIDENCE_KINDS = tuple(k.name.lower() for k in Residence)  # ("owned", "rented", "none")
# The parser's loop compares every record's kind: plain names for the members, bound once
# (an IntEnum attribute lookup costs several times an int comparison on Python 3.11).
_OWNED, _RENTED, _NO_HOME = Residence.OWNED, Residence.RENTED, Residence.NONE
REVIEW_OUTCOMES = ("not-required", "approved", "rejected", "not-submitted")  # last: v2 only
# --- paiwei-scenario/2 (each an index or a bit into these tuples) ---
REVIEW_FINDINGS = (  # §四（一）4 联动审核 findings; bit i = REVIEW_FINDINGS[i]
    "empty-hukou",  # 空挂户
    "passage-room",  # 过道房
    "basement",  # 地下室
    "garage",  # 车库房
    "not-actual-residence",  # 不符合实际居住
    "material-not-submitted",  # 未按规定提交审核材料
    "disability-not-verified",  # §三（三）残疾资格未通过相关职能部门核验
)
_NOT_VERIFIED_BIT = 1 << REVIEW_FINDINGS.index("disability-not-verified")
PLACES = ("in-district", "other-beijing", "outside-beijing")  # employment, social insurance
RECORD_PLACES = ("in-district", "other-beijing", "other-province", "unstated")  # junior 学籍
CERT_HOLDERS = ("parent", "other-guardian", "relative", "other")
CERT_TYPES = ("ownership-certificate", "real-estate-certificate", "other")
GUARDIAN_RELATIONS = ("father", "mother", "other-guardian")
USE_BY = ("unknown", "sibling", "other-household")
# §四（二）1（4）、2（4）: the placement a disabled child's guardians request
DISABILITY_PLACEMENTS = ("regular-class", "special-class", "special-school")
MAX_GUARDIANS = 2
CATEGORY_BITS: Mapping[str, int] = {
    name: 1 << i
    for i, name in enumerate(
        ("disabled", "martyr", "overseas-chinese", "serviceman", "model-worker", "taiwan", "talent")
    )
}
ZONE_KINDS = ("single-school", "multi-school")

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_FORMAT_RULE = "scenario format"


@dataclass(frozen=True, slots=True)
class School:
    id: str
    name: str
    kind: SchoolKind
    stage: Stage
    seats: int
    zone: str | None = None
    group: int | None = None  # junior-high first batch: 1 or 2
    primary_section: str | None = None  # nine-year school: its primary section's school id


@dataclass(frozen=True, slots=True)
class Zone:
    id: str
    kind: str  # "single-school" | "multi-school"
    stage: Stage
    schools: tuple[str, ...]
    area: str | None = None  # single-school zone: the multi-school zone its other children join
    neighbours: tuple[str, ...] = ()
    name: str = ""


@dataclass(frozen=True, slots=True)
class ChoiceList:
    """One choice list for every applicant as CSR columns: school indices, most wanted first."""

    offsets: IntArray
    schools: IntArray

    def of(self, applicant: int) -> IntArray:
        return self.schools[self.offsets[applicant] : self.offsets[applicant + 1]]

    @property
    def lengths(self) -> IntArray:
        return np.diff(self.offsets)


@dataclass(frozen=True, slots=True)
class Applicants:
    """Applicants' verified records as columns; row i is ``ids[i]``. Dates are day ordinals (0 none)."""

    ids: tuple[str, ...]
    birth: IntArray
    hukou: IntArray  # Hukou values
    hukou_zone: IntArray  # zone index or -1
    residence: IntArray  # Residence values
    residence_zone: IntArray  # zone index or -1
    address: tuple[str, ...]  # pseudonymous address id or ""
    certificate: IntArray
    rental_start: IntArray
    rental_registered: BoolArray
    owns_beijing: BoolArray
    owns_chaoyang: BoolArray
    employment_start: IntArray
    review: IntArray  # index into REVIEW_OUTCOMES
    treated_as_local: BoolArray
    categories: IntArray  # bit mask of CATEGORY_BITS
    family_planning_exempt: BoolArray
    address_uses: tuple[tuple[tuple[int, str], ...], ...]
    last_use_primary: IntArray  # latest year the address was used for primary admission, 0 none
    last_use_junior: IntArray
    school_of_record: IntArray  # school index or -1
    school_zone: IntArray  # zone index or -1
    returned: BoolArray
    choices: Mapping[str, ChoiceList]
    details: Details | None = None  # paiwei-scenario/2 columns; None: version 1

    @property
    def size(self) -> int:
        return len(self.ids)

    def has(self, category: str) -> BoolArray:
        out: BoolArray = (self.categories & CATEGORY_BITS[category]) != 0
        return out


@dataclass(frozen=True, slots=True)
class Details:
    """The conditions ``paiwei-scenario/2`` can state, as columns (row i of ``Applicants``).

    A version-1 scenario has none: :func:`details_of` gives the columns that say what
    version 1 assumed (no findings; a continuous sole tenancy; the one employment
    date as a guardian employed in the district with a contract and social insurance
    there; a certificate of a parent, of an accepted type, for the address itself;
    the school record place unstated; every address use by an unknown household and
    not itself exempt). Guardian columns have ``MAX_GUARDIANS`` columns; -1 / 0 none.
    """

    findings: IntArray  # bit mask over REVIEW_FINDINGS
    rental_continuous: BoolArray
    rental_sole: BoolArray
    guardians: IntArray  # number of guardians stated (0: the v1 employment_start applies)
    guardian_relation: IntArray  # (n, 2) index into GUARDIAN_RELATIONS, -1 none
    employment_place: IntArray  # (n, 2) index into PLACES, -1 not employed / unknown
    employment_start: IntArray  # (n, 2) day ordinal, 0 none
    labour_contract: BoolArray  # (n, 2)
    insurance_place: IntArray  # (n, 2) index into PLACES, -1 none
    cert_holder: IntArray  # index into CERT_HOLDERS
    cert_type: IntArray  # index into CERT_TYPES
    # the address the certificate is for ("" = the residence); None: every one "" (version 1)
    cert_address: tuple[str, ...] | None
    record_place: IntArray  # index into RECORD_PLACES
    # per applicant, per address use (Applicants.address_uses); None: every use by an
    # unknown household and not itself exempt (version 1)
    use_by: tuple[tuple[str, ...], ...] | None
    use_exempt: tuple[tuple[bool, ...], ...] | None
    disability_placement: IntArray  # index into DISABILITY_PLACEMENTS (0 for every other child)


@dataclass(frozen=True, slots=True)
class Scenario:
    district: str
    year: int
    stage: Stage
    schools: tuple[School, ...]
    zones: tuple[Zone, ...]
    applicants: Applicants
    policy: Mapping[str, Any] = field(default_factory=dict)  # {"path": ...} or {"embedded": {...}}
    version: int = 1  # the scenario format version it was read in (and is written in)

    def school_index(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.schools)}

    def zone_index(self) -> dict[str, int]:
        return {z.id: i for i, z in enumerate(self.zones)}


# --- validation helpers ------------------------------------------------------------------


def _fail(message: str, where: str, rule: str = _FORMAT_RULE) -> ScenarioError:
    return ScenarioError(message, where, rule)


def _obj(
    value: Any, where: str, allowed: Sequence[str], required: Sequence[str] = ()
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail("must be an object", where)
    for key in value:
        if key not in allowed:
            raise _fail(f"unknown key {key!r}", f"{where}/{pointer_token(key)}")
    for key in required:
        if key not in value:
            raise _fail(f"missing key {key!r}", where)
    return value


def _text(value: Any, where: str, *, ascii_only: bool = True) -> str:
    if type(value) is not str or not value or (ascii_only and not value.isascii()):
        raise _fail(
            "must be non-empty ASCII text" if ascii_only else "must be non-empty text", where
        )
    return value


def _name(value: Any, where: str) -> str:
    """A display name: any text (the schema's ``"type": "string"``), Chinese allowed."""
    if type(value) is not str:
        raise _fail("must be text", where)
    return value


def _int(value: Any, where: str, low: int = 0) -> int:
    if type(value) is not int or value < low:
        raise _fail(f"must be an integer >= {low}", where)
    return value


def _bool(value: Any, where: str) -> bool:
    if type(value) is not bool:
        raise _fail("must be true or false", where)
    return value


@functools.lru_cache(maxsize=65_536)  # a scenario's dates repeat (birth days, starts)
def _ordinal(text: str) -> int:
    return parse_date(text)


def _date(value: Any, where: str) -> int:
    try:
        return _ordinal(value) if type(value) is str else parse_date(value)
    except ValueError as exc:
        raise _fail(str(exc), where) from exc


def _enum(value: Any, options: Sequence[str], where: str) -> int:
    if type(value) is not str or value not in options:
        raise _fail(f"must be one of {list(options)!r}", where)
    return options.index(value)


_KIND_NAMES = tuple(k.value for k in SchoolKind)
_STAGE_NAMES = tuple(s.value for s in Stage)

SCHOOL_KEYS = ("id", "name", "kind", "stage", "seats", "zone", "group", "primary_section")
ZONE_KEYS = ("id", "name", "kind", "stage", "schools", "area", "neighbours")
APPLICANT_KEYS = (
    "id",
    "birth_date",
    "hukou",
    "residence",
    "property",
    "employment_start",
    "non_local_review",
    "treated_as_local",
    "categories",
    "family_planning_exempt",
    "address_uses",
    "school_of_record",
    "school_zone",
    "returned",
    "choices",
)
APPLICANT_KEYS_V2 = (
    *APPLICANT_KEYS,
    "review_findings",
    "guardians",
    "school_record_place",
    "disability_placement",
)
RESIDENCE_KEYS = ("kind", "address", "zone", "certificate_date", "rental_start", "registered")
RESIDENCE_KEYS_V2 = (*RESIDENCE_KEYS, "continuous", "sole_tenancy", "certificate")
GUARDIAN_KEYS = (
    "relation",
    "employment_place",
    "employment_start",
    "labour_contract",
    "social_insurance_place",
)


def _school(rec: Any, where: str) -> School:
    rec = _obj(rec, where, SCHOOL_KEYS, ("id", "kind", "stage", "seats"))
    kind = SchoolKind(_KIND_NAMES[_enum(rec["kind"], _KIND_NAMES, f"{where}/kind")])
    stage = Stage(_STAGE_NAMES[_enum(rec["stage"], _STAGE_NAMES, f"{where}/stage")])
    group = rec.get("group")
    if group is not None and (type(group) is not int or group not in (1, 2)):
        raise _fail("group must be 1 or 2", f"{where}/group", "§四（二）2（1）①")
    if group is not None and (stage is not Stage.JUNIOR or kind is not SchoolKind.PUBLIC):
        raise _fail(
            "only public junior-high schools are in a group", f"{where}/group", "§四（二）2（1）①"
        )
    section = rec.get("primary_section")
    return School(
        id=_text(rec["id"], f"{where}/id"),
        name=_name(rec.get("name", rec["id"]), f"{where}/name"),
        kind=kind,
        stage=stage,
        seats=_int(rec["seats"], f"{where}/seats"),
        zone=None if rec.get("zone") is None else _text(rec["zone"], f"{where}/zone"),
        group=group,
        primary_section=None if section is None else _text(section, f"{where}/primary_section"),
    )


def _zone(rec: Any, where: str) -> Zone:
    rec = _obj(rec, where, ZONE_KEYS, ("id", "kind", "stage", "schools"))
    kind = ZONE_KINDS[_enum(rec["kind"], ZONE_KINDS, f"{where}/kind")]
    schools = rec["schools"]
    if not isinstance(schools, list) or not schools:
        raise _fail("must be a non-empty list of school ids", f"{where}/schools")
    if kind == "single-school" and len(schools) != 1:
        raise _fail(
            "a single-school zone has exactly one school", f"{where}/schools", "§四（二）1（1）"
        )
    neighbours = rec.get("neighbours", [])
    if not isinstance(neighbours, list):
        raise _fail("must be a list of zone ids", f"{where}/neighbours")
    area = rec.get("area")
    if area is not None and kind != "single-school":
        raise _fail("only a single-school zone lies in an area", f"{where}/area")
    stage = Stage(_STAGE_NAMES[_enum(rec["stage"], _STAGE_NAMES, f"{where}/stage")])
    return Zone(
        id=_text(rec["id"], f"{where}/id"),
        kind=kind,
        stage=stage,
        schools=tuple(_text(s, f"{where}/schools/{i}") for i, s in enumerate(schools)),
        area=None if area is None else _text(area, f"{where}/area"),
        neighbours=tuple(_text(z, f"{where}/neighbours/{i}") for i, z in enumerate(neighbours)),
        name=_name(rec.get("name", ""), f"{where}/name"),
    )


def _check_links(schools: tuple[School, ...], zones: tuple[Zone, ...]) -> None:  # noqa: PLR0912  one check per link, read top to bottom
    sidx = {s.id: s for s in schools}
    if len(sidx) != len(schools):
        dup = next(i for i, s in enumerate(schools) if [x.id for x in schools].index(s.id) != i)
        raise _fail("duplicate school id", f"/schools/{dup}/id")
    zidx = {z.id: z for z in zones}
    if len(zidx) != len(zones):
        dup = next(i for i, z in enumerate(zones) if [x.id for x in zones].index(z.id) != i)
        raise _fail("duplicate zone id", f"/zones/{dup}/id")
    for i, z in enumerate(zones):
        for k, sid in enumerate(z.schools):
            school = sidx.get(sid)
            if school is None:
                raise _fail(f"no school {sid!r}", f"/zones/{i}/schools/{k}")
            if school.stage is not z.stage:
                raise _fail("school and zone are of different stages", f"/zones/{i}/schools/{k}")
        if z.area is not None:
            area = zidx.get(z.area)
            if area is None or area.kind != "multi-school":
                raise _fail("area must name a multi-school zone", f"/zones/{i}/area")
            if z.schools[0] not in area.schools:
                raise _fail(
                    "the area must list the single-school zone's school (its remaining seats)",
                    f"/zones/{i}/area",
                    "§四（二）1（1）",
                )
        for k, nid in enumerate(z.neighbours):
            if nid not in zidx or nid == z.id:
                raise _fail(f"no other zone {nid!r}", f"/zones/{i}/neighbours/{k}")
    for i, s in enumerate(schools):
        if s.zone is not None and (s.zone not in zidx or s.id not in zidx[s.zone].schools):
            raise _fail("the school's zone must exist and list it", f"/schools/{i}/zone")
        if s.primary_section is not None:
            linked = sidx.get(s.primary_section)
            if linked is None or linked.stage is not Stage.PRIMARY or s.stage is not Stage.JUNIOR:
                raise _fail(
                    "a junior school's primary section must name a primary school",
                    f"/schools/{i}/primary_section",
                    "§四（二）2（1）②",
                )
    multi = [z for z in zones if z.kind == "multi-school"]
    owner: dict[str, str] = {}
    for z in multi:
        for sid in z.schools:
            if sid in owner:
                raise _fail(
                    f"school {sid!r} is in two multi-school zones ({owner[sid]!r}, {z.id!r})",
                    f"/zones/{zones.index(z)}/schools",
                )
            owner[sid] = z.id


_CHOICE_KINDS: Mapping[str, tuple[SchoolKind, ...]] = {
    "private_boarding": (SchoolKind.PRIVATE, SchoolKind.BOARDING),
    "zone": (SchoolKind.PUBLIC, SchoolKind.SPECIAL),
    "groups": (SchoolKind.PUBLIC,),
}


def scenario_from_mapping(data: Any) -> Scenario:
    """Validate a scenario mapping and build the columnar Scenario. Raises ScenarioError."""
    data = _obj(
        data,
        "",
        ("format", "district", "year", "stage", "policy", "schools", "zones", "applicants", "note"),
        ("format", "district", "year", "stage", "schools", "zones", "applicants"),
    )
    if type(data["format"]) is not str or data["format"] not in SCENARIO_FORMATS:
        raise _fail(f"format must be one of {list(SCENARIO_FORMATS)!r}", "/format")
    version = SCENARIO_FORMATS.index(data["format"]) + 1
    if type(data["stage"]) is not str or data["stage"] not in _STAGE_NAMES:
        raise _fail("stage must be 'primary' or 'junior'", "/stage")
    stage = Stage(data["stage"])
    if "note" in data:
        _name(data["note"], "/note")
    policy = data.get("policy", {})
    if not isinstance(policy, dict) or (policy and set(policy) not in ({"path"}, {"embedded"})):
        raise _fail("policy must be {'path': ...} or {'embedded': {...}}", "/policy")
    if "path" in policy:
        _text(policy["path"], "/policy/path", ascii_only=False)
    if "embedded" in policy and not isinstance(policy["embedded"], dict):
        raise _fail("must be an object (a policy file's data)", "/policy/embedded")
    for key in ("schools", "zones", "applicants"):
        if not isinstance(data[key], list):
            raise _fail("must be a list", f"/{key}")
    schools = tuple(_school(r, f"/schools/{i}") for i, r in enumerate(data["schools"]))
    zones = tuple(_zone(r, f"/zones/{i}") for i, r in enumerate(data["zones"]))
    _check_links(schools, zones)
    applicants = _applicants(data["applicants"], schools, zones, stage, version)
    return Scenario(
        district=_text(data["district"], "/district"),
        year=_int(data["year"], "/year", 1900),
        stage=stage,
        schools=schools,
        zones=zones,
        applicants=applicants,
        policy=policy,
        version=version,
    )


def _applicants(  # noqa: PLR0912, PLR0915  one validation step per field of the record format
    records: list[Any],
    schools: tuple[School, ...],
    zones: tuple[Zone, ...],
    stage: Stage,
    version: int = 1,
) -> Applicants:
    n = len(records)
    sidx = {s.id: i for i, s in enumerate(schools)}
    zidx = {z.id: i for i, z in enumerate(zones)}
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "birth",
            "hukou",
            "hukou_zone",
            "residence",
            "residence_zone",
            "address",
            "certificate",
            "rental_start",
            "rental_registered",
            "owns_beijing",
            "owns_chaoyang",
            "employment_start",
            "review",
            "treated_as_local",
            "categories",
            "family_planning_exempt",
            "address_uses",
            "last_use_primary",
            "last_use_junior",
            "school_of_record",
            "school_zone",
            "returned",
        )
    }
    lists: dict[str, tuple[list[int], list[int]]] = {name: ([0], []) for name in CHOICE_LISTS}
    v2 = version >= 2
    det: dict[str, list[Any]] = {k: [] for k in Details.__slots__}
    ids: list[str] = []
    seen: set[str] = set()

    def zone_of(value: Any, where: str) -> int:
        if value is None:
            return -1
        if type(value) is not str or value not in zidx:
            raise _fail(f"no zone {value!r}", where)
        return zidx[value]

    for i, raw in enumerate(records):
        here = f"/applicants/{i}"
        rec = _obj(
            raw, here, APPLICANT_KEYS_V2 if v2 else APPLICANT_KEYS, ("id", "hukou", "residence")
        )
        aid = _text(rec["id"], f"{here}/id")
        if aid in seen:
            raise _fail("duplicate applicant id", f"{here}/id")
        seen.add(aid)
        ids.append(aid)
        birth = rec.get("birth_date")
        if birth is None and stage is Stage.PRIMARY:
            raise _fail("missing birth_date", here, "§三（一）1")
        cols["birth"].append(NO_DATE if birth is None else _date(birth, f"{here}/birth_date"))
        hukou = _obj(rec["hukou"], f"{here}/hukou", ("kind", "zone"), ("kind",))
        cols["hukou"].append(_enum(hukou["kind"], HUKOU_KINDS, f"{here}/hukou/kind"))
        cols["hukou_zone"].append(zone_of(hukou.get("zone"), f"{here}/hukou/zone"))
        res = _obj(
            rec["residence"],
            f"{here}/residence",
            RESIDENCE_KEYS_V2 if v2 else RESIDENCE_KEYS,
            ("kind",),
        )
        rkind = _enum(res["kind"], RESIDENCE_KINDS, f"{here}/residence/kind")
        cols["residence"].append(rkind)
        if rkind != _NO_HOME:
            for key in ("address", "zone"):
                if key not in res:
                    raise _fail(f"missing key {key!r}", f"{here}/residence")
            cols["address"].append(_text(res["address"], f"{here}/residence/address"))
        else:
            cols["address"].append("")
        cols["residence_zone"].append(zone_of(res.get("zone"), f"{here}/residence/zone"))
        holder, ctype, caddr = 0, 1, ""
        if rkind == _OWNED:
            cert = res.get("certificate")
            if cert is not None and "certificate_date" in res:
                raise _fail("give certificate or certificate_date, not both", f"{here}/residence")
            if cert is not None:
                cw = f"{here}/residence/certificate"
                cert = _obj(
                    cert, cw, ("holder", "type", "date", "address"), ("holder", "type", "date")
                )
                holder = _enum(cert["holder"], CERT_HOLDERS, f"{cw}/holder")
                ctype = _enum(cert["type"], CERT_TYPES, f"{cw}/type")
                cols["certificate"].append(_date(cert["date"], f"{cw}/date"))
                if "address" in cert:
                    caddr = _text(cert["address"], f"{cw}/address")
            elif "certificate_date" not in res:
                raise _fail(
                    "an owned residence needs its certificate_date",
                    f"{here}/residence",
                    "§四（一）2",
                )
            else:
                cols["certificate"].append(
                    _date(res["certificate_date"], f"{here}/residence/certificate_date")
                )
        else:
            if v2 and ("certificate" in res or "certificate_date" in res):
                raise _fail("only an owned residence has a certificate", f"{here}/residence")
            cols["certificate"].append(NO_DATE)
        det["cert_holder"].append(holder)
        det["cert_type"].append(ctype)
        det["cert_address"].append(caddr)
        det["rental_continuous"].append(
            _bool(res.get("continuous", True), f"{here}/residence/continuous")
        )
        det["rental_sole"].append(
            _bool(res.get("sole_tenancy", True), f"{here}/residence/sole_tenancy")
        )
        if rkind != _RENTED and ("continuous" in res or "sole_tenancy" in res):
            raise _fail("only a rented residence has tenancy conditions", f"{here}/residence")
        if rkind == _RENTED:
            if "rental_start" not in res:
                raise _fail(
                    "a rented residence needs its rental_start",
                    f"{here}/residence",
                    "§三（一）1（3）",
                )
            cols["rental_start"].append(
                _date(res["rental_start"], f"{here}/residence/rental_start")
            )
            cols["rental_registered"].append(
                _bool(res.get("registered", False), f"{here}/residence/registered")
            )
        else:
            cols["rental_start"].append(NO_DATE)
            cols["rental_registered"].append(False)
        prop = _obj(rec.get("property", {}), f"{here}/property", ("beijing", "chaoyang"))
        owns_cy = _bool(prop.get("chaoyang", rkind == _OWNED), f"{here}/property/chaoyang")
        owns_bj = _bool(prop.get("beijing", owns_cy), f"{here}/property/beijing")
        if owns_cy and not owns_bj:
            raise _fail(
                "property in the district is property in Beijing", f"{here}/property/beijing"
            )
        cols["owns_beijing"].append(owns_bj)
        cols["owns_chaoyang"].append(owns_cy)
        emp = rec.get("employment_start")
        cols["employment_start"].append(
            NO_DATE if emp is None else _date(emp, f"{here}/employment_start")
        )
        _guardians(rec.get("guardians"), f"{here}/guardians", det, cols["employment_start"][-1])
        cols["review"].append(
            _enum(
                rec.get("non_local_review", "not-required"),
                REVIEW_OUTCOMES if v2 else REVIEW_OUTCOMES[:3],
                f"{here}/non_local_review",
            )
        )
        found = rec.get("review_findings", [])
        if not isinstance(found, list):
            raise _fail("must be a list", f"{here}/review_findings")
        bits = 0
        for k, f in enumerate(found):
            bits |= 1 << _enum(f, REVIEW_FINDINGS, f"{here}/review_findings/{k}")
        det["findings"].append(bits)
        cols["treated_as_local"].append(
            _bool(rec.get("treated_as_local", False), f"{here}/treated_as_local")
        )
        cats = rec.get("categories", [])
        if not isinstance(cats, list):
            raise _fail("must be a list", f"{here}/categories")
        mask = 0
        for k, c in enumerate(cats):
            if type(c) is not str or c not in CATEGORIES:
                raise _fail(f"unknown category {c!r}", f"{here}/categories/{k}")
            mask |= CATEGORY_BITS[c]
        cols["categories"].append(mask)
        cols["family_planning_exempt"].append(
            _bool(rec.get("family_planning_exempt", False), f"{here}/family_planning_exempt")
        )
        uses_raw = rec.get("address_uses", [])
        if not isinstance(uses_raw, list):
            raise _fail("must be a list", f"{here}/address_uses")
        uses: list[tuple[int, str]] = []
        by: list[str] = []
        exempt: list[bool] = []
        use_keys = ("year", "stage", "by", "exempt") if v2 else ("year", "stage")
        for k, use_raw in enumerate(uses_raw):
            u = _obj(use_raw, f"{here}/address_uses/{k}", use_keys, ("year", "stage"))
            by.append(USE_BY[_enum(u.get("by", "unknown"), USE_BY, f"{here}/address_uses/{k}/by")])
            exempt.append(_bool(u.get("exempt", False), f"{here}/address_uses/{k}/exempt"))
            st = Stage(
                ("primary", "junior")[
                    _enum(u["stage"], ("primary", "junior"), f"{here}/address_uses/{k}/stage")
                ]
            )
            uses.append((_int(u["year"], f"{here}/address_uses/{k}/year", 1900), st.value))
        cols["address_uses"].append(tuple(uses))
        det["use_by"].append(tuple(by))
        det["use_exempt"].append(tuple(exempt))
        cols["last_use_primary"].append(max((y for y, s in uses if s == "primary"), default=0))
        cols["last_use_junior"].append(max((y for y, s in uses if s == "junior"), default=0))
        sor = rec.get("school_of_record")
        if sor is not None:
            # A school of record outside the district is allowed: it simply is not ours.
            sor = _text(sor, f"{here}/school_of_record")
        cols["school_of_record"].append(sidx.get(sor, -1) if sor is not None else -1)
        place = _enum(
            rec.get("school_record_place", "unstated"),
            RECORD_PLACES,
            f"{here}/school_record_place",
        )
        if place in (1, 2) and sor is not None and sor in sidx:
            raise _fail(
                "a school of record in the scenario is in the district",
                f"{here}/school_record_place",
                "§三（一）2",
            )
        det["record_place"].append(place)
        placement = _enum(
            rec.get("disability_placement", "regular-class"),
            DISABILITY_PLACEMENTS,
            f"{here}/disability_placement",
        )
        not_verified = bits & _NOT_VERIFIED_BIT
        if not_verified and mask & CATEGORY_BITS["disabled"]:
            raise _fail(
                "the finding disability-not-verified contradicts the category disabled",
                f"{here}/review_findings",
                "§三（三）",
            )
        if placement and not (mask & CATEGORY_BITS["disabled"] or not_verified):
            raise _fail(
                "a placement is requested for a child of the disabled category only "
                "(or set aside by the finding disability-not-verified)",
                f"{here}/disability_placement",
                "§四（二）1（4）",
            )
        if placement == 1 and stage is Stage.JUNIOR:
            raise _fail(
                "junior high names special schools and regular classes only",
                f"{here}/disability_placement",
                "§四（二）2（4）",
            )
        det["disability_placement"].append(placement)
        cols["school_zone"].append(zone_of(rec.get("school_zone"), f"{here}/school_zone"))
        cols["returned"].append(_bool(rec.get("returned", False), f"{here}/returned"))
        choices = _obj(rec.get("choices", {}), f"{here}/choices", CHOICE_LISTS)
        for name in CHOICE_LISTS:
            offs, flat = lists[name]
            given = choices.get(name, [])
            if not isinstance(given, list):
                raise _fail("must be a list", f"{here}/choices/{name}")
            if len(set(map(repr, given))) != len(given):
                raise _fail("a school appears twice", f"{here}/choices/{name}")
            for k, sid in enumerate(given):
                j = sidx.get(sid) if isinstance(sid, str) else None
                if j is None:
                    raise _fail(f"no school {sid!r}", f"{here}/choices/{name}/{k}")
                school = schools[j]
                if school.stage is not stage or school.kind not in _CHOICE_KINDS[name]:
                    raise _fail(
                        f"{sid!r} cannot be listed in {name!r} (kind {school.kind.value}, stage {school.stage.value})",
                        f"{here}/choices/{name}/{k}",
                        "§四（二）",
                    )
                if name == "groups" and school.group is None:
                    raise _fail(
                        "not a first-batch group school",
                        f"{here}/choices/{name}/{k}",
                        "§四（二）2（1）①",
                    )
                flat.append(j)
            if name == "groups":
                groups = [schools[j].group for j in flat[offs[-1] :]]
                if len(set(groups)) != len(groups):
                    raise _fail(
                        "at most one school from each group",
                        f"{here}/choices/groups",
                        "§四（二）2（1）①",
                    )
            offs.append(len(flat))
    del n

    def arr(name: str) -> IntArray:
        return np.asarray(cols[name], dtype=np.int64)

    def barr(name: str) -> BoolArray:
        return np.asarray(cols[name], dtype=np.bool_)

    details = None
    if v2:
        details = Details(
            findings=arr_of(det["findings"]),
            rental_continuous=np.asarray(det["rental_continuous"], dtype=np.bool_),
            rental_sole=np.asarray(det["rental_sole"], dtype=np.bool_),
            guardians=arr_of(det["guardians"]),
            guardian_relation=arr_of(det["guardian_relation"]).reshape(-1, MAX_GUARDIANS),
            employment_place=arr_of(det["employment_place"]).reshape(-1, MAX_GUARDIANS),
            employment_start=arr_of(det["employment_start"]).reshape(-1, MAX_GUARDIANS),
            labour_contract=np.asarray(det["labour_contract"], dtype=np.bool_).reshape(
                -1, MAX_GUARDIANS
            ),
            insurance_place=arr_of(det["insurance_place"]).reshape(-1, MAX_GUARDIANS),
            cert_holder=arr_of(det["cert_holder"]),
            cert_type=arr_of(det["cert_type"]),
            cert_address=tuple(det["cert_address"]),
            record_place=arr_of(det["record_place"]),
            use_by=tuple(det["use_by"]),
            use_exempt=tuple(det["use_exempt"]),
            disability_placement=arr_of(det["disability_placement"]),
        )
    return Applicants(
        ids=tuple(ids),
        birth=arr("birth"),
        hukou=arr("hukou"),
        hukou_zone=arr("hukou_zone"),
        residence=arr("residence"),
        residence_zone=arr("residence_zone"),
        address=tuple(cols["address"]),
        certificate=arr("certificate"),
        rental_start=arr("rental_start"),
        rental_registered=barr("rental_registered"),
        owns_beijing=barr("owns_beijing"),
        owns_chaoyang=barr("owns_chaoyang"),
        employment_start=arr("employment_start"),
        review=arr("review"),
        treated_as_local=barr("treated_as_local"),
        categories=arr("categories"),
        family_planning_exempt=barr("family_planning_exempt"),
        address_uses=tuple(cols["address_uses"]),
        last_use_primary=arr("last_use_primary"),
        last_use_junior=arr("last_use_junior"),
        school_of_record=arr("school_of_record"),
        school_zone=arr("school_zone"),
        returned=barr("returned"),
        choices={
            name: ChoiceList(np.asarray(o, dtype=np.int64), np.asarray(f, dtype=np.int64))
            for name, (o, f) in lists.items()
        },
        details=details,
    )


def arr_of(values: list[int]) -> IntArray:
    return np.asarray(values, dtype=np.int64)


def _guardians(raw: Any, where: str, det: dict[str, list[Any]], emp: int) -> None:
    """Each guardian's employment and social insurance (§三（一）1（3））, into ``det``.

    Without ``guardians``, a record's ``employment_start`` (version 1's one field) stands
    for a guardian employed in the district since then, with a labour contract and
    social insurance there: what version 1 meant by it.
    """
    rel, place, start, contract, ins = [-1] * 2, [-1] * 2, [NO_DATE] * 2, [False] * 2, [-1] * 2
    count = 0
    has_emp = emp != NO_DATE
    if raw is None and has_emp:
        rel[0], place[0], start[0], contract[0], ins[0] = 2, 0, emp, True, 0
    if raw is not None:
        if not isinstance(raw, list) or len(raw) > MAX_GUARDIANS:
            raise _fail(f"must be a list of at most {MAX_GUARDIANS} guardians", where)
        if has_emp:
            raise _fail("give guardians or employment_start, not both", where)
        for k, g_raw in enumerate(raw):
            gw = f"{where}/{k}"
            g = _obj(g_raw, gw, GUARDIAN_KEYS, ("relation",))
            rel[k] = _enum(g["relation"], GUARDIAN_RELATIONS, f"{gw}/relation")
            if g.get("employment_place") is not None:
                place[k] = _enum(g["employment_place"], PLACES, f"{gw}/employment_place")
            if g.get("employment_start") is not None:
                start[k] = _date(g["employment_start"], f"{gw}/employment_start")
            contract[k] = _bool(g.get("labour_contract", False), f"{gw}/labour_contract")
            if g.get("social_insurance_place") is not None:
                ins[k] = _enum(g["social_insurance_place"], PLACES, f"{gw}/social_insurance_place")
        count = len(raw)
    det["guardians"].append(count)
    det["guardian_relation"].extend(rel)
    det["employment_place"].extend(place)
    det["employment_start"].extend(start)
    det["labour_contract"].extend(contract)
    det["insurance_place"].extend(ins)


def details_of(applicants: Applicants) -> Details:
    """The v2 condition columns; for a version-1 scenario, those version 1 assumed."""
    if applicants.details is not None:
        return applicants.details
    n = applicants.size
    emp = applicants.employment_start
    has = emp != NO_DATE
    two = (n, MAX_GUARDIANS)
    rel = np.full(two, -1, dtype=np.int64)
    place = np.full(two, -1, dtype=np.int64)
    start = np.zeros(two, dtype=np.int64)
    contract = np.zeros(two, dtype=np.bool_)
    ins = np.full(two, -1, dtype=np.int64)
    rel[has, 0] = GUARDIAN_RELATIONS.index("other-guardian")
    place[has, 0] = 0
    start[:, 0] = emp
    contract[has, 0] = True
    ins[has, 0] = 0
    return Details(
        findings=np.zeros(n, dtype=np.int64),
        rental_continuous=np.ones(n, dtype=np.bool_),
        rental_sole=np.ones(n, dtype=np.bool_),
        guardians=np.zeros(n, dtype=np.int64),
        guardian_relation=rel,
        employment_place=place,
        employment_start=start,
        labour_contract=contract,
        insurance_place=ins,
        cert_holder=np.zeros(n, dtype=np.int64),
        cert_type=np.ones(n, dtype=np.int64),
        cert_address=None,
        record_place=np.full(n, RECORD_PLACES.index("unstated"), dtype=np.int64),
        use_by=None,
        use_exempt=None,
        disability_placement=np.zeros(n, dtype=np.int64),
    )


def embedded_policy(scenario: Scenario) -> Policy | None:
    """The Policy embedded in the scenario, or None when it names a path (the shell reads it).

    Raises PolicyError when the embedded policy is malformed.
    """
    embedded = scenario.policy.get("embedded")
    return None if embedded is None else policy_from_mapping(embedded)


def _school_to_mapping(s: School) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": s.id,
        "name": s.name,
        "kind": s.kind.value,
        "stage": s.stage.value,
        "seats": s.seats,
    }
    if s.zone is not None:
        out["zone"] = s.zone
    if s.group is not None:
        out["group"] = s.group
    if s.primary_section is not None:
        out["primary_section"] = s.primary_section
    return out


def _zone_to_mapping(z: Zone) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": z.id,
        "kind": z.kind,
        "stage": z.stage.value,
        "schools": list(z.schools),
    }
    if z.name:
        out["name"] = z.name
    if z.area is not None:
        out["area"] = z.area
    if z.neighbours:
        out["neighbours"] = list(z.neighbours)
    return out


def applicant_to_mapping(scenario: Scenario, i: int) -> dict[str, Any]:
    """Applicant ``i``'s verified record and choices as a plain mapping (the format above)."""
    a = scenario.applicants
    zones = scenario.zones
    sids = [s.id for s in scenario.schools]
    out: dict[str, Any] = {"id": a.ids[i]}
    if a.birth[i] != NO_DATE:
        out["birth_date"] = format_date(int(a.birth[i]))
    hukou: dict[str, Any] = {"kind": HUKOU_KINDS[int(a.hukou[i])]}
    if a.hukou_zone[i] >= 0:
        hukou["zone"] = zones[int(a.hukou_zone[i])].id
    out["hukou"] = hukou
    rkind = Residence(int(a.residence[i]))
    res: dict[str, Any] = {"kind": RESIDENCE_KINDS[rkind]}
    if rkind != Residence.NONE:
        res["address"] = a.address[i]
        if a.residence_zone[i] >= 0:
            res["zone"] = zones[int(a.residence_zone[i])].id
    if rkind == Residence.OWNED:
        res["certificate_date"] = format_date(int(a.certificate[i]))
    if rkind == Residence.RENTED:
        res["rental_start"] = format_date(int(a.rental_start[i]))
        res["registered"] = bool(a.rental_registered[i])
    out["residence"] = res
    out["property"] = {"beijing": bool(a.owns_beijing[i]), "chaoyang": bool(a.owns_chaoyang[i])}
    out["employment_start"] = (
        None if a.employment_start[i] == NO_DATE else format_date(int(a.employment_start[i]))
    )
    out["non_local_review"] = REVIEW_OUTCOMES[int(a.review[i])]
    out["treated_as_local"] = bool(a.treated_as_local[i])
    out["categories"] = [c for c, bit in CATEGORY_BITS.items() if int(a.categories[i]) & bit]
    out["family_planning_exempt"] = bool(a.family_planning_exempt[i])
    out["address_uses"] = [{"year": y, "stage": s} for y, s in a.address_uses[i]]
    if a.school_of_record[i] >= 0:
        out["school_of_record"] = sids[int(a.school_of_record[i])]
    if a.school_zone[i] >= 0:
        out["school_zone"] = zones[int(a.school_zone[i])].id
    out["returned"] = bool(a.returned[i])
    if scenario.version >= 2 and a.details is not None:
        _details_to_mapping(a.details, i, out)
    out["choices"] = {
        name: [sids[int(j)] for j in a.choices[name].of(i)]
        for name in CHOICE_LISTS
        if a.choices[name].lengths[i] > 0
    }
    return out


def _details_to_mapping(d: Details, i: int, out: dict[str, Any]) -> None:
    """Row ``i``'s version-2 fields into ``out`` (the applicant's mapping)."""
    out["review_findings"] = [
        f for k, f in enumerate(REVIEW_FINDINGS) if int(d.findings[i]) >> k & 1
    ]
    res = out["residence"]
    if res["kind"] == "owned":
        cert: dict[str, Any] = {
            "holder": CERT_HOLDERS[int(d.cert_holder[i])],
            "type": CERT_TYPES[int(d.cert_type[i])],
            "date": res.pop("certificate_date"),
        }
        if d.cert_address is not None and d.cert_address[i]:
            cert["address"] = d.cert_address[i]
        res["certificate"] = cert
    if res["kind"] == "rented":
        res["continuous"] = bool(d.rental_continuous[i])
        res["sole_tenancy"] = bool(d.rental_sole[i])
    if d.guardians[i] > 0:
        out["employment_start"] = None
        guardians = []
        for k in range(int(d.guardians[i])):
            place, start, ins = (
                int(d.employment_place[i, k]),
                int(d.employment_start[i, k]),
                int(d.insurance_place[i, k]),
            )
            guardians.append(
                {
                    "relation": GUARDIAN_RELATIONS[int(d.guardian_relation[i, k])],
                    "employment_place": PLACES[place] if place >= 0 else None,
                    "employment_start": format_date(start) if start != NO_DATE else None,
                    "labour_contract": bool(d.labour_contract[i, k]),
                    "social_insurance_place": PLACES[ins] if ins >= 0 else None,
                }
            )
        out["guardians"] = guardians
    if d.use_by is not None and d.use_exempt is not None:
        out["address_uses"] = [
            {**u, "by": b, "exempt": e}
            for u, b, e in zip(out["address_uses"], d.use_by[i], d.use_exempt[i], strict=True)
        ]
    out["school_record_place"] = RECORD_PLACES[int(d.record_place[i])]
    if d.disability_placement[i]:
        out["disability_placement"] = DISABILITY_PLACEMENTS[int(d.disability_placement[i])]


def scenario_to_mapping(scenario: Scenario) -> dict[str, Any]:
    """The scenario as a plain JSON-able mapping; ``scenario_from_mapping`` reads it back."""
    out: dict[str, Any] = {
        "format": SCENARIO_FORMATS[scenario.version - 1],
        "district": scenario.district,
        "year": scenario.year,
        "stage": scenario.stage.value,
        "schools": [_school_to_mapping(s) for s in scenario.schools],
        "zones": [_zone_to_mapping(z) for z in scenario.zones],
        "applicants": [applicant_to_mapping(scenario, i) for i in range(scenario.applicants.size)],
    }
    if scenario.policy:
        out["policy"] = dict(scenario.policy)
    return out
