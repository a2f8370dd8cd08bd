"""Every route declares its scope, and the declaration holds for every role, own and other
district and street (issue 16: cross-district writes and reads, an unscoped route).

The first test walks the app's route table: a route without exactly one access
declaration, or with one that differs from ``SCOPES``, fails it. The second calls every
route that names a resource with real resources of Chaoyang (110105), as each role of
Chaoyang (own and other street) and of Haidian (110108), and checks the answer the
declaration implies.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from api.app import create_app
from api.scope import declared_access
from paiwei.settings import Settings
from tests.integration.choices.helpers import beijing, set_up_district
from tests.integration.intake.helpers import (
    HAIDIAN,
    OTHER_STREET,
    STAFF_PASSWORD,
    STREET,
    Intake,
    details,
    make_staff,
)
from tests.integration.intake.test_roles_and_api import SCOPES
from tests.integration.web.test_pages import PAGE_SCOPES

REFUSALS = {"forbidden", "not_authenticated", "csrf_failed", "out_of_district", "out_of_street"}


def test_every_route_declares_exactly_its_scope(settings: Settings) -> None:
    app = create_app(settings)
    seen = set()
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute):
            continue  # the OpenAPI document and docs pages
        declared = declared_access(route.dependant)
        for method in route.methods or ():
            key = (method, route.path)
            seen.add(key)
            assert len(declared) == 1, f"{key}: {len(declared)} access declarations"
            rules = {str(role): str(scope) for role, scope in declared[0].rules.items()}
            table = SCOPES if route.path.startswith("/api/") else PAGE_SCOPES  # pages: issue 21
            assert key in table, f"{key} is not in the scope table"
            assert rules == table[key], key
    app.state.engine.dispose()
    assert seen == set(SCOPES) | set(PAGE_SCOPES)


# who -> (role, district, street)
USERS: dict[str, tuple[str, str | None, str | None]] = {
    "street-own": ("street_reviewer", "110105", STREET),
    "street-other": ("street_reviewer", "110105", OTHER_STREET),
    "street-haidian": ("street_reviewer", HAIDIAN, "110108001"),
    "district-own": ("district_staff", "110105", None),
    "district-haidian": ("district_staff", HAIDIAN, None),
    "notary": ("notary", None, None),
    "auditor": ("auditor", None, None),
}


def _expected(rules: dict[str, str], role: str, district: str | None, street: str | None) -> str:
    if role not in rules:
        return "forbidden"
    scope = rules[role]
    if scope in {"all", "own_account"}:
        return "allowed"
    if district != "110105":
        return "out_of_district"
    if scope == "own_street" and street != STREET:
        return "out_of_street"
    return "allowed"


def _world(intake: Intake) -> dict[str, str]:
    """Chaoyang's windows, a primary round, and an applicant on STREET awaiting review."""
    start = beijing(5, 6, 9)
    intake.clock.now = start
    set_up_district(intake.sessions, start)
    for who, (role, district, street) in USERS.items():
        make_staff(intake.sessions, intake.clock, who, role, district=district, street=street)
    account = intake.register(1).json()["account_no"]
    assert intake.login(account).status_code == 200
    assert intake.client.put("/api/intake/me/details", json=details()).status_code == 200
    pseudonym = intake.client.get("/api/intake/me").json()
    intake.logout()
    assert intake.login("district-own", STAFF_PASSWORD).status_code == 200
    queue = intake.client.get("/api/review/applicants").json()
    created = intake.client.post("/api/rounds", json={"stage": "primary"})
    assert created.status_code == 201, created.text
    window = intake.client.get("/api/windows").json()[0]["id"]
    intake.logout()
    assert len(queue) == 1 and pseudonym["status"] == "details_submitted"
    return {"pseudonym": queue[0]["pseudonym"], "applicant": queue[0]["pseudonym"],
            "round_pk": str(created.json()["id"]), "window_id": str(window), "year": "2024"}


