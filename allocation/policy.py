"""The admission policy as frozen values, loaded from a versioned policy file.

A policy file (TOML, or the same data as a mapping) holds the reference dates of
§三, the address rules of §四（一）1–2, the priority classes of §三（三）and
§三（五）, the ordered rounds of each stage (§四（二）and the timetable), each with
its mechanism and the number of choices a family may list, and the *readings*:
every point where the published text is open to more than one reading is a
named setting with the section it reads, never a silent choice in code.

Pure: the loader takes text or a mapping; :func:`shipped_policy` reads a file
shipped inside the package through ``importlib.resources``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from importlib import resources
from types import MappingProxyType
from typing import Any

from allocation._dates import parse_date, year_of
from allocation._errors import PolicyError, pointer_token
from lottery import Mechanism

POLICY_FORMAT = "paiwei-policy/1"


class Stage(StrEnum):
    PRIMARY = "primary"
    JUNIOR = "junior"


class SchoolKind(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    BOARDING = "boarding"
    SPECIAL = "special-education"


class RoundKind(StrEnum):
    """What a round draws over.

    - ``application``: schools of the listed kinds (private, public boarding); families
      apply to them directly (§四（二）1（2）（3）, 2（2）（3）).
    - ``groups``: junior-high first batch, one school from each of the two groups
      (§四（二）2（1）①).
    - ``nine-year``: a nine-year school's junior section admits its own primary
      graduates (§四（二）2（1）②).
    - ``single-school``: each single-school zone's school admits the children its
      addresses map to, drawing when oversubscribed (§四（二）1（1）, 2（1）②).
    - ``zone``: the rest of each multi-school zone, over the zone's remaining seats
      in the order of the family's stated preferences (§四（二）1（1）, 2（1）③).
      Only schools of the child's own zone take part (the platform offers no others);
      a child with none listed goes on to the district round.
    - ``district``: the district places anyone eligible still unplaced over the
      remaining seats of their own and neighbouring zones (§四（一）5).
    """

    APPLICATION = "application"
    GROUPS = "groups"
    NINE_YEAR = "nine-year"
    SINGLE_SCHOOL = "single-school"
    ZONE = "zone"
    DISTRICT = "district"


@dataclass(frozen=True, slots=True)
class ReadingSpec:
    """An open point of the policy text: its options, documented default, and section."""

    name: str
    options: tuple[Any, ...]
    default: Any
    section: str
    question: str


READING_SPECS: Mapping[str, ReadingSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            ReadingSpec(
                "equal_counts_as_direct",
                (True, False),
                True,
                "§四（一）5",
                "报名人数少于招生人数直接接收、超过时派位；报名人数等于招生人数算直接接收吗？",
            ),
            ReadingSpec(
                "no_property_means",
                ("none-in-beijing", "none-in-chaoyang"),
                "none-in-beijing",
                "§三（一）1（3）",
                "“无房家庭”指父母或其他监护人在北京市无房，还是在朝阳区无房？",
            ),
            ReadingSpec(
                "tenancy_anniversary_inclusive",
                (True, False),
                True,
                "§三（一）1（3）",
                "2021年5月1日起租，截至2024年5月1日算满3年吗（周年当日计入）？",
            ),
            ReadingSpec(
                "birth_cutoff_inclusive",
                (True, False),
                True,
                "§三（一）1",
                "“2018年8月31日以前出生”包括8月31日当天吗？",
            ),
            ReadingSpec(
                "property_after_strict",
                (True, False),
                True,
                "§四（一）2",
                "“2017年6月30日后取得”是否不含6月30日当天（当天取得仍对应一所学校）？",
            ),
            ReadingSpec(
                "address_window",
                ("from-year-of-use", "full-years-after"),
                "from-year-of-use",
                "§四（一）1",
                "“用于登记入学之年起，小学六年内”：使用当年算第一年（第七年可再用），还是须满六个整年之后？",
            ),
            ReadingSpec(
                "preferential_care",
                ("priority-class", "tie-break"),
                "priority-class",
                "§三（五）",
                "“同等条件下给予照顾”：照顾对象排在同一片区其他儿童之前（优先类别），还是只在条件完全相同时打破平局？",
            ),
            ReadingSpec(
                "non_local_route",
                ("multi-school", "by-residence"),
                "multi-school",
                "§四（二）1（5）、§四（二）1（1）",
                "非本市户籍儿童（§四（二）1（5）只规定登记手续）：一律参加片区多校统筹派位，"
                "还是与本市户籍儿童一样按实际居住地址（自有房产对应一所学校时）单校划片？",
            ),
            ReadingSpec(
                "single_school_basis",
                ("residence", "hukou-and-residence"),
                "residence",
                "§四（二）1（1）、§四（二）2（1）②",
                "“户籍所在地和家庭实际居住地址对应的服务学校为一所的”：只看房产证地址（本市外区户籍有房也单校划片），"
                "还是户籍也须在同一学校服务范围内（人户一致）？",
            ),
            ReadingSpec(
                "address_used_range",
                ("catchment-school", "zone"),
                "catchment-school",
                "§四（一）1",
                "“只提供实际居住地址服务范围内的一个入学学位”：单校划片地址已用过时，服务范围只是那一所学校"
                "（可参加所在片区多校统筹派位），还是整个片区（由区教委统筹安排）？",
            ),
            ReadingSpec(
                "rented_address_recorded",
                (True, False),
                True,
                "§四（一）1",
                "地址记录管理的括注为“凭房屋所有权证或不动产权证书”：租住地址是否同样适用"
                "“六年（三年）内一个学位”的限制？",
            ),
            ReadingSpec(
                "social_insurance_place",
                ("in-district", "beijing"),
                "in-district",
                "§三（一）1（3）",
                "“在朝阳区合法稳定就业满3年（凭劳动合同和北京市社会保险个人权益记录）”：社会保险须在本区缴纳，"
                "还是本市的社会保险个人权益记录即可？",
            ),
            ReadingSpec(
                "junior_group_order",
                ("group-1-first", "parent-ordered"),
                "group-1-first",
                "§四（二）2（1）①",
                "初中一批次两组志愿：按第一组在前统一志愿优先派位，还是按家长填报的顺序？",
            ),
        )
    }
)


@dataclass(frozen=True, slots=True)
class Readings:
    """The chosen reading of each open point; see ``READING_SPECS`` for the questions."""

    equal_counts_as_direct: bool
    no_property_means: str
    tenancy_anniversary_inclusive: bool
    birth_cutoff_inclusive: bool
    property_after_strict: bool
    address_window: str
    preferential_care: str
    junior_group_order: str
    non_local_route: str
    single_school_basis: str
    address_used_range: str
    rented_address_recorded: bool
    social_insurance_place: str

    @staticmethod
    def defaults() -> Readings:
        return Readings(**{name: spec.default for name, spec in READING_SPECS.items()})

    def to_mapping(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in READING_SPECS}


@dataclass(frozen=True, slots=True)
class RoundSpec:
    """One round of a stage's plan: one protocol draw."""

    id: str
    kind: RoundKind
    mechanism: Mechanism
    max_choices: int
    section: str
    title: str
    school_kinds: tuple[SchoolKind, ...] = (SchoolKind.PUBLIC,)
    priority_classes: bool = True


