"""Season verification: a whole publication folder checked from its files alone.

Runs with the standard library and ``cryptography`` (as the bundle verifier). Checks,
each named in the report (docs/publication.md, "Verifying a season"):

  1. index: ``index.json`` reads, names the season and its rounds in order.
  2. round R: files: the SHA-256 of the bundle and schools files match ``index.json`` and
     ``round.json`` (and the keys and freeze statement files match ``round.json``).
  3. round R: bundle: the bundle verifies (every check of docs/draw-spec.md §17) with the
     trusted keys.
  4. round R: freeze statement: published, signed by the trusted district key over
     TH("paiwei/v1/freeze", JCS(statement without "signature")), naming the bundle's draw
     id and input root.
  5. round R: commitments: every committed contribution of the bundle is one the freeze
     statement lists (a commitment made after the freeze is not); round R: after-freeze
     contribution: at least one contribution made after the freeze (a beacon, a live draw);
     round R: beacon: the drand round the freeze statement names, re-checked offline from
     the published record (lottery._beacon_check).
  6. round R: placed earlier: nobody in the round's draw was placed by an earlier round.
  7. placed twice: nobody is placed by two rounds.
  8. result files: every result file's entry for a round has the bundle's ticket and school.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lottery._beacon_check import check_beacon
from lottery._canonical import CanonicalError, canonical_json
from lottery._errors import InvalidBundle
from lottery._parse import load_json
from lottery._signing import signature_valid
from lottery._verifier import VerificationError, parse_bundle, verify
from seeding import tagged_hash

FREEZE_TAG = "paiwei/v1/freeze"
DISTRICT = "district"


@dataclass(frozen=True, slots=True)
class SeasonCheck:
    name: str
    ok: bool
    detail: str = ""
    skipped: bool = False  # part of the check not run (a beacon's BLS check without py_ecc)


@dataclass
class SeasonReport:
    season: str
    rounds: list[str] = field(default_factory=list)
    checks: list[SeasonCheck] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str = "", skipped: bool = False) -> None:
        self.checks.append(SeasonCheck(name, ok, detail, skipped))

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "season": self.season,
            "rounds": self.rounds,
            "checks": [
                {
                    "name": c.name,
                    "ok": c.ok,
                    "detail": c.detail,
                    **({"skipped": True} if c.skipped else {}),
                }
                for c in self.checks
            ],
        }


def _read(folder: str, relative: str) -> bytes:
    if os.path.isabs(relative) or ".." in relative.split("/"):
        raise InvalidBundle(f"path outside the folder: {relative!r}")
    with open(os.path.join(folder, *relative.split("/")), "rb") as fh:
        return fh.read()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def freeze_statement_valid(statement: Mapping[str, Any], district_key: bytes) -> str:
    """'' when the statement is signed by ``district_key`` as "district", else why not."""
    sig = statement.get("signature")
    if not isinstance(sig, Mapping):
        return "no signature"
    if (
        sig.get("signer") != DISTRICT
        or str(sig.get("public_key", "")).lower() != district_key.hex()
    ):
        return f"signed by {sig.get('signer')!r} with {sig.get('public_key')}, not the trusted district key"
    try:
        digest = tagged_hash(
            FREEZE_TAG, canonical_json({k: v for k, v in statement.items() if k != "signature"})
        )
        raw = bytes.fromhex(str(sig.get("signature", "")))
    except (CanonicalError, ValueError):
        return "not a signable statement"
    return (
        ""
        if len(raw) == 64 and signature_valid(district_key, raw, digest)
        else "the signature does not verify"
    )


def verify_season(
    folder: str,
    trusted: Mapping[str, bytes] | None,
    *,
    accelerate: bool = True,
) -> SeasonReport:
    """Steps 1-8 of the module docstring over ``folder``. Raises OSError when ``index.json``
    cannot be read and InvalidBundle when it is malformed; everything else is a check."""
    index = load_json(_read(folder, "index.json"))
    if (
        type(index) is not dict
        or type(index.get("season")) is not dict
        or type(index.get("rounds")) is not list
    ):
        raise InvalidBundle("index.json: not a paiwei-publication/1 index")
    report = SeasonReport(str(index["season"].get("id", "")))
    report.add("index", True, f"{len(index['rounds'])} rounds listed")
    placed_by: dict[str, str] = {}
    twice: list[str] = []
    bundles: dict[str, dict[str, Any]] = {}
    for entry in index["rounds"]:
        if type(entry) is not dict or "bundle" not in entry:
            continue  # a round that held no draw
        r = str(entry.get("round"))
        report.rounds.append(r)
        bundle, statement = _check_round_files(folder, r, entry, report)
        if bundle is None:
            continue
        bundles[r] = bundle
        try:
            verify(bundle, trusted, accelerate=accelerate)
            report.add(f"round {r}: bundle", True)
        except VerificationError as exc:
            report.add(f"round {r}: bundle", False, ", ".join(c.name for c in exc.report.failures))
        except InvalidBundle as exc:
            report.add(f"round {r}: bundle", False, f"malformed: {exc}")
            continue
        _check_statement(r, bundle, statement, trusted or {}, report)
        beacon = check_beacon(folder, r, bundle, statement)
        if beacon is not None:
            report.add(f"round {r}: beacon", *beacon)
        fresh = [
            c["contributor"] for c in bundle["ceremony"]["contributions"] if "commitment" not in c
        ]
        report.add(
            f"round {r}: after-freeze contribution",
            bool(fresh),
            ", ".join(fresh) if fresh else "none: the seed could be known before the draw",
        )
        assigned = {a["applicant"]: a["school"] for a in bundle["assignments"]}
        earlier = sorted(a for a in assigned if a in placed_by)
        report.add(
            f"round {r}: placed earlier",
            not earlier,
            f"{len(earlier)} applicants placed by an earlier round take part, e.g. {earlier[:3]}"
            if earlier
            else "",
        )
        for applicant, school in assigned.items():
            if school is None:
                continue
            if applicant in placed_by:
                twice.append(applicant)
            placed_by[applicant] = r
    report.add(
        "placed twice",
        not twice,
        f"{len(twice)} applicants, e.g. {sorted(twice)[:3]}" if twice else "",
    )
    _check_results(folder, bundles, report)
    return report


def _check_round_files(
    folder: str,
    r: str,
    entry: Mapping[str, Any],
    report: SeasonReport,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    name = f"round {r}: files"
    try:
        data = _read(folder, str(entry["bundle"]))
        meta = load_json(_read(folder, f"rounds/{r}/round.json"))
        schools = _read(folder, str(entry.get("schools", f"rounds/{r}/schools.json")))
        keys = _read(folder, f"rounds/{r}/keys.json")
    except (OSError, InvalidBundle) as exc:
        report.add(name, False, f"cannot read: {exc}")
        return None, None
    statement_data: bytes | None
    try:
        statement_data = _read(folder, f"rounds/{r}/freeze-statement.json")
    except OSError:
        statement_data = None
    wrong = []
    if type(meta) is not dict:
        wrong.append("round.json")
        meta = {}
    if _sha(data) != entry.get("sha256") or _sha(data) != meta.get("bundle_sha256"):
        wrong.append("bundle.json")
    if _sha(schools) != entry.get("schools_sha256") or _sha(schools) != meta.get("schools_sha256"):
        wrong.append("schools.json")
    if _sha(keys) != meta.get("keys_sha256"):
        wrong.append("keys.json")
    stated = meta.get("freeze_statement_sha256")
    if (statement_data is None) != (stated is None) or (
        statement_data is not None and _sha(statement_data) != stated
    ):
        wrong.append("freeze-statement.json")
    report.add(name, not wrong, f"SHA-256 differs: {', '.join(wrong)}" if wrong else "")
    try:
        bundle = parse_bundle(data)
    except InvalidBundle as exc:
        report.add(f"round {r}: bundle", False, f"malformed: {exc}")
        return None, None
    statement = None
    if statement_data is not None:
        try:
            value = load_json(statement_data)
            statement = value if type(value) is dict else None
        except InvalidBundle:
            statement = None
    return bundle, statement


def _check_statement(
    r: str,
    bundle: Mapping[str, Any],
    statement: Mapping[str, Any] | None,
    trusted: Mapping[str, bytes],
    report: SeasonReport,
) -> None:
    name = f"round {r}: freeze statement"
    if statement is None:
        report.add(name, False, "not published")
        report.add(f"round {r}: commitments", False, "no freeze statement to check them against")
        return
    problems = []
    if DISTRICT not in trusted:
        problems.append("no trusted district key")
    else:
        why = freeze_statement_valid(statement, trusted[DISTRICT])
        if why:
            problems.append(why)
    if statement.get("draw_id") != bundle.get("draw_id"):
        problems.append("another draw id")
    if statement.get("input_root") != bundle["ceremony"].get("input_root"):
        problems.append("another input root")
    report.add(name, not problems, "; ".join(problems))
    listed = {
        (c.get("contributor"), c.get("commitment"))
        for c in statement.get("commitments", [])
        if isinstance(c, Mapping)
    }
    late = [
        c["contributor"]
        for c in bundle["ceremony"]["contributions"]
        if "commitment" in c and (c["contributor"], c["commitment"]) not in listed
    ]
    report.add(
        f"round {r}: commitments",
        not late,
        f"not committed before the freeze: {', '.join(late)}" if late else "",
    )


def _check_results(
    folder: str, bundles: Mapping[str, Mapping[str, Any]], report: SeasonReport
) -> None:
    by_round = {r: {a["applicant"]: a for a in b["assignments"]} for r, b in bundles.items()}
    files = wrong = 0
    examples: list[str] = []
    results = os.path.join(folder, "results")
    for root, _dirs, names in os.walk(results):
        for file in sorted(names):
            if not file.endswith(".json"):
                continue
            files += 1
            path = os.path.join(root, file)
            try:
                with open(path, "rb") as fh:
                    doc = load_json(fh.read())
                rounds = doc["rounds"] if type(doc) is dict else None
                applicant = doc["applicant"] if type(doc) is dict else None
                bad = type(rounds) is not list
                for e in rounds or []:
                    a = by_round.get(e["round"], {}).get(applicant)
                    school = (e.get("school") or {}).get("id") if e.get("placed") else None
                    if a is None or a["ticket"] != e["ticket"] or a["school"] != school:
                        bad = True
            except (OSError, InvalidBundle, KeyError, TypeError, AttributeError):
                bad = True
            if bad:
                wrong += 1
                examples.append(os.path.relpath(path, folder))
    report.add(
        "result files",
        wrong == 0,
        f"{wrong} of {files} differ from their bundles, e.g. {examples[:3]}"
        if wrong
        else f"{files} files",
    )


def render_text(report: SeasonReport) -> str:
    lines = [
        f"season {report.season}: {len(report.rounds)} drawn rounds ({', '.join(report.rounds)})"
    ]
    lines.extend(
        f"  {'ok  ' if c.ok else 'FAIL'} {c.name}" + (f": {c.detail}" if c.detail else "")
        for c in report.checks
    )
    lines.append(
        "VALID"
        if report.valid
        else "INVALID: " + ", ".join(c.name for c in report.checks if not c.ok)
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m lottery.season PUBLICATION_DIR --keys PUBLICATION_DIR/keys.json``.

    Exit status: 0 valid, 1 a check failed, 2 unreadable or malformed."""
    import argparse  # noqa: PLC0415
    import json  # noqa: PLC0415
    import sys  # noqa: PLC0415

    from lottery._verifier import key_set_fingerprint, trusted_keys_from  # noqa: PLC0415

    parser = argparse.ArgumentParser(
        prog="python -m lottery.season", description="Verify a whole season's publication folder."
    )
    parser.add_argument("folder", metavar="PUBLICATION_DIR")
    parser.add_argument("--key", action="append", default=[], metavar="NAME=PUBLIC_KEY_HEX")
    parser.add_argument("--keys", action="append", default=[], metavar="FILE")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-accel", action="store_true")
    args = parser.parse_args(argv)
    try:
        trusted = trusted_keys_from(args.key, args.keys) or None
        report = verify_season(args.folder, trusted, accelerate=not args.no_accel)
    except OSError as exc:
        print(f"error: cannot read: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    except InvalidBundle as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    fingerprint = key_set_fingerprint(trusted) if trusted else None
    if args.json:
        print(
            json.dumps(
                {**report.to_json(), "trusted_keys_fingerprint": fingerprint}, ensure_ascii=False
            )
        )
    else:
        print(render_text(report))
        print(
            f"trusted keys fingerprint {fingerprint}"
            if fingerprint
            else "no trusted key: no signature was checked against a trusted key"
        )
    return 0 if report.valid else 1
