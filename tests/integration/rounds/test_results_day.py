"""Results day: the parents' lookup from the per-process cache of published results, and a
real server (uvicorn on a loopback socket) that recovers by itself after a flood.

The load figures themselves are in ``bench/results_day.py`` (docs/benchmarks.md); nothing
here asserts a throughput.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from api.app import create_app
from paiwei.accounts.models import User, WebSession
from paiwei.intake.models import Applicant
from paiwei.publication import dump
from paiwei.rounds import service
from paiwei.rounds.models import Round
from paiwei.rounds.result_cache import PublishedResults
from paiwei.settings import Settings
from paiwei.sms.sender import OutboxSender
from tests.integration.intake.helpers import FakeClock
from tests.integration.rounds.helpers import Season, scenario

COOKIE = "paiwei_session"


def _parents(db: Session, pseudonyms: list[str], now: datetime) -> list[str]:
    """A parent account, applicant row and live session per pseudonym (synthetic values)."""
    tokens = [f"token-{i}" for i in range(len(pseudonyms))]
    db.execute(insert(User), [{"login": f"24{i:06d}", "role": "parent", "password_hash": "x",
                               "district": "110105", "status": "active", "failed_logins": 0,
                               "created_at": now} for i in range(len(pseudonyms))])
    ids = {login: uid for login, uid in db.execute(select(User.login, User.id))}
    db.execute(insert(Applicant), [
        {"pseudonym": p, "user_id": ids[f"24{i:06d}"], "district": "110105", "status": "verified",
         "created_at": now, "notice_shown_at": now, "agreed_at": now, "child_nationality": "CHN",
         "hukou_province": "11", "residence_district": "110105", "child_name": "测试", "child_sex": "M",
         "child_birth_date": date(2018, 3, 1), "child_id_type": "resident_id",
         "child_id_number": f"X{i:09d}", "guardian_name": "测试", "guardian_mobile": "13900000000",
         "categories": []} for i, p in enumerate(pseudonyms)])
    db.execute(insert(WebSession), [
        {"id": hashlib.sha256(t.encode()).hexdigest(), "user_id": ids[f"24{i:06d}"], "csrf_token": "c",
         "created_at": now, "expires_at": now + timedelta(days=1)} for i, t in enumerate(tokens)])
    db.commit()
    return tokens


class Statements:
    """Counts the SQL statements an engine executes."""

    def __init__(self, engine: Any) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lookup_answers_from_memory_and_follows_each_publication(
        db_session: Session, sessions: sessionmaker[Session], settings: Settings, clock: FakeClock) -> None:
    season = Season(db_session)
    first = season.ready(scenario(60, 4))
    applicants = [a["id"] for a in scenario(60, 4)["applicants"]]
    tokens = _parents(db_session, applicants[:2], clock())
    app = create_app(settings, clock=clock, sms_sender=OutboxSender())
    monotonic = FakeMonotonic()
    app.state.published_results = PublishedResults(app.state.session_factory, recheck_seconds=1.0,
                                                   monotonic=monotonic)
    statements = Statements(app.state.engine)
    with TestClient(app) as client:
        client.cookies.set(COOKIE, tokens[0])
        # Before publication: refused, and the refusal is kept (no query but the session check).
        assert client.get("/api/results/me").json()["code"] == "result_not_published"
        before = statements.count
        answer = client.get("/api/results/me")
        assert answer.status_code == 404 and answer.json()["code"] == "result_not_published"
        assert statements.count - before == 1

        # Publication by another session of this process is seen at once (the commit event).
        season.publish(first)
        answer = client.get("/api/results/me")
        mine = answer.json()
        assert mine["applicant"] == applicants[0] and mine["format"] == "paiwei-result/1"
        assert mine["final"] is False  # the first of the plan's rounds
        with sessions() as other:  # the same document (the same bytes) as the use case gives
            assert answer.content == dump(service.result_for(db_session=other, applicant=applicants[0]))

        # A cached answer costs the session check only; each parent gets their own.
        before = statements.count
        assert client.get("/api/results/me").json() == mine
        assert statements.count - before == 1
        client.cookies.set(COOKIE, tokens[1])
        assert client.get("/api/results/me").json()["applicant"] == applicants[1]
        client.cookies.set(COOKIE, tokens[0])

        # A change the events cannot see (another process: here a Core UPDATE, which no
        # session tracks) is seen once the recheck is due, not before.
        with sessions() as other:
            other.execute(update(Round).where(Round.id == first.id).values(state="signed"))
            other.commit()
        assert client.get("/api/results/me").json() == mine  # still within recheck_seconds
        monotonic.now += 1.5
        assert client.get("/api/results/me").json()["code"] == "result_not_published"

        # Logged out or unknown session: 401 before any cache is consulted.
        client.cookies.set(COOKIE, "no-such-session")
        assert client.get("/api/results/me").json()["code"] == "not_authenticated"
    app.state.engine.dispose()


# --- a real server, flooded ----------------------------------------------------------------


def test_a_warm_cache_answers_every_first_lookup_from_memory_with_the_use_cases_bytes(
        db_session: Session, sessions: sessionmaker[Session], settings: Settings, clock: FakeClock) -> None:
    """Results day is mostly first lookups: a publication fills the cache in one read, so a
    parent's first lookup costs the session check only, and answers what ``result_for``
    gives, byte for byte, for every applicant (and refuses the unpublished alike)."""
    season = Season(db_session)
    first = season.ready(scenario(60, 4))
    applicants = [a["id"] for a in scenario(60, 4)["applicants"]]
    tokens = _parents(db_session, applicants, clock())
    app = create_app(settings, clock=clock, sms_sender=OutboxSender())
    monotonic = FakeMonotonic()
    app.state.published_results = PublishedResults(app.state.session_factory, recheck_seconds=1.0,
                                                   monotonic=monotonic, warm=True)
    statements = Statements(app.state.engine)
    with TestClient(app) as client:
        client.cookies.set(COOKIE, tokens[0])
        assert client.get("/api/results/me").json()["code"] == "result_not_published"
        season.publish(first)
        client.cookies.set(COOKIE, tokens[1])
        assert client.get("/api/results/me").status_code == 200  # sees the publication: a fill starts
        app.state.published_results.settle(timeout=60)  # the fill runs beside the lookups
        with sessions() as other:
            expected = {p: dump(service.result_for(db_session=other, applicant=p)) for p in applicants}
            bulk = {p: dump(d) for p, d in service.published_results(db_session=other)}
        assert bulk == expected  # the bulk builder is the one-by-one builder
        before = statements.count
        for token, pseudonym in zip(tokens, applicants, strict=True):
            client.cookies.set(COOKIE, token)
            answer = client.get("/api/results/me")
            assert answer.status_code == 200 and answer.content == expected[pseudonym]
        assert statements.count - before == len(applicants)  # one statement each: the session check
    app.state.engine.dispose()


def test_warm_up_at_start_fills_the_cache_and_a_cold_cache_reads_per_parent(
        db_session: Session, sessions: sessionmaker[Session], settings: Settings, clock: FakeClock) -> None:
    season = Season(db_session)
    season.publish(season.ready(scenario(40, 4)))
    applicants = [a["id"] for a in scenario(40, 4)["applicants"]]
    tokens = _parents(db_session, applicants[:5], clock())
    for warm in (True, False):
        app = create_app(settings, clock=clock, sms_sender=OutboxSender())
        app.state.published_results = PublishedResults(app.state.session_factory, warm=warm,
                                                       monotonic=FakeMonotonic())
        statements = Statements(app.state.engine)
        with TestClient(app) as client:  # start-up: the lifespan warms the cache
            before = statements.count
            client.cookies.set(COOKIE, tokens[2])
            assert client.get("/api/results/me").json()["applicant"] == applicants[2]
            # warm: the session check only; cold: the session check, the published rounds'
            # recheck, the parent's pseudonym and the result's two queries
            assert statements.count - before == (1 if warm else 5)
        app.state.engine.dispose()


class _Server:
    """uvicorn serving ``app`` on a loopback socket from a thread."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        # An idle keep-alive connection is closed after 60 s, not uvicorn's default 5 s: a
        # close racing the client's reuse of the connection is not what is tested here.
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                                    proxy_headers=False, timeout_keep_alive=60))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            self.thread.join(0.05)
        raise RuntimeError("the test server did not start")

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()


