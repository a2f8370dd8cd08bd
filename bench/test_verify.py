"""Verification of a parsed bundle, and parsing the bundle file, beside the ticket floor.

verify: the full ``lottery.verify`` (input root, commitments, seed, tickets,
        assignments, school results, signature against a trusted key) of a bundle
        already parsed, with accelerators (orjson, NumPy) and without.
parse:  ``lottery.parse_bundle`` of the bundle file's bytes (read beforehand).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import lottery
from bench.conftest import SIZES, bundle_file, paired, rounds_for, workload
from bench.workload import cpu_seconds, floor_tickets, signing_key

SEED = bytes(range(32))
TRUSTED = {"bureau": bytes.fromhex(lottery.public_key_hex(signing_key()))}


@pytest.mark.parametrize("n", SIZES)
def test_floor_tickets(benchmark: Any, n: int) -> None:
    w = workload(n)
    benchmark.group = f"verify {n}"
    out = benchmark.pedantic(
        floor_tickets, args=(SEED, w.applicant_ids), rounds=rounds_for(n), warmup_rounds=1
    )
    assert len(out) == n


@pytest.mark.parametrize(
    ("mechanism", "accelerate"),
    [("deferred-acceptance", True), ("deferred-acceptance", False), ("preference-first", True)],
    ids=["da-accel", "da-plain", "pf-accel"],
)
@pytest.mark.parametrize("n", SIZES)
def test_verify(benchmark: Any, bundle_dir: Path, n: int, mechanism: str, accelerate: bool) -> None:
    data = bundle_file(bundle_dir, n, mechanism).read_bytes()
    bundle = lottery.parse_bundle(data)
    del data
    benchmark.group = f"verify {n}"
    rounds = 1 if (n >= 1_000_000 and not accelerate) else rounds_for(n)
    ids = workload(n).applicant_ids
    report = paired(
        benchmark,
        lottery.verify,
        lambda: floor_tickets(SEED, ids),
        rounds=rounds,
        args=(bundle, TRUSTED),
        kwargs={"accelerate": accelerate},
    )
    assert report.valid and report.applicants == n
    assert [c.name for c in report.checks] == [
        "input root",
        "commitment of notary",
        "seed",
        "tickets",
        "assignments",
        "school results",
        "signature of bureau",
    ]


@pytest.mark.parametrize(
    ("mechanism", "accelerate", "worker"),
    [
        ("deferred-acceptance", True, True),
        ("deferred-acceptance", True, False),
        ("deferred-acceptance", False, False),
        ("preference-first", True, True),
    ],
    ids=["da-accel", "da-accel-one-process", "da-plain", "pf-accel"],
)
@pytest.mark.parametrize("n", SIZES)
def test_verify_data(  # noqa: PLR0917
    benchmark: Any,
    bundle_dir: Path,
    n: int,
    mechanism: str,
    accelerate: bool,
    worker: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The notary's whole job from the file's bytes: ``lottery.verify_data`` (parse included).

    Accelerated, a canonical file is read straight into columns, and on a large file a
    forked worker hashes the leaves and the digest meanwhile (``da-accel-one-process``:
    the worker switched off); plain, it is parsed with the standard library and verified
    by ``lottery.verify``. Besides wall time, ``extra_info`` holds each round's CPU time
    of this process and of the worker (``cpu_s``, ``children_cpu_s``) and the floor's.
    """
    from lottery import _scan  # noqa: PLC0415

    if not worker:
        monkeypatch.setattr(_scan, "_PARALLEL_BYTES", 1 << 62)
    data = bundle_file(bundle_dir, n, mechanism).read_bytes()
    benchmark.group = f"verify {n}"
    rounds = 1 if (n >= 1_000_000 and not accelerate) else rounds_for(n)
    ids = workload(n).applicant_ids
    cpu: list[tuple[float, float]] = []

    def timed(*args: Any, **kwargs: Any) -> Any:
        own, children = cpu_seconds()
        out = lottery.verify_data(*args, **kwargs)
        own_after, children_after = cpu_seconds()
        cpu.append((own_after - own, children_after - children))
        return out

    report = paired(
        benchmark,
        timed,
        lambda: floor_tickets(SEED, ids),
        rounds=rounds,
        args=(data, TRUSTED),
        kwargs={"accelerate": accelerate},
    )
    benchmark.extra_info["cpu_s"] = [round(c[0], 3) for c in cpu]
    benchmark.extra_info["children_cpu_s"] = [round(c[1], 3) for c in cpu]
    assert report.valid and report.applicants == n
    assert len(report.checks) == 7


@pytest.mark.parametrize("n", SIZES)
def test_parse(benchmark: Any, bundle_dir: Path, n: int) -> None:
    """Parsing uses the standard library on both paths (orjson's peak memory is higher)."""
    data = bundle_file(bundle_dir, n).read_bytes()
    benchmark.group = f"verify {n}"
    benchmark.extra_info["bytes"] = len(data)
    bundle = benchmark.pedantic(
        lottery.parse_bundle,
        args=(data,),
        rounds=rounds_for(n),
    )
    assert len(bundle["applicants"]) == n
