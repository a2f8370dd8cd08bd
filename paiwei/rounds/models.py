"""Round tables: the district's plan, each policy round's lifecycle, its ceremony and results.

Nothing personal is stored here: applicants appear by their opaque pseudonym only.
Private keys are never stored; only the public keys that signed are recorded.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from paiwei.db.base import Base


class State(StrEnum):
    CREATED = "created"  # inputs may change; commitments may be recorded
    FROZEN = "frozen"  # input root signed and published; reveals and live contributions
    READY = "ready"  # ceremony closed, seed derived; the draw may run
    DRAWN = "drawn"  # result stored (one transaction); awaiting signatures
    SIGNED = "signed"  # signed by the district; awaiting the notary's countersignature
    # countersigned and verified (committed); the publication folder is being written:
    # a crash leaves this state, and publishing again finishes the folder
    PUBLISHING = "publishing"
    PUBLISHED = "published"  # countersigned, verified, published: immutable
    EMPTY = "empty"  # nobody to place in this round: no draw, nothing to publish


class Plan(Base):
    """A district's schools, zones and seats for one year (scenario-format records)."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("district", "year", name="uq_plans_district_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district: Mapped[str] = mapped_column(String(32))
    year: Mapped[int]
    schools: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    zones: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    addresses: Mapped[dict[str, str] | None] = mapped_column(JSON)  # school id -> address (for parents)
    source: Mapped[str] = mapped_column(String(200))
    source_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime]


class Round(Base):
    """One policy round (allocation's RoundSpec) of a district, year and stage."""

    __tablename__ = "rounds"
    __table_args__ = (
        UniqueConstraint("district", "year", "stage", "round", name="uq_rounds_district_year_stage_round"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district: Mapped[str] = mapped_column(String(32))
    year: Mapped[int]
    stage: Mapped[str] = mapped_column(String(8))
    round: Mapped[str] = mapped_column(String(64))
    position: Mapped[int]  # index in the policy's plan for the stage
    plan_rounds: Mapped[int | None]  # how many rounds the stage's plan has (the season's length)
    draw_id: Mapped[str] = mapped_column(String(200), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    inputs_sha256: Mapped[str | None] = mapped_column(String(64))
    input_root: Mapped[str | None] = mapped_column(String(64))
    seed: Mapped[str | None] = mapped_column(String(64))
    bundle_sha256: Mapped[str | None] = mapped_column(String(64))  # the unsigned bundle, at the run
    published_sha256: Mapped[str | None] = mapped_column(String(64))  # the published (signed) bundle
    keys: Mapped[dict[str, str] | None] = mapped_column(JSON)  # signer -> public key hex
    created_at: Mapped[datetime]
    frozen_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    drawn_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    # The large documents come last: SQLite stores a row's columns in order, and a lookup
    # reading the small columns above never walks these (megabytes) of overflow pages.
    # The exact frozen inputs: canonical JSON of {"policy": text, "scenario": mapping}
    # (SHA-256 above). Before the freeze: the inputs staged at creation.
    inputs: Mapped[str | None] = mapped_column(Text)
    freeze_statement: Mapped[str | None] = mapped_column(Text)  # signed, canonical JSON
    bundle: Mapped[str | None] = mapped_column(Text)  # canonical JSON (signed once published)
    schools_report: Mapped[str | None] = mapped_column(Text)  # canonical JSON list
    # Every applicant of the season at the freeze: in the round, or why not (canonical
    # JSON of allocation.RoundAccount): nobody is dropped without a stated rule.
    accounting: Mapped[str | None] = mapped_column(Text)
    # The drand record (drand-record/1, canonical JSON) of the beacon round the freeze
    # statement named, as checked when its randomness became a contribution; published
    # beside the bundle as rounds/<round>/beacon.json.
    beacon_record: Mapped[str | None] = mapped_column(Text)


class RoundContribution(Base):
    """A ceremony contribution: committed before the freeze (then revealed), or made after it."""

    __tablename__ = "round_contributions"
    __table_args__ = (
        UniqueConstraint("round_id", "contributor", name="uq_round_contributions_round_id_contributor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The round's primary key (``rounds.id``), not the plan's round id (``Round.round``);
    # the column keeps its name ``round_id``.
    round_pk: Mapped[int] = mapped_column("round_id", ForeignKey("rounds.id"), index=True)
    contributor: Mapped[str] = mapped_column(String(64))
    commitment: Mapped[str | None] = mapped_column(String(64))
    nonce: Mapped[str | None] = mapped_column(String(128))
    value: Mapped[str | None] = mapped_column(String(256))
    recorded_at: Mapped[datetime]
    revealed_at: Mapped[datetime | None]
    # The notary's decision on a committed contributor who never revealed: left out of
    # the seed, with the reason recorded (and in the audit log).
    waived_reason: Mapped[str | None] = mapped_column(String(500))


class RoundResult(Base):
    """One applicant's entry in a drawn round and their season outcome once it is published."""

    __tablename__ = "round_results"

    # ``rounds.id`` (column ``round_id``), not the plan's round id (``Round.round``)
    round_pk: Mapped[int] = mapped_column("round_id", ForeignKey("rounds.id"), primary_key=True)
    applicant: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    entry: Mapped[str | None] = mapped_column(Text)  # canonical JSON; None: not in this draw
    outcome: Mapped[str] = mapped_column(Text)  # canonical JSON (status, school, decided_by, ...)


class SeasonKey(Base):
    """A signer's Ed25519 public key pinned for a season (district, year, stage).

    Pinned before the first freeze; every freeze statement and bundle signature of the
    season is checked against it before anything is stored. A change is an event of its
    own: a statement signed by the key it replaces (``service.change_key``), audited.
    """

    __tablename__ = "season_keys"
    __table_args__ = (
        UniqueConstraint("district", "year", "stage", "signer",
                         name="uq_season_keys_district_year_stage_signer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district: Mapped[str] = mapped_column(String(32))
    year: Mapped[int]
    stage: Mapped[str] = mapped_column(String(8))
    signer: Mapped[str] = mapped_column(String(32))
    public_key: Mapped[str] = mapped_column(String(64))
    pinned_at: Mapped[datetime]
