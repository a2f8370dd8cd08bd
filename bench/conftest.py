"""Shared workloads for the benchmarks: built once per session, deterministic.

Sizes: 10k, 100k and 1M applicants over 5,000 schools (see ``bench/workload.py``).
``PAIWEI_BENCH_SIZES=10000,100000`` limits the sizes for a quick run.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench.workload import Workload, make_bundle, make_workload

SIZES = tuple(
    int(x) for x in os.environ.get("PAIWEI_BENCH_SIZES", "10000,100000,1000000").split(",")
)
ROUNDS = {10_000: 10, 100_000: 5, 1_000_000: 3}


def rounds_for(n: int) -> int:
    return ROUNDS.get(n, 3)


_workloads: dict[int, Workload] = {}


def workload(n: int) -> Workload:
    if n not in _workloads:
        _workloads[n] = make_workload(n)
    return _workloads[n]


@pytest.fixture(scope="session")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bundles")


_bundle_files: dict[tuple[int, str], Path] = {}


def bundle_file(directory: Path, n: int, mechanism: str = "deferred-acceptance") -> Path:
    """A signed bundle for the workload of size n, written once as canonical JSON bytes."""
    key = (n, mechanism)
    if key not in _bundle_files:
        path = directory / f"bundle-{n}-{mechanism}.json"
        bundle: Any = make_bundle(workload(n), mechanism)
        path.write_bytes(orjson.dumps(bundle, option=orjson.OPT_SORT_KEYS))
        del bundle
        gc.collect()
        _bundle_files[key] = path
    return _bundle_files[key]


def paired(
    benchmark: Any,
    target: Callable[..., Any],
    floor: Callable[[], Any],
    *,
    rounds: int,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
) -> Any:
    """``benchmark.pedantic(target)`` with the floor timed just before each round.

    The floor runs in pedantic's (untimed) setup, so each round of ``target`` has a
    floor measured seconds before it on the same machine state: with other work
    coming and going on the machine, ``paired_ratio_*`` in ``extra_info`` (per-round
    time over the floor just before it) is the steadier figure. No warm-up round.
    """
    floors: list[float] = []
    floors_cpu: list[float] = []

    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        start, start_cpu = time.perf_counter(), time.process_time()
        floor()
        floors.append(time.perf_counter() - start)
        floors_cpu.append(time.process_time() - start_cpu)
        return args, kwargs or {}

    result = benchmark.pedantic(target, setup=setup, rounds=rounds)
    if benchmark.stats is None:  # --benchmark-disable: ran once, nothing recorded
        return result
    ratios = sorted(t / f for t, f in zip(benchmark.stats.stats.data, floors, strict=True))
    benchmark.extra_info["floor_min_s"] = round(min(floors), 4)
    benchmark.extra_info["paired_ratio_min"] = round(ratios[0], 2)
    benchmark.extra_info["paired_ratio_median"] = round(ratios[len(ratios) // 2], 2)
    benchmark.extra_info["floor_cpu_s"] = [round(f, 4) for f in floors_cpu]
    return result
