"""Path and query parameters bounded at the edge, from the columns they are looked up in.

An integer beyond a column's range or a string longer than its column would otherwise
reach the database and come back as a 500 (PostgreSQL refuses them; SQLite does not).
"""

from typing import Annotated

from fastapi import Path, Query

from paiwei.db.limits import INT32_MAX, column_length
from paiwei.intake.models import Applicant

DbId = Annotated[int, Path(ge=1, le=INT32_MAX, description="a database id")]
RoundPk = Annotated[int, Path(ge=1, le=INT32_MAX, description="the round's database id")]
WindowId = Annotated[int, Path(ge=1, le=INT32_MAX)]
Year = Annotated[int, Path(ge=2000, le=2100)]
YearQuery = Annotated[int, Query(ge=2000, le=2100)]
Pseudonym = Annotated[str, Path(min_length=1, max_length=column_length(Applicant.pseudonym))]
Limit = Annotated[int, Query(ge=1, le=1000, description="at most this many items")]
After = Annotated[int, Query(ge=0, le=INT32_MAX, description="items after this sequence number")]
DistrictName = Annotated[str, Query(min_length=1, max_length=32,
                                    description="district code (110105) or policy name (chaoyang)")]
