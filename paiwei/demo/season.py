"""The whole season of both stages on the embedded SQLite default, on the Chaoyang 2024 timetable.

What goes through HTTP and what runs in-process, said as it is:

- **HTTP** (the app's routes, through Starlette's in-process test client; no socket):
  the parents register (notice, SMS code read from the outbox, captcha answer derived
  with the server secret), log in, enter details and submit their choice lists; the
  street reviewer approves the materials; the district verifies identity and records
  each routing record; a few parents read their result (``GET /api/results/me``).
- **in-process** (the same use cases the CLI calls, ``paiwei.*.service``): staff accounts,
  windows and catalogues; the rest of each synthetic district imported in bulk as reviewed
  records with their choice lists (:mod:`paiwei.intake.transfer`); locking each closed
  window's lists; every round's lifecycle (create, commitments, freeze, reveals, the
  notary's live draw, the SIMULATED beacon value, close, run, district signature, notary
  countersignature, publication), with each signature made by the key holder's code
  (:mod:`paiwei.rounds.signer`) and only the signature handed to the service.

1. Set-up: a fresh SQLite database built by the Alembic migrations; staff accounts; the
   windows of the policy's timetable (the two junior windows it does not list are the
   policy file's named readings); each stage's synthetic schools and zones.
2. 6 May: the API families of both stages register and are reviewed to verified; the
   rest of each district arrives in bulk.
3. Choices inside their windows: zone lists in May (both stages), the junior first batch
   (one school of group 1 and one of group 2) and junior private/boarding lists on 30 May,
   primary private/boarding lists on 6 June; every window's lists locked once it closed.
4. 10 June: every round of both plans is created and the district and a parent
   representative commit to each before any freeze; then each round on its draw day, the
   two stages interleaved by date, each stage published into its own folder.
"""

from __future__ import annotations

import resource
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, event
from starlette.testclient import TestClient

from allocation import (
    Stage,
    generate_district,
    generate_junior_district,
    shipped_policy,
    shipped_policy_text,
)
from api.app import create_app
from lottery import generate_key, private_key_pem, public_key_hex
from paiwei.accounts.models import Role
from paiwei.accounts.service import create_staff
from paiwei.audit import service as audit
from paiwei.audit.published import published_heads
from paiwei.choices import rules
from paiwei.choices import service as choices
from paiwei.choices.errors import ChoiceError
from paiwei.cli._common import write_private
from paiwei.db import make_engine, make_session_factory, upgrade_to_head
from paiwei.demo.clock import DemoClock, beijing
from paiwei.demo.portal import Login, Portal, resident_id
from paiwei.intake import transfer
from paiwei.publication import read_result
from paiwei.rounds import service as rounds
from paiwei.rounds import signer
from paiwei.rounds.models import Round, State
from paiwei.settings import Settings
from paiwei.sms.sender import OutboxSender
from paiwei.windows import service as windows
from seeding import Contribution, balls_value, commit

YEAR = 2024
POLICY = "chaoyang-2024"
CHAOYANG = "110105"
STREET = "110105001"  # 建外街道: the street office that reviews the API parents' materials
COMMITTERS = ("district", "parent-representative")
BALLS = 10  # the notary draws this many numbered balls (0-9), each put back before the next
STAGES = ("primary", "junior")
STAGE_NAMES = {"primary": "小学", "junior": "初中"}
FOLDERS = {"primary": "publication", "junior": "publication-junior"}
# Each round's draw (Beijing date and hour), the two stages interleaved by date: the junior
# first batch and both private/boarding rounds by 12 June, the primary rounds by 30 June,
# the junior multi-school draw on 3 July (the timetable's dates; the others the demo's).
DRAWS: dict[tuple[str, str], tuple[int, int, int]] = {
    ("junior", "private-boarding"): (6, 11, 9), ("junior", "first-batch"): (6, 11, 14),
    ("primary", "private-boarding"): (6, 12, 9), ("junior", "nine-year"): (6, 18, 9),
    ("junior", "single-school"): (6, 18, 14), ("primary", "single-school"): (6, 20, 9),
    ("primary", "multi-school"): (6, 27, 9), ("primary", "district"): (6, 29, 9),
    ("junior", "multi-school"): (7, 3, 9), ("junior", "district"): (7, 8, 9),
}
HTTP = "HTTP: the app's routes through the in-process test client"
IN_PROCESS = "in-process: the use cases the CLI calls"
_HUKOU = {"chaoyang": ("11", CHAOYANG), "beijing": ("11", "110108")}
_REGIONS = ("110105", "110101", "110102", "110106", "110107", "110108")
_JUNIOR_N = 100_000  # junior families are numbered from here (names, phones stay unique)