async def _flood(base: str, requests: list[tuple[str, str]], *, clients: int,
                 timeout: float) -> Counter[str]:
    """``clients`` connections sending ``requests`` (path, cookie) as fast as answered;
    the outcome of each (status or the error's name)."""
    outcomes: Counter[str] = Counter()
    queue = list(reversed(requests))
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:

        async def worker() -> None:
            while queue:
                path, token = queue.pop()
                try:
                    r = await client.get(path, headers={"cookie": f"{COOKIE}={token}"})
                    outcomes[str(r.status_code)] += 1
                except httpx.HTTPError as exc:
                    outcomes[type(exc).__name__] += 1

        tasks = [asyncio.create_task(worker()) for _ in range(clients)]
        _, pending = await asyncio.wait(tasks, timeout=60)  # the test's hard upper limit
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        outcomes["unfinished"] += len(queue)
    return outcomes


async def _answered_within_a_second(base: str, path: str, token: str) -> int:
    async with httpx.AsyncClient(base_url=base, timeout=1.0) as client:
        return (await client.get(path, headers={"cookie": f"{COOKIE}={token}"})).status_code


@pytest.fixture
def flooded_world(db_session: Session, settings: Settings,
                  clock: FakeClock) -> Iterator[tuple[_Server, list[str]]]:
    season = Season(db_session)
    season.publish(season.ready(scenario(60, 4)))
    tokens = _parents(db_session, [a["id"] for a in scenario(60, 4)["applicants"]][:20], clock())
    # Few threads and as many connections: a flood far beyond them queues, never wedges.
    small = settings.model_copy(update={"threads": 4, "database_pool_overflow": 0})
    app = create_app(small, clock=clock, sms_sender=OutboxSender())
    with _Server(app) as server:
        yield server, tokens
    app.state.engine.dispose()


