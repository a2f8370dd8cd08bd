"""Small builders shared by the allocation tests."""

from __future__ import annotations

import copy
from typing import Any

from tests.cases.make_cases import child, junior_district, primary_district, pupil, renter

__all__ = ["child", "district", "junior", "pupil", "renter"]


def district(
    applicants: list[dict[str, Any]], seats: dict[str, int] | None = None
) -> dict[str, Any]:
    d = copy.deepcopy(primary_district(seats))
    d["applicants"] = applicants
    return d


def junior(applicants: list[dict[str, Any]]) -> dict[str, Any]:
    d = copy.deepcopy(junior_district())
    d["applicants"] = applicants
    return d
