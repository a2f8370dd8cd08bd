"""A routing record is checked and routed over the schools routes use: the imported plan
(``paiwei round plan-import`` or ``POST /api/plans/{year}``), with no choice catalogue."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from paiwei.choices.models import ApplicantRoute, SchoolCatalogue
from paiwei.intake.models import Applicant, Status
from paiwei.plans import read_plan
from paiwei.rounds import service as rounds
from paiwei.windows import service as windows
from tests.integration.choices.helpers import (
    SYSTEM,
    YEAR,
    beijing,
    hukou_registration,
    primary_record,
)
from tests.integration.intake.helpers import CHAOYANG, STAFF_PASSWORD, Intake, make_staff

SAMPLE_PLAN = Path(__file__).resolve().parents[3] / "paiwei" / "plans" / "sample-chaoyang-2024.csv"


def test_a_routing_record_is_routed_over_the_imported_plan(intake: Intake) -> None:
    intake.clock.now = beijing(5, 6, 9)
    with intake.sessions() as s:
        windows.load(db_session=s, windows=windows.shipped_windows("chaoyang-2024"), actor=SYSTEM,
                     now=intake.clock())
        rounds.import_plan(db_session=s, actor=SYSTEM, district=CHAOYANG, year=YEAR,
                           plan=read_plan(SAMPLE_PLAN), now=intake.clock())
        assert s.scalar(select(SchoolCatalogue.id)) is None  # the plan only
    make_staff(intake.sessions, intake.clock, "staff1", "district_staff")
    assert intake.register(1, **hukou_registration(primary_record())).status_code == 201
    with intake.sessions() as s:  # the review itself is intake's own test
        applicant = s.scalars(select(Applicant)).one()
        applicant.status = Status.VERIFIED
        pseudonym = applicant.pseudonym
        s.commit()
    assert intake.login("staff1", STAFF_PASSWORD).status_code == 200
    bad = intake.client.put(f"/api/routes/{pseudonym}/record",
                            json={"year": YEAR, "stage": "primary", "record": primary_record("Z9")})
    assert bad.status_code == 422 and bad.json()["code"] == "routing_record_invalid", bad.text
    response = intake.client.put(f"/api/routes/{pseudonym}/record",
                                 json={"year": YEAR, "stage": "primary", "record": primary_record("Z01")})
    assert response.status_code == 200, response.text  # was 409 catalogue_missing
    assert response.json()["routed"] is True
    with intake.sessions() as s:
        route = s.scalars(select(ApplicantRoute)).one()
        assert (route.route, route.zone, route.eligible) == ("zone", "Z01", True)
        assert route.allowed["zone"] == ["P001", "P002", "P003"]  # the plan's Z01 schools