Say = Callable[[str], None]


@dataclass
class Family:
    """One synthetic applicant and, for the API parents, their account."""

    n: int
    record: dict[str, Any]
    id_number: str
    mobile: str
    stage: str = "primary"
    password: str = ""
    account: str = ""
    pseudonym: str = ""
    login: Login | None = None
    login_at: datetime | None = None
    submitted: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RoundDone:
    round: str
    state: str
    draw_id: str
    balls: str = ""
    beacon: str = ""
    commitments: Mapping[str, str] = field(default_factory=dict)
    stage: str = "primary"


@dataclass
class StageRun:
    """One stage's synthetic district, its families and what its rounds did."""

    stage: str
    district: dict[str, Any]
    families: list[Family]  # through the API
    others: list[Family]  # in bulk
    folder: Path
    done: list[RoundDone] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StageResult:
    stage: str
    folder: Path
    families: tuple[Family, ...]  # the API parents
    bulk: tuple[str, ...]  # pseudonyms of the bulk records
    rounds: tuple[RoundDone, ...]
    schools: int


@dataclass(frozen=True, slots=True)
class SeasonResult:
    database: Path
    keys_dir: Path
    trusted: Mapping[str, str]
    stages: tuple[StageResult, ...]
    lookups: tuple[dict[str, Any], ...]  # results the API parents looked up (/api/results/me)
    audit_events: int
    title: str

    @property
    def folder(self) -> Path:
        """The primary stage's publication folder."""
        return self.stages[0].folder


def _password() -> str:
    return f"Pw{secrets.token_hex(4)}9a"  # 12 characters: upper, lower and digits


def _routing(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("id", "choices")}


def _birth_of(record: Mapping[str, Any], stage: str, n: int) -> date:
    if record.get("birth_date"):
        return date.fromisoformat(record["birth_date"])
    if stage == "junior":  # pupils finishing primary school: born September 2011 - August 2012
        return date(2011, 9, 1) + timedelta(days=n % 360)
    return date(2018, 3, 1)


def _birth(f: Family) -> date:
    return _birth_of(f.record, f.stage, f.n)


class _Ids:
    """Unique valid ID numbers for the synthetic children."""

    def __init__(self) -> None:
        self.used: dict[tuple[str, date], int] = {}

    def __call__(self, birth: date, sex: str) -> str:
        for region in _REGIONS:
            order = self.used.get((region, birth), 0)
            if order < 499:
                self.used[(region, birth)] = order + 1
                return resident_id(birth, sex, order, region)
        raise ValueError(f"too many synthetic children born on {birth}")


def _family(n: int, record: dict[str, Any], ids: _Ids, stage: str) -> Family:
    sex = "M" if n % 2 else "F"
    return Family(n=n, record=record, id_number=ids(_birth_of(record, stage, n), sex), mobile=f"139{n:08d}",
                  stage=stage)


def _signature(record: Mapping[str, Any]) -> tuple[Any, ...]:
    """What makes families differ in what the demo shows: hukou, dwelling, the lists they
    fill in, a school of record, a priority category, a non-local review."""
    lists = tuple(sorted(k for k, v in (record.get("choices") or {}).items() if v))
    return (record.get("hukou", {}).get("kind"), record.get("residence", {}).get("kind"), lists,
            "school_of_record" in record, bool(record.get("categories")), record.get("non_local_review"))


def representative(records: Sequence[Mapping[str, Any]], n: int) -> list[int]:
    """Indexes of ``n`` records that go through the API: first one of each kind of family
    (:func:`_signature`), in order, then the next ones in order."""
    picked: list[int] = []
    seen: set[tuple[Any, ...]] = set()
    for i, record in enumerate(records):
        if len(picked) >= n:
            break
        sig = _signature(record)
        if sig not in seen:
            seen.add(sig)
            picked.append(i)
    chosen = set(picked)
    for i in range(len(records)):
        if len(picked) >= n:
            break
        if i not in chosen:
            picked.append(i)
    return sorted(picked)


