"""The staff, notary and parent API of the rounds: a round built from the database
(windows, catalogue, verified applicants and their locked choices), roles, problem+json,
result lookup after publication only, and the plan import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from lottery import private_key_pem, public_key_hex
from paiwei.publication import result_path
from paiwei.rounds import service
from paiwei.rounds.models import Plan, Round
from paiwei.rounds.signer import bundle_signature
from tests.integration.choices.helpers import act_as, beijing, set_up_district, verified_family
from tests.integration.intake.helpers import STAFF_PASSWORD, Intake, make_staff
from tests.integration.rounds.helpers import key

PB = "/api/choices/me/private_boarding"
PROBLEM = "application/problem+json"
SAMPLE_PLAN = Path(__file__).resolve().parents[3] / "paiwei" / "plans" / "sample-chaoyang-2024.csv"


def _as_staff(intake: Intake, login: str) -> None:
    intake.logout()
    assert intake.login(login, STAFF_PASSWORD).status_code == 200


def _pem(n: int) -> dict[str, Any]:
    """What the API used to take: a private key. Every route now refuses it (422)."""
    return {"pem": private_key_pem(key(n)).decode("ascii")}


def _refused(response: Any) -> None:
    """A request body carrying a private key is refused (422) and the key is not echoed."""
    assert response.status_code == 422, response.text
    assert "PRIVATE KEY" not in response.text


def _signed_freeze(intake: Intake, rid: int, n: int) -> dict[str, Any]:
    """The freeze draft from the API, signed with key ``n`` on 'the district's machine'."""
    draft = _ok(intake.client.get(f"/api/rounds/{rid}/freeze-draft"))
    return {"statement": service.sign_statement(draft, service.FREEZE_TAG, "district", key(n))}


def _signature(intake: Intake, rid: int, signer: str, n: int) -> dict[str, Any]:
    bundle = _ok(intake.client.get(f"/api/rounds/{rid}/package"))["bundle"]
    return bundle_signature(bundle, signer, key(n))


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == code


