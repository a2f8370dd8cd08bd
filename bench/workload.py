"""A deterministic draw workload: 5,000 schools, three distinct choices per applicant.

Popularity follows a Zipf-like law (exponent 0.8, shuffled over school ids), so a
few schools are heavily oversubscribed while many fill only from second and third
choices; capacities spread from 0.5x to 1.5x the mean and add up to about the number
of applicants; priorities fall in four classes (0 best). Applicant ids are opaque
10-hex-digit pseudonyms. The same ``n`` and ``seed`` always give the same workload.
"""

from __future__ import annotations

import hashlib
import resource
from dataclasses import dataclass
from typing import Any

import numpy as np

from lottery import DrawTable

N_SCHOOLS = 5_000
CHOICES = 3
PRIORITY_CLASSES = (0.05, 0.15, 0.30, 0.50)  # share of listed choices in class 0, 1, 2, 3
ZIPF_EXPONENT = 0.8
SEED = 20261124


@dataclass(frozen=True)
class Workload:
    n: int
    school_ids: list[str]
    capacities: list[int]
    applicant_ids: list[str]  # ascending, the table order
    choices: np.ndarray  # (n, 3) school indices, most wanted first
    priorities: np.ndarray  # (n, 3) priority class at each choice

    def table(self) -> DrawTable:
        """The columnar inputs, built directly (no records)."""
        n = self.n
        return DrawTable(
            school_ids=tuple(self.school_ids),
            capacities=tuple(self.capacities),
            applicant_ids=self.applicant_ids,
            offsets=list(range(0, CHOICES * n + 1, CHOICES)),
            choice_school=self.choices.ravel().tolist(),
            choice_priority=self.priorities.ravel().tolist(),
        )

    def school_records(self) -> list[dict[str, Any]]:
        return [
            {"id": sid, "capacity": cap}
            for sid, cap in zip(self.school_ids, self.capacities, strict=True)
        ]

    def applicant_records(self) -> list[dict[str, Any]]:
        sids = self.school_ids
        out = []
        for aid, row, prio in zip(
            self.applicant_ids, self.choices.tolist(), self.priorities.tolist(), strict=True
        ):
            names = [sids[s] for s in row]
            out.append(
                {"id": aid, "choices": names, "priority": dict(zip(names, prio, strict=True))}
            )
        return out


def make_workload(n: int, seed: int = SEED) -> Workload:
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, N_SCHOOLS + 1) ** ZIPF_EXPONENT
    rng.shuffle(weights)
    popularity = weights / weights.sum()
    spread = rng.uniform(0.5, 1.5, N_SCHOOLS)
    capacities = np.floor(spread / spread.sum() * n).astype(np.int64)
    capacities[: n - int(capacities.sum())] += 1  # total seats == applicants
    choices = rng.choice(N_SCHOOLS, size=(n, CHOICES), p=popularity)
    while True:  # redraw repeated schools until every row has three distinct ones
        dup = (choices[:, 1] == choices[:, 0]) | (choices[:, 2] == choices[:, 0])
        dup |= choices[:, 2] == choices[:, 1]
        rows = np.flatnonzero(dup)
        if rows.size == 0:
            break
        choices[rows, 1:] = rng.choice(N_SCHOOLS, size=(rows.size, CHOICES - 1), p=popularity)
    priorities = rng.choice(len(PRIORITY_CLASSES), size=(n, CHOICES), p=PRIORITY_CLASSES)
    # Distinct pseudonyms: an odd multiplier is a bijection modulo 2**40.
    codes = (np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B1) + np.uint64(seed)) % np.uint64(
        2**40
    )
    ids = [f"{c:010x}" for c in codes.tolist()]
    order = sorted(range(n), key=ids.__getitem__)
    return Workload(
        n=n,
        school_ids=[f"S{i:04d}" for i in range(N_SCHOOLS)],
        capacities=capacities.tolist(),
        applicant_ids=[ids[i] for i in order],
        choices=choices[order].astype(np.int64),
        priorities=priorities[order].astype(np.int64),
    )


def floor_tickets(seed: bytes, applicant_ids: list[str]) -> list[bytes]:
    """The floor: every ticket TH("paiwei/v1/ticket", seed || F(id)) with hashlib, nothing else.

    Written independently of ``lottery`` (a midstate copy per applicant, ASCII ids),
    so that optimising the library cannot move the yardstick.
    """
    tag = hashlib.sha256(b"paiwei/v1/ticket").digest()
    base = hashlib.sha256(tag + tag + seed)
    out = []
    append = out.append
    for aid in applicant_ids:
        raw = aid.encode()
        h = base.copy()
        h.update(len(raw).to_bytes(4, "big") + raw)
        append(h.digest())
    return out


def contributions(draw_id: str) -> list[Any]:
    """Two fixed contributions, one committed in advance: a deterministic seed."""
    from seeding import Contribution, commitment_of  # noqa: PLC0415

    nonce, value = bytes(range(16, 48)), bytes(range(32))
    return [
        Contribution("notary", value, nonce, commitment_of(draw_id, "notary", nonce, value)),
        Contribution("beacon", bytes(range(100, 132))),
    ]


def signing_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
        Ed25519PrivateKey,
    )

    return Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def make_bundle(w: Workload, mechanism: str = "deferred-acceptance") -> dict[str, Any]:
    """A signed protocol-v1 bundle over the workload's records (built with the library)."""
    import lottery  # noqa: PLC0415

    draw_id = f"bench/{w.n}"
    frozen = lottery.freeze(draw_id, w.school_records(), w.applicant_records())
    outcome = lottery.run_draw(
        frozen, contributions(draw_id), mechanism=lottery.Mechanism(mechanism)
    )
    return lottery.sign_bundle(outcome.bundle, "bureau", signing_key())


def cpu_seconds() -> tuple[float, float]:
    """User + system CPU seconds of this process and of its reaped children (a forked worker)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime
