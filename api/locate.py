"""Locators: where the resource a request names lives, for the scope check (api.scope).

Each is a FastAPI dependency reading the same path or query parameter as its route and
raising the domain's not-found error when there is no such resource.
"""

from api.deps import DbSession
from api.params import DistrictName, Pseudonym, RoundPk, WindowId
from api.scope import Place
from paiwei import data
from paiwei.intake.errors import IntakeError
from paiwei.intake.service import get_by_pseudonym_or_raise
from paiwei.rounds import service as rounds
from paiwei.rounds.errors import RoundError
from paiwei.windows.models import ApplicationWindow


def round_place(round_pk: RoundPk, db_session: DbSession) -> Place:
    row = rounds.get_or_raise(db_session=db_session, round_pk=round_pk)
    code = data.district_code(row.district)
    if code is None:  # pragma: no cover - rounds are created from a known district's policy
        raise RoundError("round_not_found", detail=str(round_pk))
    return Place(code)


def _applicant(db_session: DbSession, pseudonym: str) -> Place:
    applicant = get_by_pseudonym_or_raise(db_session=db_session, pseudonym=pseudonym)
    return Place(applicant.district, applicant.actual_street)


def applicant_place(pseudonym: Pseudonym, db_session: DbSession) -> Place:
    return _applicant(db_session, pseudonym)


def result_place(applicant: Pseudonym, db_session: DbSession) -> Place:
    return _applicant(db_session, applicant)


def window_place(window_id: WindowId, db_session: DbSession) -> Place:
    window = db_session.get(ApplicationWindow, window_id)
    if window is None:
        from paiwei.choices.errors import ChoiceError  # noqa: PLC0415

        raise ChoiceError("window_not_found")
    return Place(window.district)


def district_place(district: DistrictName) -> Place:
    """A district named in the query (a plan upload): a known district, or 422."""
    code = data.district_code(district)
    if code is None:
        raise IntakeError("invalid_choice", field="district", detail="未知的区")
    return Place(code)
