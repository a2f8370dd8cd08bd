"""A whole season, both stages, driven through the ``paiwei`` command line and the HTTP API
only (issue 17's first "Done when"): no use case is called from Python here.

The command line: ``db upgrade``, ``users create``, ``windows load``, ``round plan-import``,
``keys generate``, ``ceremony commit``/``open``, ``sign-statement`` (the freeze statement,
on the district's side), ``sign`` (the district), ``notary countersign`` (the notary),
``round folder`` (the publication folder), ``route show``, ``round stats`` and
``verify-season``. Everything else goes
through the API as a browser or a staff tool would call it: the parents' registration
(notice, SMS code read from the development outbox, captcha answer derived as the server
draws it), details and choices; the street office's and the district's review; routing
records; round creation, commitments, the pinned keys, the freeze draft and the signed
freeze, reveals, the notary's live draw, close, run, signatures, countersignatures; the
accounting and each parent's result. Private keys stay in files read by the CLI.

Then: every verified applicant ends placed, or unplaced with a stated reason, or listed by
the freeze's accounting with the rule why not; and the result file of the publication
folder equals the API's ``GET /api/results/me`` byte for byte.

The CLI runs on the system clock (the 2024 windows are long closed); the API on a fake
clock walked through the 2024 timetable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from paiwei.cli import app as cli
from paiwei.settings import Settings
from paiwei.sms.sender import OutboxSender
from tests.integration.choices.helpers import hukou_registration
from tests.integration.intake.helpers import FakeClock, Intake, details, resident_id

YEAR = 2024
CHAOYANG = "110105"
STREET = "110105001"
BEIJING = timezone(timedelta(hours=8))
STAFF_PASSWORD = "Season-Staff-Pw1"  # noqa: S105 - test fixture
PARENT_PASSWORD = "Abcdef12"  # noqa: S105 - test fixture

# The district's plan for 2024: both stages' schools (学校招生计划), as staff upload it.
PLAN = """学校代码,学校名称,学段,办学类型,学位数,片区,片区类型,片区名称,所属片区,相邻片区,分组,九年一贯对口小学,学校地址
P001,朝阳实验小学,小学,公办,1,Z01,多校划片,第一片区,,,,,北京市朝阳区示例路1号
P002,朝阳第二小学,小学,公办,1,Z01,多校划片,第一片区,,,,,北京市朝阳区示例路2号
P003,朝阳第三小学,小学,公办,1,Z01-S03,单校划片,,Z01,,,,北京市朝阳区示例路3号
P004,望京小学,小学,公办,2,Z02,多校划片,第二片区,,,,,北京市朝阳区示例路4号
M001,示例民办小学,小学,民办,1,,,,,,,,北京市朝阳区示例路5号
B001,示例寄宿小学,小学,寄宿,1,,,,,,,,北京市朝阳区示例路6号
J001,朝阳第一中学,初中,公办,1,JZ1,多校划片,初中第一片区,,,1,,北京市朝阳区示例路7号
J002,朝阳第二中学,初中,公办,1,JZ1,多校划片,初中第一片区,,,2,,北京市朝阳区示例路8号
J003,望京学校初中部,初中,公办,1,JZ1,多校划片,初中第一片区,,,,P004,北京市朝阳区示例路9号
J004,朝阳第四中学,初中,公办,2,JZ1,多校划片,初中第一片区,,,,,北京市朝阳区示例路10号
J005,朝阳第五中学,初中,公办,1,JZ1-S05,单校划片,,JZ1,,,,北京市朝阳区示例路11号
JM01,示例民办中学,初中,民办,1,,,,,,,,北京市朝阳区示例路12号
JB01,示例寄宿中学,初中,寄宿,1,,,,,,,,北京市朝阳区示例路13号
"""



def _rented(zone: str, birth: str = "2018-03-01") -> dict[str, Any]:
    return {"birth_date": birth, "hukou": {"kind": "chaoyang", "zone": zone},
            "residence": {"kind": "rented", "address": f"addr-{zone}-{birth}", "zone": zone,
                          "rental_start": "2020-01-01", "registered": True}}


def _pupil(primary: str, **extra: Any) -> dict[str, Any]:
    return {"hukou": {"kind": "chaoyang", "zone": "JZ1"}, "residence": {"kind": "none"},
            "school_of_record": primary, "school_zone": "JZ1", **extra}


@dataclass
class Child:
    """One applicant of the season: the routing record staff enter, the lists the parent submits."""

    key: str
    stage: str
    record: dict[str, Any]
    lists: dict[str, list[str]] = field(default_factory=dict)
    birth: date = date(2018, 3, 1)
    n: int = 0
    account: str = ""
    pseudonym: str = ""


def _children() -> list[Child]:
    return [
        # primary: a zone Z01 child who also applies to the private school
        Child("p-private", "primary", _rented("Z01"),
              {"private_boarding": ["M001"], "zone": ["P001", "P002"]}),
        Child("p-zone-1", "primary", _rented("Z01"), {"zone": ["P001", "P002"]}),
        Child("p-zone-2", "primary", _rented("Z01"), {"private_boarding": ["B001"], "zone": ["P002", "P001"]}),
        Child("p-zone-3", "primary", _rented("Z01"), {"zone": ["P001", "P002"]}),
        Child("p-zone-4", "primary", _rented("Z01"), {"zone": ["P002"]}),
        Child("p-no-list", "primary", _rented("Z01")),  # never submits a zone list
        Child("p-z02", "primary", _rented("Z02"), {"zone": ["P004"]}),
        Child("p-single", "primary", {
            "birth_date": "2018-03-01", "hukou": {"kind": "chaoyang", "zone": "Z01-S03"},
            "residence": {"kind": "owned", "address": "flat-s03", "zone": "Z01-S03",
                          "certificate_date": "2015-04-01"},
            "property": {"beijing": True, "chaoyang": True}}),
        Child("p-too-young", "primary", _rented("Z01", birth="2018-10-01"), birth=date(2018, 10, 1)),
        # junior: pupils graduating from a Chaoyang primary school (学籍 in the district)
        Child("j-private", "junior", _pupil("P001"),
              {"private_boarding": ["JM01"], "groups": ["J001", "J002"], "zone": ["J004", "J001"]},
              birth=date(2012, 3, 1)),
        Child("j-groups", "junior", _pupil("P002"), {"groups": ["J001"], "zone": ["J001", "J004"]},
              birth=date(2012, 4, 1)),
        Child("j-groups-2", "junior", _pupil("P002"), {"groups": ["J001"], "zone": ["J001", "J004"]},
              birth=date(2012, 4, 2)),
        Child("j-nine-year", "junior", _pupil("P004"), {"zone": ["J004"]}, birth=date(2012, 5, 1)),
        Child("j-zone", "junior", _pupil("P001"), {"groups": ["J002"], "zone": ["J004", "J002"]},
              birth=date(2012, 6, 1)),
        Child("j-single", "junior", {
            "hukou": {"kind": "chaoyang", "zone": "JZ1-S05"},
            "residence": {"kind": "owned", "address": "flat-s05", "zone": "JZ1-S05",
                          "certificate_date": "2012-05-01"},
            "property": {"beijing": True, "chaoyang": True},
            "school_of_record": "P002", "school_zone": "JZ1"}, birth=date(2012, 7, 1)),
        Child("j-returned", "junior", {
            "hukou": {"kind": "chaoyang", "zone": "JZ1"}, "residence": {"kind": "none"},
            "returned": True, "school_zone": "JZ1"}, {"zone": ["J004"]}, birth=date(2012, 8, 1)),
        Child("j-no-record", "junior", {
            "hukou": {"kind": "chaoyang", "zone": "JZ1"}, "residence": {"kind": "none"},
            "school_record_place": "other-beijing"}, birth=date(2012, 9, 1)),
    ]


def beijing(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(YEAR, month, day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


def paiwei(*args: str | Path, code: int = 0, stdin: str | None = None) -> str:
    """One ``paiwei`` command; its output (stdout and stderr)."""
    result = CliRunner().invoke(cli, [str(a) for a in args], input=stdin)
    assert result.exit_code == code, (args, result.output)
    assert "Traceback" not in result.output
    return result.output


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.method, response.request.url, response.text)
    return response.json() if response.content else None


def result_file(folder: Path, applicant: str) -> Path:
    """docs/publication.md's recipe for the result file's name (the standard library only)."""
    def th(tag: str, msg: bytes) -> bytes:
        t = hashlib.sha256(tag.encode()).digest()
        return hashlib.sha256(t + t + msg).digest()

    def f(b: bytes) -> bytes:
        return len(b).to_bytes(4, "big") + b

    season = json.loads((folder / "index.json").read_bytes())["season"]
    salt = bytes.fromhex(season["result_key"]["salt"])
    h = th("paiwei/v1/result-key", f(season["id"].encode()) + f(salt) + f(applicant.encode())).hex()
    return folder / "results" / h[:2] / f"{h}.json"


@dataclass
class World:
    root: Path
    api: Intake
    clock: FakeClock
    children: list[Child]
    keys: dict[str, str]  # name -> public key hex
    staff: dict[str, str]  # role -> login

    def as_staff(self, role: str) -> None:
        self.api.logout()
        ok(self.api.login(self.staff[role], STAFF_PASSWORD))

    def as_parent(self, child: Child) -> None:
        self.api.logout()
        ok(self.api.login(child.account, PARENT_PASSWORD))

    def of(self, stage: str) -> list[Child]:
        return [c for c in self.children if c.stage == stage]


# --- the season up to the draws: set-up, intake, review, routing, choices ----------------


def _set_up(root: Path) -> dict[str, str]:
    assert "up to date" in paiwei("db", "upgrade")
    staff = {}
    for role, extra in (("street_reviewer", ["--street", STREET]), ("district_staff", []), ("notary", [])):
        login = f"season-{role.replace('_', '-')}"
        district = ["--district", CHAOYANG] if role != "notary" else []
        paiwei("users", "create", "--username", login, "--role", role, *district, *extra,
               "--password-env", "SEASON_STAFF_PASSWORD")
        staff[role] = login
    # The policy's timetable, with its readings for the junior windows it does not name.
    assert "5 window(s) loaded for 110105/2024" in paiwei("windows", "load")
    (root / "plan.csv").write_text(PLAN, encoding="utf-8")
    assert "13 schools" in paiwei("round", "plan-import", root / "plan.csv", "--district", CHAOYANG,
                                  "--year", YEAR)
    return staff


def _register(world: World, child: Child) -> None:
    api = world.api
    api.logout()
    sex = "M" if child.n % 2 else "F"
    response = api.register(child.n, child_birth_date=child.birth.isoformat(), child_sex=sex,
                            child_id_number=resident_id(child.birth, sex, seq=child.n),
                            **hukou_registration(child.record))
    child.account = ok(response, 201)["account_no"]
    ok(api.login(child.account, PARENT_PASSWORD))
    ok(api.client.put("/api/intake/me/details", json=_details(child)))


def _details(child: Child) -> dict[str, Any]:
    """Figure 9 as the child's record says: the routing joins the dwelling and 无房 from the
    details (issue 18), so a record that contradicts them is refused."""
    body = details()
    owned = child.record.get("property", {})
    residence = child.record["residence"]
    in_district = owned.get("chaoyang", residence["kind"] == "owned")
    body["family_property"] = "district" if in_district else ("beijing" if owned.get("beijing") else "none")
    if residence["kind"] == "rented":
        body["residence"]["rental"]["start_date"] = residence["rental_start"]
        return body
    del body["residence"]["rental"]
    if residence["kind"] == "owned":
        body["residence"]["dwelling_type"] = "owned"
        body["residence"]["property"] = {
            "certificate_no": f"京朝阳区不动产权第{child.n:07d}号", "certificate_date": residence["certificate_date"],
            "address": body["residence"]["address"], "holder": "parent",
            "certificate_type": "real_estate_certificate", "for_residence": True}
    else:
        body["residence"]["dwelling_type"] = "other"
    return body


def _review_and_route(world: World) -> None:
    """The street office approves the materials; the district verifies, finds who is who by
    the account number, and enters each routing record (routed at once)."""
    by_account = {c.account: c for c in world.children}
    world.as_staff("street_reviewer")
    queue = ok(world.api.client.get("/api/review/applicants"))
    assert len(queue) == len(world.children)
    for item in queue:
        ok(world.api.client.post(f"/api/review/applicants/{item['pseudonym']}/material-approval"))
    world.as_staff("district_staff")
    for item in ok(world.api.client.get("/api/review/applicants")):
        assert item["status"] == "id_pending", item
        detail = ok(world.api.client.get(f"/api/review/applicants/{item['pseudonym']}"))
        child = by_account[detail["account_no"]]
        child.pseudonym = item["pseudonym"]
        ok(world.api.client.post(f"/api/review/applicants/{child.pseudonym}/verification"))
        routed = ok(world.api.client.put(f"/api/routes/{child.pseudonym}/record",
                                         json={"year": YEAR, "stage": child.stage, "record": child.record}))
        assert routed["routed"] is True, (child.key, routed)
    for stage in ("primary", "junior"):
        seen = ok(world.api.client.get("/api/routes", params={"year": YEAR, "stage": stage}))
        assert seen["routed"] == len(world.of(stage)) and seen["undecided"] == [], seen
        # The command line shows staff the same routes by zone.
        shown = json.loads(paiwei("route", "show", "--district", CHAOYANG, "--year", YEAR, "--stage", stage,
                                  "--json"))
        assert shown == seen


def _choose(world: World, child: Child, kinds: tuple[str, ...]) -> None:
    wanted = {k: v for k, v in child.lists.items() if k in kinds}
    if not wanted:
        return
    world.as_parent(child)
    options = ok(world.api.client.get("/api/choices/me"))
    assert options["stage"] == child.stage and options["eligible"], (child.key, options)
    for kind, schools in wanted.items():
        offered = next(x for x in options["lists"] if x["kind"] == kind)
        assert set(schools) <= set(offered["allowed_schools"]), (child.key, kind, offered)
        assert all(s["name"] and "kind_label" in s for s in offered["schools"])
        ok(world.api.client.post(f"/api/choices/me/{kind}", json={"schools": schools}), 201)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("season")
    url = f"sqlite:///{root / 'paiwei.sqlite3'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PAIWEI_DATABASE_URL", url)
        mp.setenv("PAIWEI_SCRYPT_LOG2_N", "10")
        mp.setenv("SEASON_STAFF_PASSWORD", STAFF_PASSWORD)
        staff = _set_up(root)
        keys = {}
        for name in ("district", "notary"):
            line = paiwei("keys", "generate", "--out", root / f"{name}.pem", "--name", name).strip()
            keys[name] = line.partition("=")[2]
        settings = Settings(database_url=url, scrypt_log2_n=10, cookie_secure=False, environment="test",
                            intake_year=YEAR)
        clock = FakeClock(beijing(5, 6))
        app = create_app(settings, clock=clock, sms_sender=OutboxSender())
        try:
            with TestClient(app) as client:
                api = Intake(client=client, clock=clock, sessions=app.state.session_factory)
                children = _children()
                for n, child in enumerate(children, start=1):
                    child.n = n
                w = World(root, api, clock, children, keys, staff)
                for child in children:
                    _register(w, child)
                clock.now = beijing(5, 8)
                _review_and_route(w)
                clock.now = beijing(5, 20)  # the zone lists (both stages)
                for child in children:
                    _choose(w, child, ("zone",))
                clock.now = beijing(5, 30, 10)  # the junior first batch, private and boarding
                for child in children:
                    if child.stage == "junior":
                        _choose(w, child, ("groups", "private_boarding"))
                clock.now = beijing(6, 7)  # primary private and boarding schools
                for child in children:
                    if child.stage == "primary":
                        _choose(w, child, ("private_boarding",))
                w.api.logout()
                yield w
        finally:
            app.state.engine.dispose()


# --- the rounds: create, commit, freeze, ceremony, run, sign, countersign, publish -------


# Draw days (Beijing) on the timetable: private and boarding primary schools and the junior
# first batch by 12 June, the other primary rounds by 30 June, the junior multi-school draw
# on 3 July (附件：朝阳区 2024 年义务教育阶段入学工作时间表).
DRAW_DAYS = {
    "primary": {"private-boarding": (6, 11, 9), "single-school": (6, 28, 9), "multi-school": (6, 29, 9),
                "district": (6, 30, 9)},
    "junior": {"private-boarding": (6, 10, 14), "first-batch": (6, 11, 14), "nine-year": (6, 20, 9),
               "single-school": (6, 20, 14), "multi-school": (7, 3, 9), "district": (7, 5, 9)},
}


def _round(world: World, row: dict[str, Any], folder: Path) -> str:
    """One round from the freeze to the publication folder; returns its final state."""
    api, root = world.api, world.root
    stage, rid, draw_id, round_id = row["stage"], row["id"], row["draw_id"], row["round"]
    world.clock.now = beijing(*DRAW_DAYS[stage][round_id])
    world.as_staff("district_staff")
    draft = ok(api.client.get(f"/api/rounds/{rid}/freeze-draft"))
    if draft is None:  # nobody left to place: frozen empty, recorded in the folder's index
        frozen = ok(api.client.post(f"/api/rounds/{rid}/freeze", json={"statement": None}))
        assert frozen["state"] == "empty", frozen
        paiwei("round", "folder", rid, "--folder", folder)
        return "empty"
    # The district signs the statement on its own machine; only the signed statement goes back.
    statement = root / f"{stage}-{round_id}-freeze.json"
    statement.write_text(json.dumps(draft, ensure_ascii=False), encoding="utf-8")
    assert "freeze statement signed by district" in paiwei("sign-statement", statement, "--key",
                                                           root / "district.pem")
    signed = json.loads(statement.read_bytes())
    assert signed["signature"]["public_key"] == world.keys["district"]
    frozen = ok(api.client.post(f"/api/rounds/{rid}/freeze", json={"statement": signed}))
    assert frozen["state"] == "frozen" and frozen["input_root"], frozen
    world.clock.advance(300)
    # The district opens its commitment; the notary draws numbered balls live.
    opening = json.loads(paiwei("ceremony", "open", root / f"{stage}-{round_id}-opening.json"))
    ok(api.client.post(f"/api/rounds/{rid}/reveals", json={
        "contributor": opening["contributor"], "nonce": opening["nonce"], "value": opening["value"]}))
    world.as_staff("notary")
    ok(api.client.post(f"/api/rounds/{rid}/contributions",
                       json={"contributor": "notary-live-draw", "value": "0307010904"}), 201)
    world.as_staff("district_staff")
    assert ok(api.client.post(f"/api/rounds/{rid}/close-ceremony"))["state"] == "ready"
    drawn = ok(api.client.post(f"/api/rounds/{rid}/run"))
    assert drawn["state"] == "drawn" and drawn["draw_id"] == draw_id
    # The district signs the drawn bundle with `paiwei sign`; the signature goes to the API.
    bundle = root / f"{stage}-{round_id}-bundle.json"
    bundle.write_text(json.dumps(ok(api.client.get(f"/api/rounds/{rid}/package"))["bundle"]), encoding="utf-8")
    signature = json.loads(paiwei("sign", bundle, "--key", root / "district.pem").strip().splitlines()[-1])
    assert ok(api.client.post(f"/api/rounds/{rid}/sign", json=signature))["state"] == "signed"
    # The notary fetches the signed bundle, checks it against the district's key, countersigns.
    world.as_staff("notary")
    bundle.write_text(json.dumps(ok(api.client.get(f"/api/rounds/{rid}/package"))["bundle"]), encoding="utf-8")
    out = paiwei("notary", "countersign", bundle, "--key", root / "notary.pem",
                 "--trust", f"district={world.keys['district']}")
    countersignature = json.loads(out.strip().splitlines()[-1])
    published = ok(api.client.post(f"/api/rounds/{rid}/countersign", json={"signature": countersignature}))
    assert published["state"] == "published"
    paiwei("round", "folder", rid, "--folder", folder)
    return "published"


def _season(world: World, stage: str) -> tuple[Path, dict[str, str], list[dict[str, Any]]]:
    """Every round of the stage's plan: created and committed to before any freeze, then run
    one by one on their draw days. Returns the folder, each round's state, the rounds."""
    api, root = world.api, world.root
    folder = root / "publication" / stage
    world.clock.now = beijing(6, 10, 8)  # the windows have closed; no round is frozen yet
    world.as_staff("district_staff")
    rounds = []
    while True:
        response = api.client.post("/api/rounds", json={"stage": stage})
        if response.status_code == 409 and response.json()["code"] == "out_of_order":
            break  # every round of the plan is created
        row = ok(response, 201)
        made = json.loads(paiwei("ceremony", "commit", "--draw-id", row["draw_id"], "--contributor", "district",
                                 "--opening", root / f"{stage}-{row['round']}-opening.json"))
        ok(api.client.post(f"/api/rounds/{row['id']}/commitments",
                           json={"contributor": "district", "commitment": made["commitment"]}), 201)
        rounds.append(row)
    listed = ok(api.client.get("/api/rounds", params={"year": YEAR, "stage": stage}))
    assert [r["round"] for r in listed] == [r["round"] for r in rounds]
    # The season's public keys, pinned before its first freeze (public keys only).
    assert ok(api.client.post(f"/api/rounds/{rounds[0]['id']}/season-keys",
                              json={"keys": world.keys})) == world.keys
    states = {r["round"]: _round(world, r, folder) for r in rounds}
    return folder, states, rounds


