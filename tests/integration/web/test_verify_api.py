"""POST /api/verify/bundle: the reference verifier's report for the notary page."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.intake.helpers import Intake

VECTOR = Path(__file__).resolve().parents[2] / "vectors" / "b_tiny_preference_first.json"
TEST_KEY = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"


def test_verify_api_reports_every_check(intake: Intake) -> None:
    v = json.loads(VECTOR.read_text("utf-8"))
    body = json.dumps(v["bundle"], ensure_ascii=False).encode()
    ok = intake.client.post("/api/verify/bundle", params={"key": f"test-district={TEST_KEY}"}, content=body)
    assert ok.status_code == 200
    assert ok.json()["valid"] is True
    assert [c["name"] for c in ok.json()["checks"]] == v["report"]["checks"]

    tampered = json.loads(body)
    tampered["assignments"][0]["ticket"] = "00" * 32
    bad = intake.client.post("/api/verify/bundle", params={"key": f"notary={TEST_KEY}"},
                             content=json.dumps(tampered).encode())
    assert bad.status_code == 200 and bad.json()["valid"] is False
    failed = [c["name"] for c in bad.json()["checks"] if not c["ok"]]
    # test-district is not a name the caller trusts: not checked, not a failure (issue 19).
    assert failed == ["tickets", "missing signature of notary"]
    assert [u["signer"] for u in bad.json()["not_checked"]] == ["test-district"]
    untrusted = intake.client.post("/api/verify/bundle", content=body)
    assert untrusted.status_code == 200 and untrusted.json()["valid"] is False
    assert [c["name"] for c in untrusted.json()["checks"] if not c["ok"]] == ["trusted signature"]

    malformed = intake.client.post("/api/verify/bundle", content=b'{"format": "paiwei-draw/1", "x": 1.5}')
    assert malformed.status_code == 422
    assert malformed.headers["content-type"].startswith("application/problem+json")
    assert malformed.json()["code"] == "bundle_malformed"
    bad_key = intake.client.post("/api/verify/bundle", params={"key": "district=xyz"}, content=body)
    assert bad_key.status_code == 422 and bad_key.json()["code"] == "bad_key"


def test_verify_api_takes_a_round_sized_bundle_but_not_more(intake: Intake) -> None:
    v = json.loads(VECTOR.read_text("utf-8"))
    bundle = v["bundle"]
    bundle["padding"] = "x" * (200 * 1024)  # larger than an ordinary request body
    big = intake.client.post("/api/verify/bundle", params={"key": f"test-district={TEST_KEY}"},
                             content=json.dumps(bundle).encode())
    assert big.status_code == 200
    assert [c["name"] for c in big.json()["checks"] if not c["ok"]] == ["signature of test-district"]
    limit = intake.client.app.state.settings.max_upload_bytes  # type: ignore[attr-defined]
    huge = intake.client.post("/api/verify/bundle", content=b" " * (limit + 1))
    assert huge.status_code == 413