def test_a_round_from_the_database_through_the_api(intake: Intake, tmp_path: Path) -> None:
    start = beijing(6, 1)
    intake.clock.now = start
    set_up_district(intake.sessions, start)
    make_staff(intake.sessions, intake.clock, "staff1", "district_staff")
    make_staff(intake.sessions, intake.clock, "notary1", "notary")
    families = [verified_family(intake, n) for n in (1, 2, 3)]
    for family, school in zip(families, ("PV1", "PV1", "BD1"), strict=True):
        act_as(intake, family, beijing(6, 7, 10))
        _ok(intake.client.post(PB, json={"schools": [school]}), 201)

    # A parent cannot run the lifecycle.
    _problem(intake.client.post("/api/rounds", json={"stage": "primary"}), 403, "forbidden")

    _as_staff(intake, "staff1")
    created = _ok(intake.client.post("/api/rounds", json={"stage": "primary"}), 201)
    rid = created["id"]
    assert created["state"] == "created" and created["round"] == "private-boarding"
    _problem(intake.client.post(f"/api/rounds/{rid}/run"), 409, "out_of_order")

    intake.clock.now = beijing(6, 10, 9)  # the private/boarding window has closed
    _as_staff(intake, "staff1")  # (a new day: a new login)
    _refused(intake.client.post(f"/api/rounds/{rid}/freeze", json=_pem(1)))
    _problem(intake.client.get(f"/api/rounds/{rid}/freeze-draft"), 409, "keys_not_pinned")
    pinned = {"district": public_key_hex(key(1)), "notary": public_key_hex(key(2))}
    assert _ok(intake.client.post(f"/api/rounds/{rid}/season-keys", json={"keys": pinned})) == pinned
    # A freeze statement signed with a key other than the pinned one is refused; nothing changes.
    _problem(intake.client.post(f"/api/rounds/{rid}/freeze", json=_signed_freeze(intake, rid, 9)), 422,
             "key_mismatch")
    assert _ok(intake.client.get(f"/api/rounds/{rid}"))["state"] == "created"
    frozen = _ok(intake.client.post(f"/api/rounds/{rid}/freeze", json=_signed_freeze(intake, rid, 1)))
    assert frozen["state"] == "frozen" and len(frozen["input_root"]) == 64
    statement = _ok(intake.client.get(f"/api/rounds/{rid}/freeze-statement"))
    assert statement["input_root"] == frozen["input_root"] and statement["applicants"] == 3
    # After the freeze the locked choices cannot change either.
    act_as(intake, families[0], beijing(6, 10, 10))
    _problem(intake.client.put(PB, json={"schools": ["BD1"]}), 409, "choices_locked")

    _as_staff(intake, "notary1")
    # The live draw as ball numbers (docs/draw-spec.md §8.1), or a value in hex: one of them.
    for bad in ({"balls": [4, 1000]}, {"balls": []}, {"balls": [4], "value": "0407"}, {}):
        assert intake.client.post(f"/api/rounds/{rid}/contributions",
                                  json={"contributor": "notary-live-draw", **bad}).status_code == 422
    live = _ok(intake.client.post(f"/api/rounds/{rid}/contributions",
                                  json={"contributor": "notary-live-draw", "balls": [4, 7]}), 201)
    assert live["value"] == b"04 07".hex()
    _problem(intake.client.post(f"/api/rounds/{rid}/close-ceremony"), 403, "forbidden")
    _as_staff(intake, "staff1")
    _problem(intake.client.post(f"/api/rounds/{rid}/contributions",
                                json={"contributor": "x", "value": "01"}), 403, "forbidden")
    assert _ok(intake.client.post(f"/api/rounds/{rid}/close-ceremony"))["state"] == "ready"
    assert _ok(intake.client.post(f"/api/rounds/{rid}/run"))["state"] == "drawn"
    _refused(intake.client.post(f"/api/rounds/{rid}/sign", json=_pem(1)))
    _problem(intake.client.post(f"/api/rounds/{rid}/sign", json=_signature(intake, rid, "district", 9)), 422,
             "key_mismatch")
    assert _ok(intake.client.post(f"/api/rounds/{rid}/sign",
                                  json=_signature(intake, rid, "district", 1)))["state"] == "signed"
    staff_view = _ok(intake.client.get(f"/api/rounds/{rid}/results"))
    assert {r["applicant"] for r in staff_view} == {f.pseudonym for f in families}

    # Before publication a parent sees nothing.
    act_as(intake, families[0], beijing(6, 10, 11))
    _problem(intake.client.get("/api/results/me"), 404, "result_not_published")

    _as_staff(intake, "notary1")
    _refused(intake.client.post(f"/api/rounds/{rid}/countersign", json=_pem(2)))
    # The notary's signature made with the district's key (the bug of round 2) is refused.
    _problem(intake.client.post(f"/api/rounds/{rid}/countersign",
                                json={"signature": _signature(intake, rid, "notary", 1)}), 422, "key_mismatch")
    published = _ok(intake.client.post(f"/api/rounds/{rid}/countersign",
                                       json={"signature": _signature(intake, rid, "notary", 2)}))
    assert published["state"] == "published"
    assert set(published["keys"]) == {"district", "notary"}
    package = _ok(intake.client.get(f"/api/rounds/{rid}/package"))
    bundle = package["bundle"]
    assert {s["signer"] for s in bundle["signatures"]} == {"district", "notary"}
    tickets = {a["applicant"]: a["ticket"] for a in bundle["assignments"]}
    schools = {a["applicant"]: a["school"] for a in bundle["assignments"]}

    # A published round is immutable: 409 problem+json.
    _as_staff(intake, "staff1")
    signature = _signature(intake, rid, "district", 1)
    for path, body in (("run", None), ("freeze", {"statement": None}), ("sign", signature),
                       ("close-ceremony", None)):
        _problem(intake.client.post(f"/api/rounds/{rid}/{path}", json=body), 409, "round_published")

    # Staff see their season: every round and its state, and each drawn round's statistics.
    listed = _ok(intake.client.get("/api/rounds", params={"year": 2024, "stage": "primary"}))
    assert [(r["round"], r["state"]) for r in listed] == [("private-boarding", "published")]
    stats = _ok(intake.client.get(f"/api/rounds/{rid}/statistics"))
    assert (stats["applicants"], stats["placed"], stats["unplaced"]) == (3, 2, 1)
    assert stats["placed_by_choice"] == {"1": 2}
    pv1 = next(sc for sc in stats["schools"] if sc["school"] == "PV1")
    assert (pv1["seats"], pv1["applied"], pv1["admitted"], pv1["mode"]) == (1, 2, 1, "drawn")
    csv_text = intake.client.get(f"/api/rounds/{rid}/statistics.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("round,school,name,zone,seats,listed,applied,admitted,mode")

    # The next round of a season from the database reads the database again at its freeze.
    following = _ok(intake.client.post("/api/rounds", json={"stage": "primary"}), 201)
    assert following["round"] == "single-school"
    with intake.sessions() as s:
        staged = json.loads(s.get(Round, following["id"]).inputs or "")  # type: ignore[union-attr]
        assert staged["scenario"] is None and staged["source"] == "db"

    folder = tmp_path / "public"
    with intake.sessions() as s:
        service.write_folder(db_session=s, round_pk=rid, folder=folder)
        salt = service.season_of(db_session=s, row=s.get(Round, rid)).salt  # type: ignore[arg-type]
    for family in families:
        act_as(intake, family, beijing(6, 11, 9))
        response = intake.client.get("/api/results/me")
        mine = _ok(response)
        # One result document: the API serves the published file's bytes.
        assert response.content == (folder / result_path("chaoyang/2024/primary", salt, family.pseudonym)).read_bytes()
        assert mine["applicant"] == family.pseudonym and mine["format"] == "paiwei-result/1"
        entry = mine["rounds"][0]
        assert entry["ticket"] == tickets[family.pseudonym]
        assert (mine["school"] or {}).get("id") == schools[family.pseudonym]
        assert "lottery.verify" in entry["verify"]["command"] and mine["how_to_verify"]
        assert mine["explanation"]
        other = next(f for f in families if f is not family)
        _problem(intake.client.get(f"/api/results/{other.pseudonym}"), 403, "forbidden")
    # Exactly one of the two PV1 applicants got its single seat.
    assert sorted(schools.values(), key=str) == sorted(["BD1", "PV1", None], key=str)


def test_plan_import_through_the_staff_api_is_all_or_nothing(intake: Intake) -> None:
    make_staff(intake.sessions, intake.clock, "staff1", "district_staff")
    good = SAMPLE_PLAN.read_bytes()
    lines = good.decode("utf-8").splitlines()
    bad_cells = lines[2].split(",")
    bad_cells[4] = "很多"  # seats not a number
    bad = "\n".join([*lines[:2], ",".join(bad_cells), *lines[3:]]).encode("utf-8")
    url = "/api/plans/2024?district=chaoyang&fmt=csv"

    account = intake.register(1).json()["account_no"]
    assert intake.login(account).status_code == 200
    _problem(intake.client.post(url, content=good), 403, "forbidden")

    _as_staff(intake, "staff1")
    response = intake.client.post(url, content=bad, headers={"content-type": "text/csv"})
    _problem(response, 422, "plan_invalid")
    issues = response.json()["issues"]
    assert [i["row"] for i in issues] == [3]
    with intake.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Plan)) == 0

    imported = _ok(intake.client.post(url, content=good, headers={"content-type": "text/csv"}), 201)
    assert imported["schools"] == len(lines) - 1
    with intake.sessions() as s:
        plan = s.scalars(select(Plan)).one()
        assert (plan.district, plan.year) == ("110105", 2024)  # stored by its code
        assert len(plan.schools) == len(lines) - 1
