"""Nobody dropped: verified applicants are routed in the product (stored with their rules,
shown to parents and staff), and a freeze refuses while one has no routing decision,
naming them; once frozen, every applicant is accounted for with the rule why not."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lottery import public_key_hex
from paiwei.choices.models import ApplicantRoute, ChoiceSet
from paiwei.intake.models import Applicant, Status
from paiwei.rounds import service
from tests.integration.choices.helpers import (
    YEAR,
    act_as,
    beijing,
    hukou_registration,
    primary_record,
    set_up_district,
    verified_family,
)
from tests.integration.intake.helpers import STAFF_PASSWORD, Intake, make_staff
from tests.integration.rounds.helpers import key

PB = "/api/choices/me/private_boarding"


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@contextmanager
def _commits() -> Iterator[list[Session]]:
    """Every commit of any session while the block runs (one entry per commit)."""
    seen: list[Session] = []

    def count(session: Session) -> None:
        seen.append(session)

    event.listen(Session, "after_commit", count)
    try:
        yield seen
    finally:
        event.remove(Session, "after_commit", count)


def _as_staff(intake: Intake) -> None:
    intake.logout()
    assert intake.login("staff1", STAFF_PASSWORD).status_code == 200


def test_a_freeze_refuses_a_verified_applicant_without_a_route_and_names_them(intake: Intake) -> None:
    intake.clock.now = beijing(6, 1)
    set_up_district(intake.sessions, intake.clock.now)
    make_staff(intake.sessions, intake.clock, "staff1", "district_staff")
    families = [verified_family(intake, n) for n in (1, 2)]
    too_young = verified_family(intake, 3, record={**primary_record(), "birth_date": "2018-10-01"})

    # Routing happened on verification: stored with the rules, shown to the parent in words.
    with intake.sessions() as s:
        stored = {r.applicant_id: r for r in s.scalars(select(ApplicantRoute))}
        assert len(stored) == 3
    act_as(intake, families[0], beijing(6, 7, 10))
    mine = _ok(intake.client.get("/api/choices/me"))
    route = mine["route"]
    assert route["eligible"] and route["route"] == "zone" and route["zone"] == "Z1"
    assert route["eligibility"]["section"].startswith("§三") and route["eligibility"]["text"]
    zone_list = next(x for x in mine["lists"] if x["kind"] == "zone")
    assert [s["name"] for s in zone_list["schools"]] == ["朝阳实验小学", "朝阳第二小学", "朝阳第三小学"]
    assert {s["kind_label"] for s in zone_list["schools"]} == {"公办"}
    _ok(intake.client.post(PB, json={"schools": ["PV1"]}), 201)
    act_as(intake, too_young, beijing(6, 7, 11))
    young = _ok(intake.client.get("/api/choices/me"))["route"]
    assert not young["eligible"] and young["eligibility"]["code"] == "age"

    # A verified applicant whose routing record was never entered.
    intake.logout()
    assert intake.register(4, **hukou_registration(primary_record("Z2"))).status_code == 201
    with intake.sessions() as s:
        lost = s.scalars(select(Applicant).order_by(Applicant.id.desc())).first()
        assert lost is not None
        lost.status = Status.VERIFIED
        s.commit()
        pseudonym = lost.pseudonym

    _as_staff(intake)
    seen = _ok(intake.client.get("/api/routes", params={"year": YEAR, "stage": "primary"}))
    assert seen["routed"] == 3
    assert [(z["zone"], z["applicants"]) for z in seen["zones"]] == [("Z1", 2)]
    assert [(i["rule"]["code"], i["applicants"]) for i in seen["ineligible"]] == [("age", 1)]
    assert [u["applicant"] for u in seen["undecided"]] == [pseudonym]

    rid = _ok(intake.client.post("/api/rounds", json={"stage": "primary"}), 201)["id"]
    intake.clock.now = beijing(6, 10, 9)  # the private/boarding window has closed
    _as_staff(intake)
    keys = {"district": public_key_hex(key(1)), "notary": public_key_hex(key(2))}
    assert _ok(intake.client.post(f"/api/rounds/{rid}/season-keys", json={"keys": keys})) == keys
    # The freeze statement the district would sign is refused before anything is signed.
    refused = intake.client.get(f"/api/rounds/{rid}/freeze-draft")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "applicants_undecided"
    assert pseudonym in refused.json()["detail"] and "入学资格" in refused.json()["detail"]
    assert _ok(intake.client.get(f"/api/rounds/{rid}"))["state"] == "created"

    # Once their record is entered they are routed at once, and the freeze accounts for everyone.
    recorded = _ok(intake.client.put(f"/api/routes/{pseudonym}/record",
                                     json={"year": YEAR, "stage": "primary", "record": primary_record("Z2")}))
    assert recorded["routed"] is True
    # Reads commit nothing: the draft (which builds the inputs and stamps the closed
    # window's locks in its transaction) is rolled back, so nothing is locked by it.
    with _commits() as commits:
        draft = _ok(intake.client.get(f"/api/rounds/{rid}/freeze-draft"))
    assert commits == []
    with intake.sessions() as s:
        assert s.scalars(select(ChoiceSet)).all()
        assert all(c.locked_at is None for c in s.scalars(select(ChoiceSet)))
    signed = {"statement": service.sign_statement(draft, service.FREEZE_TAG, "district", key(1))}
    # The freeze commits once: the choice locks, the frozen inputs, the accounting and the
    # audit events in one transaction.
    with _commits() as commits:
        assert _ok(intake.client.post(f"/api/rounds/{rid}/freeze", json=signed))["state"] == "frozen"
    assert len(commits) == 1
    with intake.sessions() as s:
        assert all(c.locked_at is not None and c.receipt_sha256 for c in s.scalars(select(ChoiceSet)))
    with _commits() as commits:
        account = _ok(intake.client.get(f"/api/rounds/{rid}/accounting"))
        _ok(intake.client.get(f"/api/rounds/{rid}"))
        _ok(intake.client.get("/api/rounds", params={"year": YEAR}))
        _ok(intake.client.get(f"/api/rounds/{rid}/freeze-statement"))
    assert commits == []
    assert sum(account["counts"].values()) == 4
    assert account["counts"]["in-round"] == 1
    why = {a["applicant"]: (a["disposition"], a["rule"]) for a in account["others"]}
    assert why[too_young.pseudonym] == ("ineligible", "age")
    assert why[families[1].pseudonym][0] == why[pseudonym][0] == "no-list"
    assert all(a["text"] for a in account["others"])
