"""``paiwei demo``: the whole season of both stages end to end on the embedded SQLite default.

1. A fresh SQLite database under ``--out`` (``var/demo/`` by default), built by the
   Alembic migrations; a synthetic Chaoyang-shaped district per stage
   (:func:`allocation.generate_district`, :func:`allocation.generate_junior_district`).
2. Intake on the Chaoyang 2024 timetable with a simulated clock (never sleeping): a few
   representative parents of each stage register, log in and enter details through the
   HTTP API (the app's routes, through the in-process test client); a street reviewer
   and the district staff review them to verified over HTTP; the rest of each district
   arrives in bulk as reviewed records, in-process (:mod:`paiwei.intake.transfer`).
3. Choices inside their windows: API parents through ``/api/choices/me`` (HTTP), the bulk
   records through ``transfer.import_choices`` (in-process); each window locked once closed.
4. Every round of the primary plan (private/boarding, single-school, multi-school,
   district) and of the junior plan (private/boarding, the first batch in two groups,
   nine-year, single-school, multi-school, district) through the database lifecycle
   in-process, with a ceremony (commitments before any freeze; reveals, the notary's live
   draw and a SIMULATED beacon after it), run, signed by the district, countersigned by
   the notary and published: ``publication/`` (primary) and ``publication-junior/``
   (:mod:`paiwei.demo.season`).
5. Every published bundle of both folders verified with :func:`lottery.verify` against the
   two trusted keys, the audit chain verified, a few parents' results looked up through
   ``GET /api/results/me`` (HTTP), the reports rendered, and where everything is printed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from paiwei.cli._common import fail, out

if TYPE_CHECKING:
    from paiwei.demo.season import SeasonResult

# The season's modules (the web app, the database, NumPy) are imported inside the
# functions, so that `paiwei --help` and `paiwei demo --help` start fast (cli/_lazy.py).

MARKER = ".paiwei-demo"


def _prepare(root: Path) -> None:
    """Empty ``root`` if it is an earlier demo's (or empty); refuse anything else."""
    if root.exists():
        if not root.is_dir() or (any(root.iterdir()) and not (root / MARKER).is_file()):
            fail(f"{root} exists and is not an earlier demo's folder; refusing to delete it")
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / MARKER).write_text("written by `paiwei demo`; deleted by the next run\n", "utf-8")


