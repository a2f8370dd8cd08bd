"""Forecasts from many rehearsals: staff-only (仅供内部分析), never part of a public file.

``runs`` rehearsals, each with its own seed ``TH("paiwei/rehearsal/v1/run", seed ‖
u32(i))``, i = 0 … runs − 1. Per school, round, priority class and choice rank:
of the children who listed the school at that rank in that round's draw with that
priority, the share admitted there, with a Wilson score interval at 99.9%. Per
zone: the mean number of eligible children left unplaced, with a normal interval
for the mean. Per eligible child ("what were my chances?"): the share of runs
that placed the child at each school, or nowhere, each with its Wilson interval;
the runs are independent, so these are exact binomial trials.

Counting every listed child of every run as one trial makes the trials of one run
dependent (the seats are fixed, so one child's seat is another's loss); the
dependence is negative, which makes the Wilson interval wider than it needs to be,
never narrower.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from statistics import NormalDist
from typing import Any

import numpy as np

from allocation import AllocationResult, FrozenInputsCache, Reporter
from allocation.policy import RoundSpec
from lottery import DrawTable, FrozenInputs
from paiwei.rehearsal.loading import LoadedScenario
from paiwei.rehearsal.season import run_season
from seeding import tagged_hash, u32

FORECAST_FORMAT = "paiwei-forecast/1"
RUN_TAG = "paiwei/rehearsal/v1/run"
STAFF_NOTE = "仅供内部分析"
CONFIDENCE = 0.999
DIGITS = 6


def run_seed(seed: bytes, i: int) -> bytes:
    """The seed of forecast run ``i``."""
    return tagged_hash(RUN_TAG, seed + u32(i))


@functools.cache
def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion. Raises ValueError on bad counts."""
    if trials <= 0 or not 0 <= successes <= trials:
        raise ValueError("need 0 <= successes <= trials and trials > 0")
    z = _z(confidence)
    p = successes / trials
    z2n = z * z / trials
    centre = (p + z2n / 2) / (1 + z2n)
    half = z * math.sqrt(p * (1 - p) / trials + z2n / (4 * trials)) / (1 + z2n)
    # At k = 0 and k = n the exact bound is 0 or 1; rounding must not move it inside.
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == trials else min(1.0, centre + half)
    return lo, hi