# The choice lists a family fills in (scenario format) and hence the timetable's window kinds.
CHOICE_LISTS = ("private_boarding", "zone", "groups")


@dataclass(frozen=True, slots=True)
class TimetableWindow:
    """One application window of the policy's timetable (附件：时间表), in Beijing local days.

    ``kind`` is ``<stage>.<choice list>``; the window runs from the start of ``first_day``
    to the end of ``last_day`` (day ordinals), as the timetable's "6 月 6 日- 6 月 9 日" reads.
    """

    kind: str
    first_day: int
    last_day: int
    section: str
    source: str
    reading: str | None = None


PREFERENTIAL_CATEGORIES = ("martyr", "overseas-chinese", "serviceman", "model-worker", "taiwan")


@dataclass(frozen=True, slots=True)
class PriorityClasses:
    """Priority integers at a school (lower is better) of §三（三）and §三（五）."""

    disabled: int = 0
    preferential: int = 1
    others: int = 2
    preferential_categories: tuple[str, ...] = ()


CATEGORIES = frozenset(
    {
        "disabled",
        "martyr",
        "overseas-chinese",
        "serviceman",
        "model-worker",
        "taiwan",
        "talent",
    }
)


@dataclass(frozen=True, slots=True)
class Policy:
    """A district's admission policy for one year. All dates are day ordinals."""

    district: str
    year: int
    title: str
    source: str
    birth_cutoff: int
    property_cutoff: int
    residence_reference: int
    residence_years: int
    employment_years: int
    reuse_years: Mapping[Stage, int]
    family_planning_exemption: bool
    priority: PriorityClasses
    readings: Readings
    rounds: Mapping[Stage, tuple[RoundSpec, ...]] = field(default_factory=dict)
    timetable: tuple[TimetableWindow, ...] = ()

    def with_readings(self, **changes: Any) -> Policy:
        """The same policy under other readings. Raises PolicyError on an unknown name or value."""
        for name, value in changes.items():
            spec = READING_SPECS.get(name)
            if spec is None:
                raise PolicyError(f"unknown reading {name!r}", f"/readings/{pointer_token(name)}")
            if value not in spec.options or type(value) is not type(spec.default):
                raise PolicyError(
                    f"reading {name!r} must be one of {list(spec.options)!r}",
                    f"/readings/{pointer_token(name)}",
                )
        return replace(self, readings=replace(self.readings, **changes))

    def with_mechanism(self, stage: Stage, round_id: str, mechanism: Mechanism) -> Policy:
        """The same policy with one round run under another mechanism (for comparisons)."""
        plan = tuple(
            replace(r, mechanism=mechanism) if r.id == round_id else r for r in self.rounds[stage]
        )
        rounds = dict(self.rounds)
        rounds[stage] = plan
        return replace(self, rounds=MappingProxyType(rounds))

    def plan(self, stage: Stage) -> tuple[RoundSpec, ...]:
        return self.rounds.get(stage, ())


