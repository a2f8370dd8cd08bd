"""Results day on loopback: logged-in parents fetch their result from ``paiwei serve``,
and the same client fetches the published result files from a static server, in one run.

Set-up (not measured): a fresh PostgreSQL database migrated to head; a whole primary
season of the synthetic district (``allocation.generate_district(N, N // 160)``) run
through the round lifecycle's use cases (``bench.test_lookup._season``: four rounds
published); one parent account, applicant row and live web session per applicant,
inserted in bulk (synthetic values, nothing personal; no scrypt logins); the publication
folder written from the database (``service.write_folder``).

Servers (subprocesses, 127.0.0.1 only, access logs off, proxy headers off): ``paiwei serve``
with ``--workers`` worker processes, and uvicorn serving the publication folder with
Starlette's ``StaticFiles`` (``bench.static_app``) with as many workers.

Client (this process, asyncio + httpx, HTTP/1.1 keep-alive): for each client count,
``clients`` tasks, each looping over the parents (task i starts at parent i) for
``seconds``: static first, then ``GET /api/results/me`` with the parent's session cookie.
Every response must be 200 with the parent's own result (checked on every answer);
anything else (status, transport error, timeout after ``--timeout`` s) is an error.
Hard limits: ``--seconds`` (≤ 300) per phase, ``--max-requests`` per phase, every phase
cancelled 2 × timeout after its deadline. After each API phase one probe request must be
answered within 1 s (no wedge). The machine's load average (/proc/loadavg) is recorded at
the start and end of each phase, and this process's CPU time (the client's own share).

Run (quick)::

    .venv/bin/python -m bench.results_day --applicants 2000 --clients 50,200 --seconds 10

Full (docs/benchmarks.md)::

    .venv/bin/python -m bench.results_day --applicants 10000 --clients 200,2000 --seconds 60 \\
        --json /tmp/results-day.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import select

from paiwei.db import make_engine, make_session_factory, upgrade_to_head
from paiwei.publication import read_index, result_path
from paiwei.rounds import service
from paiwei.rounds.models import Round, State

ROOT = Path(__file__).resolve().parents[1]
MAX_SECONDS = 300
MAX_CLIENTS = 5000
COOKIE = "paiwei_session"


@dataclass
class Phase:
    target: str  # "static" or "api"
    clients: int
    seconds: float = 0.0
    requests: int = 0
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # a plain dict: asdict() miscopies a Counter
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    load_before: str = ""
    load_after: str = ""
    client_cpu_s: float = 0.0
    probe_ms: float | None = None  # after an API phase: one request, answered within 1 s?


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- set-up --------------------------------------------------------------------------------


@contextlib.contextmanager
def database(admin: str) -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database migrated to head; dropped afterwards."""
    name = f"paiwei_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin.rpartition("/")
    url = f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        upgrade_to_head(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed_parents(url: str, pseudonyms: list[str], now: datetime) -> list[str]:
    """One parent account, applicant row and live session per pseudonym; the cookies."""
    from bench.test_lookup import _parents  # noqa: PLC0415 - the lookup bench's set-up

    return _parents(url, pseudonyms, now)


def write_publication(url: str, folder: Path) -> None:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as db:
            rows = db.scalars(select(Round).where(Round.state.in_([State.PUBLISHED, State.EMPTY]))
                              .order_by(Round.position)).all()
            for row in rows:
                service.write_folder(db_session=db, round_pk=row.id, folder=folder)
    finally:
        engine.dispose()


# --- servers -------------------------------------------------------------------------------


def warm_up(url: str) -> dict[str, Any]:
    """Time what each ``paiwei serve`` worker does at start-up and at each publication: fill
    its results cache in one read (``PublishedResults.warm_up``), here in this process."""
    from paiwei.rounds.result_cache import PublishedResults  # noqa: PLC0415

    engine = make_engine(url)
    try:
        cache = PublishedResults(make_session_factory(engine), warm=True)
        t, c = time.perf_counter(), time.process_time()
        answers = cache.warm_up()
        return {"answers": answers, "wall_s": round(time.perf_counter() - t, 2),
                "cpu_s": round(time.process_time() - c, 2), "load": loadavg()}
    finally:
        engine.dispose()


@contextlib.contextmanager
def server(argv: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                cwd=ROOT, start_new_session=True)
        try:
            deadline = time.monotonic() + 180  # a busy shared machine starts slowly
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        tail = log.read_text(errors="replace")[-3000:]
                        raise RuntimeError(f"{argv[0]} did not start:\n{tail}") from None
                    time.sleep(0.2)
            time.sleep(1.0)  # every worker up
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# --- client --------------------------------------------------------------------------------


async def run_phase(phase: Phase, base: str, requests: list[tuple[str, dict[str, str], str]], *,
                    seconds: float, max_requests: int, timeout: float) -> None:
    """``phase.clients`` tasks, each looping over ``requests`` (path, headers, the pseudonym
    the answer must name) from its own offset until the deadline or the request cap."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    issued = 0
    limits = httpx.Limits(max_connections=phase.clients, max_keepalive_connections=phase.clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        deadline = time.perf_counter() + seconds

        async def one_client(i: int) -> None:
            nonlocal issued
            k = i
            while time.perf_counter() < deadline and issued < max_requests:
                issued += 1
                path, headers, pseudonym = requests[k % len(requests)]
                k += phase.clients
                t = time.perf_counter()
                try:
                    r = await client.get(path, headers=headers)
                except httpx.TimeoutException:
                    errors["timeout"] += 1
                    continue
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                latencies.append(time.perf_counter() - t)
                if r.status_code != 200:
                    errors[f"http {r.status_code}"] += 1
                elif r.json().get("applicant") != pseudonym:
                    errors["wrong result"] += 1

        cpu0, load0, start = time.process_time(), loadavg(), time.perf_counter()
        tasks = [asyncio.create_task(one_client(i)) for i in range(phase.clients)]
        _, pending = await asyncio.wait(tasks, timeout=seconds + 2 * timeout)
        for task in pending:  # the hard limit: nothing outlives the phase
            task.cancel()
            errors["cancelled at the hard limit"] += 1
        await asyncio.gather(*pending, return_exceptions=True)
        phase.seconds = round(time.perf_counter() - start, 2)
        phase.client_cpu_s = round(time.process_time() - cpu0, 2)
        phase.load_before, phase.load_after = load0, loadavg()
    latencies.sort()
    phase.requests = issued
    phase.errors = dict(errors)
    phase.ok = len(latencies) - sum(v for k, v in errors.items() if k.startswith(("http", "wrong")))
    phase.rps = round(len(latencies) / phase.seconds, 1) if phase.seconds else 0.0
    if latencies:
        def pct(q: float) -> float:
            return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 1)
        phase.p50_ms, phase.p90_ms, phase.p99_ms = pct(0.50), pct(0.90), pct(0.99)
        phase.max_ms = round(latencies[-1] * 1000, 1)


async def probe(base: str, headers: dict[str, str]) -> float | None:
    """One request after the load: its time in ms if answered (200) within 1 s, else None."""
    async with httpx.AsyncClient(base_url=base, timeout=1.0) as client:
        t = time.perf_counter()
        try:
            r = await client.get("/api/results/me", headers=headers)
        except httpx.HTTPError:
            return None
        return round((time.perf_counter() - t) * 1000, 1) if r.status_code == 200 else None


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--applicants", type=int, default=10_000)
    p.add_argument("--clients", default="200,2000", help="comma-separated client counts")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--max-requests", type=int, default=2_000_000, help="per phase")
    p.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    p.add_argument("--workers", type=int, default=2, help="uvicorn workers, both servers")
    p.add_argument("--threads", type=int, default=40, help="PAIWEI_THREADS of paiwei serve")
    p.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin URL")
    p.add_argument("--json", type=Path, help="write the figures here too")
    args = p.parse_args(argv)
    counts = [int(c) for c in args.clients.split(",")]
    if not (0 < args.seconds <= MAX_SECONDS) or not all(0 < c <= MAX_CLIENTS for c in counts):
        p.error(f"--seconds in (0, {MAX_SECONDS}], each client count in (0, {MAX_CLIENTS}]")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * max(counts) + 256)), hard))

    from bench.test_lookup import _season  # noqa: PLC0415 - the lookup bench's season set-up

    work = Path(tempfile.mkdtemp(prefix="results-day-"))
    phases: list[Phase] = []
    setup: dict[str, Any] = {}
    try:
        with database(args.pg) as url:
            t = time.perf_counter()
            pseudonyms = _season(url, applicants=args.applicants)
            tokens = seed_parents(url, pseudonyms, datetime.now(UTC))
            folder = work / "publication"
            write_publication(url, folder)
            setup["seconds"] = round(time.perf_counter() - t, 1)
            setup["warm_up"] = warm_up(url)
            season = read_index(folder)["season"]
            salt = bytes.fromhex(season["result_key"]["salt"])
            static_requests = [("/" + result_path(season["id"], salt, ps), {}, ps) for ps in pseudonyms]
            api_requests = [("/api/results/me", {"cookie": f"{COOKIE}={tok}"}, ps)
                            for ps, tok in zip(pseudonyms, tokens, strict=True)]
            api_port, static_port = free_port(), free_port()
            api_env = {"PAIWEI_DATABASE_URL": url, "PAIWEI_WORKERS": str(args.workers),
                       "PAIWEI_THREADS": str(args.threads), "PAIWEI_COOKIE_SECURE": "false",
                       "PAIWEI_SESSION_COOKIE_NAME": COOKIE}
            paiwei = [str(Path(sys.executable).parent / "paiwei"), "serve", "--no-migrate",
                      "--no-access-log", "--port", str(api_port)]
            static = [sys.executable, "-m", "uvicorn", "bench.static_app:app_from_environment",
                      "--factory", "--workers", str(args.workers), "--port", str(static_port),
                      "--no-access-log", "--no-proxy-headers", "--log-level", "warning",
                      "--timeout-worker-healthcheck", "60"]  # as paiwei serve
            static_env = {"PAIWEI_BENCH_STATIC_DIR": str(folder)}
            with server(paiwei, api_env, api_port, work / "api.log"), \
                    server(static, static_env, static_port, work / "static.log"):
                for clients in counts:
                    for target, port, reqs in (("static", static_port, static_requests),
                                               ("api", api_port, api_requests)):
                        phase = Phase(target, clients)
                        asyncio.run(run_phase(phase, f"http://127.0.0.1:{port}", reqs, seconds=args.seconds,
                                              max_requests=args.max_requests, timeout=args.timeout))
                        if target == "api":
                            phase.probe_ms = asyncio.run(probe(f"http://127.0.0.1:{port}", api_requests[0][1]))
                        phases.append(phase)
                        print(json.dumps(asdict(phase), ensure_ascii=False), flush=True)
                        time.sleep(2)  # let connections close between phases
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nset-up {setup['seconds']} s; {args.applicants} parents; {args.workers} workers each; "
          f"{args.seconds:g} s per phase; a worker's cache warm-up: {setup['warm_up']}")
    print("| clients | served | requests | errors | rps | p50 ms | p99 ms | max ms | API/static rps "
          "| client CPU s | load (start → end) | probe |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    static_rps = {ph.clients: ph.rps for ph in phases if ph.target == "static"}
    for ph in phases:
        ratio = f"{ph.rps / static_rps[ph.clients]:.2f}" if ph.target == "api" and static_rps.get(ph.clients) \
            else ""
        probe_text = "" if ph.target == "static" else (
            "no answer in 1 s" if ph.probe_ms is None else f"{ph.probe_ms} ms")
        print(f"| {ph.clients} | {ph.target} | {ph.requests} | {sum(ph.errors.values())} "
              f"{dict(ph.errors) if ph.errors else ''} | {ph.rps} | {ph.p50_ms} | {ph.p99_ms} | {ph.max_ms} "
              f"| {ratio} | {ph.client_cpu_s} | {ph.load_before} → {ph.load_after} | {probe_text} |")
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "setup": setup,
                                         "phases": [asdict(ph) for ph in phases]}, indent=2,
                                        ensure_ascii=False))
    failed = any(ph.errors for ph in phases) or any(ph.target == "api" and ph.probe_ms is None for ph in phases)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
