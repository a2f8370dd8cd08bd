"""API schemas of the round lifecycle (separate from the tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, SecretStr


class RoundCreate(BaseModel):
    policy: str = Field("chaoyang-2024", description="a shipped policy name (allocation/policies)")
    stage: str = "primary"
    round: str | None = Field(None, description="default: the next round of the plan")
    scenario: dict[str, Any] | None = Field(
        None, description="inputs as a paiwei-scenario/1 or /2 mapping; default: built from the database")


class ScenarioIn(BaseModel):
    scenario: dict[str, Any] | None


class KeyIn(BaseModel):
    """An Ed25519 private key in PEM, used for this request only and never stored."""

    pem: SecretStr
    passphrase: SecretStr | None = None


class CountersignIn(BaseModel):
    pem: SecretStr | None = None
    passphrase: SecretStr | None = None
    bundle: dict[str, Any] | None = Field(None, description="a bundle countersigned elsewhere")


class CommitmentIn(BaseModel):
    contributor: str = Field(min_length=1, max_length=64)
    commitment: str = Field(min_length=64, max_length=64)


class RevealIn(BaseModel):
    contributor: str = Field(min_length=1, max_length=64)
    nonce: str
    value: str


class ContributionIn(BaseModel):
    contributor: str = Field(min_length=1, max_length=64)
    value: str


class WaiveIn(BaseModel):
    contributor: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class ContributionRead(BaseModel):
    contributor: str
    commitment: str | None
    value: str | None
    recorded_at: datetime
    revealed_at: datetime | None
    waived_reason: str | None


class RoundRead(BaseModel):
    id: int
    district: str
    year: int
    stage: str
    round: str
    position: int
    draw_id: str
    state: str
    inputs_sha256: str | None
    input_root: str | None
    seed: str | None
    bundle_sha256: str | None
    keys: dict[str, str] | None
    created_at: datetime
    frozen_at: datetime | None
    closed_at: datetime | None
    drawn_at: datetime | None
    published_at: datetime | None


class PlanRead(BaseModel):
    district: str
    year: int
    schools: int
    zones: int
    source: str
    source_sha256: str
    imported_at: datetime


class PlanIssueRead(BaseModel):
    row: int | None
    column: str | None
    code: str
    message: str


class StaffResultRead(BaseModel):
    applicant: str
    entry: dict[str, Any] | None
    outcome: dict[str, Any]


class NotaryPackage(BaseModel):
    """Everything needed to verify a round: freeze statement, contributions, bundle, keys."""

    round: RoundRead
    freeze_statement: dict[str, Any] | None
    contributions: list[ContributionRead]
    bundle: dict[str, Any] | None
    keys: dict[str, str] | None


class AccountEntry(BaseModel):
    """An applicant not in the round's inputs, and the rule (or earlier round) why not."""

    applicant: str
    disposition: str = Field(description="placed-earlier | ineligible | no-list | other-route")
    rule: str
    section: str
    text: str


class AccountingRead(BaseModel):
    """Nobody dropped: every applicant of the season at the round's freeze."""

    round: str
    counts: dict[str, int]
    others: list[AccountEntry]


class SchoolStatistics(BaseModel):
    """One school in one round: seats, demand, direct or drawn, the cut-off, placements."""

    round: str
    school: str
    name: str
    zone: str | None
    seats: int
    listed: int = Field(description="applicants who listed it at any rank")
    applied: int = Field(description="applicants who applied to it (reached it on their list)")
    admitted: int
    mode: str = Field(description="direct | drawn")
    cutoff_priority: int | None
    cutoff_ticket: str | None
    placed_by_choice: dict[str, int] = Field(description="choice rank (1 = first) -> placed")


class ZoneStatistics(BaseModel):
    round: str
    zone: str | None = Field(description="null: schools in no multi-school zone")
    seats: int
    applied: int
    admitted: int
    unplaced: int = Field(description="the round's applicants whose first choice is here, not placed")


class RoundStatistics(BaseModel):
    round: str
    draw_id: str
    state: str
    applicants: int
    placed: int
    unplaced: int
    placed_by_choice: dict[str, int]
    schools: list[SchoolStatistics]
    zones: list[ZoneStatistics]
