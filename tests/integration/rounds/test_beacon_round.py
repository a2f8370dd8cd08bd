"""A round whose freeze statement names a future drand round, contributed from the real
published record (tests/beacons/, quicknet round 123 at 2023-08-23T15:15:33Z) and
checked offline before it is stored; a wrong or altered record is refused by name."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from lottery import public_key_hex
from paiwei.rounds import service, signer
from paiwei.rounds.errors import RoundError
from paiwei.rounds.models import State
from seeding import DEFAULT_CHAIN, QUICKNET, derive_seed
from tests.integration.rounds.helpers import NOTARY, STAFF, Season, scenario

BEACONS = Path(__file__).resolve().parents[2] / "beacons"
BEFORE = datetime(2023, 8, 23, 15, 0, tzinfo=UTC)  # a quarter of an hour before round 123
AFTER = datetime(2023, 8, 23, 15, 20, tzinfo=UTC)


def record(name: str = "quicknet-round-123.json") -> dict[str, Any]:
    value: dict[str, Any] = json.loads((BEACONS / name).read_text(encoding="utf-8"))
    return value


def frozen_round(db_session: Session, beacon: dict[str, Any]) -> Any:
    season = Season(db_session)
    row = season.create(scenario())
    service.pin_keys(db_session=db_session, actor=STAFF, round_pk=row.id, now=BEFORE,
                     keys={"district": public_key_hex(season.district_key),
                           "notary": public_key_hex(season.notary_key)})
    return season, signer.freeze(db_session=db_session, actor=STAFF, round_pk=row.id,
                                 district_key=season.district_key, now=BEFORE, beacon=beacon)


def _code(exc: pytest.ExceptionInfo[RoundError]) -> str:
    return exc.value.code


def test_a_beacon_named_at_the_freeze_is_contributed_from_its_record(db_session: Session) -> None:
    season, row = frozen_round(db_session, {"chain": QUICKNET.upper(), "round": 123})
    statement = json.loads(row.freeze_statement or "{}")
    assert statement["beacon"] == {"chain": QUICKNET, "round": 123, "time": "2023-08-23T15:15:33Z"}
    # Another round's record, the round off by one, a flipped byte: each refused by name.
    off = record()
    off["beacon"]["round"] = 124
    flipped = record()
    sig = bytearray(bytes.fromhex(flipped["beacon"]["signature"]))
    sig[7] ^= 1
    flipped["beacon"]["signature"] = sig.hex()
    for bad, names in ((record("default-round-1.json"), ("chain info", "beacon round")),
                       (off, ("beacon round", "signature")), (flipped, ("randomness", "signature"))):
        with pytest.raises(RoundError) as caught:
            service.contribute_beacon(db_session=db_session, actor=NOTARY, round_pk=row.id, record=bad, now=AFTER)
        assert _code(caught) == "beacon_invalid"
        assert all(f"{name}:" in (caught.value.detail or "") for name in names), caught.value.detail
    with pytest.raises(RoundError) as caught:
        service.contribute_beacon(db_session=db_session, actor=NOTARY, round_pk=row.id,
                                  record={"format": "drand-record/1"}, now=AFTER)
    assert _code(caught) == "ceremony_invalid"
    assert service.contributions_of(db_session=db_session, round_pk=row.id) == []

    c = service.contribute_beacon(db_session=db_session, actor=NOTARY, round_pk=row.id, record=record(),
                                  now=AFTER)
    assert (c.contributor, c.value) == ("drand-beacon", record()["beacon"]["randomness"])
    row = service.close_ceremony(db_session=db_session, actor=STAFF, round_pk=row.id, now=AFTER)
    beacon_value = bytes.fromhex(record()["beacon"]["randomness"])
    from seeding import Contribution  # noqa: PLC0415

    expected = derive_seed(row.draw_id, bytes.fromhex(row.input_root or ""),
                           [Contribution("drand-beacon", beacon_value)])
    assert row.seed == expected.hex() and row.state == State.READY
    assert season  # the season's keys sign the rest as usual


@pytest.mark.parametrize(
    ("beacon", "why"),
    [
        ({"chain": DEFAULT_CHAIN, "round": 72785}, "not after the freeze"),  # 2020-08-16: already out
        ({"chain": "00" * 32, "round": 10**6}, "not a pinned drand chain"),
        ({"chain": QUICKNET, "round": "123"}, "positive integer"),
    ],
)
def test_the_named_beacon_must_be_a_pinned_chain_and_lie_after_the_freeze(
        db_session: Session, beacon: dict[str, Any], why: str) -> None:
    with pytest.raises(RoundError) as caught:
        frozen_round(db_session, beacon)
    assert _code(caught) == "ceremony_invalid" and why in (caught.value.detail or "")


def test_a_round_without_a_named_beacon_refuses_a_beacon_record(db_session: Session) -> None:
    season = Season(db_session)
    row = season.freeze(season.create(scenario()))
    with pytest.raises(RoundError) as caught:
        service.contribute_beacon(db_session=db_session, actor=NOTARY, round_pk=row.id,
                                  record=copy.deepcopy(record()), now=AFTER)
    assert _code(caught) == "ceremony_invalid"
