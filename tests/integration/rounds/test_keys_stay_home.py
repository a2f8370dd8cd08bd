"""Private keys never leave their holders (issue 19): the API takes public keys and
signatures only, every signature is checked against the season's pinned keys before
anything is stored, and the database and the publication folder never disagree."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import lottery
from api.app import create_app
from lottery import private_key_pem, public_key_hex
from paiwei.audit.models import AuditEvent
from paiwei.cli import app as cli
from paiwei.rounds import service, signer
from paiwei.rounds.errors import RoundError
from paiwei.rounds.models import Round, State
from paiwei.rounds.signer import bundle_signature
from paiwei.settings import Settings
from tests.integration.rounds.helpers import NOTARY, NOW, STAFF, Season, key, scenario

SECRET_NAMES = re.compile(r"pem|private|passphrase|secret", re.IGNORECASE)


def _properties(schema: dict[str, Any], components: dict[str, Any], seen: set[str]) -> set[str]:
    """Every property name reachable from a request body schema."""
    names: set[str] = set()
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            return names
        seen.add(name)
        return _properties(components[name], components, seen)
    for key_, value in schema.get("properties", {}).items():
        names.add(key_)
        names |= _properties(value, components, seen)
    for part in ("anyOf", "allOf", "oneOf"):
        for sub in schema.get(part, []):
            names |= _properties(sub, components, seen)
    for part in ("items", "additionalProperties"):
        if isinstance(schema.get(part), dict):
            names |= _properties(schema[part], components, seen)
    return names


def test_no_route_accepts_a_private_key(settings: Settings) -> None:
    app = create_app(settings)
    spec = app.openapi()
    app.state.engine.dispose()
    components = spec.get("components", {}).get("schemas", {})
    bodies = 0
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for content in op.get("requestBody", {}).get("content", {}).values():
                bodies += 1
                names = _properties(content.get("schema", {}), components, set())
                secret = {n for n in names if SECRET_NAMES.search(n)}
                assert not secret, (method, path, secret)
    assert bodies > 10  # the walk saw the request bodies


def test_signing_routes_refuse_a_pem_in_the_body(intake: Any) -> None:
    """The old bodies ({"pem", "passphrase"}) are refused by validation, the key not echoed."""
    from tests.integration.intake.helpers import STAFF_PASSWORD, make_staff  # noqa: PLC0415

    pem = private_key_pem(key(1)).decode("ascii")
    with intake.sessions() as s:  # a Chaoyang round, so that scope checks let the body through
        pk = Season(s).create(scenario()).id
    for role in ("district_staff", "notary"):
        make_staff(intake.sessions, intake.clock, f"k-{role}", role, district="110105")
        intake.logout()
        assert intake.login(f"k-{role}", STAFF_PASSWORD).status_code == 200
        for path in ("freeze", "sign", "countersign", "season-keys"):
            response = intake.client.post(f"/api/rounds/{pk}/{path}", json={"pem": pem, "passphrase": "x"})
            if response.status_code == 403:
                continue  # not this role's route
            assert response.status_code == 422, (role, path, response.text)
            assert "PRIVATE KEY" not in response.text


def _folder_rounds(folder: Path) -> list[str]:
    index = folder / "index.json"
    if not index.exists():
        return []
    return [r["round"] for r in json.loads(index.read_bytes())["rounds"]]


def test_keys_other_than_the_pinned_ones_are_refused_and_nothing_is_stored(
        db_session: Session, tmp_path: Path) -> None:
    season = Season(db_session)
    row = season.create(scenario())
    season.commit(row)
    # No freeze before the season's keys are pinned.
    with pytest.raises(RoundError) as caught:
        signer.freeze(db_session=db_session, actor=STAFF, round_pk=row.id, district_key=season.district_key,
                      now=NOW)
    assert caught.value.code == "keys_not_pinned"
    season.pin(row)
    # Pinning other keys afterwards is refused: a change is its own signed event.
    with pytest.raises(RoundError) as caught:
        service.pin_keys(db_session=db_session, actor=STAFF, round_pk=row.id, now=NOW,
                         keys={"district": public_key_hex(key(7)), "notary": public_key_hex(key(2))})
    assert caught.value.code == "keys_pinned"
    # The notary's key signing the freeze as "district" (round 2 of the report): refused.
    with pytest.raises(RoundError) as caught:
        signer.freeze(db_session=db_session, actor=STAFF, round_pk=row.id, district_key=season.notary_key,
                      now=NOW)
    assert caught.value.code == "key_mismatch"
    db_session.expire_all()
    fresh = db_session.get(Round, row.id)
    assert fresh is not None and fresh.state == State.CREATED and fresh.freeze_statement is None
    # A genuine statement altered after signing does not verify.
    statement = service.prepare_freeze(db_session=db_session, round_pk=row.id, now=NOW)
    assert statement is not None and statement["keys"]["district"] == public_key_hex(season.district_key)
    signed = service.sign_statement(statement, service.FREEZE_TAG, "district", season.district_key)
    with pytest.raises(RoundError) as caught:
        service.freeze(db_session=db_session, actor=STAFF, round_pk=row.id,
                       statement={**signed, "applicants": signed["applicants"] + 1}, now=NOW)
    assert caught.value.code == "inputs_changed"
    forged = {**signed, "signature": {**signed["signature"], "signature": "00" * 64}}
    with pytest.raises(RoundError) as caught:
        service.freeze(db_session=db_session, actor=STAFF, round_pk=row.id, statement=forged, now=NOW)
    assert caught.value.code == "signature_invalid"
    row = service.freeze(db_session=db_session, actor=STAFF, round_pk=row.id, statement=signed, now=NOW)
    assert row.state == State.FROZEN and json.loads(row.freeze_statement or "{}") == signed

    season.reveal(row)
    season.contribute(row)
    row = season.run(season.close(row))
    # The district's signature with another key: refused, nothing stored.
    with pytest.raises(RoundError) as caught:
        signer.sign(db_session=db_session, actor=STAFF, round_pk=row.id, district_key=season.notary_key, now=NOW)
    assert caught.value.code == "key_mismatch"
    row = season.sign(row)
    folder = tmp_path / "pub"
    # The notary's countersignature made with the district's key, or another key: refused,
    # the round stays signed and the folder holds nothing.
    for wrong in (season.district_key, key(9)):
        with pytest.raises(RoundError) as caught:
            signer.countersign(db_session=db_session, actor=NOTARY, round_pk=row.id, notary_key=wrong,
                               folder=folder, now=NOW)
        assert caught.value.code == "key_mismatch"
    # A bundle countersigned elsewhere by a key other than the pinned notary key: refused too.
    elsewhere = lottery.sign_bundle(json.loads(row.bundle or ""), "notary", key(9))
    with pytest.raises(RoundError) as caught:
        service.countersign(db_session=db_session, actor=NOTARY, round_pk=row.id, signed_bundle=elsewhere,
                            folder=folder, now=NOW)
    assert caught.value.code == "key_mismatch"
    db_session.expire_all()
    assert db_session.get(Round, row.id).state == State.SIGNED  # type: ignore[union-attr]
    assert _folder_rounds(folder) == []
    row = season.countersign(row, folder=folder)
    assert row.state == State.PUBLISHED and _folder_rounds(folder) == [row.round]
    # The folder's key set is the pinned one, and the published bundle verifies against it.
    keys = lottery.read_key_set(str(folder / "keys.json"))
    assert {k: v.hex() for k, v in keys.items()} == row.keys
    result = CliRunner().invoke(cli, ["verify", str(folder / "rounds" / row.round / "bundle.json"),
                                      "--keys", str(folder / "keys.json")])
    assert result.exit_code == 0, result.output
    assert f"key set fingerprint {lottery.key_set_fingerprint(keys)}" in result.output


def test_a_key_change_is_signed_by_the_old_key_and_audited(db_session: Session) -> None:
    season = Season(db_session)
    row = season.create(scenario())
    season.pin(row)
    change = {"format": "paiwei-key-change/1", "season": "chaoyang/2024/primary", "signer": "district",
              "old": public_key_hex(season.district_key), "new": public_key_hex(key(5)),
              "reason": "区教委更换签名密钥"}
    # Signed by the new key (or anyone but the old one): refused.
    by_new = service.sign_statement(change, service.KEY_CHANGE_TAG, "district", key(5))
    with pytest.raises(RoundError) as caught:
        service.change_key(db_session=db_session, actor=STAFF, round_pk=row.id, statement=by_new, now=NOW)
    assert caught.value.code == "key_mismatch"
    by_old = service.sign_statement(change, service.KEY_CHANGE_TAG, "district", season.district_key)
    keys = service.change_key(db_session=db_session, actor=STAFF, round_pk=row.id, statement=by_old, now=NOW)
    assert keys["district"] == public_key_hex(key(5))
    events = db_session.scalars(select(AuditEvent.action)).all()
    assert "season_key_changed" in events and "season_keys_pinned" in events
    # The old key no longer freezes; the new one does.
    season.commit(row)
    with pytest.raises(RoundError) as caught:
        signer.freeze(db_session=db_session, actor=STAFF, round_pk=row.id, district_key=season.district_key,
                      now=NOW)
    assert caught.value.code == "key_mismatch"
    frozen = signer.freeze(db_session=db_session, actor=STAFF, round_pk=row.id, district_key=key(5), now=NOW)
    assert frozen.state == State.FROZEN and (frozen.keys or {})["district"] == public_key_hex(key(5))


# --- the signers' own tools ------------------------------------------------------------------


def _cli(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), input=stdin)


def test_paiwei_sign_and_notary_countersign_run_on_the_holders_machines(tmp_path: Path) -> None:
    frozen = lottery.freeze("chaoyang/2024/primary/test", [{"id": "s1", "capacity": 1}],
                            [{"id": "a1", "choices": ["s1"], "priority": {"s1": 0}},
                             {"id": "a2", "choices": ["s1"], "priority": {"s1": 0}}])
    from seeding import Contribution  # noqa: PLC0415

    bundle = lottery.run_draw(frozen, [Contribution("notary-live-draw", b"\x03\x05")]).bundle
    path = tmp_path / "bundle.json"
    path.write_bytes(lottery.canonical_json(bundle))
    (tmp_path / "district.pem").write_bytes(private_key_pem(key(1), b"d-pass"))
    (tmp_path / "notary.pem").write_bytes(private_key_pem(key(2)))
    district = f"district={public_key_hex(key(1))}"

    # Countersigning an unsigned bundle: the district's signature is missing, refused (1).
    refused = _cli("notary", "countersign", str(path), "--key", str(tmp_path / "notary.pem"), "--trust", district)
    assert refused.exit_code == 1 and "missing signature of district" in refused.output
    # The passphrase is prompted for; a wrong one is one line and exit 2.
    wrong = _cli("sign", str(path), "--key", str(tmp_path / "district.pem"), stdin="nope\n")
    assert wrong.exit_code == 2 and "Traceback" not in wrong.output
    signed = _cli("sign", str(path), "--key", str(tmp_path / "district.pem"), stdin="d-pass\n")
    assert signed.exit_code == 0, signed.output
    entry = json.loads(signed.output.strip().splitlines()[-1])
    assert entry == bundle_signature(bundle, "district", key(1))
    # Without a key to trust, the notary tool will not countersign.
    untrusted = _cli("notary", "countersign", str(path), "--key", str(tmp_path / "notary.pem"))
    assert untrusted.exit_code == 2 and "--trust" in untrusted.output
    done = _cli("notary", "countersign", str(path), "--key", str(tmp_path / "notary.pem"), "--trust", district,
                "--out", str(tmp_path / "countersigned.json"))
    assert done.exit_code == 0, done.output
    report = lottery.verify(json.loads((tmp_path / "countersigned.json").read_bytes()),
                            {"district": bytes.fromhex(public_key_hex(key(1))),
                             "notary": bytes.fromhex(public_key_hex(key(2)))})
    assert report.signers == ("district", "notary")
    # A bundle changed after the district signed: the notary refuses it.
    tampered = json.loads(path.read_bytes())
    tampered["assignments"][0]["school"] = None if tampered["assignments"][0]["school"] else "s1"
    path.write_bytes(lottery.canonical_json(tampered))
    again = _cli("notary", "countersign", str(path), "--key", str(tmp_path / "notary.pem"), "--trust", district)
    assert again.exit_code == 1 and "not countersigned" in again.output


def test_other_audit_events_between_prepare_and_freeze_do_not_refuse_it(db_session: Session) -> None:
    """The audit log is shared: the statement's head need only be an event the log holds."""
    from paiwei.audit import service as audit  # noqa: PLC0415

    season = Season(db_session)
    row = season.create(scenario())
    season.pin(row)
    statement = service.prepare_freeze(db_session=db_session, round_pk=row.id, now=NOW)
    assert statement is not None
    audit.append(db_session=db_session, actor=STAFF, action="unrelated", subject="x", now=NOW)
    db_session.commit()
    signed = service.sign_statement(statement, service.FREEZE_TAG, "district", season.district_key)
    forged_head = {**signed, "audit_head": {"seq": statement["audit_head"]["seq"], "hash": "00" * 32}}
    with pytest.raises(RoundError) as caught:
        service.freeze(db_session=db_session, actor=STAFF, round_pk=row.id,
                       statement=service.sign_statement(forged_head, service.FREEZE_TAG, "district",
                                                        season.district_key), now=NOW)
    assert caught.value.code == "inputs_changed"
    row = service.freeze(db_session=db_session, actor=STAFF, round_pk=row.id, statement=signed, now=NOW)
    assert row.state == State.FROZEN
