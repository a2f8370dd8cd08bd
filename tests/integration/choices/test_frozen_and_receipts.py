"""Frozen round inputs hold exactly the locked choices; receipts match the published
applicant records of a real draw bundle (``lottery.freeze`` + ``lottery.run_draw``)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from sqlalchemy import select

from lottery import (
    Mechanism,
    canonical_json,
    freeze,
    generate_key,
    public_key_hex,
    run_draw,
    sign_bundle,
    verify,
)
from paiwei.audit.models import AuditEvent
from paiwei.choices import service as choices
from paiwei.choices.errors import ChoiceError
from paiwei.choices.models import ChoiceSet
from paiwei.choices.rules import receipt_matches_bundle_record
from paiwei.intake.models import Applicant
from seeding import Contribution
from tests.integration.choices.helpers import (
    PRIMARY_SCHOOLS,
    Family,
    act_as,
    beijing,
    set_up_district,
    verified_family,
)
from tests.integration.intake.helpers import CHAOYANG, Intake

PB = "/api/choices/me/private_boarding"
KIND = "primary.private_boarding"


@pytest.fixture
def families(intake: Intake) -> list[Family]:
    """Four families: three apply (one edits twice), one never applies."""
    set_up_district(intake.sessions, intake.clock())
    fams = [verified_family(intake, n) for n in (1, 2, 3, 4)]
    for fam, first, edits in ((fams[0], "PV1", ["BD1", "PV1"]), (fams[1], "BD1", []),
                              (fams[2], "PV1", ["BD1"])):
        act_as(intake, fam, beijing(6, 6, 8 + fam.n))
        assert intake.client.post(PB, json={"schools": [first]}).status_code == 201
        for school in edits:
            assert intake.client.put(PB, json={"schools": [school]}).status_code == 200
    return fams


def expected_locked(intake: Intake) -> list[dict[str, Any]]:
    with intake.sessions() as s:
        rows = s.execute(select(Applicant.pseudonym, ChoiceSet.schools)
                         .join(ChoiceSet, ChoiceSet.applicant_id == Applicant.id)
                         .where(ChoiceSet.kind == "private_boarding")).all()
    return sorted(({"id": p, "choices": list(c)} for p, c in rows), key=lambda r: r["id"])


def test_frozen_choices_refuse_while_the_window_is_open(intake: Intake, families: list[Family]) -> None:
    with intake.sessions() as s, pytest.raises(ChoiceError) as caught:
        choices.frozen_choices(db_session=s, district=CHAOYANG, year=2024, kind=KIND,
                               now=beijing(6, 9, 23, 59, 59))
    assert caught.value.code == "window_still_open"
    with intake.sessions() as s:
        assert all(r.locked_at is None for r in s.scalars(select(ChoiceSet)))


def test_frozen_choices_hold_exactly_the_locked_choices(intake: Intake, families: list[Family]) -> None:
    with intake.sessions() as s:
        frozen = choices.frozen_choices(db_session=s, district=CHAOYANG, year=2024, kind=KIND,
                                        now=beijing(6, 10, 0, 0, 0))
        s.commit()  # the caller's use case (a round's freeze) owns the transaction
    assert frozen == expected_locked(intake)
    assert {r["id"] for r in frozen} == {f.pseudonym for f in families[:3]}
    assert {r["id"]: r["choices"] for r in frozen}[families[0].pseudonym] == ["PV1"]
    assert {r["id"]: r["choices"] for r in frozen}[families[2].pseudonym] == ["BD1"]
    assert all(set(r) == {"id", "choices"} for r in frozen)  # nothing personal
    with intake.sessions() as s:
        rows = s.scalars(select(ChoiceSet)).all()
        assert all(r.locked_at == beijing(6, 10) and r.receipt_sha256 for r in rows)
        locks = s.scalars(select(AuditEvent).where(AuditEvent.action == "choices_locked")).all()
        assert len(locks) == 3
    # After the lock nothing changes, and freezing again gives the same records.
    act_as(intake, families[1], beijing(6, 10, 9))
    assert intake.client.put(PB, json={"schools": ["PV1"]}).json()["code"] == "choices_locked"
    with intake.sessions() as s:
        again = choices.frozen_choices(db_session=s, district=CHAOYANG, year=2024, kind=KIND,
                                       now=beijing(6, 11))
    assert again == frozen
    assert choices.lock(db_session=intake.sessions(), district=CHAOYANG, year=2024, kind=KIND,
                        now=beijing(6, 11)) == 0


def draw_bundle(frozen: list[dict[str, Any]]) -> dict[str, Any]:
    schools = [{"id": s["id"], "capacity": s["seats"]} for s in PRIMARY_SCHOOLS
               if s["kind"] in ("private", "boarding")]
    applicants = [{**r, "priority": {sid: 0 for sid in r["choices"]}} for r in frozen]
    inputs = freeze("chaoyang/2024/primary/private-boarding", schools, applicants)
    value = hashlib.sha256(b"test contribution").digest()
    outcome = run_draw(inputs, [Contribution("rehearsal", value)], mechanism=Mechanism.DEFERRED_ACCEPTANCE)
    district = generate_key()
    signed = sign_bundle(outcome.bundle, "district", district)
    published: dict[str, Any] = json.loads(canonical_json(signed))  # as a parent downloads it
    verify(published, {"district": bytes.fromhex(public_key_hex(district))})
    return published


def test_receipts_match_the_published_bundle_records(intake: Intake, families: list[Family]) -> None:
    act_as(intake, families[0], beijing(6, 9, 12))
    early = intake.client.get(f"{PB}/receipt")
    assert (early.status_code, early.json()["code"]) == (409, "window_still_open")
    receipts: dict[str, dict[str, Any]] = {}
    for fam in families[:3]:
        act_as(intake, fam, beijing(6, 10, 8))
        response = intake.client.get(f"{PB}/receipt")
        assert response.status_code == 200, response.text
        assert "attachment" in response.headers["content-disposition"]
        receipts[fam.pseudonym] = response.json()
    act_as(intake, families[3], beijing(6, 10, 8))
    assert intake.client.get(f"{PB}/receipt").json()["code"] == "choices_not_found"

    for rec in receipts.values():  # the receipt's hash is SHA-256 over its canonical JSON
        assert rec["canonical_json"].encode("utf-8") == canonical_json(rec["record"])
        assert hashlib.sha256(rec["canonical_json"].encode("utf-8")).hexdigest() == rec["sha256"]
    with intake.sessions() as s:
        # A receipt reads only; the lock stamped at the freeze holds the same hash.
        assert all(r.receipt_sha256 is None for r in s.scalars(select(ChoiceSet)))
        frozen = choices.frozen_choices(db_session=s, district=CHAOYANG, year=2024, kind=KIND,
                                        now=beijing(6, 10, 9))
        stored = {a: r for r, a in s.execute(select(ChoiceSet.receipt_sha256, Applicant.pseudonym)
                                             .join(Applicant, Applicant.id == ChoiceSet.applicant_id))}
    assert stored == {p: r["sha256"] for p, r in receipts.items()}
    bundle = draw_bundle(frozen)
    published = {r["id"]: r for r in bundle["applicants"]}
    assert set(published) == set(receipts)
    for pseudonym, rec in receipts.items():
        assert receipt_matches_bundle_record(rec, published[pseudonym])
        others = [r for p, r in published.items() if p != pseudonym]
        assert not any(receipt_matches_bundle_record(rec, r) for r in others)
    # A receipt whose choices were altered no longer matches (its hash gives it away) ...
    first = families[0].pseudonym
    forged = json.loads(json.dumps(receipts[first]))
    forged["record"]["applicant"]["choices"] = ["BD1"]
    assert not receipt_matches_bundle_record(forged, {**published[first], "choices": ["BD1"]})
    # ... and a bundle record with other choices does not match a genuine receipt.
    assert not receipt_matches_bundle_record(receipts[first], {**published[first], "choices": ["BD1"]})