def _sex(f: Family) -> str:
    return "M" if f.n % 2 else "F"


def _hukou(f: Family) -> tuple[str, str | None]:
    province, district = _HUKOU.get(f.record.get("hukou", {}).get("kind", ""), ("13", None))
    return province, district


def _registration(f: Family) -> dict[str, Any]:
    province, district = _hukou(f)
    return {"district": CHAOYANG, "notice_agreed": True, "privacy_agreed": True,
            "child_nationality": "CHN", "hukou_province": province, "hukou_district": district,
            "residence_district": CHAOYANG, "child_name": f"示例儿童{f.n:05d}", "child_sex": _sex(f),
            "child_birth_date": _birth(f).isoformat(), "child_id_type": "resident_id",
            "child_id_number": f.id_number, "guardian_name": f"示例家长{f.n:05d}",
            "guardian_mobile": f.mobile, "password": f.password, "password_confirm": f.password}


def _details(f: Family) -> dict[str, Any]:
    """Figure 9 as the family's record says (the routing joins these, issue 18): the dwelling
    and its certificate or tenancy, the guardian's employment and social insurance, 无房 and a
    disabled child's requested placement. The registration's hukou (``_hukou``) says the
    record's ``hukou.kind``."""
    province, _ = _hukou(f)
    guardian_id = resident_id(date(1988, 6, 1), "M", f.n % 499, "130602")
    res = f.record.get("residence", {})
    address = f"北京市朝阳区建外街道示例小区{f.n}号"
    residence: dict[str, Any] = {"district": CHAOYANG, "street": STREET, "address": address,
                                 "dwelling_type": {"owned": "owned", "rented": "rented"}.get(res.get("kind"), "other")}
    if res.get("kind") == "owned":
        residence["property"] = {"certificate_no": f"京朝阳区不动产权第{f.n:07d}号",
                                 "certificate_date": res["certificate_date"], "address": address,
                                 "holder": "parent", "certificate_type": "real_estate_certificate",
                                 "for_residence": True}
    if res.get("kind") == "rented":
        residence["rental"] = {"start_date": res["rental_start"], "continuous": True, "sole_tenancy": True}
        if res.get("registered"):
            residence["rental"].update(registration_no=f"ZL2021-{f.n:05d}", registration_date="2021-04-01")
    start = f.record.get("employment_start")
    # 无房 as the record's property says (the scenario's defaults where it says nothing)
    owned = f.record.get("property", {})
    in_district = owned.get("chaoyang", res.get("kind") == "owned")
    in_beijing = owned.get("beijing", in_district)
    family_property = "district" if in_district else ("beijing" if in_beijing else "none")
    placement = f.record.get("disability_placement")
    return {
        "child": {"hukou_address": "示例户籍地址1号", "hukou_type": "family_rural", "ethnicity": "01",
                  "address": "北京市朝阳区建外街道示例小区"},
        "residence": residence,
        "guardians": [{"name": f"示例家长{f.n:05d}", "relation": "father", "nationality": "CHN",
                       "hukou_province": province, "id_type": "resident_id", "id_number": guardian_id,
                       "education": "bachelor", "phone": f.mobile,
                       "work_nature": "employed" if start else "unemployed",
                       "employer": "示例科技有限公司" if start else "无",
                       "employer_district": CHAOYANG if start else "none",
                       "social_insurance_months": 36 if start else 0, "employment_start": start,
                       "labour_contract": start is not None,
                       "social_insurance_district": CHAOYANG if start else "none"}],
        "family_property": family_property,
        "disability_placement": placement.replace("-", "_") if placement else None,
        "categories": [],
    }


def _reviewed(f: Family) -> transfer.ReviewedRecord:
    province, district = _hukou(f)
    return transfer.ReviewedRecord(
        child_name=f"示例儿童{f.n:05d}", child_sex=_sex(f), child_birth_date=_birth(f),
        child_id_number=f.id_number, guardian_name=f"示例家长{f.n:05d}", guardian_mobile=f.mobile,
        hukou_province=province, hukou_district=district, residence_district=CHAOYANG,
        routing=_routing(f.record))


def _relaxed_sync(engine: Engine) -> None:
    """``synchronous=NORMAL`` on the demo's throw-away database: in WAL mode it cannot corrupt
    the file, it only gives up durability of the last commits on a power cut (commits stop
    waiting for fsync). The service's own engine keeps SQLite's default."""

    @event.listens_for(engine, "connect")
    def _pragma(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the report renderers)."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


