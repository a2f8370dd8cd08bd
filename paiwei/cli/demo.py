"""``paiwei demo``: the main job end to end on the embedded default."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Annotated, Any

import typer

from lottery import (
    Mechanism,
    freeze,
    generate_key,
    parse_bundle,
    public_key_hex,
    run_draw,
    sign_bundle,
    verify,
)
from paiwei.cli._common import out
from seeding import Contribution, check_opening, commit


def _district(rng: random.Random, schools: int, applicants: int) -> tuple[list[Any], list[Any]]:
    """A small multi-school zone: a few popular schools, the rest with spare seats."""
    school_records = [{"id": f"S{i:03d}", "capacity": rng.randint(5, 25)} for i in range(schools)]
    ids = [f"S{i:03d}" for i in range(schools)]
    weights = [1.0 / (i + 1) for i in range(schools)]
    applicant_records = []
    for i in range(applicants):
        choices: list[str] = []
        while len(choices) < 3:
            pick = rng.choices(ids, weights)[0]
            if pick not in choices:
                choices.append(pick)
        applicant_records.append(
            {
                "id": f"A{i:06d}",
                "choices": choices,
                "priority": {c: (0 if rng.random() < 0.05 else 1) for c in choices},
            }
        )
    return school_records, applicant_records


def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="where to publish")] = Path("var/demo"),
    applicants: Annotated[int, typer.Option(help="how many applicants")] = 400,
    schools: Annotated[int, typer.Option(help="how many schools")] = 20,
) -> None:
    """Run a ceremony, both mechanisms' draws, signatures and verification, and publish."""
    rng = random.Random(2024)  # noqa: S311  demo data only; seeds come from the ceremony
    school_records, applicant_records = _district(rng, schools, applicants)
    out_dir.mkdir(parents=True, exist_ok=True)
    district_key, notary_key = generate_key(), generate_key()
    trusted = {
        "district": bytes.fromhex(public_key_hex(district_key)),
        "notary": bytes.fromhex(public_key_hex(notary_key)),
    }
    for mechanism in Mechanism:
        draw_id = f"demo/2024/primary/{mechanism.value}"
        # Contributions committed before the freeze, revealed after it.
        committed = [commit(draw_id, name) for name in ("district", "parent-observer")]
        frozen = freeze(draw_id, school_records, applicant_records)
        for c in committed:
            check_opening(draw_id, c)
        balls = Contribution("notary-live-draw", bytes(rng.randrange(10) for _ in range(8)))
        outcome = run_draw(frozen, [*committed, balls], mechanism=mechanism)
        bundle = sign_bundle(
            sign_bundle(outcome.bundle, "district", district_key), "notary", notary_key
        )
        path = out_dir / f"{mechanism.value}.json"
        path.write_text(json.dumps(bundle, ensure_ascii=False, sort_keys=True), "utf-8")
        report = verify(parse_bundle(path.read_bytes()), trusted)
        out.print(
            f"{mechanism.value}: {report.placed}/{report.applicants} placed, "
            f"{len(report.checks)} checks passed -> {path}"
        )
    keys = out_dir / "keys.txt"
    keys.write_text("".join(f"{n}={k.hex()}\n" for n, k in trusted.items()), "utf-8")
    out.print(
        f"verify yourself: paiwei verify {out_dir}/*.json "
        + " ".join(f"--key {n}={k.hex()}" for n, k in trusted.items())
    )
