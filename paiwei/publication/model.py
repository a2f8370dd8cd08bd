"""What a publication is made of: the season, one round's publication, and the errors.

Plain frozen values: the DB-backed lifecycle builds them from its tables, the demo
from an in-memory :class:`allocation.AllocationResult` (:mod:`.records`); the writer
(:mod:`.writer`) only ever sees these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seeding import frame, tagged_hash

PUBLICATION_FORMAT = "paiwei-publication/1"
RESULT_FORMAT = "paiwei-result/1"
SCHOOLS_FORMAT = "paiwei-schools/1"
KEYS_FORMAT = "paiwei-keys/1"
ROUND_FORMAT = "paiwei-round/1"
RESULT_KEY_TAG = "paiwei/v1/result-key"
RESULT_KEY_SCHEME = (
    f'hex(TH("{RESULT_KEY_TAG}", F(season id) ‖ F(salt) ‖ F(applicant id))), '
    "TH and F as in the draw protocol (docs/draw-spec.md), salt the bytes of result_key.salt"
)

_ROUND_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")

# The keys of a result file and of each of its round entries: the whole public schema.
RESULT_KEYS = frozenset(
    {
        "format",
        "season",
        "applicant",
        "status",
        "school",
        "decided_by",
        "final",
        "rounds",
        "explanation",
        "how_to_verify",
    }
)
ENTRY_KEYS = frozenset(
    {
        "round",
        "title",
        "section",
        "draw_id",
        "mechanism",
        "ticket",
        "ticket_rank",
        "participants",
        "placed",
        "school",
        "choice",
        "step",
        "mode",
        "position",
        "competitors",
        "seats",
        "cutoff_ticket",
        "attempts",
        "text",
        "verify",
    }
)
ATTEMPT_KEYS = frozenset(
    {
        "school",
        "school_name",
        "choice",
        "step",
        "admitted",
        "mode",
        "priority",
        "position",
        "competitors",
        "seats",
        "cutoff",
    }
)
OUTCOME_KEYS = frozenset({"status", "school", "decided_by", "explanation"})
STATUSES = ("placed", "unplaced", "ineligible", "pending")


class PublicationError(Exception):
    """A publication the writer refuses. ``code`` is stable; ``message`` says why."""

    code = "publication"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PublicationConflict(PublicationError):
    """The folder already holds something different: published rounds are immutable (409)."""

    code = "immutable"


class PublicationOrderError(PublicationError):
    """A round published before the rounds that precede it in the season's plan."""

    code = "out-of-order"


@dataclass(frozen=True, slots=True)
class Season:
    """One district, year and stage; ``rounds`` the rounds whose publication completes it."""

    district: str
    year: int
    stage: str
    rounds: tuple[str, ...]
    salt: bytes  # public, per season: see result_key
    title: str = ""

    def __post_init__(self) -> None:
        for r in self.rounds:
            if not _ROUND_ID.match(r):
                raise PublicationError(f"round id {r!r} is not a safe folder name")
        if len(set(self.rounds)) != len(self.rounds):
            raise PublicationError("a round appears twice in the season")
        if len(self.salt) < 16:
            raise PublicationError("the result-key salt must be at least 16 bytes")

    @property
    def id(self) -> str:
        return f"{self.district}/{self.year}/{self.stage}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "district": self.district,
            "year": self.year,
            "stage": self.stage,
            "title": self.title,
            "rounds": list(self.rounds),
            "result_key": {"scheme": RESULT_KEY_SCHEME, "salt": self.salt.hex()},
        }


@dataclass(frozen=True, slots=True)
class RoundPublication:
    """One round as published.

    ``bundle`` is the signed draw bundle; ``schools`` one summary per school (see
    docs/publication.md); ``entries`` the round entry of every applicant who took part
    (without ``verify``, which the writer adds); ``outcomes`` every applicant of the
    season with their status once this round is published (keys OUTCOME_KEYS);
    ``freeze_statement`` the district's signed freeze statement, when there is one.
    """

    round: str
    title: str
    section: str
    draw_id: str
    mechanism: str
    bundle: Mapping[str, Any]
    schools: Sequence[Mapping[str, Any]]
    entries: Mapping[str, Mapping[str, Any]]
    outcomes: Mapping[str, Mapping[str, Any]]
    freeze_statement: Mapping[str, Any] | None = None
    """The signed freeze statement (with the audit log's head), published beside the bundle."""
    beacon_record: Mapping[str, Any] | None = None
    """The drand record (``drand-record/1``) of the beacon round the freeze statement named,
    published beside the bundle as ``beacon.json`` (its SHA-256 in ``round.json``)."""


def result_key(season_id: str, salt: bytes, applicant_id: str) -> str:
    """The file name (without ``.json``) of an applicant's result: see RESULT_KEY_SCHEME.

    Whoever knows the opaque id finds the file; the folder listing alone does not give
    the ids back (short of guessing ids and hashing each guess, which the salt at least
    confines to one season). Raises seeding's ProtocolValueError for non-NFC text.
    """
    return tagged_hash(RESULT_KEY_TAG, frame(season_id) + frame(salt) + frame(applicant_id)).hex()


def result_path(season_id: str, salt: bytes, applicant_id: str) -> str:
    """``results/<h[:2]>/<h>.json``, relative to the publication folder."""
    h = result_key(season_id, salt, applicant_id)
    return f"results/{h[:2]}/{h}.json"