class Phases:
    """Each phase: a heading saying how its steps run (HTTP or in-process), a Rich progress
    bar per step while it runs, and its wall-clock and CPU time when it ends."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.bar: Progress | None = None
        self.timings: list[tuple[str, float, float]] = []
        # CPU of helper processes that are not this process's children (the report workers,
        # forks of a fork server): added to the phases' CPU (paiwei.cli.demo.Reports.cpu).
        self.other_cpu: Callable[[], float] = lambda: 0.0

    @contextmanager
    def phase(self, title: str, how: str) -> Iterator[None]:
        self.console.print(f"[bold]{title}[/]  [dim]({how})[/]")
        wall, cpu = time.perf_counter(), _cpu() + self.other_cpu()
        if self.console.is_terminal:  # bars on a terminal; a log or a pipe gets the lines below only
            columns = (TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=self.console, transient=True) as bar:
                self.bar = bar
                try:
                    yield
                finally:
                    self.bar = None
        else:
            yield
        wall, cpu = time.perf_counter() - wall, _cpu() + self.other_cpu() - cpu
        self.timings.append((title.split(maxsplit=1)[0], wall, cpu))
        self.console.print(f"  [dim]({title.split(maxsplit=1)[0]}: {wall:.1f} s, CPU {cpu:.1f} s)[/]")

    @contextmanager
    def step(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        """A progress bar of ``total`` items; the block calls the function given with how
        many more are done."""
        if self.bar is None:
            yield lambda _n: None
            return
        task = self.bar.add_task(description, total=total)
        try:
            yield lambda n: self.bar.advance(task, n) if self.bar is not None else None
        finally:
            if self.bar is not None:
                self.bar.remove_task(task)

    def say(self, text: str) -> None:
        self.console.print(text)


class Season:
    def __init__(self, root: Path, *, applicants: int, schools: int, api_applicants: int, seed: int,
                 console: Console, stages: Sequence[str] = STAGES) -> None:
        self.root = root
        self.phases = Phases(console)
        self.say = self.phases.say
        self.db_path = (root / "paiwei.sqlite3").resolve()
        self.url = f"sqlite:///{self.db_path}"
        self.clock = DemoClock(beijing(YEAR, 4, 28, 9))
        # scrypt stays at its default cost (N=2**15, r=8): the demo hashes real passwords.
        # The results cache is not warmed: results day's first lookups read every published
        # result at once (3,000 documents, ~3 s of CPU here) for the demo's six lookups; each
        # is read on its own instead (the same bytes: paiwei.rounds.result_cache).
        self.settings = Settings(database_url=self.url, environment="development", cookie_secure=False,
                                 intake_year=YEAR, results_cache_warm=False)
        self.policy = shipped_policy(POLICY)
        ids = _Ids()
        self.stages: dict[str, StageRun] = {}
        for stage in stages:
            make = generate_district if stage == "primary" else generate_junior_district
            district = make(applicants, schools, seed=seed)
            base = 0 if stage == "primary" else _JUNIOR_N
            everyone = [_family(base + n, rec, ids, stage)
                        for n, rec in enumerate(district["applicants"], start=1)]
            api = set(representative(district["applicants"], min(api_applicants, len(everyone))))
            self.stages[stage] = StageRun(
                stage, district, [f for i, f in enumerate(everyone) if i in api],
                [f for i, f in enumerate(everyone) if i not in api], root / FOLDERS[stage])
        self.staff: dict[str, tuple[str, str, int]] = {}  # role -> (login, password, user id)
        # Called once a stage's last round is published (the demo starts its reports then).
        self.on_stage_published: Callable[[StageRun], None] | None = None
        # Called once a round is published (the demo starts its protocol and results then).
        self.on_round_published: Callable[[StageRun, Round], None] | None = None

    @property
    def families(self) -> list[Family]:
        """The API families of every stage."""
        return [f for run in self.stages.values() for f in run.families]

    # --- set-up --------------------------------------------------------------------------

    def _actor(self, role: str) -> audit.Actor:
        return audit.Actor(self.staff[role][2], role)

    def set_up(self) -> None:
        with self.sessions() as s:
            for role, street in ((Role.STREET_REVIEWER, STREET), (Role.DISTRICT_STAFF, None),
                                 (Role.NOTARY, None)):
                login, password = f"demo-{role.value.replace('_', '-')}", _password()
                uid = create_staff(db_session=s, settings=self.settings, username=login, role=role,
                                   password=password, district=CHAOYANG, street=street, now=self.clock())
                self.staff[role.value] = (login, password, uid)
            staff = self._actor(Role.DISTRICT_STAFF)
            windows.load(db_session=s, windows=windows.shipped_windows(POLICY), actor=staff, now=self.clock())
            for run in self.stages.values():
                choices.load_catalogue(db_session=s, actor=staff, district=CHAOYANG, year=YEAR, stage=run.stage,
                                       schools=list(run.district["schools"]), zones=list(run.district["zones"]),
                                       now=self.clock())
        sizes = ", ".join(f"{STAGE_NAMES[r.stage]} {len(r.district['schools'])}" for r in self.stages.values())
        self.say(f"  3 staff accounts, the policy's timetable (5 windows, two of them readings), each stage's schools and zones ({sizes} schools)")

    # --- intake ----------------------------------------------------------------------------

    def intake(self, portal: Portal) -> None:
        self.clock.set(beijing(YEAR, 5, 6, 8, 30))
        families = self.families
        with self.phases.step("parents register, log in, enter details (HTTP)", len(families)) as done:
            for f in families:
                f.password = _password()
                f.account = portal.register(_registration(f))
                f.login, f.login_at = portal.login(f.account, f.password), self.clock()
                portal.submit_details(_details(f))
                done(1)
        by_account = {f.account: f for f in families}
        counts = ", ".join(f"{STAGE_NAMES[r.stage]} {len(r.families)}" for r in self.stages.values())
        self.say(f"  HTTP: {len(families)} parents ({counts}) registered, logged in and entered details")

        self.clock.advance(600)
        login, password, _ = self.staff["street_reviewer"]
        portal.login(login, password)
        queue = [item for item in portal.review_queue() if item["status"] == "details_submitted"]
        with self.phases.step("street office approves the materials (HTTP)", len(queue)) as done:
            for item in queue:
                portal.approve_materials(item["pseudonym"])
                done(1)
        login, password, _ = self.staff["district_staff"]
        portal.login(login, password)
        routed = 0
        queue = [item for item in portal.review_queue() if item["status"] == "id_pending"]
        with self.phases.step("district verifies and records routing (HTTP)", len(queue)) as done:
            for item in queue:
                detail = portal.call("GET", f"/api/review/applicants/{item['pseudonym']}", 200)
                f = by_account[detail["account_no"]]
                portal.verify_identity(item["pseudonym"])
                f.pseudonym = item["pseudonym"]
                routed += portal.record_routing(f.pseudonym, YEAR, f.stage, _routing(f.record))
                done(1)
        portal.logout()
        self.say(f"  HTTP: the street office approved the materials, the district verified and recorded the "
                 f"routing records; {routed} routed on recording: eligibility, route and allowed schools "
                 "stored with their rules")

        self.clock.advance(600)
        for run in self.stages.values():
            with self.phases.step(f"{STAGE_NAMES[run.stage]}: reviewed records in bulk (in-process)",
                                  len(run.others)) as done, self.sessions() as s:
                pseudonyms = transfer.import_reviewed(
                    db_session=s, settings=self.settings, actor=self._actor("district_staff"),
                    district=CHAOYANG, year=YEAR, stage=run.stage, records=[_reviewed(f) for f in run.others],
                    now=self.clock())
                done(len(run.others))
            for f, p in zip(run.others, pseudonyms, strict=True):
                f.pseudonym = p
            self.say(f"  in-process: {STAGE_NAMES[run.stage]} {len(run.others)} reviewed records imported in bulk "
                     "(accounts without passwords), routed on import")

    # --- choices ---------------------------------------------------------------------------

    def _submit(self, portal: Portal, f: Family, kind: str) -> None:
        wanted = list(f.record.get("choices", {}).get(kind) or [])
        if not wanted:
            return
        if f.login is None or f.login_at is None or (self.clock() - f.login_at).total_seconds() > 3 * 3600:
            f.login, f.login_at = portal.login(f.account, f.password), self.clock()
        else:
            portal.resume(f.login)
        opts = portal.options()
        spec = next((x for x in opts["lists"] if x["kind"] == kind), None)
        if spec is None:
            return
        allowed = set(spec["allowed_schools"])
        chosen = [s for s in wanted if s in allowed][: spec["max_choices"]]
        if chosen:
            portal.choose(kind, chosen)
            f.submitted[kind] = chosen

    def _bulk_lists(self, run: StageRun, kind: str) -> dict[str, dict[str, list[str]]]:
        """Each bulk record's list cut to what the rules allow (what the parent's page
        offers), every record routed in one pass."""
        wanting = [f for f in run.others if f.record.get("choices", {}).get(kind)]
        decided = rules.decide(policy=self.policy, year=YEAR, stage=run.stage, schools=run.district["schools"],
                               zones=run.district["zones"],
                               records={f.pseudonym: _routing(f.record) for f in wanting})
        lists = {}
        for f in wanting:
            allowed = decided[f.pseudonym].allowed
            chosen = [s for s in f.record["choices"][kind] if s in set(allowed.schools[kind])]
            if chosen := chosen[: allowed.max_choices[kind]]:
                lists[f.pseudonym] = {kind: chosen}
        return lists

    def _lists(self, portal: Portal, stage: str, kind: str, window: str) -> None:
        run = self.stages.get(stage)
        if run is None:
            return
        with self.phases.step(f"{STAGE_NAMES[stage]} {kind} lists (HTTP)", len(run.families)) as done:
            for f in run.families:
                self._submit(portal, f, kind)
                done(1)
        lists = self._bulk_lists(run, kind)
        with self.phases.step(f"{STAGE_NAMES[stage]} {kind} lists in bulk (in-process)", len(lists)) as done, \
                self.sessions() as s:
            bulk = transfer.import_choices(db_session=s, actor=self._actor("district_staff"), year=YEAR,
                                           choices=lists, now=self.clock())
            done(len(lists))
        api = sum(1 for f in run.families if kind in f.submitted)
        self.say(f"  {STAGE_NAMES[stage]} {kind} lists ({window}): {api} through HTTP, {bulk} in bulk (in-process)")

    def choose(self, portal: Portal) -> None:
        self.clock.advance(900)  # still 6 May, inside the zone windows (6-31 May)
        self._lists(portal, "primary", "zone", "window 6-31 May")
        self._lists(portal, "junior", "zone", "window 6-31 May, the policy's reading")
        self.clock.set(beijing(YEAR, 5, 30, 9))
        self._lists(portal, "junior", "groups", "first batch, one school of group 1 and one of group 2, 30-31 May")
        self._lists(portal, "junior", "private_boarding", "30-31 May, the policy's reading")
        self.clock.set(beijing(YEAR, 6, 6, 9))
        self._lists(portal, "primary", "private_boarding", "window 6-9 June")
        portal.logout()
        self.clock.set(beijing(YEAR, 6, 10, 8))
        locked = 0
        with self.sessions() as s:
            for run in self.stages.values():
                for kind in windows.KINDS:
                    if kind.startswith(f"{run.stage}."):
                        try:
                            locked += choices.lock(db_session=s, district=CHAOYANG, year=YEAR, kind=kind,
                                                   now=self.clock(), actor=self._actor("district_staff"))
                        except ChoiceError as exc:
                            if exc.code != "window_not_found":
                                raise
        self.say(f"  in-process: 10 June, every window closed: {locked} lists locked, each with its receipt hash")

    # --- rounds ----------------------------------------------------------------------------

    def _keys(self, keys_dir: Path) -> tuple[Any, Any, dict[str, str]]:
        district_key, notary_key = generate_key(), generate_key()
        for name, key in (("district", district_key), ("notary", notary_key)):
            write_private(keys_dir / f"{name}.pem", private_key_pem(key))
        return district_key, notary_key, {"district": public_key_hex(district_key),
                                          "notary": public_key_hex(notary_key)}

    def rounds(self, keys_dir: Path) -> dict[str, str]:
        district_key, notary_key, trusted = self._keys(keys_dir)
        staff = self._actor("district_staff")
        policy_text = shipped_policy_text(POLICY)

        self.clock.set(beijing(YEAR, 6, 10, 9))
        openings: dict[int, list[Contribution]] = {}
        rows: list[tuple[str, Round]] = []
        with self.sessions() as s:
            for run in self.stages.values():
                first = None
                for _ in self.policy.plan(Stage(run.stage)):
                    row = rounds.create(db_session=s, actor=staff, policy_text=policy_text, stage=run.stage,
                                        now=self.clock())
                    made = [commit(row.draw_id, name) for name in COMMITTERS]
                    for c in made:
                        rounds.record_commitment(db_session=s, actor=staff, round_pk=row.id,
                                                 contributor=c.contributor,
                                                 commitment=(c.commitment or b"").hex(), now=self.clock())
                    openings[row.id] = made
                    rows.append((run.stage, row))
                    first = first or row
                if first is not None:  # the season's public keys, pinned before its first freeze
                    rounds.pin_keys(db_session=s, actor=staff, round_pk=first.id, keys=trusted, now=self.clock())
        per_stage = ", ".join(f"{STAGE_NAMES[r.stage]} {sum(1 for st, _ in rows if st == r.stage)}"
                              for r in self.stages.values())
        self.say(f"  in-process: 10 June, {len(rows)} rounds created ({per_stage}); the district and the parent "
                 "representative committed to each before any freeze; both keys pinned per stage")

        order = {key: i for i, key in enumerate(DRAWS)}
        rows.sort(key=lambda sr: (order.get((sr[0], sr[1].round), len(order)), sr[1].position))
        with self.phases.step("rounds: freeze, ceremony, run, sign, countersign, publish (in-process)",
                              len(rows)) as advance:
            for stage, row in rows:
                run = self.stages[stage]
                month, day, hour = DRAWS.get((stage, row.round), (7, 9, 9))
                self.clock.set(max(self.clock(), beijing(YEAR, month, day, hour)))
                run.done.append(self._round(run, row, openings[row.id], district_key, notary_key))
                advance(1)
                if run.done[-1].state == State.PUBLISHED and self.on_round_published:
                    self.on_round_published(run, row)
                if len(run.done) == len(self.policy.plan(Stage(stage))) and self.on_stage_published:
                    self.on_stage_published(run)
        return trusted

    def _round(self, run: StageRun, row: Round, openings: list[Contribution], district_key: Any,
               notary_key: Any) -> RoundDone:
        staff, notary = self._actor("district_staff"), self._actor("notary")
        folder = run.folder
        when = f"{self.clock().astimezone(windows.BEIJING):%m/%d}"
        name = f"{STAGE_NAMES[run.stage]} {row.round}"
        with self.sessions() as s:
            # Each signature is made with the holder's key here; the service sees signatures only.
            frozen = signer.freeze(db_session=s, actor=staff, round_pk=row.id, district_key=district_key,
                                   now=self.clock())
            commitments = {c.contributor: (c.commitment or b"").hex() for c in openings}
            if frozen.state == State.EMPTY:
                self.say(f"  {when} {name}: nobody to place (empty), recorded in the folder")
                rounds.write_folder(db_session=s, round_pk=row.id, folder=folder)
                return RoundDone(row.round, frozen.state, row.draw_id, commitments=commitments, stage=run.stage)
            # Before the draw: every applicant's inclusion proof under the published input root.
            rounds.write_proofs(db_session=s, round_pk=row.id, folder=folder)
            self.clock.advance(300)
            for c in openings:
                rounds.reveal(db_session=s, actor=staff, round_pk=row.id, contributor=c.contributor,
                              nonce=(c.nonce or b"").hex(), value=c.value.hex(), now=self.clock())
            # The live draw's value as docs/draw-spec.md §8.1 encodes it ("03 00 07 …").
            balls = [secrets.randbelow(10) for _ in range(BALLS)]
            rounds.contribute(db_session=s, actor=notary, round_pk=row.id, contributor="notary-live-draw",
                              value=balls_value(balls).hex(), now=self.clock())
            beacon = self._simulated_beacon(s, row)
            rounds.close_ceremony(db_session=s, actor=staff, round_pk=row.id, now=self.clock())
            rounds.run(db_session=s, actor=staff, round_pk=row.id, now=self.clock())
            signer.sign(db_session=s, actor=staff, round_pk=row.id, district_key=district_key, now=self.clock())
            self.clock.advance(600)
            published = signer.countersign(db_session=s, actor=notary, round_pk=row.id, notary_key=notary_key,
                                           folder=folder, now=self.clock())
        ball_text = balls_value(balls).decode("ascii")
        self.say(f"  {when} {name}: frozen (input root {(frozen.input_root or '')[:16]}…), "
                 f"openings match the commitments; notary's balls {ball_text}; "
                 f"beacon (SIMULATED) {beacon.hex()[:16]}…; drawn, signed, countersigned, published")
        return RoundDone(row.round, published.state, row.draw_id, ball_text, beacon.hex(), commitments, run.stage)

    def _simulated_beacon(self, s: Any, row: Round) -> bytes:
        notary = self._actor("notary")
        # SIMULATED: the demo has no network. A real season names a drand round in the
        # freeze statement and loads its published record (rounds.contribute_beacon).
        # The real records at hand (tests/beacons/) are from 2020 and 2023, and the
        # lifecycle refuses, at the freeze, a round already out: the demo's freezes are
        # in June/July 2024, and dating them before August 2023 would misstate when the
        # inputs were frozen. tests/integration/rounds/test_beacon_season.py runs a round
        # with quicknet round 123 on a 2023 clock instead.
        beacon = secrets.token_bytes(32)
        rounds.contribute(db_session=s, actor=notary, round_pk=row.id, contributor="beacon-simulated",
                          value=beacon.hex(), now=self.clock())
        return beacon

    # --- results -----------------------------------------------------------------------------

    def lookups(self, portal: Portal, wanted: int = 3) -> list[dict[str, Any]]:
        """A few API parents of each stage, each with a different outcome if there are,
        look their result up."""
        self.clock.set(max(self.clock(), beijing(YEAR, 7, 10, 10)))
        found = []
        for run in self.stages.values():
            chosen: dict[str, Family] = {}
            for f in run.families:
                doc = read_result(run.folder, f.pseudonym)
                if doc is not None and doc["status"] not in chosen:
                    chosen[doc["status"]] = f
            picks = list(chosen.values())[:wanted]
            picks += [f for f in run.families if f not in picks][: wanted - len(picks)]
            with self.phases.step(f"{STAGE_NAMES[run.stage]}: GET /api/results/me (HTTP)", len(picks)) as done:
                for f in picks:
                    portal.login(f.account, f.password)
                    found.append({**portal.my_result(), "stage": run.stage})
                    done(1)
        portal.logout()
        return found

    def sessions(self) -> Any:
        return self._sessions()

    def run(self, keys_dir: Path) -> SeasonResult:
        phase = self.phases.phase
        with phase("set-up", IN_PROCESS):
            upgrade_to_head(self.url)
            engine = make_engine(self.url)
            _relaxed_sync(engine)
            self._sessions = make_session_factory(engine)
            self.set_up()
        try:
            app = create_app(self.settings, clock=self.clock, sms_sender=OutboxSender())
            _relaxed_sync(app.state.engine)
            try:
                with TestClient(app, base_url="http://paiwei.demo") as client:
                    portal = Portal(client=client, clock=self.clock, sessions=app.state.session_factory)
                    with phase("intake (May, Beijing time)", f"{HTTP}; the bulk records {IN_PROCESS}"):
                        self.intake(portal)
                    with phase("choices (May-June)", f"{HTTP}; the bulk lists and the locks {IN_PROCESS}"):
                        self.choose(portal)
                    with phase("rounds (June-July)", f"{IN_PROCESS}: paiwei.rounds.service and the signers"):
                        trusted = self.rounds(keys_dir)
                    with phase("results (10 July)", HTTP):
                        found = self.lookups(portal)
            finally:
                app.state.engine.dispose()
            with phase("audit", IN_PROCESS), self.sessions() as s:
                events = audit.verify(db_session=s)
                # The log still holds every audit head the published freeze statements name.
                for run in self.stages.values():
                    for head in published_heads(run.folder):
                        audit.check_published_head(db_session=s, seq=head.seq, digest=head.hash)
                self.say(f"  audit chain verified: {events} events; every published freeze statement's head is in it")
        finally:
            engine.dispose()
        stages = tuple(StageResult(r.stage, r.folder, tuple(r.families), tuple(f.pseudonym for f in r.others),
                                   tuple(r.done), len(r.district["schools"])) for r in self.stages.values())
        return SeasonResult(self.db_path, keys_dir, trusted, stages, tuple(found), events, self.policy.title)


def all_pseudonyms(res: SeasonResult) -> Sequence[str]:
    return [p for st in res.stages for p in (*(f.pseudonym for f in st.families), *st.bulk)]