class _Tally:
    """Counts over runs: (round, school, class, rank) -> [listed, admitted]; unplaced per zone."""

    def __init__(self, zones: int) -> None:
        self.pairs: dict[tuple[str, str, int, int], list[int]] = {}
        self.unplaced: list[np.ndarray[Any, np.dtype[np.int64]]] = []
        self.zones = zones
        # Per (row, final school + 1) cell: how many runs ended there. Kept sparse (a child
        # ends up at a handful of schools), merging each batch of runs into sorted cells.
        self.cells = np.zeros(0, dtype=np.int64)
        self.counts = np.zeros(0, dtype=np.int64)
        self.batch: list[np.ndarray[Any, np.dtype[np.int64]]] = []
        self.width = 0

    def _merge(self) -> None:
        if not self.batch:
            return
        keys = np.concatenate([self.cells, *self.batch])
        weights = np.concatenate([self.counts, np.ones(keys.size - self.cells.size, np.int64)])
        self.cells, inverse = np.unique(keys, return_inverse=True)
        self.counts = np.zeros(self.cells.size, dtype=np.int64)
        np.add.at(self.counts, inverse, weights)
        self.batch = []

    def finals(
        self,
    ) -> tuple[np.ndarray[Any, np.dtype[np.int64]], np.ndarray[Any, np.dtype[np.int64]]]:
        """(cells, counts): cell = row * width + final school index + 1 (0: unplaced)."""
        self._merge()
        return self.cells, self.counts

    def add(self, result: AllocationResult, tables: dict[str, DrawTable] | None = None) -> None:
        """Count one run. ``tables``: each drawn round's frozen table (from
        :class:`_Tables`), counted in columns; without it, from the bundles' records."""
        for record in result.rounds:
            bundle = record.bundle
            if bundle is None:
                continue
            if tables is not None:
                self._add_table(record.spec.id, tables[record.spec.id], record.placed)
                continue
            got = {a["applicant"]: a["school"] for a in bundle["assignments"]}
            for a in bundle["applicants"]:
                placed = got[a["id"]]
                prio = a["priority"]
                for k, s in enumerate(a["choices"]):
                    cell = self.pairs.setdefault((record.spec.id, s, prio[s], k + 1), [0, 0])
                    cell[0] += 1
                    cell[1] += placed == s
        rt = result.routing
        self.width = len(result.scenario.schools) + 1
        rows = np.arange(result.school.size, dtype=np.int64)
        self.batch.append(rows * self.width + (result.school + 1))
        if len(self.batch) >= 32:
            self._merge()
        left = rt.eligible & (result.school < 0)
        zone = np.where(rt.zone >= 0, rt.zone, self.zones)
        self.unplaced.append(np.bincount(zone[left], minlength=self.zones + 1).astype(np.int64))

    def _add_table(self, rid: str, table: DrawTable, placed: Any) -> None:
        """The same counts as the records' walk, from the round's columns: per listed
        choice (applicant a, position k), the cell (school, priority, k + 1), admitted
        when the draw placed a there (``placed`` indexes the table's schools)."""
        offsets = np.asarray(table.offsets, dtype=np.int64)
        lengths = np.diff(offsets)
        if not lengths.size or not int(lengths.sum()):
            return
        owner = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
        k = np.arange(owner.size, dtype=np.int64) - np.repeat(offsets[:-1], lengths)
        school = np.asarray(table.choice_school, dtype=np.int64)
        prio = np.asarray(table.choice_priority, dtype=np.int64)
        admitted = (np.asarray(placed, dtype=np.int64)[owner] == school).astype(np.int64)
        p0 = int(prio.min())
        span_p = int(prio.max()) - p0 + 1
        span_k = int(k.max()) + 1
        key = (school * span_p + (prio - p0)) * span_k + k
        cells, inverse = np.unique(key, return_inverse=True)
        listed = np.bincount(inverse, minlength=cells.size)
        won = np.bincount(inverse, weights=admitted, minlength=cells.size).astype(np.int64)
        sids = table.school_ids
        pairs = self.pairs
        for cell, n, w in zip(cells.tolist(), listed.tolist(), won.tolist(), strict=True):
            rest, kk = divmod(cell, span_k)
            j, pp = divmod(rest, span_p)
            entry = pairs.setdefault((rid, sids[j], pp + p0, kk + 1), [0, 0])
            entry[0] += n
            entry[1] += w


class _Tables(Reporter):
    """Keeps each round's frozen table as the plan runs (for the columnar tally)."""

    def __init__(self) -> None:
        self.tables: dict[str, DrawTable] = {}

    def round_frozen(self, spec: RoundSpec, frozen: FrozenInputs) -> None:
        self.tables[spec.id] = frozen.table


def _round(x: float) -> float:
    return round(x, DIGITS)


