"""The publication folder (公示): what results day serves as static files.

Per round the signed bundle, its public keys and the schools' report; per applicant
one result file named by a salted tagged hash of the opaque id, so any web server
or CDN can serve it and a parent's phone fetches one small file. Layout, schemas
and the hash scheme: docs/publication.md. No database: the DB-backed lifecycle
builds the same :class:`RoundPublication` values and calls :func:`publish_round`.
"""

from paiwei.publication._files import deferred_sync
from paiwei.publication.model import (
    ATTEMPT_KEYS,
    ENTRY_KEYS,
    OUTCOME_KEYS,
    PUBLICATION_FORMAT,
    RESULT_FORMAT,
    RESULT_KEY_SCHEME,
    RESULT_KEY_TAG,
    RESULT_KEYS,
    STATUSES,
    PublicationConflict,
    PublicationError,
    PublicationOrderError,
    RoundPublication,
    Season,
    result_key,
    result_path,
)
from paiwei.publication.records import round_publications, season_of
from paiwei.publication.result import (
    HOW_TO_VERIFY,
    ResultDocument,
    RoundEntry,
    VerifyRef,
    result_document,
    round_entry,
    verify_command,
    verify_ref,
)
from paiwei.publication.writer import (
    dump,
    publish_empty_round,
    publish_proofs,
    publish_round,
    publish_season,
    read_index,
    read_result,
)

__all__ = [
    "ATTEMPT_KEYS",
    "ENTRY_KEYS",
    "HOW_TO_VERIFY",
    "OUTCOME_KEYS",
    "PUBLICATION_FORMAT",
    "RESULT_FORMAT",
    "RESULT_KEYS",
    "RESULT_KEY_SCHEME",
    "RESULT_KEY_TAG",
    "STATUSES",
    "PublicationConflict",
    "PublicationError",
    "PublicationOrderError",
    "ResultDocument",
    "RoundEntry",
    "RoundPublication",
    "Season",
    "VerifyRef",
    "deferred_sync",
    "dump",
    "publish_empty_round",
    "publish_proofs",
    "publish_round",
    "publish_season",
    "read_index",
    "read_result",
    "result_document",
    "result_key",
    "result_path",
    "round_entry",
    "round_publications",
    "season_of",
    "verify_command",
    "verify_ref",
]