# --- loading -------------------------------------------------------------------------


_KNOWN_KEYS: Mapping[str, frozenset[str]] = {
    "": frozenset(
        (
            "format",
            "district",
            "year",
            "title",
            "source",
            "dates",
            "address_reuse",
            "priority",
            "readings",
            "stages",
            "timetable",
        )
    ),
    "/dates": frozenset(
        (
            "birth_cutoff",
            "property_cutoff",
            "residence_reference",
            "residence_years",
            "employment_years",
        )
    ),
    "/address_reuse": frozenset(("primary_years", "junior_years", "family_planning_exemption")),
    "/priority": frozenset(("disabled", "preferential", "others", "preferential_categories")),
    "round": frozenset(
        (
            "id",
            "kind",
            "mechanism",
            "max_choices",
            "school_kinds",
            "priority_classes",
            "section",
            "title",
        )
    ),
    "reading": frozenset(("value", "section", "note")),
    "window": frozenset(("kind", "first_day", "last_day", "section", "source", "reading")),
    "stage": frozenset(("rounds",)),
}


def _known(data: Mapping[str, Any], kind: str, where: str) -> None:
    """Reject keys the format does not define: a typo must not silently drop a rule."""
    for key in data:
        if key not in _KNOWN_KEYS[kind]:
            raise PolicyError(
                f"unknown key {key!r}", f"{where}/{pointer_token(key)}", "policy format"
            )