@pytest.mark.slow  # a second and third whole demo / a flood: CI runs them (make test-slow)
def test_the_server_answers_a_normal_request_at_once_after_a_flood(
        flooded_world: tuple[_Server, list[str]]) -> None:
    server, tokens = flooded_world
    # Half cached lookups, half a route that reads the database on every request.
    requests = [(path, tokens[i % len(tokens)]) for i in range(300)
                for path in ("/api/results/me", "/api/intake/me")]
    outcomes = asyncio.run(_flood(server.base, requests, clients=150, timeout=30))
    assert outcomes == Counter({"200": len(requests)}), outcomes
    # A flood the clients give up on: the server is left with the work of requests nobody
    # waits for any more.
    asyncio.run(_flood(server.base, requests[:200], clients=200, timeout=0.05))
    for path in ("/api/results/me", "/api/intake/me"):
        assert asyncio.run(_answered_within_a_second(server.base, path, tokens[0])) == 200


def test_paiwei_serve_runs_settings_workers_in_factory_mode_without_proxy_headers(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from paiwei.cli import serve  # noqa: PLC0415

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.setenv("PAIWEI_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/none")
    monkeypatch.setenv("PAIWEI_WORKERS", "3")
    serve.serve_command(port=8123, migrate=False)
    app, kw = calls[0]
    assert app == "api.app:app_from_environment" and kw["factory"] is True
    assert kw["workers"] == 3 and kw["proxy_headers"] is False and kw["port"] == 8123
    # Without PAIWEI_WORKERS: one per CPU on PostgreSQL, one on SQLite.
    monkeypatch.delenv("PAIWEI_WORKERS")
    assert serve.worker_count(Settings()) >= 1
    monkeypatch.setenv("PAIWEI_DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    assert serve.worker_count(Settings()) == 1