def _bodies() -> dict[str, Any]:
    # Well-formed where the route reads a body, so validation does not answer first.
    return {
        "/api/review/applicants/{pseudonym}/return": {"reason": "材料不全"},
        "/api/review/applicants/{pseudonym}/findings": {"findings": ["garage"]},
        "/api/windows/{window_id}/extension": {"closes_at": "2024-12-31T00:00:00+08:00",
                                               "reason": "系统维护"},
        "/api/rounds/{round_pk}/inputs": {"scenario": {}},
        "/api/rounds/{round_pk}/commitments": {"contributor": "x", "commitment": "00" * 32},
        "/api/rounds/{round_pk}/reveals": {"contributor": "x", "nonce": "00" * 16, "value": "00"},
        "/api/rounds/{round_pk}/contributions": {"contributor": "x", "value": "00"},
        "/api/rounds/{round_pk}/waivers": {"contributor": "x", "reason": "未到场"},
        "/api/rounds/{round_pk}/season-keys": {"keys": {"district": "00" * 32, "notary": "11" * 32}},
        "/api/rounds/{round_pk}/season-keys/changes": {"statement": {}},
        "/api/rounds/{round_pk}/freeze": {"statement": None},
        "/api/rounds/{round_pk}/sign": {"signer": "district", "public_key": "00" * 32, "signature": "00" * 64},
        "/api/rounds/{round_pk}/countersign": {},
        "/api/rounds/{round_pk}/beacon": {"record": {}},
    }


@pytest.mark.parametrize("who", sorted(USERS))
def test_resources_are_reached_only_within_scope(intake: Intake, who: str) -> None:
    ids = _world(intake)
    role, district, street = USERS[who]
    assert intake.login(who, STAFF_PASSWORD).status_code == 200
    bodies = _bodies()
    checked = 0
    for (method, path), rules in sorted(SCOPES.items()):
        names = [name for name in ids if "{" + name + "}" in path]
        if not names or not rules:
            continue  # listings and public routes: below and in the role matrix
        url = path
        for name in names:
            url = url.replace("{" + name + "}", ids[name])
        params = {"district": "chaoyang", "fmt": "csv"} if path.startswith("/api/plans/") else None
        response = intake.client.request(method, url, params=params, json=bodies.get(path))
        assert response.status_code != 500, (method, path)
        code = response.json().get("code") if response.headers["content-type"].startswith(
            "application/problem+json") else None
        expected = _expected(rules, role, district, street)
        if expected == "allowed":
            assert code not in REFUSALS, (who, method, path, response.text)
        else:
            assert (response.status_code, code) == (403, expected), (who, method, path, response.text)
        checked += 1
    assert checked >= 20


def test_listings_show_only_the_own_district_and_street(intake: Intake) -> None:
    _world(intake)
    for who, count in (("street-own", 1), ("street-other", 0), ("district-own", 1),
                       ("district-haidian", 0), ("street-haidian", 0)):
        intake.logout()
        assert intake.login(who, STAFF_PASSWORD).status_code == 200
        assert len(intake.client.get("/api/review/applicants").json()) == count, who
    intake.logout()
    assert intake.login("district-haidian", STAFF_PASSWORD).status_code == 200
    assert intake.client.get("/api/windows").json() == []


def test_plans_are_refused_for_another_or_an_unknown_district(intake: Intake) -> None:
    _world(intake)
    assert intake.login("district-haidian", STAFF_PASSWORD).status_code == 200
    csv = b"id,name,kind,stage,seats,zone\n"
    other = intake.client.post("/api/plans/2024", params={"district": "chaoyang", "fmt": "csv"},
                               content=csv, headers={"content-type": "text/csv"})
    assert (other.status_code, other.json()["code"]) == (403, "out_of_district")
    unknown = intake.client.post("/api/plans/2024", params={"district": "no-such-district", "fmt": "csv"},
                                 content=csv, headers={"content-type": "text/csv"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "district"
