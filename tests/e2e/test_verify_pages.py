"""The checks anyone runs in their browser: the ticket page (Web Crypto SHA-256) against the
server's lottery, and the notary page's JavaScript verifier against the spec's vectors and
against the Python verifier on valid and tampered bundles of both mechanisms."""

from __future__ import annotations

import copy
import json
import random
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

import lottery
from seeding import Contribution, commit
from tests.e2e.conftest import Live, axe_violations
from tests.strategies import DISTRICT_KEY, NOTARY_KEY, make_bundle

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
DRAW_VECTORS = sorted(p for p in VECTORS.glob("*.json") if "bundle" in json.loads(p.read_text("utf-8")))
TEST_KEY = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"


def random_inputs(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    schools = [{"id": f"s-{i}", "capacity": rng.randint(0, 4)} for i in range(rng.randint(1, 5))]
    names = ["A", "é", "甲", "ｱ", "𠀀", "z"]
    applicants = []
    for i in range(rng.randint(1, 30)):
        chosen = rng.sample([s["id"] for s in schools], rng.randint(0, len(schools)))
        priority = {s: rng.randint(-1, 2) for s in chosen}
        applicants.append({"id": f"{rng.choice(names)}-{i:03d}", "choices": chosen, "priority": priority})
    return schools, applicants


def random_bundle(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    schools, applicants = random_inputs(rng)
    mechanism = rng.choice(list(lottery.Mechanism))
    draw_id = f"e2e/{seed}" if seed % 5 else f"rehearsal/e2e/{seed}"
    contributions = [commit(draw_id, "公证处", bytes([seed % 256]) * 8), Contribution("beacon", b"\x01\x02")]
    return make_bundle(schools, applicants, draw_id=draw_id, mechanism=mechanism,
                       contributions=contributions,
                       signers={"district": DISTRICT_KEY, "notary": NOTARY_KEY})


def tamper(bundle: dict[str, Any], how: str, rng: random.Random) -> dict[str, Any]:
    b = copy.deepcopy(bundle)
    if how == "ticket":
        a = rng.choice(b["assignments"])
        a["ticket"] = ("0" if a["ticket"][0] != "0" else "1") + a["ticket"][1:]
    elif how == "assignment":
        a = rng.choice(b["assignments"])
        a["school"] = None if a["school"] is not None else b["schools"][0]["id"]
    elif how == "capacity":
        b["schools"][0]["capacity"] += 1
    elif how == "seed":
        b["ceremony"]["seed"] = "00" + b["ceremony"]["seed"][2:]
    elif how == "contribution":
        c = b["ceremony"]["contributions"][0]
        c["value"] = "ff" + c["value"][2:]
    elif how == "signature":
        s = b["signatures"][0]
        s["signature"] = ("1" if s["signature"][0] != "1" else "2") + s["signature"][1:]
    elif how == "results":
        b["school_results"][0]["listed"] += 1
    elif how == "unsigned":
        b["signatures"] = []
    elif how == "malformed":
        b["schools"][0]["capacity"] = -1
    return b


def python_verdict(bundle: dict[str, Any], trusted: dict[str, str] | None) -> tuple[str, list[str]]:
    keys = {k: bytes.fromhex(v) for k, v in (trusted or {}).items()} or None
    try:
        report = lottery.verify(lottery.parse_bundle(json.dumps(bundle, ensure_ascii=False).encode()), keys)
    except lottery.VerificationError as exc:
        report = exc.report
    except lottery.InvalidBundle:
        return "INVALID", ["malformed"]
    return ("VALID" if report.valid else "INVALID"), [c.name for c in report.failures]


def browser_verdict(page: Any, live: Live, tmp: Path, bundle: Any, trusted: dict[str, str] | None
                    ) -> tuple[str, list[str], dict[str, Any] | None]:
    if page.url != f"{live.url}/verify/bundle":
        page.goto(f"{live.url}/verify/bundle")
    page.fill("#trusted-keys", "\n".join(f"{k}={v}" for k, v in (trusted or {}).items()))
    path = tmp / "bundle.json"
    path.write_bytes(bundle if isinstance(bundle, bytes) else json.dumps(bundle, ensure_ascii=False).encode())
    page.evaluate("document.getElementById('verdict').textContent = '';"
                  " document.getElementById('bundle-file').value = ''")
    page.set_input_files("#bundle-file", str(path))
    expect(page.locator("#verdict")).to_have_text(re.compile(r"^(VALID|INVALID)$"), timeout=60_000)
    # The reference verifier's answer for the same bytes is shown beside, and agrees.
    expect(page.locator("#agreement")).to_have_attribute("data-same", re.compile(r"^(yes|no)$"), timeout=60_000)
    assert page.get_attribute("#agreement", "data-same") == "yes", page.text_content("#server-failed-checks")
    assert page.text_content("#server-verdict") == page.text_content("#verdict")
    page.evaluate("delete document.getElementById('agreement').dataset.same")
    verdict = page.text_content("#verdict")
    failed = [t.removeprefix("未通过 ") for t in page.locator("#failed-checks li").all_text_contents()]
    report = page.evaluate("document.body.dataset.report ? JSON.parse(document.body.dataset.report) : null")
    page.evaluate("delete document.body.dataset.report")
    return verdict, failed, report


def test_ticket_page_equals_the_lottery_for_every_applicant(live: Live, phone: Any) -> None:
    bundle = random_bundle(3)
    vector_d = json.loads((VECTORS / "d_text.json").read_text("utf-8"))["bundle"]
    for b in (bundle, vector_d):
        seed = b["ceremony"]["seed"]
        expected = dict(zip((a["id"] for a in b["applicants"]),
                            (t.hex() for t in lottery.tickets(bytes.fromhex(seed),
                                                              [a["id"] for a in b["applicants"]])),
                            strict=True))
        assert expected == {a["applicant"]: a["ticket"] for a in b["assignments"]}
        for applicant, ticket in expected.items():
            query = urlencode({"draw_id": b["draw_id"], "seed": seed, "applicant": applicant})
            phone.goto(f"{live.url}/verify/ticket?{query}")
            expect(phone.locator("#ticket")).to_have_attribute("data-state", "done")
            assert phone.text_content("#ticket") == ticket, applicant


@pytest.mark.parametrize("vector", DRAW_VECTORS, ids=lambda p: p.stem)
def test_bundle_page_agrees_with_every_vector(live: Live, desktop: Any, tmp_path: Path, vector: Path) -> None:
    v = json.loads(vector.read_text("utf-8"))
    verdict, failed, report = browser_verdict(desktop, live, tmp_path, v["bundle"], {"test-district": TEST_KEY})
    assert (verdict, failed) == ("VALID", [])
    assert report is not None
    assert [c["name"] for c in report["checks"]] == v["report"]["checks"]
    assert report["rehearsal"] == v["report"]["rehearsal"]
    assert report["placed"] == v["report"]["placed"]


def test_bundle_page_agrees_with_the_python_verifier_on_random_and_tampered_bundles(
        live: Live, desktop: Any, tmp_path: Path) -> None:
    rng = random.Random(21)
    trusted = {"district": lottery.public_key_hex(DISTRICT_KEY), "notary": lottery.public_key_hex(NOTARY_KEY)}
    ways = ["ticket", "assignment", "capacity", "seed", "contribution", "signature", "results",
            "unsigned", "malformed"]
    seen = {"VALID": 0, "INVALID": 0}
    mechanisms = set()
    for seed in range(12):
        bundle = random_bundle(seed)
        mechanisms.add(bundle.get("mechanism", "deferred-acceptance"))
        cases = [(bundle, trusted), (bundle, None), (bundle, {"district": trusted["notary"]}),
                 (tamper(bundle, ways[seed % len(ways)], rng), trusted),
                 (tamper(bundle, rng.choice(ways), rng), None)]
        for b, keys in cases:
            expected = python_verdict(b, keys)
            verdict, failed, _ = browser_verdict(desktop, live, tmp_path, b, keys)
            if expected[1] == ["malformed"]:
                assert verdict == "INVALID" and len(failed) == 1 and failed[0].startswith("malformed bundle")
            else:
                assert (verdict, failed) == expected, (seed, keys)
            seen[verdict] += 1
    assert seen["VALID"] >= 12 and seen["INVALID"] >= 24
    assert mechanisms == {"deferred-acceptance", "preference-first"}
    # Not JSON at all, and a float where the domain has integers only.
    for raw in (b"{not json", json.dumps(random_bundle(1)).replace('"capacity": 0', '"capacity": 0.0').encode()):
        verdict, failed, _ = browser_verdict(desktop, live, tmp_path, raw, None)
        assert verdict == "INVALID" and failed[0].startswith("malformed bundle")


@pytest.mark.parametrize("mechanism", list(lottery.Mechanism), ids=lambda m: m.value)
def test_bundle_page_on_a_district_sized_bundle(live: Live, desktop: Any, tmp_path: Path,
                                                mechanism: lottery.Mechanism) -> None:
    """3,000 applicants over 40 schools, oversubscribed, priority classes: the browser's
    assignment and per-school summary equal the reference's, and the progress bar completes."""
    rng = random.Random(3000)
    schools = [{"id": f"S{i:02d}", "capacity": rng.randint(10, 80)} for i in range(40)]
    applicants = []
    for i in range(3000):
        chosen = rng.sample([s["id"] for s in schools], rng.randint(1, 6))
        applicants.append({"id": f"A{i:05d}", "choices": chosen,
                           "priority": {s: rng.randint(0, 2) for s in chosen}})
    bundle = make_bundle(schools, applicants, draw_id=f"e2e/large/{mechanism.value}", mechanism=mechanism)
    trusted = {"district": lottery.public_key_hex(DISTRICT_KEY)}
    verdict, failed, report = browser_verdict(desktop, live, tmp_path, bundle, trusted)
    assert (verdict, failed) == ("VALID", [])
    assert report is not None and report["applicants"] == 3000
    assert report["placed"] == sum(a["school"] is not None for a in bundle["assignments"])
    assert desktop.get_attribute("#progress", "value") == "100"
    # One moved seat is found by the browser and by the reference alike.
    moved = copy.deepcopy(bundle)
    unplaced = next(a for a in moved["assignments"] if a["school"] is None)
    unplaced["school"] = "S00"
    assert python_verdict(moved, trusted) == browser_verdict(desktop, live, tmp_path, moved, trusted)[:2]


def test_ticket_page_shows_where_the_ticket_stands_at_each_school(live: Live, phone: Any,
                                                                  tmp_path: Path) -> None:
    bundle = random_bundle(7)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    tickets = {a["applicant"]: a["ticket"] for a in bundle["assignments"]}
    me = max(bundle["applicants"], key=lambda a: len(a["choices"]))
    assert me["choices"]
    query = urlencode({"draw_id": bundle["draw_id"], "seed": bundle["ceremony"]["seed"], "applicant": me["id"]})
    phone.goto(f"{live.url}/verify/ticket?{query}")
    expect(phone.locator("#ticket")).to_have_text(tickets[me["id"]])
    phone.set_input_files("#ticket-bundle", str(path))
    expect(phone.locator("#standing")).to_be_visible()
    assert phone.text_content("#standing-note") == "派位号与公示数据一致。"
    rows = phone.locator("#standing tbody tr")
    assert rows.count() == len(me["choices"])
    for k, school in enumerate(me["choices"]):
        listed = sorted((a for a in bundle["applicants"] if school in a["choices"]),
                        key=lambda a: (a["priority"][school], tickets[a["id"]], a["id"].encode()))
        position = [a["id"] for a in listed].index(me["id"]) + 1
        assert rows.nth(k).locator("td").nth(2).text_content() == f"{position} / {len(listed)}"
    assert axe_violations(phone) == []
