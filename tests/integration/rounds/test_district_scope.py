"""District staff act only on their own district's rounds (role checks are part of every
feature): a Haidian (110108) staff account is refused on a Chaoyang round at every route
district staff use, while Chaoyang's (110105) own staff may act."""

from __future__ import annotations

import pytest

from paiwei import data
from paiwei.rounds import service
from paiwei.rounds.errors import RoundError
from tests.integration.choices.helpers import beijing, set_up_district
from tests.integration.intake.helpers import STAFF_PASSWORD, Intake, make_staff

# Well-formed bodies: a malformed one is refused by validation (422) before any round is read.
SIGNATURE = {"signer": "district", "public_key": "00" * 32, "signature": "00" * 64}
DISTRICT_STAFF_ROUTES = [
    ("GET", "/api/rounds/{pk}", None),
    ("PUT", "/api/rounds/{pk}/inputs", {"scenario": {}}),
    ("POST", "/api/rounds/{pk}/commitments", {"contributor": "district", "commitment": "00" * 32}),
    ("POST", "/api/rounds/{pk}/season-keys", {"keys": {"district": "00" * 32, "notary": "11" * 32}}),
    ("POST", "/api/rounds/{pk}/season-keys/changes", {"statement": {}}),
    ("GET", "/api/rounds/{pk}/freeze-draft", None),
    ("POST", "/api/rounds/{pk}/freeze", {"statement": None}),
    ("POST", "/api/rounds/{pk}/reveals", {"contributor": "district", "nonce": "00" * 16, "value": "00"}),
    ("POST", "/api/rounds/{pk}/close-ceremony", None),
    ("POST", "/api/rounds/{pk}/run", None),
    ("POST", "/api/rounds/{pk}/sign", SIGNATURE),
    ("GET", "/api/rounds/{pk}/results", None),
    ("GET", "/api/rounds/{pk}/package", None),
]


def test_policy_districts_map_to_intake_codes() -> None:
    assert data.district_slug("110105") == "chaoyang"
    assert data.district_slug("110108") == "haidian"
    assert data.district_slug("999999") is None
    service.require_district(district="chaoyang", staff_district="110105")
    for other in ("110108", None, "999999"):
        with pytest.raises(RoundError) as caught:
            service.require_district(district="chaoyang", staff_district=other)
        assert caught.value.code == "out_of_district"


def test_staff_of_another_district_are_refused_on_every_round_route(intake: Intake) -> None:
    start = beijing(6, 1)
    intake.clock.now = start
    set_up_district(intake.sessions, start)
    make_staff(intake.sessions, intake.clock, "chaoyang1", "district_staff", district="110105")
    make_staff(intake.sessions, intake.clock, "haidian1", "district_staff", district="110108")

    intake.logout()
    assert intake.login("haidian1", STAFF_PASSWORD).status_code == 200
    refused = intake.client.post("/api/rounds", json={"stage": "primary"})
    assert refused.status_code == 403 and refused.json()["code"] == "out_of_district"

    intake.logout()
    assert intake.login("chaoyang1", STAFF_PASSWORD).status_code == 200
    created = intake.client.post("/api/rounds", json={"stage": "primary"})
    assert created.status_code == 201, created.text
    pk = created.json()["id"]
    own = intake.client.get(f"/api/rounds/{pk}")
    assert own.status_code == 200

    intake.logout()
    assert intake.login("haidian1", STAFF_PASSWORD).status_code == 200
    for method, path, body in DISTRICT_STAFF_ROUTES:
        response = intake.client.request(method, path.format(pk=pk), json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["code"] == "out_of_district", (method, path)
