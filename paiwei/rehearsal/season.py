"""One rehearsal (模拟派位): every round of the stage, in memory, from one throwaway seed.

The rounds run through the same code as the real season (:func:`allocation.run_plan`
with ``rehearsal=True``, so every draw id starts with ``rehearsal/``); each round's
contribution is derived from the rehearsal seed by
:func:`allocation.rehearsal_contributions`. Bundles are signed with a throwaway
Ed25519 key derived from the same seed, so the same seed gives byte-identical
output and anyone holding the seed can check the whole run.

The result is a set of files (name -> bytes) that the caller writes; nothing here
touches the file system.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import lottery
from allocation import (
    ADDRESS_DECISIONS,
    REHEARSAL_CONTRIBUTION_RULE,
    AllocationResult,
    Explainer,
    Explanation,
    FrozenInputsCache,
    Reporter,
    Target,
    rehearsal_contributions,
    run_plan,
)
from allocation._gc import collector_paused
from allocation.explain import MODES
from lottery import canonical_json, public_key_hex, sign_bundle
from paiwei.rehearsal.loading import LoadedScenario
from seeding import tagged_hash

REHEARSAL_FORMAT = "paiwei-rehearsal/1"
KEY_TAG = "paiwei/rehearsal/v1/key"
SIGNER = "rehearsal"
NOTE = "模拟派位，非正式派位结果"
KEY_DERIVATION = (
    f'Ed25519 private key (RFC 8032 seed) = TH("{KEY_TAG}", rehearsal seed); '
    "a throwaway key: whoever holds the seed can sign, so it proves nothing beyond this run"
)
CONTRIBUTION_RULE = REHEARSAL_CONTRIBUTION_RULE  # stated by allocation, which makes them
TARGETS = {
    int(Target.NONE): None,
    int(Target.SINGLE): "single-school",
    int(Target.ZONE): "zone",
    int(Target.DISTRICT): "district",
}


def throwaway_key(seed: bytes) -> Ed25519PrivateKey:
    """The rehearsal's signing key, derived from its seed (so a seed reproduces every byte)."""
    return Ed25519PrivateKey.from_private_bytes(tagged_hash(KEY_TAG, seed))


