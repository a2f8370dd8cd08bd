"""Running a draw: inputs and contributions in, an unsigned protocol-v1 bundle out."""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from lottery._canonical import CanonicalError, check_domain, encoder
from lottery._engine import place_ranked, rank_tickets
from lottery._errors import InvalidBundle
from lottery._inputs import (
    bind_inputs,
    bulk_leaf_hashes,
    input_root,
    leaf_hashes,
    records_root,
)
from lottery._mechanisms import Mechanism, Placement
from lottery._merkle import merkle_root
from lottery._results import assignment_records, school_results
from lottery._table import (
    APPLICANT_KEYS,
    DrawTable,
    applicant_table,
    check_table,
    school_columns,
)
from lottery._tickets import tickets as compute_tickets
from seeding import Contribution, ProtocolValueError, derive_seed, ordered, text_bytes

FORMAT = "paiwei-draw/1"
REHEARSAL_PREFIX = "rehearsal/"
APPLICANT_PREFIX = b'{"choices":['  # an applicant record's JCS opening: its first key


@dataclass(frozen=True, slots=True)
class FrozenInputs:
    """A draw's validated inputs and their root: what is published at the freeze."""

    draw_id: str
    schools: Sequence[Mapping[str, Any]]
    applicants: Sequence[Mapping[str, Any]]
    table: DrawTable
    root: bytes


@dataclass(frozen=True, slots=True)
class DrawOutcome:
    bundle: dict[str, Any]
    table: DrawTable
    tickets: Sequence[bytes]
    placement: Placement
    # Each applicant's position in the lottery order (lottery.rank_tickets of the tickets),
    # as the placement used it: for callers that need the order too (the allocation
    # engine's explanations) without sorting the tickets again.
    ticket_ranks: Sequence[int] | None = None


def freeze(
    draw_id: str,
    schools: Sequence[Mapping[str, Any]],
    applicants: Sequence[Mapping[str, Any]],
    *,
    accelerate: bool = True,
) -> FrozenInputs:
    """Validate the records, order applicants by id, and compute the input root.

    Raises InvalidBundle naming the first bad record.
    """
    _check_draw_id(draw_id)
    for records, where in ((schools, "/schools"), (applicants, "/applicants")):
        if not isinstance(records, list | tuple):
            raise InvalidBundle("must be a list", where)
    school_list = list(schools)
    ids, caps = school_columns(school_list)
    # Records that are not objects sort first; applicant_table then names them.
    applicant_list = sorted(
        applicants, key=lambda a: str(a.get("id", "")) if isinstance(a, dict) else ""
    )
    table = applicant_table(ids, caps, applicant_list)
    root = input_root(draw_id, school_list, applicant_list, accelerate=accelerate)
    return FrozenInputs(draw_id, school_list, applicant_list, table, root)


def freeze_table(
    draw_id: str,
    schools: Sequence[Mapping[str, Any]],
    applicants: Sequence[Mapping[str, Any]],
    table: DrawTable,
    *,
    accelerate: bool = True,
) -> FrozenInputs:
    """:func:`freeze` for a builder that made the records and their columns together.

    ``table`` must be exactly what :func:`freeze` builds from the records (applicants
    in id order; ``tests/unit/lottery/test_freeze_table.py`` and the allocation tests
    compare the two); the records are not walked to build it again. The columns are
    checked in bulk (:func:`lottery._table.check_table`: ids ordered and distinct, text,
    indices and integers in range, no repeated choice); the records are encoded once,
    for the input root. Raises InvalidBundle.
    """
    _check_draw_id(draw_id)
    if len(schools) != len(table.school_ids) or len(applicants) != table.size:
        raise InvalidBundle("one record per row of the table")
    check_table(table, accelerate=accelerate)
    encode = encoder(accelerate=accelerate)
    # The applicant records encoded as one list and split per record (their first key
    # is "choices", a list); the same leaves as one encoding per record, which is the
    # fallback when the split does not give one piece per record.
    # Only records with exactly the protocol's keys (no extra key whose value could hold
    # an object opening with "choices"); their values are what the table describes.
    leaves = None
    if _plain_records(applicants):
        leaves = bulk_leaf_hashes(applicants, encode, APPLICANT_PREFIX)
    if leaves is None:
        leaves = leaf_hashes(applicants, encode)
    root = bind_inputs(
        draw_id,
        records_root(schools, table.school_ids, encode),
        # check_table found the ids strictly ascending: the leaves are in the root's order.
        merkle_root(leaves),
    )
    return FrozenInputs(draw_id, list(schools), list(applicants), table, root)


def _plain_records(records: Sequence[Any]) -> bool:
    """Whether every record is a dict with exactly the keys id, choices and priority."""
    try:
        return all(map(operator.eq, map(dict.keys, records), repeat(APPLICANT_KEYS)))
    except TypeError:  # a record that is not a dict
        return False


def _check_draw_id(draw_id: str) -> None:
    if type(draw_id) is not str or not draw_id:
        raise InvalidBundle("draw id must be non-empty text", "/draw_id")
    try:
        text_bytes(draw_id)
    except ProtocolValueError as exc:
        raise InvalidBundle(str(exc), "/draw_id") from exc


def run_draw(
    inputs: FrozenInputs,
    contributions: Sequence[Contribution],
    *,
    mechanism: Mechanism = Mechanism.DEFERRED_ACCEPTANCE,
    extra: Mapping[str, Any] | None = None,
    accelerate: bool = True,
) -> DrawOutcome:
    """Derive the seed, compute tickets and the placement, and assemble the unsigned bundle.

    ``extra`` adds keys to the bundle (covered by signatures); they must lie in the
    canonical JSON domain. Raises CeremonyError or InvalidBundle.
    """
    seed = derive_seed(inputs.draw_id, inputs.root, contributions)
    tickets = compute_tickets(seed, inputs.table.applicant_ids)
    ranks = rank_tickets(tickets, inputs.table.applicant_ids, accelerate=accelerate)
    placement = place_ranked(mechanism, inputs.table, ranks, accelerate=accelerate)
    bundle: dict[str, Any] = {
        "format": FORMAT,
        "draw_id": inputs.draw_id,
        "mechanism": mechanism.value,
        "ceremony": {
            "input_root": inputs.root.hex(),
            "contributions": [c.to_json() for c in ordered(contributions)],
            "seed": seed.hex(),
        },
        "schools": list(inputs.schools),
        "applicants": list(inputs.applicants),
        "assignments": assignment_records(inputs.table, placement, tickets),
        "school_results": school_results(inputs.table, placement, tickets, accelerate=accelerate),
        "signatures": [],
    }
    for key, value in (extra or {}).items():
        if key in bundle:
            raise InvalidBundle(f"extra key {key!r} would replace a protocol key")
        try:
            check_domain(value, f"/{key}")
        except CanonicalError as exc:
            raise InvalidBundle(str(exc)) from exc
        bundle[key] = value
    return DrawOutcome(bundle, inputs.table, tickets, placement, ranks)