def forecast(
    loaded: LoadedScenario,
    seed: bytes,
    runs: int,
    *,
    on_run: Callable[[int], None] | None = None,
    accelerate: bool = True,
) -> dict[str, Any]:
    """Run ``runs`` rehearsals and return the staff-only forecast as a JSON-able mapping.

    ``on_run(i)`` is called after run ``i``. Raises ValueError when ``runs`` < 1, and
    as :func:`paiwei.rehearsal.season.run_season`.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    sc = loaded.scenario
    tally = _Tally(len(sc.zones))
    result: AllocationResult | None = None
    cache = FrozenInputsCache()  # a round built the same as in an earlier run is not frozen again
    for i in range(runs):
        seen = _Tables()
        result = run_season(
            loaded, run_seed(seed, i), reporter=seen, accelerate=accelerate, frozen_cache=cache
        )
        tally.add(result, seen.tables)
        if on_run is not None:
            on_run(i)
    if result is None:  # pragma: no cover  runs >= 1
        raise ValueError("no runs")
    names = {s.id: s for s in sc.schools}
    order = {rid.id: k for k, rid in enumerate(loaded.policy.plan(sc.stage))}
    rows: dict[str, list[dict[str, Any]]] = {s.id: [] for s in sc.schools}
    for (rid, sid, prio, rank), (listed, admitted) in sorted(
        tally.pairs.items(), key=lambda kv: (order[kv[0][0]], kv[0][1], kv[0][2], kv[0][3])
    ):
        lo, hi = wilson(admitted, listed)
        rows[sid].append(
            {
                "round": rid,
                "class": prio,
                "rank": rank,
                "listed": listed,
                "listed_per_run": _round(listed / runs),
                "admitted": admitted,
                "probability": _round(admitted / listed),
                "interval": [_round(lo), _round(hi)],
            }
        )
    schools = [
        {"school": sid, "name": names[sid].name, "seats": names[sid].seats, "rows": r}
        for sid, r in rows.items()
        if r
    ]
    counts = np.stack(tally.unplaced)  # runs x (zones + 1)
    rt = result.routing
    zone_all = np.where(rt.zone >= 0, rt.zone, len(sc.zones))
    children = np.bincount(zone_all[rt.eligible], minlength=len(sc.zones) + 1)
    z = _z(CONFIDENCE)
    zones = []
    for k in range(len(sc.zones) + 1):
        if children[k] == 0:
            continue
        col = counts[:, k].astype(np.float64)
        mean = float(col.mean())
        half = z * float(col.std(ddof=1)) / math.sqrt(runs) if runs > 1 else float("nan")
        zones.append(
            {
                "zone": sc.zones[k].id if k < len(sc.zones) else None,
                "eligible_children": int(children[k]),
                "expected_unplaced": _round(mean),
                "interval": None
                if math.isnan(half)
                else [_round(max(0.0, mean - half)), _round(mean + half)],
                "min": int(col.min()),
                "max": int(col.max()),
            }
        )
    return {
        "applicants": _per_applicant(result, *tally.finals(), runs),
        "format": FORECAST_FORMAT,
        "staff_only": True,
        "note": STAFF_NOTE,
        "scenario": {"file": loaded.path.name, "sha256": loaded.scenario_sha256},
        "policy": loaded.describe_policy(),
        "seed": seed.hex(),
        "runs": runs,
        "run_seeds": f'run i uses TH("{RUN_TAG}", seed ‖ u32(i)), i = 0 … {runs - 1}',
        "confidence": CONFIDENCE,
        "method": (
            "per school, round, priority class and choice rank: admitted / listed over all runs, "
            "Wilson score interval; per zone: mean unplaced eligible children, normal interval "
            "for the mean; per eligible child: runs placing the child at each school (or none), "
            "Wilson score interval"
        ),
        "schools": schools,
        "zones": zones,
    }


def _per_applicant(
    result: AllocationResult,
    cells: np.ndarray[Any, np.dtype[np.int64]],
    counts: np.ndarray[Any, np.dtype[np.int64]],
    runs: int,
) -> list[dict[str, Any]]:
    """Per eligible child, sorted by id: how often each school (or none) was the outcome."""
    sc = result.scenario
    n, width = sc.applicants.size, len(sc.schools) + 1
    per_row: dict[int, list[tuple[int, int]]] = {}
    for cell, count in zip(cells.tolist(), counts.tolist(), strict=True):
        per_row.setdefault(cell // width, []).append((cell % width - 1, count))
    sids = [s.id for s in sc.schools]
    out = []
    for i in sorted(range(n), key=lambda i: sc.applicants.ids[i].encode("utf-8")):
        if not result.routing.eligible[i]:
            continue
        # most frequent first, then by school id (no school last among equals)
        ranked = sorted(
            per_row.get(i, []),
            key=lambda sc_: (-sc_[1], sids[sc_[0]] if sc_[0] >= 0 else "\U0010ffff"),
        )
        outcomes = []
        for school, count in ranked:
            lo, hi = wilson(count, runs)
            outcomes.append(
                {
                    "school": sids[school] if school >= 0 else None,
                    "runs": count,
                    "probability": _round(count / runs),
                    "interval": [_round(lo), _round(hi)],
                }
            )
        out.append({"applicant": sc.applicants.ids[i], "outcomes": outcomes})
    return out
