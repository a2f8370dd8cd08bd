"""The result document (``paiwei-result/1``): one applicant's result over a season.

One builder, :func:`result_document`, makes it for both places that show it: the
publication folder's result file (:mod:`.writer`) and the parent's ``GET
/api/results/me`` (and the staff's ``GET /api/results/{applicant}``), which serve the
same bytes (:func:`paiwei.publication.dump`). Schema and meaning of every field:
docs/publication.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

from typing_extensions import TypedDict

from paiwei.publication.model import (
    ENTRY_KEYS,
    OUTCOME_KEYS,
    RESULT_FORMAT,
    RESULT_KEYS,
    PublicationError,
)

HOW_TO_VERIFY = (
    "1. 下载本轮派位数据包（bundle）和公钥（keys.json），核对数据包的 SHA-256 与公布值一致；"
    "2. 运行下面的核验命令，它会重新计算输入根、随机种子、每个人的派位号和全部录取结果，"
    "并核对区教委和公证人员的签名；"
    '3. 也可以只核对自己的派位号：派位号 = TH("paiwei/v1/ticket", 种子 ‖ F(编号))，'
    "计算方法见 docs/publication.md。"
)
VERIFY_MODULE = "python -m lottery.verify"


class VerifyRef(TypedDict):
    """Where a round's bundle is in the folder, its SHA-256, the keys file and the command."""

    bundle: str
    sha256: str
    keys: str
    command: str


class SchoolRef(TypedDict):
    id: str
    name: str


class Cutoff(TypedDict):
    priority: int
    ticket: str


class Attempt(TypedDict):
    school: str
    school_name: str
    choice: int
    step: int | None
    admitted: bool
    mode: str
    priority: int
    position: int
    competitors: int
    seats: int
    cutoff: Cutoff | None


class RoundEntry(TypedDict):
    """The applicant in one round's draw (keys ENTRY_KEYS)."""

    round: str
    title: str
    section: str
    draw_id: str
    mechanism: str
    ticket: str
    ticket_rank: int
    participants: int
    placed: bool
    school: SchoolRef | None
    choice: int | None
    step: int | None
    mode: str | None
    position: int | None
    competitors: int | None
    seats: int | None
    cutoff_ticket: str | None
    attempts: list[Attempt]
    text: str
    verify: VerifyRef


class ResultDocument(TypedDict):
    """One applicant's result (keys RESULT_KEYS)."""

    format: Literal["paiwei-result/1"]
    season: str
    applicant: str
    status: Literal["placed", "unplaced", "ineligible", "pending"]
    school: SchoolRef | None
    decided_by: str | None
    explanation: str
    final: bool
    rounds: list[RoundEntry]
    how_to_verify: str


def verify_command(bundle_path: str, keys: Mapping[str, str]) -> str:
    """The exact command that verifies a published bundle against the published keys."""
    flags = "".join(f" --key {name}={key}" for name, key in sorted(keys.items()))
    return f"{VERIFY_MODULE} {bundle_path}{flags}"


def verify_ref(round_id: str, bundle_sha256: str, keys: Mapping[str, str]) -> VerifyRef:
    """How to verify round ``round_id``'s published bundle (its canonical bytes' SHA-256)."""
    path = f"rounds/{round_id}/bundle.json"
    return {"bundle": path, "sha256": bundle_sha256, "keys": "keys.json",
            "command": verify_command(path, keys)}


def round_entry(entry: Mapping[str, Any], verify: VerifyRef) -> RoundEntry:
    """A round's entry of the applicant (``RoundPublication.entries``) with how to verify it.
    Raises PublicationError when its keys are not the schema's."""
    doc: dict[str, Any] = {**entry, "verify": dict(verify)}
    if set(doc) != ENTRY_KEYS:
        raise PublicationError(f"entry keys {sorted(doc)} differ from the schema")
    return cast("RoundEntry", doc)  # its keys are the schema's (checked above)


def result_document(*, season: str, applicant: str, outcome: Mapping[str, Any],
                    rounds: Sequence[RoundEntry], final: bool) -> ResultDocument:
    """The result document: ``outcome`` (status, school, decided_by, explanation) after the
    latest published round, the applicant's entry in every published round it drew in (in
    season order), and whether every round of the season is published. Raises
    PublicationError when a part does not fit the schema."""
    if set(outcome) != OUTCOME_KEYS:
        raise PublicationError(f"outcome keys {sorted(outcome)} differ from the schema")
    doc: dict[str, Any] = {
        "format": RESULT_FORMAT,
        "season": season,
        "applicant": applicant,
        **outcome,
        "final": final,
        "rounds": list(rounds),
        "how_to_verify": HOW_TO_VERIFY,
    }
    if set(doc) != RESULT_KEYS:  # pragma: no cover  the schema is model.py's own constant
        raise PublicationError(f"result keys {sorted(doc)} differ from the schema")
    return cast("ResultDocument", doc)  # its keys are the schema's (checked above)
