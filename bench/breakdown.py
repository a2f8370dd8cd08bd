"""Where verification and the draw spend their time: ``python -m bench.breakdown N``.

Builds (or reuses, under /tmp) the signed 1M-style bundle for N applicants, then times
each step of ``lottery.verify`` separately, by process CPU time (less disturbed than
wall time by other work on a shared machine), best of three. The steps call the
verifier's private helpers in the order ``verify`` does; their sum is close to a
whole ``verify``, which is timed too. For analysis only: the benchmarks are the figures.
"""

from __future__ import annotations

import gc
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

import lottery
from bench.workload import floor_tickets, make_bundle, make_workload
from lottery import _accel, _verifier
from lottery._canonical import encoder
from lottery._parse import check_small_parts
from lottery._table import applicant_table, school_columns


def best(fn: Callable[[], Any], rounds: int = 3) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(rounds):
        start = time.process_time()
        result = fn()
        times.append(time.process_time() - start)
    return min(times), result


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 1_000_000
    path = Path(tempfile.gettempdir()) / f"paiwei-bench-bundle-{n}.json"
    w = make_workload(n)
    if not path.exists():
        path.write_bytes(orjson.dumps(make_bundle(w), option=orjson.OPT_SORT_KEYS))
    data = path.read_bytes()
    rows: list[tuple[str, float]] = []
    start = time.process_time()
    bundle = lottery.parse_bundle(data)
    rows.append(("parse (orjson, gc paused), once", time.process_time() - start))
    del data
    gc.disable()
    seed = bytes.fromhex(bundle["ceremony"]["seed"])
    rows.append(
        ("floor: tickets alone (hashlib)", best(lambda: floor_tickets(seed, w.applicant_ids))[0])
    )
    rows.append(("0 shape: small parts", best(lambda: check_small_parts(bundle))[0]))
    t, (ids, caps) = best(lambda: school_columns(bundle["schools"]))
    t, table = best(lambda: applicant_table(ids, caps, bundle["applicants"]))
    rows.append(("0 shape: applicant records -> columns", t))
    rows.append(
        (
            "0 shape: assignment rows",
            best(lambda: _verifier._assignments(table, bundle["assignments"]))[0],
        )
    )
    p = _verifier._shape(bundle)
    encode = encoder(accelerate=True)
    rows.append(
        (
            "1+7 leaves, Merkle roots, bundle digest",
            best(lambda: _verifier._digest_and_roots(bundle, table, encode))[0],
        )
    )
    t, tickets = best(lambda: lottery.tickets(p.seed, table.applicant_ids))
    rows.append(("4 tickets (lottery.tickets)", t))
    rows.append(
        ("4 tickets compared", best(lambda: _verifier._wrong_tickets(tickets, p.stated_tickets))[0])
    )
    t, ranks = best(lambda: _accel.ticket_ranks(tickets, table.applicant_ids))
    rows.append(("5 ticket ranks (NumPy)", t))
    rows.append(("5 keys: columns to arrays", best(lambda: _accel._keys(table, ranks))[0]))
    t, placement = best(lambda: _accel.assign(p.mechanism, table, ranks))
    rows.append((f"5 {p.mechanism.value} (NumPy)", t))
    names = [*table.school_ids, None]
    computed = list(map(names.__getitem__, _verifier._int_list(placement.school)))
    rows.append(
        (
            "5 assignments compared",
            best(lambda: _verifier._count_differences(computed, p.stated_schools))[0],
        )
    )
    rows.append(
        ("6 school results", best(lambda: lottery.school_results(table, placement, tickets))[0])
    )
    # A benchmark measures work, not trust: the bundle's own keys are trusted here.
    own = {s["signer"]: bytes.fromhex(s["public_key"]) for s in bundle["signatures"]}
    rows.append(("whole lottery.verify", best(lambda: lottery.verify(bundle, own))[0]))
    floor = rows[1][1]
    for name, seconds in rows:
        print(f"{name:42s} {seconds:7.3f} s  {seconds / floor:5.2f}x floor")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