def dump(value: Any) -> bytes:
    """Sorted, indented JSON with a final newline: the same value gives the same bytes."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def dump_rows(key: str, rows: list[dict[str, Any]], rest: dict[str, Any]) -> bytes:
    """``{key: rows, **rest}`` as sorted JSON with one compact row per line (``grep``-able).

    ``key`` must sort before every key of ``rest``, so the bytes are those of a sorted
    object; the same value always gives the same bytes.
    """
    if any(k <= key for k in rest):
        raise ValueError(f"{key!r} must sort first")
    opt = orjson.OPT_SORT_KEYS
    body = b",\n".join(orjson.dumps(r, option=opt) for r in rows)
    tail = orjson.dumps(rest, option=opt)[1:]  # '"format":...}' without its opening brace
    return b'{"%s":[\n%s\n],%s\n' % (key.encode("ascii"), body, tail)


def run_season(
    loaded: LoadedScenario,
    seed: bytes,
    *,
    reporter: Reporter | None = None,
    accelerate: bool = True,
    frozen_cache: FrozenInputsCache | None = None,
) -> AllocationResult:
    """Eligibility, routing and every round of the stage under rehearsal draw ids.

    ``frozen_cache`` (a forecast's runs share one) reuses the frozen inputs of a round
    whose inputs an earlier run built the same. Raises allocation's ScenarioError (e.g. a list longer than a round allows),
    lottery's InvalidBundle for records outside the protocol's domain.
    """
    return run_plan(
        loaded.policy,
        loaded.scenario,
        rehearsal_contributions(seed),
        reporter=reporter,
        rehearsal=True,
        accelerate=accelerate,
        frozen_cache=frozen_cache,
    )


def _rule(rule: Any) -> dict[str, str]:
    return {"code": rule.code, "section": rule.section, "text": rule.text}


def applicant_record(result: AllocationResult, i: int, explanation: Explanation) -> dict[str, Any]:
    """Row ``i``: eligibility with its rule, the route, each round's outcome, the explanation."""
    rt = result.routing
    sc = result.scenario
    school = int(rt.school[i])
    home = int(rt.home_zone[i])
    nine = int(rt.nine_year[i])
    rounds = []
    for r in explanation.rounds:
        won = next((a for a in r.attempts if a.admitted), None)
        rounds.append(
            {
                "round": r.round,
                "section": r.section,
                "draw_id": r.draw_id,
                "mechanism": r.mechanism,
                "ticket": r.ticket,
                "school": None if won is None else won.school,
                "choice": None if won is None else won.choice,
                "step": None if won is None else won.step,
                "mode": None if won is None else won.mode,
                "attempts": [a.to_json() for a in r.attempts],
            }
        )
    return {
        "applicant": explanation.applicant,
        "eligible": bool(rt.eligible[i]),
        "eligibility": _rule(explanation.eligibility),
        "route": {
            **_rule(explanation.route),
            "target": TARGETS.get(int(rt.target[i])),
            "school": sc.schools[school].id if school >= 0 else None,
            "zone": explanation.zone,
            "home_zone": sc.zones[home].id if home >= 0 else None,
            "nine_year_school": sc.schools[nine].id if nine >= 0 else None,
        },
        "address": {
            **_rule(explanation.address),
            "decision": ADDRESS_DECISIONS[int(rt.address[i])],
        },
        "unmet": [_rule(r) for r in explanation.unmet],
        "priority": {**_rule(explanation.priority), "class": int(rt.priority[i])},
        "outcome": explanation.outcome.to_json(),
        "rounds": rounds,
        "explanation": explanation.text,
    }


class _ApplicantEncoder:
    """``dump_rows("applicants", [applicant_record(...) ...], rest)``'s rows, from templates.

    Each row is the same bytes as ``orjson.dumps(applicant_record(result, i, e),
    option=OPT_SORT_KEYS)``: the keys are written in sorted order by hand, every
    string goes through ``orjson.dumps`` (those that repeat, such as rule texts and
    school ids, once each), integers and ``true``/``false``/``null`` as JSON writes
    them. No dict per record, attempt or rule. tests/unit/rehearsal/test_season.py
    compares the bytes with the dict path on districts with every kind of record.
    """

    def __init__(self, result: AllocationResult) -> None:
        self.result = result
        self._strings: dict[str | None, str] = {None: "null"}
        self._rules: dict[int, tuple[Any, str]] = {}
        # parts of a row that depend on a few values only, formatted once each
        self._heads: dict[tuple[Any, ...], tuple[str, str]] = {}
        self._outcomes: dict[tuple[Any, ...], str] = {}
        self._routes: dict[tuple[Any, ...], str] = {}
        self._round_parts: dict[tuple[str, ...], tuple[str, str, str]] = {}
        sc = result.scenario
        rt = result.routing
        q = self.q
        schools = [q(s.id) for s in sc.schools]
        zones = [q(z.id) for z in sc.zones]
        self._school = [*schools, "null"]  # index -1: null
        self._zone = [*zones, "null"]
        self._target = {k: q(v) for k, v in TARGETS.items()}
        self._decision = [q(d) for d in ADDRESS_DECISIONS]
        for mode in MODES:  # attempt() looks these up without a call
            q(mode)
        self._cols = list(
            zip(
                rt.eligible.tolist(),
                rt.school.tolist(),
                rt.home_zone.tolist(),
                rt.nine_year.tolist(),
                rt.target.tolist(),
                rt.address.tolist(),
                rt.priority.tolist(),
                strict=True,
            )
        )

    def q(self, value: str | None) -> str:
        """``value`` as JSON text (orjson's bytes), cached."""
        out = self._strings.get(value)
        if out is None:
            out = self._strings[value] = orjson.dumps(value).decode("utf-8")
        return out

    def rule(self, rule: Any) -> str:
        """``{"code","section","text"}`` without its closing brace (callers may add keys)."""
        known = self._rules.get(id(rule))  # the rule is kept in the entry: its id stays its own
        if known is None:
            q = self.q
            known = self._rules[id(rule)] = (
                rule,
                f'"code":{q(rule.code)},"section":{q(rule.section)},"text":{q(rule.text)}',
            )
        return known[1]

    def attempt(self, a: Any) -> str:
        s = self._strings
        q = self.q
        t = a.cutoff_ticket
        p = a.cutoff_priority
        return (
            f'{{"admitted":{"true" if a.admitted else "false"},"choice":{a.choice},'
            f'"competitors":{a.competitors},"cutoff":'
            f"{'null' if t is None else self._cutoff(p, t)},"
            f'"mode":{s.get(a.mode) or q(a.mode)},'
            f'"position":{a.position},"priority":{a.priority},'
            f'"school":{s.get(a.school) or q(a.school)},'
            f'"seats":{a.seats},"step":{"null" if a.step is None else a.step},'
            f'"zone":{s.get(a.zone) or q(a.zone)}}}'
        )

    def _cutoff(self, priority: int | None, ticket: str) -> str:
        return f'{{"priority":{_n(priority)},"ticket":{self.q(ticket)}}}'

    def round(self, r: Any) -> str:
        q = self.q
        won = next((a for a in r.attempts if a.admitted), None)
        attempts = ",".join(map(self.attempt, r.attempts))
        if won is None:
            tail = '"choice":null,'
            mid = '"mode":null,'
            school = '"school":null,'
            step = '"step":null,'
        else:
            tail = f'"choice":{won.choice},'
            mid = f'"mode":{q(won.mode)},'
            school = f'"school":{q(won.school)},'
            step = f'"step":{_n(won.step)},'
        key = (r.draw_id, r.mechanism, r.round, r.section)
        fixed = self._round_parts.get(key)
        if fixed is None:
            fixed = self._round_parts[key] = (
                f'"draw_id":{q(r.draw_id)},"mechanism":{q(r.mechanism)},',
                f'"round":{q(r.round)},',
                f'"section":{q(r.section)},',
            )
        return (
            f'{{"attempts":[{attempts}],{tail}{fixed[0]}{mid}{fixed[1]}{school}'
            f'{fixed[2]}{step}"ticket":{_hex(r.ticket)}}}'
        )

    def row(self, i: int, e: Explanation) -> str:
        rule = self.rule
        eligible, school, home, nine, target, address, priority = self._cols[i]
        o = e.outcome
        unmet = ",".join(f"{{{rule(r)}}}" for r in e.unmet)
        applicant = _js(e.applicant)
        same = o.applicant is e.applicant or o.applicant == e.applicant
        rule(e.address)  # kept alive by the rule cache: their ids below stay theirs
        key = (id(e.address), address, id(e.eligibility), eligible)
        head = self._heads.get(key)
        if head is None:
            q = self.q
            head = self._heads[key] = (
                f'{{"address":{{"code":{q(e.address.code)},"decision":{self._decision[address]},'
                f'"section":{q(e.address.section)},"text":{q(e.address.text)}}},',
                f',"eligibility":{{{rule(e.eligibility)}}},'
                f'"eligible":{"true" if eligible else "false"},',
            )
        outcome = self._outcomes.get((o.choice, o.round, o.school, o.status))
        if outcome is None:
            q = self.q
            outcome = self._outcomes[o.choice, o.round, o.school, o.status] = (
                f'"choice":{_n(o.choice)},"round":{q(o.round)},"school":{q(o.school)},'
                f'"status":{q(o.status)}}},'
            )
        rule(e.route)
        rkey = (id(e.route), home, nine, school, target, e.zone)
        route = self._routes.get(rkey)
        if route is None:
            q = self.q
            route = self._routes[rkey] = (
                f'"route":{{"code":{q(e.route.code)},"home_zone":{self._zone[home]},'
                f'"nine_year_school":{self._school[nine]},"school":{self._school[school]},'
                f'"section":{q(e.route.section)},"target":{self._target.get(target, "null")},'
                f'"text":{q(e.route.text)},"zone":{q(e.zone)}}},'
            )
        return (
            f'{head[0]}"applicant":{applicant}{head[1]}'
            f'"explanation":{_js(e.text)},'
            f'"outcome":{{"applicant":{applicant if same else _js(o.applicant)},{outcome}'
            f'"priority":{{"class":{priority},{rule(e.priority)}}},'
            f'"rounds":[{",".join(map(self.round, e.rounds))}],'
            f'{route}"unmet":[{unmet}]}}'
        )


def _js(value: str) -> str:
    """A string that seldom repeats (a ticket, an id, an explanation) as JSON text."""
    return orjson.dumps(value).decode("utf-8")


def _hex(value: str) -> str:
    """A ticket (hex digits: nothing to escape) as JSON text; anything else through orjson."""
    return f'"{value}"' if value.isascii() and value.isalnum() else _js(value)


def _n(value: int | None) -> str:
    return "null" if value is None else str(value)


def encode_applicants(
    result: AllocationResult, explainer: Explainer, rest: dict[str, Any]
) -> bytes:
    """``applicants.json``: every row's record sorted by applicant id (UTF-8 bytes), the
    same bytes as ``dump_rows("applicants", sorted records, rest)``."""
    if any(k <= "applicants" for k in rest):
        raise ValueError("'applicants' must sort first")
    ids = result.scenario.applicants.ids
    order = sorted(range(len(ids)), key=lambda i: ids[i].encode("utf-8"))
    enc = _ApplicantEncoder(result)
    row = enc.row
    body = ",\n".join([row(i, explainer.explain_row(i)) for i in order])
    tail = orjson.dumps(rest, option=orjson.OPT_SORT_KEYS)[1:]
    return b'{"applicants":[\n' + body.encode("utf-8") + b"\n]," + tail + b"\n"


def school_records(result: AllocationResult) -> list[dict[str, Any]]:
    """Per school (scenario order): seats and, per round it took part in, the round's result."""
    per_school: dict[str, list[dict[str, Any]]] = {s.id: [] for s in result.scenario.schools}
    for sr in result.school_rounds():
        row = sr.to_json()
        del row["school"]
        per_school[sr.school].append(row)
    admitted: dict[str, int] = {}
    for sid in result.assignment().values():
        if sid is not None:
            admitted[sid] = admitted.get(sid, 0) + 1
    return [
        {
            "school": s.id,
            "name": s.name,
            "kind": s.kind.value,
            "stage": s.stage.value,
            "zone": s.zone,
            "seats": s.seats,
            "admitted": admitted.get(s.id, 0),
            "rounds": per_school[s.id],
        }
        for s in result.scenario.schools
    ]


@dataclass(frozen=True, slots=True)
class Rehearsal:
    """A finished rehearsal: the result, the signed bundles and the files to write."""

    result: AllocationResult
    seed: bytes
    public_key: str
    bundles: dict[str, dict[str, Any]]  # round id -> signed bundle
    files: dict[str, bytes]  # relative path -> bytes

    @property
    def summary(self) -> dict[str, Any]:
        value: dict[str, Any] = orjson.loads(self.files["summary.json"])
        return value


def rehearse(
    loaded: LoadedScenario,
    seed: bytes,
    *,
    seed_source: str,
    reporter: Reporter | None = None,
    accelerate: bool = True,
) -> Rehearsal:
    """Run the season once and build ``summary.json``, ``applicants.json``, ``schools.json``
    and ``bundles/<round>.json``. Raises as :func:`run_season`."""
    with collector_paused():  # the records, bundles and rows built here are acyclic
        return _rehearse(loaded, seed, seed_source, reporter, accelerate=accelerate)


def _rehearse(
    loaded: LoadedScenario,
    seed: bytes,
    seed_source: str,
    reporter: Reporter | None,
    *,
    accelerate: bool,
) -> Rehearsal:
    result = run_season(loaded, seed, reporter=reporter, accelerate=accelerate)
    key = throwaway_key(seed)
    public = public_key_hex(key)
    bundles = {
        rid: sign_bundle(b, SIGNER, key, accelerate=accelerate)
        for rid, b in result.bundles().items()
    }
    explainer = Explainer(result)
    rt = result.routing
    eligible = int(rt.eligible.sum())
    placed = int((rt.eligible & (result.school >= 0)).sum())
    sc = result.scenario
    rounds = []
    for r in result.rounds:
        b = r.bundle
        rounds.append(
            {
                "round": r.spec.id,
                "kind": r.spec.kind.value,
                "mechanism": r.spec.mechanism.value,
                "section": r.spec.section,
                "title": r.spec.title,
                "draw_id": r.draw_id,
                "held": b is not None,
                "bundle": None if b is None else f"bundles/{r.spec.id}.json",
                "input_root": None if b is None else b["ceremony"]["input_root"],
                "seed": None if b is None else b["ceremony"]["seed"],
                "applicants": int(r.members.size),
                "schools": int(r.schools.size),
                "placed": int((r.placed >= 0).sum()) if b is not None else 0,
            }
        )
    summary = {
        "format": REHEARSAL_FORMAT,
        "rehearsal": True,
        "note": NOTE,
        "scenario": {
            "file": loaded.path.name,
            "sha256": loaded.scenario_sha256,
            "district": sc.district,
            "year": sc.year,
            "stage": sc.stage.value,
            "schools": len(sc.schools),
            "zones": len(sc.zones),
            "applicants": sc.applicants.size,
        },
        "policy": loaded.describe_policy(),
        "seed": seed.hex(),
        "seed_source": seed_source,
        "contributions": CONTRIBUTION_RULE,
        "key": {"signer": SIGNER, "public_key": public, "derivation": KEY_DERIVATION},
        "verify": f"paiwei verify bundles/*.json --key {SIGNER}={public}",
        "rounds": rounds,
        "counts": {  # the outcome statuses of the explanations (allocation/explain.py)
            "applicants": sc.applicants.size,
            "eligible": eligible,
            "ineligible": sc.applicants.size - eligible,
            "placed": placed,
            "unplaced": eligible - placed,
        },
        "files": ["applicants.json", "schools.json", *(f"bundles/{rid}.json" for rid in bundles)],
    }
    files = {
        "summary.json": dump(summary),
        "applicants.json": encode_applicants(
            result, explainer, {"format": REHEARSAL_FORMAT, "rehearsal": True, "note": NOTE}
        ),
        "schools.json": dump(
            {
                "format": REHEARSAL_FORMAT,
                "rehearsal": True,
                "note": NOTE,
                "schools": school_records(result),
            }
        ),
    }
    for rid, bundle in bundles.items():
        # run_draw checked the bundle's domain; within it, orjson's sorted output is JCS.
        files[f"bundles/{rid}.json"] = (
            orjson.dumps(bundle, option=orjson.OPT_SORT_KEYS)
            if accelerate
            else canonical_json(bundle)
        ) + b"\n"
    if not all(b["draw_id"].startswith(lottery.REHEARSAL_PREFIX) for b in bundles.values()):
        raise AssertionError("a rehearsal bundle without the rehearsal/ prefix")  # never
    return Rehearsal(result, seed, public, bundles, files)
