"""The role × route matrix, the OpenAPI document, and personal data kept out of logs."""

from __future__ import annotations

import logging

import pytest

from api.app import create_app
from paiwei.settings import Settings
from tests.integration.intake.helpers import STAFF_PASSWORD, STREET, Intake, child_id, make_staff

P, S, D, N, A = "parent", "street_reviewer", "district_staff", "notary", "auditor"
PUBLIC = "public"
OWN, STREET_, DISTRICT_, ALL = "own_account", "own_street", "own_district", "all"
EVERYONE_OWN = {P: OWN, S: OWN, D: OWN, N: OWN, A: OWN}
# (method, path) -> {role admitted: its scope}; {} is public. Every API route appears here,
# and each route's declared access (api.scope) must equal its entry.
SCOPES: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/api/captchas"): {},
    ("GET", "/api/captchas/{captcha_id}.png"): {},
    ("POST", "/api/sms/register-codes"): {},
    ("GET", "/api/enumerations/{name}"): {},
    ("POST", "/api/intake/notices"): {},
    ("POST", "/api/intake/registrations"): {},
    ("GET", "/api/intake/me"): {P: OWN},
    ("PUT", "/api/intake/me/details"): {P: OWN},
    ("GET", "/api/intake/me/collection-form"): {P: OWN},
    ("POST", "/api/accounts/login"): {},
    ("POST", "/api/accounts/logout"): EVERYONE_OWN,
    ("GET", "/api/accounts/me"): EVERYONE_OWN,
    ("POST", "/api/accounts/password-reset/code"): {},
    ("POST", "/api/accounts/password-reset"): {},
    ("POST", "/api/accounts/me/sms-codes"): {P: OWN},
    ("POST", "/api/accounts/me/password"): {P: OWN},
    ("POST", "/api/accounts/me/cancel"): {P: OWN},
    ("GET", "/api/review/applicants"): {S: STREET_, D: DISTRICT_},
    ("GET", "/api/review/applicants/{pseudonym}"): {S: STREET_, D: DISTRICT_},
    ("POST", "/api/review/applicants/{pseudonym}/material-approval"): {S: STREET_},
    ("POST", "/api/review/applicants/{pseudonym}/verification"): {D: DISTRICT_},
    ("POST", "/api/review/applicants/{pseudonym}/return"): {S: STREET_, D: DISTRICT_},
    ("PUT", "/api/review/applicants/{pseudonym}/findings"): {S: STREET_, D: DISTRICT_},
    ("GET", "/api/audit/verify"): {A: ALL, N: ALL, D: ALL},
    ("GET", "/api/audit/events"): {A: ALL, N: ALL},
    ("GET", "/api/windows"): {D: DISTRICT_},
    ("POST", "/api/windows/{window_id}/extension"): {D: DISTRICT_},
    ("GET", "/api/choices/me"): {P: OWN},
    ("POST", "/api/choices/me/{kind}"): {P: OWN},
    ("PUT", "/api/choices/me/{kind}"): {P: OWN},
    ("GET", "/api/choices/me/{kind}/receipt"): {P: OWN},
    ("GET", "/api/choices/counts"): {D: DISTRICT_},
    ("GET", "/api/choices/counts.csv"): {D: DISTRICT_},
    ("GET", "/api/routes"): {D: DISTRICT_},
    ("POST", "/api/routes"): {D: DISTRICT_},
    ("PUT", "/api/routes/{pseudonym}/record"): {D: DISTRICT_},
    ("GET", "/api/rounds/{round_pk}/accounting"): {N: ALL, A: ALL, D: DISTRICT_},
    ("POST", "/api/plans/{year}"): {D: DISTRICT_},
    ("POST", "/api/rounds"): {D: DISTRICT_},
    ("GET", "/api/rounds"): {N: ALL, A: ALL, D: DISTRICT_},
    ("GET", "/api/rounds/{round_pk}/statistics"): {N: ALL, A: ALL, D: DISTRICT_},
    ("GET", "/api/rounds/{round_pk}/statistics.csv"): {N: ALL, A: ALL, D: DISTRICT_},
    ("GET", "/api/rounds/{round_pk}"): {N: ALL, A: ALL, D: DISTRICT_},
    ("PUT", "/api/rounds/{round_pk}/inputs"): {D: DISTRICT_},
    ("POST", "/api/rounds/{round_pk}/commitments"): {D: DISTRICT_, N: ALL},
    ("POST", "/api/rounds/{round_pk}/season-keys"): {D: DISTRICT_},
    ("POST", "/api/rounds/{round_pk}/season-keys/changes"): {D: DISTRICT_},
    ("GET", "/api/rounds/{round_pk}/freeze-draft"): {D: DISTRICT_},
    ("POST", "/api/rounds/{round_pk}/freeze"): {D: DISTRICT_},
    ("GET", "/api/rounds/{round_pk}/freeze-statement"): {},
    ("POST", "/api/rounds/{round_pk}/reveals"): {D: DISTRICT_, N: ALL},
    ("POST", "/api/rounds/{round_pk}/contributions"): {N: ALL},
    ("POST", "/api/rounds/{round_pk}/waivers"): {N: ALL},
    ("POST", "/api/rounds/{round_pk}/beacon"): {N: ALL},
    ("POST", "/api/rounds/{round_pk}/close-ceremony"): {D: DISTRICT_},
    ("POST", "/api/rounds/{round_pk}/run"): {D: DISTRICT_},
    ("POST", "/api/rounds/{round_pk}/sign"): {D: DISTRICT_},
    ("POST", "/api/rounds/{round_pk}/countersign"): {N: ALL},
    ("GET", "/api/rounds/{round_pk}/results"): {D: DISTRICT_},
    ("GET", "/api/rounds/{round_pk}/package"): {N: ALL, A: ALL, D: DISTRICT_},
    ("GET", "/api/results/me"): {P: OWN},
    ("GET", "/api/results/{applicant}"): {N: ALL, A: ALL, D: DISTRICT_},
    ("POST", "/api/verify/bundle"): {},
    ("GET", "/api/reports/collection-form.{fmt}"): {P: OWN},
    ("GET", "/api/reports/choices/{kind}/receipt.{fmt}"): {P: OWN},
    ("GET", "/api/reports/notice.{fmt}"): {P: OWN},
    ("GET", "/api/reports/rounds/{round_pk}/protocol.{fmt}"): {N: ALL, A: ALL, D: DISTRICT_},
}
MATRIX: dict[tuple[str, str], set[str]] = {
    route: set(rules) or {PUBLIC} for route, rules in SCOPES.items()}


