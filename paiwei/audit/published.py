"""Audit heads published in signed freeze statements, read back from a publication folder.

Each freeze statement carries the audit chain's head at the freeze, signed with the
district key. ``paiwei audit verify --against FOLDER`` checks that the database's log still
holds every published head, so history before any of them cannot be rewritten unseen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from paiwei.audit.service import AuditChainError


@dataclass(frozen=True, slots=True)
class PublishedHead:
    source: str
    seq: int
    hash: str


def published_heads(folder: Path) -> list[PublishedHead]:
    """Every audit head in the folder's freeze statements, each statement's signature
    checked against the district key the folder publishes. Raises ``AuditChainError``
    naming the file for a statement that is unreadable, unsigned or signed by another key."""
    from paiwei.rounds.errors import RoundError  # noqa: PLC0415 - the round domain's check
    from paiwei.rounds.service import check_freeze_statement  # noqa: PLC0415

    try:
        keys = json.loads((folder / "keys.json").read_text(encoding="utf-8"))["keys"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AuditChainError(f"{folder}: no readable keys.json ({exc})") from None
    district = keys.get("district")
    heads = []
    for path in sorted(folder.glob("rounds/*/freeze-statement.json")):
        name = path.relative_to(folder).as_posix()
        try:
            statement = json.loads(path.read_text(encoding="utf-8"))
            check_freeze_statement(statement)
            signer = statement["signature"]["public_key"]
            head = statement["audit_head"]
            seq, digest = int(head["seq"]), str(head["hash"])
        except RoundError as exc:
            raise AuditChainError(f"{name}: {exc.detail or exc.title}") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AuditChainError(f"{name}: unreadable or without an audit head ({exc!r})") from None
        if signer != district:
            raise AuditChainError(f"{name}: not signed by the folder's district key")
        heads.append(PublishedHead(name, seq, digest))
    return heads
