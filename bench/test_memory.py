"""Peak resident memory of a 1M-applicant draw and of verifying its bundle, each in a fresh process.

The benchmark's time is the subprocess's wall time (start-up included); the figure
that matters is ``extra_info["peak_rss_mib"]`` (VmHWM of the fresh process). Target: under 2 GB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.conftest import SIZES, bundle_file

ROOT = Path(__file__).resolve().parent.parent
BIG = max(SIZES)


def peak(*args: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603  (our own interpreter and module)
        [sys.executable, "-m", "bench.peak_memory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("job", ["draw", "verify", "verify-data"])
def test_peak_memory(benchmark: Any, bundle_dir: Path, job: str) -> None:
    arg = str(BIG) if job == "draw" else str(bundle_file(bundle_dir, BIG))
    benchmark.group = f"memory {BIG}"
    result = benchmark.pedantic(peak, args=(job, arg), rounds=1)
    benchmark.extra_info["peak_rss_mib"] = round(result["peak_rss_bytes"] / 2**20)
    benchmark.extra_info["job_seconds"] = result["seconds"]
    for key in ("worker_private_peak_bytes", "process_and_worker_peak_bytes"):
        if key in result:
            benchmark.extra_info[key.replace("_bytes", "_mib")] = round(result[key] / 2**20)
    assert result["peak_rss_bytes"] > 0