def _get(data: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in data:
        raise PolicyError(f"missing key {key!r}", where, "policy format")
    value = data[key]
    if kind is int and (type(value) is not int):
        raise PolicyError("must be an integer", f"{where}/{key}", "policy format")
    if kind is not int and not isinstance(value, kind):
        raise PolicyError(f"must be {kind.__name__}", f"{where}/{key}", "policy format")
    return value


def _date(data: Mapping[str, Any], key: str, where: str) -> int:
    value = _get(data, key, str, where)
    try:
        return parse_date(value)
    except ValueError as exc:
        raise PolicyError(str(exc), f"{where}/{key}", "policy format") from exc


def _readings(data: Any, where: str) -> Readings:
    if not isinstance(data, Mapping):
        raise PolicyError("must be a table", where, "policy format")
    values: dict[str, Any] = {}
    for name, spec in READING_SPECS.items():
        here = f"{where}/{name}"
        if name not in data:
            raise PolicyError(
                f"reading {name!r} ({spec.section}) must be stated; documented default: "
                f"{spec.default!r}",
                here,
                "policy readings are never implicit",
            )
        entry = data[name]
        if not isinstance(entry, Mapping) or "value" not in entry:
            raise PolicyError("must be a table with 'value' and 'section'", here, "policy format")
        _known(entry, "reading", here)
        value = entry["value"]
        if value not in spec.options or type(value) is not type(spec.default):
            raise PolicyError(
                f"must be one of {list(spec.options)!r}", f"{here}/value", spec.section
            )
        if entry.get("section") != spec.section:
            raise PolicyError(
                f"section must be {spec.section!r} (the text this reading reads)",
                f"{here}/section",
                "policy format",
            )
        values[name] = value
    unknown = set(data) - set(READING_SPECS)
    if unknown:
        raise PolicyError(f"unknown reading {sorted(unknown)[0]!r}", where, "policy format")
    return Readings(**values)


def _round(data: Any, where: str, seen: set[str]) -> RoundSpec:
    if not isinstance(data, Mapping):
        raise PolicyError("round must be a table", where, "policy format")
    _known(data, "round", where)
    rid = _get(data, "id", str, where)
    if not rid or "/" in rid or rid in seen:
        raise PolicyError("round id must be non-empty, unique, without '/'", f"{where}/id")
    seen.add(rid)
    try:
        kind = RoundKind(_get(data, "kind", str, where))
    except ValueError as exc:
        raise PolicyError(
            f"kind must be one of {[k.value for k in RoundKind]}", f"{where}/kind"
        ) from exc
    try:
        mechanism = Mechanism(_get(data, "mechanism", str, where))
    except ValueError as exc:
        raise PolicyError(
            "mechanism must be 'deferred-acceptance' or 'preference-first'", f"{where}/mechanism"
        ) from exc
    max_choices = _get(data, "max_choices", int, where)
    if max_choices < 1:
        raise PolicyError("max_choices must be at least 1", f"{where}/max_choices")
    kinds_raw = data.get("school_kinds", ["public"])
    try:
        kinds = tuple(SchoolKind(k) for k in kinds_raw)
    except (ValueError, TypeError) as exc:
        raise PolicyError("unknown school kind", f"{where}/school_kinds") from exc
    prio = data.get("priority_classes", True)
    if type(prio) is not bool:
        raise PolicyError("must be true or false", f"{where}/priority_classes")
    return RoundSpec(
        id=rid,
        kind=kind,
        mechanism=mechanism,
        max_choices=max_choices,
        section=_get(data, "section", str, where),
        title=_get(data, "title", str, where),
        school_kinds=kinds,
        priority_classes=prio,
    )


def _timetable(data: Any, year: int) -> tuple[TimetableWindow, ...]:
    if not isinstance(data, list):
        raise PolicyError("must be an array of tables", "/timetable", "policy format")
    windows: list[TimetableWindow] = []
    for i, entry in enumerate(data):
        where = f"/timetable/{i}"
        if not isinstance(entry, Mapping):
            raise PolicyError("must be a table", where, "policy format")
        _known(entry, "window", where)
        kind = _get(entry, "kind", str, where)
        stage, _, listed = kind.partition(".")
        if stage not in {s.value for s in Stage} or listed not in CHOICE_LISTS:
            raise PolicyError(
                f"kind must be <stage>.<list> with a list of {list(CHOICE_LISTS)}",
                f"{where}/kind",
            )
        if kind in {w.kind for w in windows}:
            raise PolicyError(f"{kind} is listed twice", f"{where}/kind")
        first, last = _date(entry, "first_day", where), _date(entry, "last_day", where)
        if last < first or year_of(first) != year or year_of(last) != year:
            raise PolicyError(f"the days must lie in {year}, first before last", where)
        reading = entry.get("reading")
        if reading is not None and not isinstance(reading, str):
            raise PolicyError("must be str", f"{where}/reading", "policy format")
        windows.append(
            TimetableWindow(
                kind=kind,
                first_day=first,
                last_day=last,
                section=_get(entry, "section", str, where),
                source=_get(entry, "source", str, where),
                reading=reading,
            )
        )
    return tuple(windows)


def policy_from_mapping(data: Mapping[str, Any]) -> Policy:
    """Build a Policy from parsed policy-file data. Raises PolicyError with a JSON pointer."""
    if not isinstance(data, Mapping):
        raise PolicyError("policy must be a table", "", "policy format")
    if data.get("format") != POLICY_FORMAT:
        raise PolicyError(f"format must be {POLICY_FORMAT!r}", "/format", "policy format")
    _known(data, "", "")
    dates = _get(data, "dates", Mapping, "")
    reuse = _get(data, "address_reuse", Mapping, "")
    classes = _get(data, "priority", Mapping, "")
    for kind, table in (("/dates", dates), ("/address_reuse", reuse), ("/priority", classes)):
        _known(table, kind, kind)
    preferential = classes.get("preferential_categories", list(PREFERENTIAL_CATEGORIES))
    if not isinstance(preferential, list) or not all(
        type(c) is str and c in CATEGORIES for c in preferential
    ):
        raise PolicyError("unknown category", "/priority/preferential_categories")
    priority = PriorityClasses(
        disabled=_get(classes, "disabled", int, "/priority"),
        preferential=_get(classes, "preferential", int, "/priority"),
        others=_get(classes, "others", int, "/priority"),
        preferential_categories=tuple(preferential),
    )
    stages = _get(data, "stages", Mapping, "")
    rounds: dict[Stage, tuple[RoundSpec, ...]] = {}
    for name, stage_data in stages.items():
        try:
            stage = Stage(name)
        except ValueError as exc:
            raise PolicyError(
                "stage must be 'primary' or 'junior'", f"/stages/{pointer_token(name)}"
            ) from exc
        if not isinstance(stage_data, Mapping):
            raise PolicyError("must be a table", f"/stages/{name}", "policy format")
        _known(stage_data, "stage", f"/stages/{name}")
        plan = _get(stage_data, "rounds", list, f"/stages/{name}")
        seen: set[str] = set()
        rounds[stage] = tuple(
            _round(r, f"/stages/{name}/rounds/{i}", seen) for i, r in enumerate(plan)
        )
    year = _get(data, "year", int, "")
    district = _get(data, "district", str, "")
    if not district or not district.isascii() or "/" in district:
        raise PolicyError("district must be ASCII text without '/'", "/district")
    return Policy(
        district=district,
        year=year,
        title=_get(data, "title", str, ""),
        source=_get(data, "source", str, ""),
        birth_cutoff=_date(dates, "birth_cutoff", "/dates"),
        property_cutoff=_date(dates, "property_cutoff", "/dates"),
        residence_reference=_date(dates, "residence_reference", "/dates"),
        residence_years=_get(dates, "residence_years", int, "/dates"),
        employment_years=_get(dates, "employment_years", int, "/dates"),
        reuse_years=MappingProxyType(
            {
                Stage.PRIMARY: _get(reuse, "primary_years", int, "/address_reuse"),
                Stage.JUNIOR: _get(reuse, "junior_years", int, "/address_reuse"),
            }
        ),
        family_planning_exemption=_get(reuse, "family_planning_exemption", bool, "/address_reuse"),
        priority=priority,
        readings=_readings(data.get("readings"), "/readings"),
        rounds=MappingProxyType(rounds),
        timetable=_timetable(data.get("timetable", []), year),
    )


def policy_from_text(text: str) -> Policy:
    """Parse a TOML policy file's text. Raises PolicyError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"not valid TOML: {exc}", "", "policy format") from exc
    return policy_from_mapping(data)


def shipped_policy_text(name: str = "chaoyang-2024") -> str:
    """The text of a policy file shipped in ``allocation/policies``. Raises PolicyError."""
    if not name.replace("-", "").isalnum():
        raise PolicyError(f"no shipped policy named {name!r}")
    resource = resources.files("allocation.policies").joinpath(f"{name}.toml")
    if not resource.is_file():
        raise PolicyError(f"no shipped policy named {name!r}")
    return resource.read_text(encoding="utf-8")


def shipped_policy(name: str = "chaoyang-2024") -> Policy:
    """The shipped policy ``name`` (default: Chaoyang 2024). Raises PolicyError."""
    return policy_from_text(shipped_policy_text(name))
