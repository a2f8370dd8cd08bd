"""``verify_data`` with and without its hashing worker, alternating: ``python -m bench.verify_modes N ROUNDS``.

Builds (or reuses, under /tmp) the signed bundle for N applicants of the bench workload,
then for each round times the floor and ``lottery.verify_data`` in one process (the worker
switched off) and with the worker, one after the other, printing wall time and CPU time
(this process; its reaped children: the worker) as ratios to the floor timed just before.
For analysis beside the benchmarks (bench/test_verify.py), with the load average printed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import orjson

import lottery
from bench.workload import cpu_seconds, floor_tickets, make_bundle, make_workload, signing_key
from lottery import _scan


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 1_000_000
    rounds = int(argv[1]) if len(argv) > 1 else 3
    path = Path(tempfile.gettempdir()) / f"paiwei-bench-bundle-{n}.json"
    w = make_workload(n)
    if not path.exists():
        path.write_bytes(orjson.dumps(make_bundle(w), option=orjson.OPT_SORT_KEYS))
    data = path.read_bytes()
    trusted = {"bureau": bytes.fromhex(lottery.public_key_hex(signing_key()))}
    seed = bytes(range(32))
    threshold = _scan._PARALLEL_BYTES
    print(f"load {Path('/proc/loadavg').read_text().strip()}  {time.strftime('%H:%M:%S')}")
    for _ in range(rounds):
        for mode in ("one process", "worker"):
            _scan._PARALLEL_BYTES = threshold if mode == "worker" else 1 << 62
            start, start_cpu = time.perf_counter(), time.process_time()
            floor_tickets(seed, w.applicant_ids)
            floor, floor_cpu = time.perf_counter() - start, time.process_time() - start_cpu
            own, children = cpu_seconds()
            start = time.perf_counter()
            report = lottery.verify_data(data, trusted)
            wall = time.perf_counter() - start
            own_after, children_after = cpu_seconds()
            assert report.valid
            cpu, worker = own_after - own, children_after - children
            print(
                f"{mode:11s}  floor {floor:.3f} s (CPU {floor_cpu:.3f} s)  "
                f"wall {wall:.3f} s = {wall / floor:.2f}x  "
                f"CPU {cpu:.3f} s = {cpu / floor_cpu:.2f}x  worker {worker:.3f} s  "
                f"together {(cpu + worker) / floor_cpu:.2f}x"
            )
    _scan._PARALLEL_BYTES = threshold
    print(f"load {Path('/proc/loadavg').read_text().strip()}  {time.strftime('%H:%M:%S')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
