"""At most one private or boarding application per applicant under parallel submissions
(PostgreSQL: the unique key on (applicant, year, kind) decides, not a prior SELECT)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from paiwei.accounts.models import User
from paiwei.choices import service as choices
from paiwei.choices.errors import ChoiceError
from paiwei.choices.models import ChoiceSet
from paiwei.db import make_engine, make_session_factory
from paiwei.settings import Settings
from tests.integration.choices.helpers import beijing, set_up_district, verified_family
from tests.integration.intake.helpers import Intake

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("db_url", ["postgres"], indirect=True),
              pytest.mark.usefixtures("pg_serial")]

N = 12


def test_parallel_private_boarding_applications_give_exactly_one_success(intake: Intake,
                                                                         settings: Settings) -> None:
    set_up_district(intake.sessions, intake.clock())
    family = verified_family(intake, 1)
    with intake.sessions() as s:
        user_id = s.scalar(select(User.id).where(User.login == family.account))
    assert user_id is not None
    engine = make_engine(settings.database_url, pool_size=N + 2)
    sessions = make_session_factory(engine)
    barrier = threading.Barrier(N)
    now = beijing(6, 7, 10)

    def apply(i: int) -> str:
        with sessions() as s:
            barrier.wait()
            try:
                choices.submit(db_session=s, user_id=user_id, kind="private_boarding",
                               schools=["PV1" if i % 2 else "BD1"], now=now)
            except ChoiceError as exc:
                return exc.code
            return "ok"

    try:
        with ThreadPoolExecutor(max_workers=N) as pool:
            outcomes = list(pool.map(apply, range(N)))
    finally:
        engine.dispose()
    assert outcomes.count("ok") == 1
    assert set(outcomes) == {"ok", "private_boarding_taken"}
    with intake.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ChoiceSet)) == 1
