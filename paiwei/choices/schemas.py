"""API schemas for choices (pydantic). Types only; the rules live in the service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from paiwei.windows.schemas import WindowRead

SchoolId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class ChoicesCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schools: list[SchoolId] = Field(max_length=50, description="学校代码，志愿顺序由高到低")


class ChoiceSetRead(BaseModel):
    kind: str
    stage: str
    year: int
    zone: str | None
    schools: list[str]
    version: int
    submitted_at: datetime
    updated_at: datetime
    locked: bool
    receipt_sha256: str | None


class ChoiceListOptions(BaseModel):
    kind: str
    window: WindowRead | None
    allowed_schools: list[str]
    max_choices: int
    current: ChoiceSetRead | None


class ChoiceOptionsRead(BaseModel):
    pseudonym: str
    stage: str
    year: int
    eligible: bool
    zone: str | None
    lists: list[ChoiceListOptions]


class ReceiptRead(BaseModel):
    """回执: the locked record, its canonical JSON and the SHA-256 of those bytes."""

    record: dict[str, Any]
    canonical_json: str
    sha256: str


class SchoolCount(BaseModel):
    school: str
    name: str
    kind: str
    zone: str | None
    seats: int
    listed: int
    first_choice: int
    oversubscribed: bool


class ZoneCount(BaseModel):
    zone: str
    seats: int
    applicants: int


class CountsRead(BaseModel):
    district: str
    year: int
    kind: str
    window_open: bool
    applicants: int
    schools: list[SchoolCount]
    zones: list[ZoneCount]
