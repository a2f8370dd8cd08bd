"""The scenario format: a district's schools, zones and applicants as plain JSON-able data.

One versioned mapping (``"format": "paiwei-scenario/1"``) holds the stage and year,
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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from allocation._dates import NO_DATE, format_date, parse_date
from allocation._errors import ScenarioError, pointer_token
from allocation.policy import CATEGORIES, Policy, SchoolKind, Stage, policy_from_mapping

SCENARIO_FORMAT = "paiwei-scenario/1"

HUKOU_KINDS = ("chaoyang", "beijing", "other")
RESIDENCE_KINDS = ("owned", "rented", "none")
REVIEW_OUTCOMES = ("not-required", "approved", "rejected")
CATEGORY_BITS: Mapping[str, int] = {
    name: 1 << i
    for i, name in enumerate(
        ("disabled", "martyr", "overseas-chinese", "serviceman", "model-worker", "taiwan", "talent")
    )
}
CHOICE_LISTS = ("private_boarding", "zone", "groups")
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
    hukou: IntArray  # index into HUKOU_KINDS
    hukou_zone: IntArray  # zone index or -1
    residence: IntArray  # index into RESIDENCE_KINDS
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

    @property
    def size(self) -> int:
        return len(self.ids)

    def has(self, category: str) -> BoolArray:
        out: BoolArray = (self.categories & CATEGORY_BITS[category]) != 0
        return out


@dataclass(frozen=True, slots=True)
class Scenario:
    district: str
    year: int
    stage: Stage
    schools: tuple[School, ...]
    zones: tuple[Zone, ...]
    applicants: Applicants
    policy: Mapping[str, Any] = field(default_factory=dict)  # {"path": ...} or {"embedded": {...}}

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


def _date(value: Any, where: str) -> int:
    try:
        return parse_date(value)
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
    if type(data["format"]) is not str or data["format"] != SCENARIO_FORMAT:
        raise _fail(f"format must be {SCENARIO_FORMAT!r}", "/format")
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
    applicants = _applicants(data["applicants"], schools, zones, stage)
    return Scenario(
        district=_text(data["district"], "/district"),
        year=_int(data["year"], "/year", 1900),
        stage=stage,
        schools=schools,
        zones=zones,
        applicants=applicants,
        policy=policy,
    )


def _applicants(  # noqa: PLR0912, PLR0915  one validation step per field of the record format
    records: list[Any], schools: tuple[School, ...], zones: tuple[Zone, ...], stage: Stage
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
        rec = _obj(raw, here, APPLICANT_KEYS, ("id", "hukou", "residence"))
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
            ("kind", "address", "zone", "certificate_date", "rental_start", "registered"),
            ("kind",),
        )
        rkind = _enum(res["kind"], RESIDENCE_KINDS, f"{here}/residence/kind")
        cols["residence"].append(rkind)
        if rkind != 2:
            for key in ("address", "zone"):
                if key not in res:
                    raise _fail(f"missing key {key!r}", f"{here}/residence")
            cols["address"].append(_text(res["address"], f"{here}/residence/address"))
        else:
            cols["address"].append("")
        cols["residence_zone"].append(zone_of(res.get("zone"), f"{here}/residence/zone"))
        if rkind == 0:
            if "certificate_date" not in res:
                raise _fail(
                    "an owned residence needs its certificate_date",
                    f"{here}/residence",
                    "§四（一）2",
                )
            cols["certificate"].append(
                _date(res["certificate_date"], f"{here}/residence/certificate_date")
            )
        else:
            cols["certificate"].append(NO_DATE)
        if rkind == 1:
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
        owns_cy = _bool(prop.get("chaoyang", rkind == 0), f"{here}/property/chaoyang")
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
        cols["review"].append(
            _enum(
                rec.get("non_local_review", "not-required"),
                REVIEW_OUTCOMES,
                f"{here}/non_local_review",
            )
        )
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
        for k, use_raw in enumerate(uses_raw):
            u = _obj(use_raw, f"{here}/address_uses/{k}", ("year", "stage"), ("year", "stage"))
            st = Stage(
                ("primary", "junior")[
                    _enum(u["stage"], ("primary", "junior"), f"{here}/address_uses/{k}/stage")
                ]
            )
            uses.append((_int(u["year"], f"{here}/address_uses/{k}/year", 1900), st.value))
        cols["address_uses"].append(tuple(uses))
        cols["last_use_primary"].append(max((y for y, s in uses if s == "primary"), default=0))
        cols["last_use_junior"].append(max((y for y, s in uses if s == "junior"), default=0))
        sor = rec.get("school_of_record")
        if sor is not None:
            # A school of record outside the district is allowed: it simply is not ours.
            sor = _text(sor, f"{here}/school_of_record")
        cols["school_of_record"].append(sidx.get(sor, -1) if sor is not None else -1)
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
    rkind = int(a.residence[i])
    res: dict[str, Any] = {"kind": RESIDENCE_KINDS[rkind]}
    if rkind != 2:
        res["address"] = a.address[i]
        if a.residence_zone[i] >= 0:
            res["zone"] = zones[int(a.residence_zone[i])].id
    if rkind == 0:
        res["certificate_date"] = format_date(int(a.certificate[i]))
    if rkind == 1:
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
    out["choices"] = {
        name: [sids[int(j)] for j in a.choices[name].of(i)]
        for name in CHOICE_LISTS
        if a.choices[name].lengths[i] > 0
    }
    return out


def scenario_to_mapping(scenario: Scenario) -> dict[str, Any]:
    """The scenario as a plain JSON-able mapping; ``scenario_from_mapping`` reads it back."""
    out: dict[str, Any] = {
        "format": SCENARIO_FORMAT,
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