def _accounted(world: World, stage: str, folder: Path,
               rounds: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every verified applicant of the stage: placed, or unplaced with a stated reason, or
    listed by a freeze's accounting with the rule why not; and the API's result document is
    the folder's result file, byte for byte."""
    api = world.api
    world.as_staff("district_staff")
    why: dict[str, dict[str, Any]] = {}
    for r in rounds:
        account = api.client.get(f"/api/rounds/{r['id']}/accounting")
        if account.status_code == 200:
            for other in account.json()["others"]:
                why.setdefault(other["applicant"], other)
        if r["position"] == 0:  # the first freeze accounts for every verified applicant of the stage
            assert sum(ok(account)["counts"].values()) == len(world.of(stage)), account.json()
    outcomes: dict[str, dict[str, Any]] = {}
    index = json.loads((folder / "index.json").read_bytes())
    assert [r["round"] for r in index["rounds"]] == [r["round"] for r in rounds]
    for child in world.of(stage):
        world.as_parent(child)
        response = api.client.get("/api/results/me")
        path = result_file(folder, child.pseudonym)
        if response.status_code == 200:
            assert path.read_bytes() == response.content, child.key
            doc = response.json()
            assert doc["applicant"] == child.pseudonym and doc["final"] is True
            assert doc["status"] in ("placed", "unplaced", "ineligible"), doc
            assert doc["explanation"], (child.key, doc)  # the stated reason, in words
            if doc["status"] == "placed":
                assert doc["school"]["name"] and doc["decided_by"], doc
            outcomes[child.key] = doc
        else:
            assert response.status_code == 404 and not path.exists(), (child.key, response.text)
            listed = why.get(child.pseudonym)
            assert listed is not None and listed["rule"] and listed["text"], (child.key, why)
            outcomes[child.key] = {"status": "listed", **listed}
    return outcomes


def _placed(doc: dict[str, Any]) -> tuple[str, str] | None:
    """(the round that placed the child, the school), or None."""
    return (doc["decided_by"], doc["school"]["id"]) if doc["status"] == "placed" else None


def _mode(doc: dict[str, Any], round_id: str, school: str) -> str:
    entry = next(e for e in doc["rounds"] if e["round"] == round_id)
    return str(next(a["mode"] for a in entry["attempts"] if a["school"] == school))


def _contest(outcomes: dict[str, dict[str, Any]], keys: tuple[str, str], round_id: str, school: str) -> str:
    """Two children list ``school`` (one seat) first in ``round_id``: exactly one wins it, by
    the draw. Returns the loser."""
    won = [k for k in keys if _placed(outcomes[k]) == (round_id, school)]
    assert len(won) == 1, {k: _placed(outcomes[k]) for k in keys}
    assert {_mode(outcomes[k], round_id, school) for k in keys} == {"drawn"}
    return next(k for k in keys if k not in won)


def _primary_outcomes(outcomes: dict[str, dict[str, Any]]) -> None:
    """What the plan and the lists decide whatever the tickets: one seat each at M001, B001,
    P001, P002, P003, two at P004; six children for the five public seats."""
    assert _placed(outcomes["p-private"]) == ("private-boarding", "M001")
    assert _placed(outcomes["p-zone-2"]) == ("private-boarding", "B001")
    assert _placed(outcomes["p-single"]) == ("single-school", "P003")
    assert _placed(outcomes["p-zone-4"]) == ("multi-school", "P002")
    assert _placed(outcomes["p-z02"]) == ("multi-school", "P004")
    loser = _contest(outcomes, ("p-zone-1", "p-zone-3"), "multi-school", "P001")
    # The P001 loser and the child who listed nothing meet in the district round for P004's
    # last seat: one is placed there, the other ends unplaced, and its result says why.
    last = [outcomes[k] for k in (loser, "p-no-list")]
    assert sorted(d["status"] for d in last) == ["placed", "unplaced"], last
    assert [_placed(d) for d in last if d["status"] == "placed"] == [("district", "P004")]
    too_young = outcomes["p-too-young"]
    assert too_young["status"] == "ineligible" and "未满6周岁" in too_young["explanation"]


def _junior_outcomes(outcomes: dict[str, dict[str, Any]]) -> None:
    """The junior plan's rounds: private/boarding, the first batch in two groups, the
    nine-year school's own graduates, the single-school catchment, the multi-school zone."""
    assert _placed(outcomes["j-private"]) == ("private-boarding", "JM01")
    assert _placed(outcomes["j-zone"]) == ("first-batch", "J002")  # group 2
    loser = _contest(outcomes, ("j-groups", "j-groups-2"), "first-batch", "J001")  # group 1
    assert _placed(outcomes["j-nine-year"]) == ("nine-year", "J003")  # P004's graduate
    assert _placed(outcomes["j-single"]) == ("single-school", "J005")
    assert _placed(outcomes[loser]) == ("multi-school", "J004")  # J001 is full by then
    assert _placed(outcomes["j-returned"]) == ("multi-school", "J004")
    no_record = outcomes["j-no-record"]
    assert no_record["status"] == "ineligible" and "回本区升入初中" in no_record["explanation"], no_record


@pytest.mark.parametrize("stage", ["primary", "junior"])
def test_a_season_through_the_cli_and_the_api(world: World, stage: str) -> None:
    folder, states, rounds = _season(world, stage)
    assert set(states.values()) <= {"published", "empty"}
    assert states["private-boarding"] == "published"
    outcomes = _accounted(world, stage, folder, rounds)
    # Staff statistics of every drawn round (the command line): everyone in a round is placed
    # or unplaced, and the round placed exactly the children whose result names it.
    drawn = [r for r in rounds if states[r["round"]] == "published"]
    stats = json.loads(paiwei("round", "stats", *(r["draw_id"] for r in drawn), "--json"))
    for r, st in zip(drawn, stats, strict=True):
        assert st["applicants"] == st["placed"] + st["unplaced"], st
        assert st["placed"] == sum(1 for d in outcomes.values() if d.get("decided_by") == r["round"]), st
    (_primary_outcomes if stage == "primary" else _junior_outcomes)(outcomes)
    verified = paiwei("verify-season", folder, "--key", f"district={world.keys['district']}",
                      "--key", f"notary={world.keys['notary']}")
    assert "VALID" in verified, verified
