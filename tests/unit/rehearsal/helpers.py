"""Small scenario files for the rehearsal tests (the golden cases' district)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cases.make_cases import child, primary_district


def scenario(applicants: int = 6, seats: int = 2) -> dict[str, Any]:
    data = primary_district({"P1": seats})
    data["applicants"] = [child(f"c{i:03d}") for i in range(applicants)]
    return data


def write_scenario(
    tmp_path: Path, applicants: int = 6, seats: int = 2, *, data: dict[str, Any] | None = None
) -> Path:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(data or scenario(applicants, seats), ensure_ascii=False))
    return path
