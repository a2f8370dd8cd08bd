"""API schemas for choices (pydantic). Types only; the rules live in the service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

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


class RuleRead(BaseModel):
    """A rule of the policy that decided something: its code, section and text (Chinese)."""

    code: str
    section: str
    text: str


class SchoolRead(BaseModel):
    id: str
    name: str
    kind: str
    kind_label: str = Field(description="办学类型（中文）")
    address: str | None = Field(description="学校地址（招生计划中有时）")
    zone: str | None
    zone_name: str | None


class RouteRead(BaseModel):
    """入学资格与派位途径：each decision with the policy rule behind it."""

    eligible: bool
    eligibility: RuleRead
    route: str = Field(description="none | single-school | zone | district")
    route_label: str
    route_rule: RuleRead
    zone: str | None
    zone_name: str | None
    school: SchoolRead | None = Field(description="单校划片：对口学校")
    priority_rule: RuleRead
    set_aside: RuleRead | None = Field(
        default=None, description="§三（三）：家长为残疾儿童申请的入学安置未予安排的理由（残疾资格未通过相关职能部门核验）")
    routed_at: datetime


class Undecided(BaseModel):
    """A verified applicant without a routing decision, and why."""

    applicant: str
    reason: str = Field(description="no_routing_record | not_routed | route_outdated")
    text: str


class RoutingRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2000, le=2100)
    stage: Literal["primary", "junior"]


class RoutingRecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2000, le=2100)
    stage: Literal["primary", "junior"]
    record: dict[str, Any] = Field(description="the verified facts in the scenario format (no id, no choices)")


class RoutingRecordRead(BaseModel):
    applicant: str
    year: int
    stage: str
    routed: bool = Field(description="whether the applicant was routed now (verified, with windows and schools)")


class RoutingSummary(BaseModel):
    district: str
    year: int
    stage: str
    routed: int
    undecided: list[Undecided]


class ZoneRoutes(BaseModel):
    zone: str | None = Field(description="null: eligible children without a zone (区教委统筹)")
    applicants: int
    routes: dict[str, int] = Field(description="route -> children")


class IneligibleCount(BaseModel):
    rule: RuleRead
    applicants: int


class RoutesRead(BaseModel):
    district: str
    year: int
    stage: str
    routed: int
    zones: list[ZoneRoutes]
    ineligible: list[IneligibleCount]
    undecided: list[Undecided]


class ChoiceListOptions(BaseModel):
    kind: str
    window: WindowRead | None
    allowed_schools: list[str]
    schools: list[SchoolRead] = Field(description="可选学校：名称、办学类型、地址")
    max_choices: int
    current: ChoiceSetRead | None


class ChoiceOptionsRead(BaseModel):
    pseudonym: str
    stage: str
    year: int
    eligible: bool
    zone: str | None
    route: RouteRead
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
