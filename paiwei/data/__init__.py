"""Enumeration data files (districts, streets, ethnic groups, …), loaded once and cached.

The lists are data, not code: edit the JSON files to change them. Each file holds
``{"source": ..., "items": [{"code": ..., "name": ...}, ...]}``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

ENUMERATIONS = (
    "districts",
    "chaoyang_streets",
    "ethnic_groups",
    "provinces",
    "hukou_types",
    "dwelling_types",
    "education_levels",
    "relations",
    "work_natures",
    "id_types",
    "nationalities",
    "care_categories",
    "certificate_holders",
    "certificate_types",
    "work_places",
    "family_property",
    "disability_placements",
)

BEIJING_PROVINCE_CODE = "11"
CHAOYANG = "110105"


@cache
def items(name: str) -> tuple[tuple[str, str], ...]:
    """The ``(code, name)`` pairs of one enumeration, in file order."""
    if name not in ENUMERATIONS:
        raise KeyError(name)
    raw = resources.files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    return tuple((str(i["code"]), str(i["name"])) for i in json.loads(raw)["items"])


def codes(name: str) -> frozenset[str]:
    return frozenset(code for code, _ in items(name))


def label(name: str, code: str) -> str:
    return dict(items(name))[code]


@cache
def district_slug(code: str) -> str | None:
    """The pinyin name a policy file uses for a district (``110105`` -> ``chaoyang``)."""
    raw = resources.files(__package__).joinpath("districts.json").read_text(encoding="utf-8")
    slugs = {str(i["code"]): str(i["slug"]) for i in json.loads(raw)["items"]}
    return slugs.get(code)


def district_code(name: str) -> str | None:
    """The district code for a code or a policy slug (``chaoyang`` -> ``110105``), else None."""
    if name in codes("districts"):
        return name
    raw = resources.files(__package__).joinpath("districts.json").read_text(encoding="utf-8")
    return next((str(i["code"]) for i in json.loads(raw)["items"] if i["slug"] == name), None)


def streets_of(district: str) -> tuple[tuple[str, str], ...]:
    """Streets and areas of a district; data exists for Chaoyang (the policy's district)."""
    return items("chaoyang_streets") if district == CHAOYANG else ()
