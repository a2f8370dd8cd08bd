"""Draw protocol v1: canonical JSON, Merkle roots, tickets, mechanisms, bundles, signatures.

Pure and small enough to audit: the standard library and ``cryptography`` suffice;
orjson and NumPy are optional accelerators that never change an answer.
"""

from lottery._canonical import MAX_SAFE_INTEGER, CanonicalError, canonical_json, check_domain
from lottery._draw import (
    FORMAT,
    REHEARSAL_PREFIX,
    DrawOutcome,
    FrozenInputs,
    freeze,
    freeze_table,
    run_draw,
)
from lottery._engine import place, rank_tickets
from lottery._errors import InvalidBundle
from lottery._inputs import input_root
from lottery._mechanisms import Mechanism, Placement
from lottery._merkle import audit_path, merkle_root, root_from_path
from lottery._results import assignment_records, school_results
from lottery._signing import (
    bundle_digest,
    generate_key,
    load_private_key,
    private_key_pem,
    public_key_hex,
    sign_bundle,
)
from lottery._table import DrawTable, applicant_table, school_columns
from lottery._tickets import ticket_ranks, tickets
from lottery._verifier import (
    KEYS_FORMAT,
    Check,
    Report,
    Unchecked,
    VerificationError,
    key_set_fingerprint,
    parse_bundle,
    read_key_set,
    verify,
    verify_data,
)

__all__ = [
    "FORMAT",
    "KEYS_FORMAT",
    "MAX_SAFE_INTEGER",
    "REHEARSAL_PREFIX",
    "CanonicalError",
    "Check",
    "DrawOutcome",
    "DrawTable",
    "FrozenInputs",
    "InvalidBundle",
    "Mechanism",
    "Placement",
    "Report",
    "Unchecked",
    "VerificationError",
    "applicant_table",
    "assignment_records",
    "audit_path",
    "bundle_digest",
    "canonical_json",
    "check_domain",
    "freeze",
    "freeze_table",
    "generate_key",
    "input_root",
    "key_set_fingerprint",
    "load_private_key",
    "merkle_root",
    "parse_bundle",
    "place",
    "private_key_pem",
    "public_key_hex",
    "rank_tickets",
    "read_key_set",
    "root_from_path",
    "run_draw",
    "school_columns",
    "school_results",
    "sign_bundle",
    "ticket_ranks",
    "tickets",
    "verify",
    "verify_data",
]
