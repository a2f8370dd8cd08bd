"""``paiwei demo``: a whole season end to end, offline, in a few seconds.

1. Generate the synthetic Chaoyang-shaped district (:func:`allocation.generate_district`).
2. Bring the applicants in: :data:`IntakeStep` (today the synthetic records as they are;
   see :func:`synthetic_intake` for the extension point the intake part will fill).
3. Ceremony, per round of the plan: the district and a parent representative commit
   (:func:`seeding.commit`) before any round's inputs are frozen; after each freeze the
   openings are checked against the recorded commitments, and a notary's live draw of
   numbered balls and a SIMULATED public beacon value are added as contributions made
   after the freeze.
4. Run every round with :func:`allocation.run_plan` and those contributions; the district
   signs each bundle and the notary countersigns it, with keys written to ``keys/`` (0600).
5. Publish the season folder (:mod:`paiwei.publication`), verify every published bundle
   with :func:`lottery.verify` against the two trusted keys, look a few results up with
   :func:`paiwei.publication.read_result`, and print where everything is.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from allocation import (
    AllocationError,
    AllocationInputError,
    Policy,
    PolicyError,
    Reporter,
    RoundSpec,
    Stage,
    draw_id_of,
    generate_district,
    run_plan,
    scenario_from_mapping,
    shipped_policy,
)
from lottery import (
    FrozenInputs,
    InvalidBundle,
    VerificationError,
    generate_key,
    parse_bundle,
    private_key_pem,
    public_key_hex,
    sign_bundle,
    verify,
)
from paiwei.cli._common import fail, out, write_private
from paiwei.publication import (
    PublicationError,
    dump,
    publish_season,
    read_index,
    read_result,
    round_publications,
    season_of,
)
from seeding import CeremonyError, Contribution, check_opening, commit

MARKER = ".paiwei-demo"
SIGNERS = ("district", "notary")
COMMITTERS = ("district", "parent-representative")
BALLS = 10  # the notary draws this many numbered balls (0-9), each put back before the next

IntakeStep = Callable[[dict[str, Any]], dict[str, Any]]


def synthetic_intake(district: dict[str, Any]) -> dict[str, Any]:
    """The applicants as the synthetic district made them.

    Extension point: the intake part of the demo replaces this step with one that
    registers, reviews and submits choices for a few hundred applicants through the
    API in-process, brings the rest in bulk through the same use cases, and returns
    the scenario mapping (``paiwei-scenario/1``) of the verified records it stored.
    Everything after this step only reads that mapping.
    """
    return district


@dataclass(frozen=True, slots=True)
class CeremonyLog:
    """What each round's ceremony recorded, in the order it happened."""

    commitments: Mapping[str, Mapping[str, str]]  # round -> contributor -> commitment hex
    after_freeze: Mapping[str, Sequence[Mapping[str, str]]]  # round -> contributions


class _Ceremony:
    """Commitments before any freeze; openings checked and live values drawn after each."""

    def __init__(self, policy: Policy, plan: Sequence[RoundSpec], stage: Stage) -> None:
        self.opening: dict[str, list[Contribution]] = {}
        self.published: dict[str, dict[str, str]] = {}
        self.after: dict[str, list[dict[str, str]]] = {}
        for spec in plan:
            draw_id = draw_id_of(policy, stage, spec.id, rehearsal=False)
            made = [commit(draw_id, name) for name in COMMITTERS]
            self.opening[spec.id] = made
            # Only the commitments are published now; the openings stay with their makers.
            self.published[spec.id] = {c.contributor: (c.commitment or b"").hex() for c in made}

    def __call__(self, round_id: str, frozen: FrozenInputs) -> list[Contribution]:
        revealed = self.opening[round_id]
        for c in revealed:
            check_opening(frozen.draw_id, c, bytes.fromhex(self.published[round_id][c.contributor]))
        balls = bytes(secrets.randbelow(10) for _ in range(BALLS))
        # SIMULATED: the demo has no network. A real season records a public beacon's
        # value for a round announced before the freeze (e.g. a NIST/drand round).
        beacon = secrets.token_bytes(32)
        live = [
            Contribution("notary-live-draw", balls),
            Contribution("beacon-simulated", beacon),
        ]
        out.print(
            f"    openings of {', '.join(COMMITTERS)} match the commitments recorded before "
            f"the freeze; notary's balls {' '.join(map(str, balls))}; "
            f"beacon (SIMULATED) {beacon.hex()[:16]}…"
        )
        self.after[round_id] = [
            {"contributor": "notary-live-draw", "balls": " ".join(str(b) for b in balls)},
            {"contributor": "beacon-simulated", "value": beacon.hex()},
        ]
        return [*revealed, *live]

    def log(self) -> CeremonyLog:
        return CeremonyLog(self.published, self.after)


class _Progress(Reporter):
    def round_frozen(self, spec: RoundSpec, frozen: FrozenInputs) -> None:
        out.print(
            f"  {spec.id}: {len(frozen.applicants)} applicants, {len(frozen.schools)} schools, "
            f"input root {frozen.root.hex()[:16]}… frozen; ceremony"
        )

    def round_skipped(self, spec: RoundSpec, reason: str) -> None:
        out.print(f"  {spec.id}: no draw ({reason})")


@dataclass(frozen=True, slots=True)
class DemoResult:
    folder: Path  # the publication folder
    keys_dir: Path
    rounds: tuple[dict[str, Any], ...]  # per round: id, mechanism, applicants, placed, checks
    applicants: tuple[str, ...]
    trusted: Mapping[str, str]
    lookups: tuple[dict[str, Any], ...]
    ceremony: CeremonyLog


