"""Browser tests: Playwright for Python driving Debian's Chromium against the app served by
uvicorn on 127.0.0.1 with a fresh SQLite database.

Chromium comes from Debian (``make test`` installs it with apt-get); Playwright's own
browser download is never used. Without /usr/bin/chromium or the playwright package the
tests skip, saying which is missing.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from paiwei.db import make_engine, make_session_factory, upgrade_to_head
from paiwei.settings import Settings
from paiwei.sms.sender import OutboxSender

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


class ShiftClock:
    """Real time moved by ``shift``: the countdown and SMS waits run, windows can be reached."""

    def __init__(self) -> None:
        self.shift = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.shift

    def set(self, moment: datetime) -> None:
        self.shift = moment - datetime.now(UTC)


@dataclass
class Live:
    url: str
    sessions: sessionmaker[Session]
    clock: ShiftClock
    settings: Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    path = tmp_path_factory.mktemp("e2e") / "paiwei.sqlite3"
    url = f"sqlite:///{path}"
    upgrade_to_head(url)
    settings = Settings(database_url=url, scrypt_log2_n=10, cookie_secure=False, environment="test",
                        intake_year=2024, notice_min_read_seconds=2)
    clock = ShiftClock()
    app = create_app(settings, clock=clock, sms_sender=OutboxSender())
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    engine = make_engine(url)
    yield Live(f"http://127.0.0.1:{port}", make_session_factory(engine), clock, settings)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()
    app.state.engine.dispose()


# Module scope, not session: sync_playwright keeps an asyncio loop running in this thread
# until it exits, and a later test in the same process (serial, or the same xdist worker)
# calling asyncio.run() would fail with "cannot be called from a running event loop".
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium: `make test` installs Debian's "
                    "chromium with apt-get, which failed or is not available on this machine")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A page at phone size (390 × 844), Chinese locale."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="zh-CN",
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core (vendored from npm) run in the page; serious and critical violations."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                           ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
                           " nodes: v.nodes.map(n => n.target.join(' '))}))")
    return [v for v in result if v["impact"] in {"serious", "critical"}]
