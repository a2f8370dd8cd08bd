"""``paiwei demo``: the whole season end to end on the embedded SQLite default.

1. A fresh SQLite database under ``--out`` (``var/demo/`` by default), built by the
   Alembic migrations; a synthetic Chaoyang-shaped district (:func:`allocation.generate_district`).
2. Intake on the Chaoyang 2024 timetable with a simulated clock (never sleeping): a few
   hundred parents register, log in and enter details through the HTTP API in-process;
   a street reviewer and the district staff review them to verified; the rest of the
   district arrives in bulk as reviewed records (:mod:`paiwei.intake.transfer`).
3. Choices inside their windows: API parents through ``/api/choices/me``, the bulk
   records through ``transfer.import_choices``.
4. Every round of the primary plan through the database lifecycle with a ceremony
   (commitments before any freeze; reveals, the notary's live draw and a SIMULATED
   beacon after it), run, signed by the district, countersigned by the notary and
   published into ``publication/`` (:mod:`paiwei.demo.season`).
5. Every published bundle verified with :func:`lottery.verify` against the two trusted
   keys, the audit chain verified, a few parents' results looked up through
   ``GET /api/results/me``, and where everything is printed.
"""

from __future__ import annotations

import hashlib
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


def run_demo(root: Path, *, applicants: int, schools: int, api_applicants: int, seed: int = 2024,
             ) -> tuple[SeasonResult, list[dict[str, Any]]]:
    """Run the season into ``root`` (emptied first). Raises the use cases' errors on failure."""
    from paiwei.demo.season import Season  # noqa: PLC0415
    from paiwei.publication import dump, read_result  # noqa: PLC0415

    _prepare(root)
    season = Season(root, applicants=applicants, schools=schools,
                    api_applicants=min(api_applicants, applicants), seed=seed, say=out.print)
    out.print(f"[bold]{season.policy.title}[/] — {applicants} synthetic applicants "
              f"({len(season.families)} through the API), {len(season.district['schools'])} schools; "
              f"database {season.db_path}")
    res = season.run(root / "publication", root / "keys")
    (root / "ceremony.json").write_bytes(dump({
        "note": "commitments were recorded before any round's inputs were frozen; "
                "the beacon values are SIMULATED (the demo runs offline)",
        "rounds": {r.round: {"draw_id": r.draw_id, "state": str(r.state),
                             "commitments_before_freeze": dict(r.commitments),
                             "notary_live_draw": r.balls, "beacon_simulated": r.beacon}
                   for r in res.rounds},
    }))
    rounds = verify_folder(res.folder, dict(res.trusted))
    for pseudonym in [*(f.pseudonym for f in res.families), *res.bulk]:
        if read_result(res.folder, pseudonym) is None:
            fail(f"no published result for applicant {pseudonym}")
    from paiwei.reporting.season import write_for_database  # noqa: PLC0415
    from paiwei.settings import Settings  # noqa: PLC0415

    write_for_database(f"sqlite:///{res.database}", folder=res.folder, staff=root / "staff",
                       now=datetime.now(UTC), base_url=Settings().public_base_url, say=out.print)
    return res, rounds


def _print(res: SeasonResult, rounds: list[dict[str, Any]], seconds: float) -> None:
    from rich.table import Table  # noqa: PLC0415

    table = Table(title="rounds: every bundle verified against both keys, all checks passed")
    for col in ("round", "mechanism", "applicants", "placed", "SHA-256"):
        table.add_column(col, no_wrap=True)
    for r in rounds:
        table.add_row(r["round"], r["mechanism"], str(r["applicants"]), str(r["placed"]), r["sha256"][:8])
    out.print(table)
    for doc in res.lookups:
        school = (doc.get("school") or {}).get("name") or "—"
        tickets = ", ".join(f"{e['round']} {e['ticket'][:12]}…" for e in doc.get("rounds", [])) or "—"
        out.print(f"GET /api/results/me for {doc['applicant'][:12]}…: {doc['status']}, {school}; "
                  f"tickets: {tickets}", markup=False)
    out.print(f"audit chain verified: {res.audit_events} events", markup=False)
    folder = res.folder.resolve()
    out.print(f"database: {res.database}", markup=False)
    out.print(f"publication folder: {folder}  (serve it as static files)", markup=False)
    out.print(f"reports: {folder / 'index.json'}; per round {folder / 'rounds'}/<round>/round.json "
              f"and schools.json; per applicant {folder / 'results'}/", markup=False)
    out.print(f"signing keys (0600): {res.keys_dir.resolve()}", markup=False)
    out.print(f"ceremony record: {res.keys_dir.parent.resolve() / 'ceremony.json'}", markup=False)
    first = rounds[0]["bundle"] if rounds else "rounds/ROUND/bundle.json"
    flags = " ".join(f"--key {n}={k}" for n, k in sorted(res.trusted.items()))
    out.print("verify a bundle yourself:", markup=False)
    out.print(f"  {sys.executable} -m lottery.verify {folder / first} {flags}", markup=False)
    out.print(f"done in {seconds:.1f} s", markup=False)


def demo(
    out_dir: Annotated[
        Path, typer.Option("--out", help="demo folder (emptied first if an earlier demo's)")
    ] = Path("var/demo"),
    applicants: Annotated[int, typer.Option(min=1, help="synthetic applicants in all")] = 3000,
    api_applicants: Annotated[int, typer.Option(
        "--api-applicants", min=0, help="of which registered, reviewed and choosing through the API")] = 120,
    schools: Annotated[int, typer.Option(min=4, help="synthetic public schools")] = 60,
    seed: Annotated[int, typer.Option(help="seed of the synthetic district (not the draw)")] = 2024,
) -> None:
    """The whole season on the embedded SQLite default: intake through the API and in
    bulk, choices in their windows, every round with a ceremony, published, verified."""
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
