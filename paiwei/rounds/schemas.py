"""API schemas of the round lifecycle (separate from the tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RoundCreate(BaseModel):
    policy: str = Field("chaoyang-2024", description="a shipped policy name (allocation/policies)")
    stage: str = "primary"
    round: str | None = Field(None, description="default: the next round of the plan")
    scenario: dict[str, Any] | None = Field(
        None, description="inputs as a paiwei-scenario/1 or /2 mapping; default: built from the database")


class ScenarioIn(BaseModel):
    scenario: dict[str, Any] | None


# Signing bodies carry public keys and signatures only: private keys never leave their
# holders (paiwei sign, paiwei notary countersign). Unknown members are refused, so a
# private key sent by mistake is rejected (422), never read.
Hex64 = Field(min_length=64, max_length=64, pattern="^[0-9a-fA-F]{64}$")


class SignatureIn(BaseModel):
    """One Ed25519 signature of a bundle (docs/draw-spec.md §14), made on the signer's machine."""

    model_config = ConfigDict(extra="forbid")
    signer: str = Field(min_length=1, max_length=32)
    public_key: str = Hex64
    signature: str = Field(min_length=128, max_length=128, pattern="^[0-9a-fA-F]{128}$")


class CountersignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signature: SignatureIn | None = Field(None, description="the notary's signature of the signed bundle")
    bundle: dict[str, Any] | None = Field(None, description="a bundle countersigned elsewhere")


class FreezeIn(BaseModel):
    """The freeze statement from ``GET /rounds/{id}/freeze-draft``, signed by the district."""

    model_config = ConfigDict(extra="forbid")
    statement: dict[str, Any] | None = Field(
        None, description="the signed freeze statement; none only when nobody is left to place")


class BeaconIn(BaseModel):
    """A published drand record (``drand-record/1``: chain information and one beacon)."""

    model_config = ConfigDict(extra="forbid")
    record: dict[str, Any]


class SeasonKeysIn(BaseModel):
    """The season's public keys (district, notary), pinned before its first freeze."""

    model_config = ConfigDict(extra="forbid")
    keys: dict[str, str]


class KeyChangeIn(BaseModel):
    """A ``paiwei-key-change/1`` statement signed by the key it replaces."""

    model_config = ConfigDict(extra="forbid")
    statement: dict[str, Any]


class CommitmentIn(BaseModel):
    contributor: str = Field(min_length=1, max_length=64)
    commitment: str = Field(min_length=64, max_length=64)


class RevealIn(BaseModel):
    contributor: str = Field(min_length=1, max_length=64)
    nonce: str
    value: str


class ContributionIn(BaseModel):
    """An after-freeze contribution: ``value`` as hex, or the notary's live draw as ``balls``
    (numbers in the order drawn, encoded as docs/draw-spec.md §8.1). One of the two."""

    contributor: str = Field(min_length=1, max_length=64)
    value: str | None = None
    balls: list[int] | None = Field(None, min_length=1, max_length=42)

    @model_validator(mode="after")
    def _one_of(self) -> ContributionIn:
        if (self.value is None) == (self.balls is None):
            raise ValueError("give value (hex) or balls (the live draw's numbers), one of them")
        if self.balls is not None:
            from seeding import balls_value  # noqa: PLC0415

            self.value = balls_value(self.balls).hex()  # ValueError (422) on a ball outside 0-999
        return self


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
    beacon_record: dict[str, Any] | None = Field(
        None, description="the drand record of the beacon round the freeze statement named (drand-record/1)")


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
