"""The round lifecycle through the use cases, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

import lottery
from allocation import rehearsal_contributions, run_plan, scenario_from_mapping, shipped_policy
from lottery import sign_bundle
from paiwei.audit import service as audit
from paiwei.audit.models import AuditEvent
from paiwei.publication import dump, read_result, result_path
from paiwei.rounds import service, signer
from paiwei.rounds.errors import RoundError
from paiwei.rounds.models import Round, RoundResult, State
from paiwei.rounds.signer import bundle_signature
from seeding import Contribution, derive_seed
from tests.integration.rounds.helpers import NOTARY, NOW, STAFF, Season, key, keys_of, scenario


def _code(exc: pytest.ExceptionInfo[RoundError]) -> str:
    return exc.value.code


def test_a_whole_season_is_published_verified_and_looked_up(db_session: Session, tmp_path: Path) -> None:
    season = Season(db_session)
    sc = scenario()
    rounds = season.whole(sc, folder=tmp_path / "pub")
    assert [r.state for r in rounds] == [State.PUBLISHED] * 4
    trusted = keys_of(season)
    placed_in: dict[str, str] = {}
    for r in rounds:
        bundle = json.loads(r.bundle or "")
        assert not lottery.verify(bundle, trusted).rehearsal
        assert {s["signer"] for s in bundle["signatures"]} == {"district", "notary"}
        assert bundle["ceremony"]["input_root"] == r.input_root
        assert bundle["ceremony"]["seed"] == r.seed
        for a in bundle["assignments"]:
            if a["school"] is not None:
                assert a["applicant"] not in placed_in  # nobody placed twice
                placed_in[a["applicant"]] = r.round
        # the published freeze statement is signed by the district key
        statement = json.loads(r.freeze_statement or "")
        service.check_freeze_statement(statement)
        assert statement["input_root"] == r.input_root
        assert statement["signature"]["public_key"] == trusted["district"].hex()
    ids = [a["id"] for a in sc["applicants"]]
    season_id = service.season_id(rounds[0])  # chaoyang/2024/primary: the slug, derived
    salt = service.season_of(db_session=db_session, row=rounds[0]).salt
    for aid in ids[:40]:
        mine = service.result_for(db_session=db_session, applicant=aid)
        published = read_result(tmp_path / "pub", aid)
        assert published is not None
        # One document: the database's lookup gives the published file, byte for byte.
        assert dump(mine) == (tmp_path / "pub" / result_path(season_id, salt, aid)).read_bytes()
        assert mine["final"] is True
        assert mine["decided_by"] == placed_in.get(aid)
    assert audit.verify(db_session=db_session) > 0
    actions = [e.action for e in db_session.scalars(select(AuditEvent).where(
        AuditEvent.subject == f"round:{rounds[0].id}").order_by(AuditEvent.seq))]
    assert actions == ["round_created", "ceremony_committed", "round_frozen", "ceremony_revealed",
                       "ceremony_contributed", "ceremony_closed", "round_drawn", "round_signed",
                       "round_publishing", "round_published"]


def test_steps_out_of_order_are_refused(db_session: Session) -> None:
    season = Season(db_session)
    with pytest.raises(RoundError) as exc:
        season.create(scenario(), round_id="single-school")
    assert _code(exc) == "out_of_order"
    row = season.create(scenario())
    for step in (season.reveal, season.close, season.run, season.sign, season.countersign):
        with pytest.raises((RoundError, KeyError)) as any_exc:
            step(row)
        if isinstance(any_exc.value, RoundError):
            assert any_exc.value.code == "out_of_order", step
    with pytest.raises(RoundError) as exc:
        season.contribute(row)
    assert _code(exc) == "out_of_order"
    season.commit(row)
    row = season.freeze(row)
    with pytest.raises(RoundError) as exc:
        season.commit(row, "late")
    assert _code(exc) == "out_of_order"  # commitments only before the freeze
    with pytest.raises(RoundError) as exc:
        season.freeze(row)
    assert _code(exc) == "out_of_order"
    with pytest.raises(RoundError) as exc:
        season.run(row)
    assert _code(exc) == "out_of_order"
    second = season.create()
    with pytest.raises(RoundError) as exc:
        season.freeze(second)  # the first round is not published yet
    assert _code(exc) == "out_of_order"
    assert "private-boarding" in (exc.value.detail or "")
    season.reveal(row)
    with pytest.raises(RoundError) as exc:
        season.close(row)  # only values committed before the freeze: whoever held them knew the seed
    assert _code(exc) == "no_after_freeze_contribution"
    season.contribute(row)
    row = season.close(row)
    with pytest.raises(RoundError) as exc:
        season.contribute(row, "0407")  # the ceremony is closed
    assert _code(exc) == "out_of_order"
    row = season.run(row)
    with pytest.raises(RoundError) as exc:
        season.countersign(row)  # the district signs first
    assert _code(exc) == "out_of_order"
    assert db_session.get(Round, row.id).state == State.DRAWN  # type: ignore[union-attr]


def test_inputs_cannot_change_after_the_freeze(db_session: Session) -> None:
    season = Season(db_session)
    sc = scenario()
    row = season.create(sc)
    other = scenario()
    other["applicants"] = other["applicants"][:-1]
    service.stage_inputs(db_session=db_session, actor=STAFF, round_pk=row.id, scenario=other, now=NOW)
    row = season.freeze(row)
    with pytest.raises(RoundError) as exc:
        service.stage_inputs(db_session=db_session, actor=STAFF, round_pk=row.id, scenario=sc, now=NOW)
    assert _code(exc) == "inputs_frozen"
    season.contribute(row)
    row = season.close(row)
    good = row.inputs or ""

    # Tamper with the stored inputs: one applicant's private/boarding application dropped.
    data = json.loads(good)
    victim = next(a for a in data["scenario"]["applicants"] if a["choices"].get("private_boarding"))
    victim["choices"]["private_boarding"] = []
    tampered = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    db_session.execute(update(Round).where(Round.id == row.id).values(inputs=tampered))
    db_session.commit()
    with pytest.raises(RoundError) as exc:
        season.run(row)
    assert _code(exc) == "inputs_changed"  # the SHA-256 no longer matches
    # ... and with the SHA-256 recomputed too, the input root gives it away.
    db_session.execute(update(Round).where(Round.id == row.id).values(
        inputs_sha256=hashlib.sha256(tampered.encode()).hexdigest()))
    db_session.commit()
    with pytest.raises(RoundError) as exc:
        season.run(row)
    assert _code(exc) == "inputs_changed"
    assert "input root" in (exc.value.detail or "")
    assert db_session.scalar(select(RoundResult.applicant).where(RoundResult.round_pk == row.id)) is None
    db_session.execute(update(Round).where(Round.id == row.id).values(
        inputs=good, inputs_sha256=hashlib.sha256(good.encode()).hexdigest()))
    db_session.commit()
    assert season.run(row).state == State.DRAWN


def test_a_published_round_refuses_every_change(db_session: Session) -> None:
    season = Season(db_session)
    row = season.publish(season.ready(scenario()))
    before = (row.bundle, row.seed, row.input_root)
    attempts = {
        "freeze": lambda: season.freeze(row),
        "commit": lambda: season.commit(row, "someone"),
        "reveal": lambda: season.reveal(row),
        "contribute": lambda: season.contribute(row),
        "close": lambda: season.close(row),
        "run": lambda: season.run(row),
        "sign": lambda: season.sign(row),
        "countersign": lambda: season.countersign(row),
        "inputs": lambda: service.stage_inputs(db_session=db_session, actor=STAFF, round_pk=row.id,
                                               scenario=scenario(), now=NOW),
        "waive": lambda: service.waive(db_session=db_session, actor=NOTARY, round_pk=row.id,
                                       contributor="district", reason="x", now=NOW),
    }
    for name, attempt in attempts.items():
        with pytest.raises(RoundError) as exc:
            attempt()
        assert exc.value.code in ("round_published", "inputs_frozen"), name
        assert exc.value.status == 409, name
    fresh = db_session.get(Round, row.id)
    assert fresh is not None and (fresh.bundle, fresh.seed, fresh.input_root) == before


def test_ceremony_reveals_are_checked_and_the_notary_decides_on_a_missing_one(db_session: Session) -> None:
    season = Season(db_session)
    row = season.create(scenario())
    season.commit(row, "parent-representative")
    c = season.commit(row)  # the one season.reveal opens
    with pytest.raises(RoundError) as exc:
        season.commit(row, "district")
    assert _code(exc) == "contributor_exists"
    row = season.freeze(row)
    statement = json.loads(row.freeze_statement or "")
    assert [x["contributor"] for x in statement["commitments"]] == ["district", "parent-representative"]
    assert c.nonce is not None
    with pytest.raises(RoundError) as exc:  # a value that does not open the commitment
        service.reveal(db_session=db_session, actor=STAFF, round_pk=row.id, contributor="district",
                       nonce=c.nonce.hex(), value="00" * 32, now=NOW)
    assert _code(exc) == "ceremony_invalid"
    season.reveal(row)
    season.contribute(row, "beef")
    with pytest.raises(RoundError) as exc:
        season.close(row)
    assert _code(exc) == "reveal_missing"
    assert exc.value.detail == "parent-representative"
    service.waive(db_session=db_session, actor=NOTARY, round_pk=row.id, contributor="parent-representative",
                  reason="未到场揭示，公证员决定不计入", now=NOW)
    row = season.close(row)
    expected = derive_seed(row.draw_id, bytes.fromhex(row.input_root or ""),
                           [c, lottery_contribution("notary-draw", "beef")])
    assert row.seed == expected.hex()


def lottery_contribution(name: str, value: str) -> Contribution:
    return Contribution(name, bytes.fromhex(value))


def test_a_rehearsal_bundle_is_never_published(db_session: Session) -> None:
    season = Season(db_session)
    row = season.sign(season.run(season.ready(scenario())))
    # A rehearsal of the same scenario: draw ids start with rehearsal/.
    result = run_plan(shipped_policy(), scenario_from_mapping(scenario()), rehearsal_contributions(b"r" * 32),
                      rehearsal=True)
    rehearsal = result.bundles()["private-boarding"]
    assert rehearsal["draw_id"].startswith("rehearsal/")
    signed = sign_bundle(sign_bundle(rehearsal, "district", season.district_key), "notary", season.notary_key)
    with pytest.raises(RoundError) as exc:
        service.countersign(db_session=db_session, actor=NOTARY, round_pk=row.id, signed_bundle=signed, now=NOW)
    assert _code(exc) == "rehearsal_refused"
    # The round's own bundle relabelled as a rehearsal is refused too.
    own = json.loads(row.bundle or "")
    own["draw_id"] = "rehearsal/" + own["draw_id"]
    with pytest.raises(RoundError) as exc:
        service.countersign(db_session=db_session, actor=NOTARY, round_pk=row.id,
                            signed_bundle=sign_bundle(own, "notary", season.notary_key), now=NOW)
    assert _code(exc) == "rehearsal_refused"
    assert db_session.get(Round, row.id).state == State.SIGNED  # type: ignore[union-attr]
    # The genuine countersigned bundle, handed in, publishes.
    genuine = sign_bundle(json.loads(row.bundle or ""), "notary", season.notary_key)
    row = service.countersign(db_session=db_session, actor=NOTARY, round_pk=row.id, signed_bundle=genuine,
                              now=NOW)
    assert row.state == State.PUBLISHED


def test_signatures_need_the_right_keys(db_session: Session) -> None:
    season = Season(db_session)
    row = season.run(season.ready(scenario()))
    with pytest.raises(RoundError) as exc:
        signer.sign(db_session=db_session, actor=STAFF, round_pk=row.id, district_key=key(5), now=NOW)
    assert _code(exc) == "key_mismatch"
    # The pinned district key, over another bundle: the signature does not verify.
    forged = bundle_signature({**json.loads(row.bundle or ""), "draw_id": "other"}, "district",
                              season.district_key)
    with pytest.raises(RoundError) as exc:
        service.sign(db_session=db_session, actor=STAFF, round_pk=row.id, signature=forged, now=NOW)
    assert _code(exc) == "signature_invalid"
    assert db_session.get(Round, row.id).state == State.DRAWN  # type: ignore[union-attr]
    row = season.sign(row)
    tampered = json.loads(row.bundle or "")
    tampered["assignments"][0]["school"] = None if tampered["assignments"][0]["school"] else "B000"
    with pytest.raises(RoundError) as exc:
        service.countersign(db_session=db_session, actor=NOTARY, round_pk=row.id,
                            signed_bundle=sign_bundle(tampered, "notary", season.notary_key), now=NOW)
    assert _code(exc) == "bundle_invalid"
    assert season.countersign(row).state == State.PUBLISHED


def test_the_same_inputs_and_ceremony_give_byte_identical_bundles(db_session: Session, tmp_path: Path) -> None:
    season = Season(db_session)
    first = season.publish(season.ready(scenario()))
    from paiwei.db import make_engine, make_session_factory, upgrade_to_head  # noqa: PLC0415

    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as other:
            again = Season(other)
            second = again.publish(again.ready(scenario()))
            assert second.bundle == first.bundle
            assert second.bundle_sha256 == first.bundle_sha256
            assert [(r.applicant, r.entry, r.outcome) for r in other.scalars(
                select(RoundResult).order_by(RoundResult.applicant))] == [
                (r.applicant, r.entry, r.outcome) for r in db_session.scalars(
                    select(RoundResult).where(RoundResult.round_pk == first.id).order_by(RoundResult.applicant))]
    finally:
        engine.dispose()


def test_results_are_only_shown_once_published(db_session: Session) -> None:
    season = Season(db_session)
    sc = scenario()
    aid = next(a["id"] for a in sc["applicants"] if a["choices"].get("private_boarding"))
    row = season.run(season.ready(sc))
    with pytest.raises(RoundError) as exc:
        service.result_for(db_session=db_session, applicant=aid)
    assert _code(exc) == "result_not_published"
    staff = service.result_for(db_session=db_session, applicant=aid, published_only=False)
    assert [e["round"] for e in staff["rounds"]] == ["private-boarding"] and staff["final"] is False
    row = season.countersign(season.sign(row))
    mine = service.result_for(db_session=db_session, applicant=aid)
    assert mine["status"] in ("placed", "pending", "ineligible")
    assert mine["how_to_verify"]
    [entry] = mine["rounds"]  # they took part in the private/boarding draw
    assert entry["ticket"] in row.bundle  # type: ignore[operator]
    assert entry["verify"]["bundle"] == "rounds/private-boarding/bundle.json"
    assert entry["verify"]["sha256"] == hashlib.sha256((row.bundle or "").encode()).hexdigest()
    assert all(f"{k}={v.hex()}" in entry["verify"]["command"] for k, v in keys_of(season).items())


def test_a_step_taken_meanwhile_by_another_session_is_not_applied_twice(
        db_session: Session, sessions: sessionmaker[Session]) -> None:
    season = Season(db_session)
    row = season.create(scenario())
    row = season.freeze(row)
    season.contribute(row)
    assert db_session.get(Round, row.id).state == State.FROZEN  # type: ignore[union-attr]  (cached here)
    with sessions() as other:
        Season(other).close(other.get(Round, row.id))  # type: ignore[arg-type]
    with pytest.raises(RoundError) as exc:
        season.close(row)  # this session still holds the round as frozen
    assert _code(exc) == "out_of_order"
    db_session.rollback()
    closes = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "ceremony_closed")).all()
    assert len(closes) == 1
    assert db_session.get(Round, row.id).state == State.READY  # type: ignore[union-attr]


def test_a_later_round_refuses_inputs_that_change_an_earlier_published_round(db_session: Session) -> None:
    season = Season(db_session)
    season.publish(season.ready(scenario()))
    changed = scenario()
    victim = next(a for a in changed["applicants"] if a["choices"].get("private_boarding"))
    victim["choices"]["private_boarding"] = []
    second = season.create(changed)
    with pytest.raises(RoundError) as exc:
        season.freeze(second)
    assert _code(exc) == "inputs_changed"
    assert "private-boarding" in (exc.value.detail or "")
    assert db_session.get(Round, second.id).state == State.CREATED  # type: ignore[union-attr]
    service.stage_inputs(db_session=db_session, actor=STAFF, round_pk=second.id, scenario=scenario(), now=NOW)
    assert season.freeze(second).state == State.FROZEN


def test_a_round_with_nobody_to_place_is_empty_and_the_season_goes_on(db_session: Session) -> None:
    season = Season(db_session)
    sc = scenario()
    for a in sc["applicants"]:
        a["choices"].pop("private_boarding", None)
    first = season.freeze(season.create(sc))
    assert first.state == State.EMPTY and first.input_root is None and first.freeze_statement is None
    for step in (season.contribute, season.close, season.run):
        with pytest.raises(RoundError) as exc:
            step(first)
        assert _code(exc) == "out_of_order"
    second = season.ready()  # the next round needs no published predecessor
    assert second.round == "single-school" and second.state == State.READY
    assert season.publish(second).state == State.PUBLISHED