def test_every_route_is_in_the_role_matrix(settings: Settings) -> None:
    # Every route is in the OpenAPI document (include_in_schema is never turned off).
    app = create_app(settings)
    routes = {(method.upper(), path) for path, ops in app.openapi()["paths"].items()
              for method in ops if path.startswith("/api/")}
    app.state.engine.dispose()
    assert routes == set(MATRIX)


@pytest.mark.parametrize("role", [P, S, D, N, A, "anonymous"])
def test_role_route_matrix(intake: Intake, role: str) -> None:
    if role == P:
        account = intake.register(1).json()["account_no"]
        assert intake.login(account).status_code == 200
    elif role != "anonymous":
        make_staff(intake.sessions, intake.clock, f"user-{role}", role,
                   street=STREET if role == S else None)
        assert intake.login(f"user-{role}", STAFF_PASSWORD).status_code == 200
    for (method, path), allowed in sorted(MATRIX.items()):
        if PUBLIC in allowed or path == "/api/accounts/logout":
            continue
        url = (path.replace("{pseudonym}", "A0000").replace("{name}", "districts")
               .replace("{kind}", "zone").replace("{window_id}", "1")
               .replace("{round_pk}", "1").replace("{year}", "2024").replace("{applicant}", "A0000")
               .replace("{fmt}", "html"))
        response = intake.client.request(method, url, json={} if method in {"POST", "PUT"} else None)
        code = response.json().get("code") if response.headers["content-type"].startswith(
            "application/problem+json") else None
        if role == "anonymous":
            assert (response.status_code, code) == (401, "not_authenticated"), (method, path)
        elif role in allowed:
            assert code not in {"forbidden", "not_authenticated", "csrf_failed"}, (method, path, role)
        else:
            assert (response.status_code, code) == (403, "forbidden"), (method, path, role)


def test_openapi_lists_every_route_with_schemas_and_problem_responses(intake: Intake) -> None:
    spec = intake.client.get("/openapi.json").json()
    assert "Problem" in spec["components"]["schemas"]
    for (method, path), allowed in MATRIX.items():
        operation = spec["paths"][path][method.lower()]
        assert operation["responses"], (method, path)
        if PUBLIC not in allowed:
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
        if method in {"POST", "PUT"} and path not in {"/api/captchas", "/api/accounts/logout"} and \
                not path.endswith(("material-approval", "verification", "close-ceremony", "/run")):
            assert "requestBody" in operation, (method, path)
    registration = spec["paths"]["/api/intake/registrations"]["post"]
    assert {"201", "409", "422"} <= set(registration["responses"])
    assert "application/problem+json" in registration["responses"]["409"]["content"]


def test_no_personal_data_in_logs(intake: Intake, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    response = intake.register(1, child_name="欧阳娜娜", guardian_name="欧阳震华",
                               guardian_mobile="13912345678")
    assert response.status_code == 201
    assert intake.login(child_id(1)).status_code == 200
    assert intake.client.get("/api/intake/me").status_code == 200
    bad = intake.register(2, child_name="欧阳娜娜", child_id_number=child_id(1))
    assert bad.status_code == 409
    text = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "applicant registered" in text  # the log is captured at all
    for secret in ("欧阳娜娜", "欧阳震华", "13912345678", child_id(1), "Abcdef12"):
        assert secret not in text
    # Problem responses do not echo submitted values either.
    assert child_id(1) not in bad.text


def test_unknown_routes_and_enumerations_are_problem_json_404(intake: Intake) -> None:
    for url in ("/api/nowhere", "/api/enumerations/planets"):
        response = intake.client.get(url)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "not_found"
    districts = intake.client.get("/api/enumerations/districts").json()
    assert {"code": "110105", "name": "朝阳区"} in districts and len(districts) == 16
