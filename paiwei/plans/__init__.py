"""District plans (学校招生计划): schools, zones and seats from a CSV or XLSX file.

:func:`read_plan` validates every row and the rows together and raises
:class:`PlanInvalid` listing all problems (row, column, stable code, Chinese message),
so nothing is imported from a file with any bad row. The validated :class:`Plan`
holds the scenario format's school and zone records. Storing it in the database
comes with the DB layer; today ``paiwei schools import`` writes it as JSON.
"""

from paiwei.plans.errors import PlanInvalid, PlanIssue
from paiwei.plans.plan import (
    COLUMNS,
    HEADERS,
    OPTIONAL,
    PLAN_FORMAT,
    REQUIRED,
    Plan,
    parse_plan,
    read_plan,
    validate_sheet,
)
from paiwei.plans.reading import FORMATS, Sheet, read_sheet

__all__ = [
    "COLUMNS",
    "FORMATS",
    "HEADERS",
    "OPTIONAL",
    "PLAN_FORMAT",
    "REQUIRED",
    "Plan",
    "PlanInvalid",
    "PlanIssue",
    "Sheet",
    "parse_plan",
    "read_plan",
    "read_sheet",
    "validate_sheet",
]
