"""Result lookup benchmark: 10,000 parents each fetch their own result (manual §五).

Set-up (not measured): a migrated file-backed SQLite database; a whole primary season
of the synthetic district (``allocation.generate_district(10_000, 60, seed=2024)``) run
through the round lifecycle's use cases (create, commit, freeze, reveal, contribute,
close, run, sign, countersign: four published rounds); then one parent account,
applicant row and live web session per applicant, inserted in bulk (synthetic
values, nothing personal).

Measured, in the same run and the same app: ``GET /api/results/me`` once per parent
(10,000 distinct sessions, each an authenticated lookup that reads the parent's rows
of every published round), and a bare endpoint added to that app (no session, no
database) requested as many times. Requests go through Starlette's TestClient
in-process (no sockets), one at a time. Figures (requests per second, p50, p99) go
to ``extra_info``; see docs/benchmarks.md. Run: ``.venv/bin/pytest bench/test_lookup.py -q``.
"""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from starlette.testclient import TestClient

from allocation import generate_district, shipped_policy_text
from api.app import create_app
from lottery import public_key_hex
from paiwei.accounts.models import User, WebSession
from paiwei.audit.service import Actor
from paiwei.db import make_engine, make_session_factory, upgrade_to_head
from paiwei.intake.models import Applicant
from paiwei.rounds import service, signer
from paiwei.settings import Settings
from seeding import commit

APPLICANTS = 10_000
SCHOOLS = 60
NOW = datetime(2024, 7, 1, 2, 0, tzinfo=UTC)
ACTOR = Actor(None, "bench")


def _season(url: str, applicants: int = APPLICANTS) -> list[str]:
    """A published primary season of the synthetic district (also ``bench.results_day``)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: PLC0415

    sc = generate_district(applicants, max(6, applicants * SCHOOLS // APPLICANTS), seed=2024)
    district, notary = (Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32) for n in (1, 2))
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as db:
            for k in range(4):
                row = service.create(db_session=db, actor=ACTOR, policy_text=shipped_policy_text(),
                                     stage="primary", scenario=sc if k == 0 else None, now=NOW)
                c = commit(row.draw_id, "district")
                assert c.commitment is not None and c.nonce is not None
                service.record_commitment(db_session=db, actor=ACTOR, round_pk=row.id, contributor="district",
                                          commitment=c.commitment.hex(), now=NOW)
                service.pin_keys(db_session=db, actor=ACTOR, round_pk=row.id, now=NOW,
                                 keys={"district": public_key_hex(district), "notary": public_key_hex(notary)})
                row = signer.freeze(db_session=db, actor=ACTOR, round_pk=row.id, district_key=district, now=NOW)
                if row.state == "empty":
                    continue
                service.reveal(db_session=db, actor=ACTOR, round_pk=row.id, contributor="district",
                               nonce=c.nonce.hex(), value=c.value.hex(), now=NOW)
                service.contribute(db_session=db, actor=ACTOR, round_pk=row.id, contributor="notary",
                                   value="0102", now=NOW)
                service.close_ceremony(db_session=db, actor=ACTOR, round_pk=row.id, now=NOW)
                service.run(db_session=db, actor=ACTOR, round_pk=row.id, now=NOW)
                signer.sign(db_session=db, actor=ACTOR, round_pk=row.id, district_key=district, now=NOW)
                signer.countersign(db_session=db, actor=ACTOR, round_pk=row.id, notary_key=notary, now=NOW)
            return [a["id"] for a in sc["applicants"]]
    finally:
        engine.dispose()


def _parents(url: str, pseudonyms: list[str], now: datetime = NOW) -> list[str]:
    """One parent per applicant with a live session; returns the session tokens (also the
    results-day load test's set-up, bench/results_day.py)."""
    engine = make_engine(url)
    tokens = [f"bench-token-{i:06d}" for i in range(len(pseudonyms))]
    try:
        with make_session_factory(engine)() as db:
            db.execute(insert(User), [
                {"login": f"24{i:06d}", "role": "parent", "password_hash": "x", "district": "110105",
                 "status": "active", "failed_logins": 0, "created_at": now} for i in range(len(pseudonyms))])
            ids = {login: uid for login, uid in db.execute(select(User.login, User.id))}
            db.execute(insert(Applicant), [
                {"pseudonym": p, "user_id": ids[f"24{i:06d}"], "district": "110105", "status": "verified",
                 "created_at": now, "notice_shown_at": now, "agreed_at": now, "child_nationality": "CHN",
                 "hukou_province": "11", "residence_district": "110105", "child_name": "测试",
                 "child_sex": "M", "child_birth_date": date(2018, 3, 1), "child_id_type": "resident_id",
                 "child_id_number": f"X{i:09d}", "guardian_name": "测试", "guardian_mobile": "13900000000",
                 "categories": []} for i, p in enumerate(pseudonyms)])
            db.execute(insert(WebSession), [
                {"id": hashlib.sha256(t.encode()).hexdigest(), "user_id": ids[f"24{i:06d}"], "csrf_token": "c",
                 "created_at": now, "expires_at": now + timedelta(days=30)} for i, t in enumerate(tokens)])
            db.commit()
    finally:
        engine.dispose()
    return tokens


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, list[str], Settings]]:
    path: Path = tmp_path_factory.mktemp("lookup") / "paiwei.sqlite3"
    url = f"sqlite:///{path}"
    upgrade_to_head(url)
    pseudonyms = _season(url)
    tokens = _parents(url, pseudonyms)
    settings = Settings(database_url=url, environment="test", cookie_secure=False)
    app = create_app(settings, clock=lambda: NOW)

    @app.get("/bench/bare")
    def bare() -> dict[str, bool]:
        return {"ok": True}

    with TestClient(app) as client:
        yield client, tokens, settings
    app.state.engine.dispose()


def _measure(client: TestClient, requests: list[tuple[str, dict[str, str]]]) -> dict[str, float]:
    latencies = []
    start = time.perf_counter()
    for path, cookies in requests:
        t = time.perf_counter()
        client.cookies.clear()
        for k, v in cookies.items():
            client.cookies.set(k, v)
        response = client.get(path)
        latencies.append(time.perf_counter() - t)
        assert response.status_code == 200, response.text
    total = time.perf_counter() - start
    latencies.sort()
    return {"requests": len(requests), "seconds": round(total, 3), "rps": round(len(requests) / total, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 3),
            "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000, 3)}


def test_lookup_of_10k_results_beside_a_bare_endpoint(benchmark: Any,
                                                      world: tuple[TestClient, list[str], Settings]) -> None:
    client, tokens, settings = world
    cookie = settings.session_cookie_name
    # one check that the lookups are real: a parent sees their own published result
    client.cookies.set(cookie, tokens[0])
    first = client.get("/api/results/me").json()
    assert first["format"] == "paiwei-result/1" and first["status"] in ("placed", "unplaced", "ineligible")
    lookups = [("/api/results/me", {cookie: t}) for t in tokens]
    bare = [("/bench/bare", {}) for _ in tokens]
    figures: dict[str, dict[str, float]] = {}

    def once() -> None:
        figures["bare"] = _measure(client, bare)
        figures["lookup"] = _measure(client, lookups)

    benchmark.pedantic(once, rounds=1, iterations=1, warmup_rounds=0)
    benchmark.extra_info.update({f"{name}_{k}": v for name, f in figures.items() for k, v in f.items()})
    benchmark.extra_info["lookup_vs_bare_rps"] = round(figures["bare"]["rps"] / figures["lookup"]["rps"], 2)
    print(figures)  # the figures recorded in docs/benchmarks.md