def _prepare(root: Path) -> None:
    """Empty ``root`` if it is an earlier demo's (or empty); refuse anything else."""
    if root.exists():
        if not root.is_dir() or (any(root.iterdir()) and not (root / MARKER).is_file()):
            fail(f"{root} exists and is not an earlier demo's folder; refusing to delete it")
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / MARKER).write_text("written by `paiwei demo`; deleted by the next run\n", "utf-8")


def run_demo(
    root: Path,
    *,
    applicants: int,
    schools: int,
    seed: int = 2024,
    intake: IntakeStep = synthetic_intake,
) -> DemoResult:
    """Run the season into ``root`` (emptied first). Raises the core's errors on failure."""
    _prepare(root)
    district = generate_district(applicants, schools, seed=seed)
    scenario = scenario_from_mapping(intake(district))
    policy = shipped_policy(f"{scenario.district}-{scenario.year}")
    plan = policy.plan(scenario.stage)
    out.print(
        f"[bold]{policy.title}[/] — {scenario.applicants.size} applicants, "
        f"{len(scenario.schools)} schools, {len(plan)} rounds"
    )

    keys_dir = root / "keys"
    private = {name: generate_key() for name in SIGNERS}
    for name, key in private.items():
        write_private(keys_dir / f"{name}.pem", private_key_pem(key))
    trusted = {name: public_key_hex(key) for name, key in private.items()}

    ceremony = _Ceremony(policy, plan, scenario.stage)
    result = run_plan(policy, scenario, ceremony, reporter=_Progress())
    signed = {}
    for round_id, unsigned in result.bundles().items():
        bundle = unsigned
        for name in SIGNERS:  # the district signs, then the notary countersigns
            bundle = sign_bundle(bundle, name, private[name])
        signed[round_id] = bundle

    log = ceremony.log()
    (root / "ceremony.json").write_bytes(
        dump(
            {
                "note": "commitments were recorded before any round's inputs were frozen; "
                "the beacon values are SIMULATED (the demo runs offline)",
                "commitments_before_freeze": log.commitments,
                "after_freeze": log.after_freeze,
            }
        )
    )
    salt = secrets.token_bytes(16)  # the season's public salt of the result-file names
    season = season_of(result, salt=salt)
    folder = root / "publication"
    publish_season(
        folder, season=season, publications=round_publications(result, signed), keys=trusted
    )

    keys = {name: bytes.fromhex(k) for name, k in trusted.items()}
    rounds = []
    for entry in read_index(folder)["rounds"]:
        data = (folder / entry["bundle"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            fail(f"{entry['bundle']}: SHA-256 differs from the index")
        report = verify(parse_bundle(data), keys)
        rounds.append(
            {
                "round": entry["round"],
                "mechanism": entry["mechanism"],
                "applicants": report.applicants,
                "placed": report.placed,
                "checks": len(report.checks),
                "bundle": entry["bundle"],
                "sha256": entry["sha256"],
            }
        )

    ids = scenario.applicants.ids
    lookups: list[dict[str, Any]] = []
    wanted = ["placed", "unplaced", "ineligible"]
    for aid in ids:
        doc = read_result(folder, aid)
        if doc is None:
            fail(f"no published result for applicant {aid}")
        if doc["status"] in wanted:
            wanted.remove(doc["status"])
            lookups.append(doc)
        if not wanted:
            break
    return DemoResult(folder, keys_dir, tuple(rounds), ids, trusted, tuple(lookups), ceremony.log())


def _print(res: DemoResult) -> None:
    table = Table(title="rounds: every bundle verified against both keys, all checks passed")
    for col in ("round", "mechanism", "applicants", "placed", "SHA-256"):
        table.add_column(col, no_wrap=True)
    for r in res.rounds:
        table.add_row(
            r["round"], r["mechanism"], str(r["applicants"]), str(r["placed"]), r["sha256"][:8]
        )
    out.print(table)
    for doc in res.lookups:
        school = doc["school"]["name"] if doc["school"] else "—"
        tickets = ", ".join(f"{e['round']} {e['ticket'][:12]}…" for e in doc["rounds"]) or "—"
        out.print(
            f"result of {doc['applicant']}: {doc['status']}, {school}; tickets: {tickets}",
            markup=False,
        )
    out.print(f"publication folder: {res.folder}  (serve it as static files)", markup=False)
    out.print(f"signing keys (0600): {res.keys_dir}", markup=False)
    out.print(f"ceremony record: {res.keys_dir.parent / 'ceremony.json'}", markup=False)
    first = res.rounds[0]["bundle"] if res.rounds else "rounds/ROUND/bundle.json"
    flags = " ".join(f"--key {n}={k}" for n, k in sorted(res.trusted.items()))
    out.print("verify a bundle yourself:", markup=False)
    out.print(f"  cd {res.folder} && python -m lottery.verify {first} {flags}", markup=False)


def demo(
    out_dir: Annotated[
        Path, typer.Option("--out", help="demo folder (emptied first if an earlier demo's)")
    ] = Path("var/demo"),
    applicants: Annotated[int, typer.Option(min=1, help="synthetic applicants")] = 3000,
    schools: Annotated[int, typer.Option(min=4, help="synthetic public schools")] = 60,
    seed: Annotated[int, typer.Option(help="seed of the synthetic district (not the draw)")] = 2024,
) -> None:
    """A whole season offline: synthetic district, ceremony per round, every round drawn,
    signed, published as a static folder, verified, and a few results looked up."""
    try:
        res = run_demo(out_dir, applicants=applicants, schools=schools, seed=seed)
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
    except OSError as exc:
        fail(f"{exc.filename or out_dir}: {exc.strerror}")
    _print(res)
