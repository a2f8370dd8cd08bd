"""Schemathesis over the ASGI app: no 5xx, and every answer conforms to the OpenAPI document.

Every operation of the document is fuzzed as an anonymous visitor, a parent and district
staff, on SQLite and (when it answers) PostgreSQL, with a bounded number of examples per
operation so that the whole file stays within about two minutes. Issue 16 found 137 500s
on PostgreSQL and 33 on SQLite this way (out-of-range integers, negative limits, strings
longer than their columns, an SMS gateway failing).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.choices.helpers import beijing, set_up_district
from tests.integration.intake.helpers import STAFF_PASSWORD, Intake, details, make_staff

EXAMPLES = 6
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# Replaying a login or a logout would end the session the rest of the run uses.
SKIP = {("POST", "/api/accounts/logout"), ("POST", "/api/accounts/me/cancel")}


def _log_in(intake: Intake, role: str) -> dict[str, str]:
    start = beijing(5, 6, 9)
    intake.clock.now = start
    set_up_district(intake.sessions, start)
    account = intake.register(1).json()["account_no"]
    if role == "parent":
        assert intake.login(account).status_code == 200
        assert intake.client.put("/api/intake/me/details", json=details()).status_code == 200
    elif role == "district_staff":
        make_staff(intake.sessions, intake.clock, "cy01", role)
        assert intake.login("cy01", STAFF_PASSWORD).status_code == 200
    if role == "anonymous":
        return {}
    cookie = "; ".join(f"{name}={value}" for name, value in intake.client.cookies.items())
    return {"Cookie": cookie, "X-CSRF-Token": intake.client.headers["X-CSRF-Token"]}


@pytest.mark.parametrize("role", ["anonymous", "parent", "district_staff"])
def test_no_server_error_and_every_answer_documented(intake: Intake, role: str) -> None:
    headers = _log_in(intake, role)
    intake.logout()
    schema = schemathesis.openapi.from_asgi("/openapi.json", intake.client.app)
    fuzzed = 0
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue

        # Valid data (within the documented bounds) and invalid data (out-of-range integers,
        # over-long strings, wrong types: what found the 500s), each bounded.
        strategy = (operation.as_strategy(GenerationMode.POSITIVE)
                    | operation.as_strategy(GenerationMode.NEGATIVE))

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def fuzz(case: Any) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            fuzz()
        except Exception as exc:  # collect every operation's failure, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:800]}")
        fuzzed += 1
    assert fuzzed >= 45
    assert not failures, "\n\n".join(failures)
