"""The role × route matrix, the OpenAPI document, and personal data kept out of logs."""

from __future__ import annotations

import logging

import pytest

from api.app import create_app
from paiwei.settings import Settings
from tests.integration.intake.helpers import STAFF_PASSWORD, STREET, Intake, child_id, make_staff

P, S, D, N, A = "parent", "street_reviewer", "district_staff", "notary", "auditor"
PUBLIC = "public"
# (method, path) -> roles admitted. Every API route must appear here.
MATRIX: dict[tuple[str, str], set[str]] = {
    ("POST", "/api/captchas"): {PUBLIC},
    ("GET", "/api/captchas/{captcha_id}.png"): {PUBLIC},
    ("POST", "/api/sms/register-codes"): {PUBLIC},
    ("GET", "/api/sms/outbox"): {D, A},
    ("GET", "/api/enumerations/{name}"): {PUBLIC},
    ("POST", "/api/intake/notices"): {PUBLIC},
    ("POST", "/api/intake/registrations"): {PUBLIC},
    ("GET", "/api/intake/me"): {P},
    ("PUT", "/api/intake/me/details"): {P},
    ("GET", "/api/intake/me/collection-form"): {P},
    ("POST", "/api/accounts/login"): {PUBLIC},
    ("POST", "/api/accounts/logout"): {P, S, D, N, A},
    ("GET", "/api/accounts/me"): {P, S, D, N, A},
    ("POST", "/api/accounts/password-reset/code"): {PUBLIC},
    ("POST", "/api/accounts/password-reset"): {PUBLIC},
    ("POST", "/api/accounts/me/sms-codes"): {P},
    ("POST", "/api/accounts/me/password"): {P},
    ("POST", "/api/accounts/me/cancel"): {P},
    ("GET", "/api/review/applicants"): {S, D},
    ("GET", "/api/review/applicants/{pseudonym}"): {S, D},
    ("POST", "/api/review/applicants/{pseudonym}/material-approval"): {S},
    ("POST", "/api/review/applicants/{pseudonym}/verification"): {D},
    ("POST", "/api/review/applicants/{pseudonym}/return"): {S, D},
    ("GET", "/api/audit/verify"): {A, N, D},
    ("GET", "/api/audit/events"): {A, N, D},
    ("GET", "/api/windows"): {D},
    ("POST", "/api/windows/{window_id}/extension"): {D},
    ("GET", "/api/choices/me"): {P},
    ("POST", "/api/choices/me/{kind}"): {P},
    ("PUT", "/api/choices/me/{kind}"): {P},
    ("GET", "/api/choices/me/{kind}/receipt"): {P},
    ("GET", "/api/choices/counts"): {D},
    ("GET", "/api/choices/counts.csv"): {D},
    ("POST", "/api/plans/{year}"): {D},
    ("POST", "/api/rounds"): {D},
    ("GET", "/api/rounds/{round_pk}"): {N, A, D},
    ("PUT", "/api/rounds/{round_pk}/inputs"): {D},
    ("POST", "/api/rounds/{round_pk}/commitments"): {D, N},
    ("POST", "/api/rounds/{round_pk}/freeze"): {D},
    ("GET", "/api/rounds/{round_pk}/freeze-statement"): {PUBLIC},
    ("POST", "/api/rounds/{round_pk}/reveals"): {D, N},
    ("POST", "/api/rounds/{round_pk}/contributions"): {N},
    ("POST", "/api/rounds/{round_pk}/waivers"): {N},
    ("POST", "/api/rounds/{round_pk}/close-ceremony"): {D},
    ("POST", "/api/rounds/{round_pk}/run"): {D},
    ("POST", "/api/rounds/{round_pk}/sign"): {D},
    ("POST", "/api/rounds/{round_pk}/countersign"): {N},
    ("GET", "/api/rounds/{round_pk}/results"): {D},
    ("GET", "/api/rounds/{round_pk}/package"): {N, A, D},
    ("GET", "/api/results/me"): {P},
    ("GET", "/api/results/{applicant}"): {N, A, D},
}


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
               .replace("{round_pk}", "1").replace("{year}", "2024").replace("{applicant}", "A0000"))
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