def verify_folder(folder: Path, trusted: dict[str, str]) -> list[dict[str, Any]]:
    """Verify every bundle the index lists against the trusted keys; raises on failure."""
    from lottery import parse_bundle, verify  # noqa: PLC0415
    from paiwei.publication import read_index  # noqa: PLC0415

    keys = {name: bytes.fromhex(k) for name, k in trusted.items()}
    rounds = []
    for entry in read_index(folder)["rounds"]:
        if entry.get("held") is False:  # a round with nobody to place: no bundle
            continue
        data = (folder / entry["bundle"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            fail(f"{entry['bundle']}: SHA-256 differs from the index")
        report = verify(parse_bundle(data), keys)
        rounds.append({"round": entry["round"], "mechanism": entry["mechanism"],
                       "applicants": report.applicants, "placed": report.placed,
                       "checks": len(report.checks), "bundle": entry["bundle"], "sha256": entry["sha256"]})
    return rounds


def _round_reports(database: Path, folder: Path, staff: Path, round_pk: int, round_id: str) -> list[str]:
    """One published round's public protocol and results, and the district's copy of its
    protocol (from the database: the same HTML, printed once in this process)."""
    from paiwei.db import make_engine, make_session_factory  # noqa: PLC0415
    from paiwei.reporting import folder as public  # noqa: PLC0415
    from paiwei.reporting import service  # noqa: PLC0415
    from paiwei.reporting.season import write, write_round_public  # noqa: PLC0415
    from paiwei.rounds.models import Round  # noqa: PLC0415
    from reports import render_protocol  # noqa: PLC0415

    write_round_public(folder, next(e for e in public.drawn_rounds(folder) if e["round"] == round_id))
    engine = make_engine(f"sqlite:///{database}")
    try:
        with make_session_factory(engine)() as db_session:
            row = db_session.get(Round, round_pk)
            if row is not None and row.bundle:
                write(render_protocol(service.protocol_of_round(db_session=db_session, row=row)), staff)
    finally:
        engine.dispose()
    return []


def _stage_reports(database: Path, folder: Path, staff: Path, stage: str, written: list[str]) -> list[str]:
    """The rest of one stage's reports: the rounds not written yet (protocols, results, the
    district's copies), the statistics and the index."""
    from paiwei.db import make_engine, make_session_factory  # noqa: PLC0415
    from paiwei.reporting.season import PUBLIC_DIR, write_public, write_staff  # noqa: PLC0415
    from paiwei.settings import Settings  # noqa: PLC0415

    engine = make_engine(f"sqlite:///{database}")
    try:
        with make_session_factory(engine)() as db_session:
            write_public(db_session, folder, stage, written=written)
            if not written:
                write_staff(db_session, staff, now=datetime.now(UTC), base_url=Settings().public_base_url,
                            sample=0, stage=stage)
    finally:
        engine.dispose()
    return [f"public reports (protocols, results, statistics): {folder / PUBLIC_DIR}/index.html",
            f"staff reports (personal data; never publish): {staff}"]


def _personal_reports(database: Path, staff: Path) -> list[str]:
    """The staff's samples with personal data (collection forms, notices, a receipt)."""
    from paiwei.db import make_engine, make_session_factory  # noqa: PLC0415
    from paiwei.reporting.season import write_staff  # noqa: PLC0415
    from paiwei.settings import Settings  # noqa: PLC0415

    engine = make_engine(f"sqlite:///{database}")
    try:
        with make_session_factory(engine)() as db_session:
            write_staff(db_session, staff, now=datetime.now(UTC), base_url=Settings().public_base_url, sample=3,
                        protocols=False)
    finally:
        engine.dispose()
    return []


# What the workers import, imported once by the fork server (when the platform has one).
_WORKER_MODULES = ("paiwei.cli.demo", "weasyprint", "reports", "paiwei.db", "paiwei.reporting.folder",
                   "paiwei.reporting.season", "paiwei.reporting.service", "paiwei.rounds.models")


class Reports:
    """The reports, rendered in worker processes (WeasyPrint is CPU-bound and single-threaded)
    while the season goes on: each round's protocol and results as soon as it is published,
    each stage's statistics and index after its last round, the staff's personal samples at
    the end. Fresh processes (forks of a fresh fork server, else spawned interpreters): the
    season's threads are not copied into them. (Niced workers were tried: at load 4-6 the
    reports then lost the cores to other processes and finished well after the season.)"""

    def __init__(self, root: Path, workers: int) -> None:
        import multiprocessing  # noqa: PLC0415
        from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

        self.root = root
        context: Any = multiprocessing.get_context("spawn")
        if "forkserver" in multiprocessing.get_all_start_methods():
            # One fresh server process imports the renderers once; each worker is a fork of it.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(list(_WORKER_MODULES))
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        self.futures: list[Any] = []

        self.written: dict[str, list[str]] = {}  # stage -> rounds whose reports are under way

    def staff(self, stage: str, first: bool) -> Path:
        return self.root / "staff" if first else self.root / "staff" / stage

    def round(self, database: Path, folder: Path, stage: str, first: bool, round_pk: int, round_id: str) -> None:
        self.written.setdefault(stage, []).append(round_id)
        self.futures.append(self.pool.submit(_round_reports, database, folder, self.staff(stage, first),
                                             round_pk, round_id))

    def stage(self, database: Path, folder: Path, stage: str, first: bool) -> None:
        self.futures.append(self.pool.submit(_stage_reports, database, folder, self.staff(stage, first), stage,
                                             list(self.written.get(stage, []))))

    def cpu(self) -> float:
        """CPU seconds of the fork server and of the workers it has reaped (Linux's
        ``/proc``; 0 elsewhere or with spawned workers, which are this process's children
        and counted as such). A worker's CPU shows once it has ended, as a child's does."""
        from multiprocessing import forkserver  # noqa: PLC0415

        pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
        if pid is None:
            return 0.0
        try:
            stat = Path(f"/proc/{pid}/stat").read_text("ascii")
            # after "pid (comm) ": state, then fields 4-17; utime, stime, cutime, cstime are 14-17
            fields = stat[stat.rindex(")") + 2:].split()
            return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, AttributeError):
            return 0.0

    def finish(self, database: Path) -> list[str]:
        """The personal samples, then wait for every job; returns what they said, in order."""
        self.futures.append(self.pool.submit(_personal_reports, database, self.root / "staff"))
        try:
            return [line for f in self.futures for line in f.result()]
        finally:
            self.pool.shutdown()


def run_demo(root: Path, *, applicants: int, schools: int, api_applicants: int, seed: int = 2024,
             ) -> tuple[SeasonResult, list[dict[str, Any]]]:
    """Run the season into ``root`` (emptied first). Raises the use cases' errors on failure."""
    from paiwei.demo.season import IN_PROCESS, STAGE_NAMES, Season  # noqa: PLC0415
    from paiwei.publication import deferred_sync, dump, read_result  # noqa: PLC0415

    _prepare(root)
    season = Season(root, applicants=applicants, schools=schools, api_applicants=api_applicants, seed=seed,
                    console=out)
    sizes = "; ".join(f"{STAGE_NAMES[r.stage]} {len(r.district['applicants'])} synthetic applicants "
                      f"({len(r.families)} through the API), {len(r.district['schools'])} schools"
                      for r in season.stages.values())
    out.print(f"[bold]{season.policy.title}[/] — {sizes}; database {season.db_path}")
    # The demo's folders are throw-away: each file still appears by an atomic rename, but the
    # per-file fsync is left to one sync of the file system at the end (as the database's
    # synchronous=NORMAL); the service keeps fsync per file.
    reports = Reports(root, workers=2)
    season.phases.other_cpu = reports.cpu
    first = next(iter(season.stages))
    season.on_round_published = lambda run, row: reports.round(season.db_path, run.folder, run.stage,
                                                               run.stage == first, row.id, row.round)
    season.on_stage_published = lambda run: reports.stage(season.db_path, run.folder, run.stage, run.stage == first)
    with deferred_sync():
        try:
            res = season.run(root / "keys")
        except BaseException:
            reports.pool.shutdown(cancel_futures=True)
            raise
        (root / "ceremony.json").write_bytes(dump({
            "note": "commitments were recorded before any round's inputs were frozen; "
                    "the beacon values are SIMULATED (the demo runs offline)",
            "rounds": {r.draw_id: {"stage": r.stage, "round": r.round, "state": str(r.state),
                                   "commitments_before_freeze": dict(r.commitments),
                                   "notary_live_draw": r.balls, "beacon_simulated": r.beacon}
                       for st in res.stages for r in st.rounds},
        }))
        with season.phases.phase("verification", f"{IN_PROCESS}: lottery.verify on the folders' bytes"):
            rounds = []
            for st in res.stages:
                rounds += [{**r, "stage": st.stage} for r in verify_folder(st.folder, dict(res.trusted))]
                for pseudonym in [*(f.pseudonym for f in st.families), *st.bulk]:
                    if read_result(st.folder, pseudonym) is None:
                        fail(f"no published result for applicant {pseudonym}")
            out.print(f"  {len(rounds)} bundles verified against both keys; every applicant has a result file")
        with season.phases.phase("reports", f"{IN_PROCESS}: HTML and PDF (WeasyPrint) in worker processes, "
                                 "each round's begun when it was published"):
            for line in reports.finish(res.database):
                out.print(line, markup=False)
    return res, rounds


def _print(res: SeasonResult, rounds: list[dict[str, Any]], seconds: float) -> None:
    from rich.table import Table  # noqa: PLC0415

    table = Table(title="rounds: every bundle verified against both keys, all checks passed")
    for col in ("stage", "round", "mechanism", "applicants", "placed", "SHA-256"):
        table.add_column(col, no_wrap=True)
    for r in rounds:
        table.add_row("小学" if r["stage"] == "primary" else "初中", r["round"], r["mechanism"], str(r["applicants"]),
                      str(r["placed"]), r["sha256"][:8])
    out.print(table)
    for doc in res.lookups:
        school = (doc.get("school") or {}).get("name") or "—"
        tickets = ", ".join(f"{e['round']} {e['ticket'][:12]}…" for e in doc.get("rounds", [])) or "—"
        out.print(f"GET /api/results/me ({doc['stage']}) for {doc['applicant'][:12]}…: {doc['status']}, "
                  f"{school}; tickets: {tickets}", markup=False)
    out.print(f"audit chain verified: {res.audit_events} events", markup=False)
    out.print(f"database: {res.database}", markup=False)
    for st in res.stages:
        folder = st.folder.resolve()
        out.print(f"publication folder ({st.stage}): {folder}  (serve it as static files)", markup=False)
        out.print(f"  reports: {folder / 'index.json'}; per round {folder / 'rounds'}/<round>/round.json "
                  f"and schools.json; per applicant {folder / 'results'}/", markup=False)
    out.print(f"signing keys (0600): {res.keys_dir.resolve()}", markup=False)
    out.print(f"ceremony record: {res.keys_dir.parent.resolve() / 'ceremony.json'}", markup=False)
    flags = " ".join(f"--key {n}={k}" for n, k in sorted(res.trusted.items()))
    out.print("verify every bundle yourself (each was verified above):", markup=False)
    for st in res.stages:
        bundles = " ".join(str(st.folder.resolve() / r["bundle"]) for r in rounds if r["stage"] == st.stage)
        if bundles:
            out.print(f"  {sys.executable} -m lottery.verify {bundles} {flags}", markup=False)
    out.print(f"done in {seconds:.1f} s", markup=False)


def demo(
    out_dir: Annotated[
        Path, typer.Option("--out", help="demo folder (emptied first if an earlier demo's)")
    ] = Path("var/demo"),
    applicants: Annotated[int, typer.Option(
        min=1, help="synthetic applicants per stage (3,000 in all by default)")] = 1500,
    api_applicants: Annotated[int, typer.Option(
        "--api-applicants", min=0,
        help="of each stage's, registered, reviewed and choosing through the API (representative families)")] = 10,
    schools: Annotated[int, typer.Option(min=4, help="synthetic public schools per stage")] = 60,
    seed: Annotated[int, typer.Option(help="seed of the synthetic district (not the draw)")] = 2024,
) -> None:
    """The whole season of both stages on the embedded SQLite default: intake through the
    API and in bulk, choices in their windows, every round with a ceremony, published, verified."""
    # The errors this command reports, imported when it runs.
    from allocation import AllocationError, AllocationInputError, PolicyError  # noqa: PLC0415
    from lottery import InvalidBundle, VerificationError  # noqa: PLC0415
    from paiwei.audit.service import AuditChainError  # noqa: PLC0415
    from paiwei.choices.errors import ChoiceError  # noqa: PLC0415
    from paiwei.demo.portal import PortalError  # noqa: PLC0415
    from paiwei.intake.errors import IntakeError  # noqa: PLC0415
    from paiwei.publication import PublicationError  # noqa: PLC0415
    from paiwei.rounds.errors import RoundError  # noqa: PLC0415
    from seeding import CeremonyError  # noqa: PLC0415

    started = time.perf_counter()
    try:
        res, rounds = run_demo(out_dir, applicants=applicants, schools=schools,
                               api_applicants=api_applicants, seed=seed)
    except (AllocationInputError, PolicyError) as exc:
        fail(f"the synthetic district does not fit the policy: {exc}")
    except CeremonyError as exc:
        fail(f"ceremony: {exc}")
    except AllocationError as exc:
        fail(f"allocation: {exc}")
    except (InvalidBundle, VerificationError) as exc:
        fail(f"verification: {exc}")
    except PublicationError as exc:
        fail(f"publication: {exc.message}")
    except (IntakeError, ChoiceError, RoundError) as exc:
        where = f" ({exc.field})" if getattr(exc, "field", None) else ""
        detail = f": {exc.detail}" if getattr(exc, "detail", None) else ""
        fail(f"{exc.code}{where}{detail}")
    except (ValueError, KeyError) as exc:
        fail(f"the synthetic district does not fit: {exc}")
    except PortalError as exc:
        fail(f"API: {exc}")
    except AuditChainError as exc:
        fail(f"audit chain: {exc}")
    except OSError as exc:
        fail(f"{exc.filename or out_dir}: {exc.strerror}")
    _print(res, rounds, time.perf_counter() - started)
