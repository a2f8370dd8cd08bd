"""Hypothesis strategies and small builders shared by the protocol tests.

Districts are small on purpose: properties are checked exhaustively per example,
and a few school ids, applicant ids and priority levels make ties, full schools
and empty schools common.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import strategies as st

import lottery
from seeding import Contribution, commit

# Fixed keys: tests must be reproducible, and these keys sign nothing real.
DISTRICT_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
NOTARY_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(64, 96)))
TRUSTED = {
    "district": DISTRICT_KEY.public_key().public_bytes_raw(),
    "notary": NOTARY_KEY.public_key().public_bytes_raw(),
}
"""The test keys a verifier trusts (by signer name); bundles signed by the district only
also verify against ``DISTRICT`` below."""
DISTRICT = {"district": TRUSTED["district"]}

# School ids are object keys (priority maps), so ASCII; applicant ids may be any NFC text.
SCHOOL_ALPHABET = "abcdxyz0189-_"
APPLICANT_ALPHABET = "abcxyz019-_/é中文派位"

school_ids = st.text(SCHOOL_ALPHABET, min_size=1, max_size=3)
applicant_ids = st.text(APPLICANT_ALPHABET, min_size=1, max_size=4)
seeds = st.binary(min_size=32, max_size=32)
mechanisms = st.sampled_from(list(lottery.Mechanism))
draw_ids = st.sampled_from(["test/1", "2026/朝阳/小学", "rehearsal/test/1", "d"])


@st.composite
def districts(
    draw: st.DrawFn,
    *,
    min_schools: int = 1,
    max_schools: int = 5,
    min_applicants: int = 0,
    max_applicants: int = 12,
    max_choices: int = 3,
    max_capacity: int = 3,
    priority_levels: int = 3,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(schools, applicants) records of a small random district.

    Applicants list up to ``max_choices`` distinct schools and carry a priority for
    each; sometimes also for a school they did not choose (allowed, and ignored).
    """
    ids = draw(st.lists(school_ids, min_size=min_schools, max_size=max_schools, unique=True))
    schools = [{"id": s, "capacity": draw(st.integers(0, max_capacity))} for s in ids]
    people = draw(
        st.lists(applicant_ids, min_size=min_applicants, max_size=max_applicants, unique=True)
    )
    applicants = []
    for person in people:
        choices = draw(
            st.lists(st.sampled_from(ids), max_size=min(max_choices, len(ids)), unique=True)
            if ids
            else st.just([])
        )
        priority = {s: draw(st.integers(0, priority_levels - 1)) for s in choices}
        unlisted = [s for s in ids if s not in priority]
        if unlisted and draw(st.booleans()):
            priority[draw(st.sampled_from(unlisted))] = draw(st.integers(0, priority_levels - 1))
        applicants.append({"id": person, "choices": choices, "priority": priority})
    return schools, applicants


@st.composite
def contribution_sets(draw: st.DrawFn, draw_id: str) -> list[Contribution]:
    """One to three contributions with distinct contributors, some committed in advance."""
    names = draw(
        st.lists(
            st.sampled_from(["notary", "city", "parents", "公证处"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    out = []
    for name in names:
        value = draw(st.binary(min_size=1, max_size=40))
        out.append(
            commit(draw_id, name, value) if draw(st.booleans()) else Contribution(name, value)
        )
    return out


def make_bundle(
    schools: Sequence[Mapping[str, Any]],
    applicants: Sequence[Mapping[str, Any]],
    *,
    draw_id: str = "test/1",
    mechanism: lottery.Mechanism = lottery.Mechanism.DEFERRED_ACCEPTANCE,
    contributions: Sequence[Contribution] | None = None,
    signers: Mapping[str, Ed25519PrivateKey] | None = None,
    accelerate: bool = True,
) -> dict[str, Any]:
    """A bundle drawn and signed by ``signers`` (default: the district's test key)."""
    frozen = lottery.freeze(
        draw_id,
        copy.deepcopy(list(schools)),
        copy.deepcopy(list(applicants)),
        accelerate=accelerate,
    )
    if contributions is None:
        contributions = [commit(draw_id, "notary", b"\x07" * 32), Contribution("city", b"\x2a")]
    bundle = lottery.run_draw(
        frozen, contributions, mechanism=mechanism, accelerate=accelerate
    ).bundle
    for name, key in (signers if signers is not None else {"district": DISTRICT_KEY}).items():
        bundle = lottery.sign_bundle(bundle, name, key, accelerate=accelerate)
    return bundle


def resign(
    bundle: Mapping[str, Any], signers: Mapping[str, Ed25519PrivateKey] | None = None
) -> dict[str, Any]:
    """The bundle with its signatures dropped and made again over its current content."""
    out: dict[str, Any] = {**bundle, "signatures": []}
    for name, key in (signers if signers is not None else {"district": DISTRICT_KEY}).items():
        out = lottery.sign_bundle(out, name, key)
    return out


@st.composite
def bundles(
    draw: st.DrawFn, *, max_applicants: int = 10, accelerate: bool = True
) -> dict[str, Any]:
    """A valid bundle signed by the district's test key, over a random small district."""
    schools, applicants = draw(districts(max_applicants=max_applicants))
    draw_id = draw(draw_ids)
    return make_bundle(
        schools,
        applicants,
        draw_id=draw_id,
        mechanism=draw(mechanisms),
        contributions=draw(contribution_sets(draw_id)),
        accelerate=accelerate,
    )


SMALL_SCHOOLS: list[dict[str, Any]] = [
    {"id": "east", "capacity": 1},
    {"id": "north", "capacity": 2},
    {"id": "west", "capacity": 0},
]
SMALL_APPLICANTS: list[dict[str, Any]] = [
    {"id": "p01", "choices": ["east", "north"], "priority": {"east": 0, "north": 1}},
    {"id": "p02", "choices": ["east", "north"], "priority": {"east": 0, "north": 0}},
    {"id": "p03", "choices": ["north"], "priority": {"north": 1}},
    {"id": "p04", "choices": ["east", "west"], "priority": {"east": 1, "west": 0}},
    {"id": "p05", "choices": [], "priority": {}},
]
