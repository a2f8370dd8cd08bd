"""Loading a scenario file and resolving the policy it runs under.

The policy is, in order: the ``--policy`` file given on the command line; the
policy embedded in the scenario (``{"embedded": {...}}``, the policy file's data);
the file the scenario names (``{"path": "..."}``, relative to the scenario file),
or, when no such file exists, the policy shipped with paiwei under that file name;
and with no ``policy`` key, the shipped policy ``{district}-{year}``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from allocation import (
    AllocationInputError,
    Policy,
    PolicyError,
    Scenario,
    policy_from_mapping,
    policy_from_text,
    scenario_from_mapping,
    shipped_policy_text,
)
from allocation._gc import collector_paused
from lottery import canonical_json
from paiwei.rehearsal.errors import RehearsalInputError


@dataclass(frozen=True, slots=True)
class LoadedScenario:
    """A validated scenario, its policy, and what identifies both in the outputs."""

    path: Path
    scenario: Scenario
    policy: Policy
    scenario_sha256: str  # of the file's bytes
    policy_source: str  # "embedded" | "file:PATH" | "shipped:NAME"
    policy_sha256: str  # of the policy file's bytes, or of the embedded policy's JCS

    def describe_policy(self) -> dict[str, Any]:
        return {
            "source": self.policy_source,
            "sha256": self.policy_sha256,
            "district": self.policy.district,
            "year": self.policy.year,
            "title": self.policy.title,
            "readings": self.policy.readings.to_mapping(),
        }


def _pointer(prefix: str, exc: AllocationInputError) -> str:
    return f"{prefix}{exc.where}" if exc.where else (prefix or "/")


def parse_json(data: bytes, name: str) -> Any:
    """The JSON value in ``data``. Raises RehearsalInputError naming ``name``."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise RehearsalInputError(f"not valid JSON: {exc}", name, "RFC 8259") from None
    except RecursionError:  # pragma: no cover  orjson limits nesting itself
        raise RehearsalInputError("JSON nested too deeply", name, "RFC 8259") from None


def _policy_from_file(path: Path, shown: str) -> tuple[Policy, str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RehearsalInputError(f"cannot read policy file: {exc.strerror}", shown) from None
    try:
        if path.suffix == ".json":
            policy = policy_from_mapping(parse_json(raw, shown))
        else:
            policy = policy_from_text(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise RehearsalInputError("policy file is not UTF-8", shown, "policy format") from None
    except AllocationInputError as exc:
        raise RehearsalInputError(exc.message, f"{shown}: {_pointer('', exc)}", exc.rule) from None
    return policy, hashlib.sha256(raw).hexdigest()


def _shipped(name: str, where: str) -> tuple[Policy, str, str]:
    try:
        text = shipped_policy_text(name)
    except PolicyError:
        raise RehearsalInputError(
            f"no policy file and no shipped policy named {name!r}", where, "scenario format"
        ) from None
    try:
        policy = policy_from_text(text)
    except AllocationInputError as exc:  # pragma: no cover  the shipped files are tested
        raise RehearsalInputError(exc.message, f"shipped:{name}{exc.where}", exc.rule) from None
    return policy, f"shipped:{name}", hashlib.sha256(text.encode("utf-8")).hexdigest()


def resolve_policy(
    data: dict[str, Any], base: Path, shown: str, override: Path | None = None
) -> tuple[Policy, str, str]:
    """(policy, source, sha256) for a scenario mapping. Raises RehearsalInputError."""
    if override is not None:
        policy, digest = _policy_from_file(override, str(override))
        return policy, f"file:{override}", digest
    spec = data.get("policy") or {}
    if "embedded" in spec:
        embedded = spec["embedded"]
        where = f"{shown}: /policy/embedded"
        if not isinstance(embedded, dict):
            raise RehearsalInputError("must be an object (the policy file's data)", where)
        try:
            policy = policy_from_mapping(embedded)
            digest = hashlib.sha256(canonical_json(embedded)).hexdigest()
        except AllocationInputError as exc:
            raise RehearsalInputError(
                exc.message, f"{shown}: {_pointer('/policy/embedded', exc)}", exc.rule
            ) from None
        except ValueError as exc:  # canonical_json: floats or other values outside JCS
            raise RehearsalInputError(str(exc), where, "policy format") from None
        return policy, "embedded", digest
    if "path" in spec:
        named = spec["path"]
        where = f"{shown}: /policy/path"
        if type(named) is not str or not named:
            raise RehearsalInputError("must be a non-empty file path", where, "scenario format")
        path = base / named
        if path.is_file():
            policy, digest = _policy_from_file(path, str(path))
            return policy, f"file:{named}", digest
        return _shipped(Path(named).stem, where)
    return _shipped(f"{data.get('district')}-{data.get('year')}", f"{shown}: /policy")


def load_scenario(path: Path, policy_path: Path | None = None) -> LoadedScenario:
    """Read, validate and resolve a scenario file. Raises RehearsalInputError (nothing else
    on bad input): unreadable file, not JSON, a value the scenario format rejects, a
    policy that does not load, or a scenario and policy of different districts or years."""
    shown = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RehearsalInputError(f"cannot read: {exc.strerror}", shown) from None
    with collector_paused():  # one acyclic value per field of every record
        return _load(path, raw, policy_path)


def _load(path: Path, raw: bytes, policy_path: Path | None) -> LoadedScenario:
    shown = str(path)
    data = parse_json(raw, shown)
    try:
        scenario = scenario_from_mapping(data)
    except AllocationInputError as exc:
        raise RehearsalInputError(exc.message, f"{shown}: {_pointer('', exc)}", exc.rule) from None
    except (TypeError, KeyError, IndexError, ValueError) as exc:
        # allocation names every value it rejects; anything else is still bad input,
        # reported without a pointer rather than as a traceback.
        raise RehearsalInputError(
            f"scenario not accepted: {type(exc).__name__}: {exc}", shown, "scenario format"
        ) from None
    if not isinstance(data, dict):  # pragma: no cover  scenario_from_mapping accepted it
        raise RehearsalInputError("must be an object", f"{shown}: /", "scenario format")
    policy, source, digest = resolve_policy(data, path.parent, shown, policy_path)
    if (policy.district, policy.year) != (scenario.district, scenario.year):
        raise RehearsalInputError(
            f"scenario is {scenario.district}/{scenario.year}, policy ({source}) is "
            f"{policy.district}/{policy.year}",
            f"{shown}: /district",
            "a scenario runs under its own district's policy for that year",
        )
    if not policy.plan(scenario.stage):
        raise RehearsalInputError(
            f"the policy has no rounds for the {scenario.stage.value} stage",
            f"{shown}: /stage",
            "policy format",
        )
    return LoadedScenario(
        path=path,
        scenario=scenario,
        policy=policy,
        scenario_sha256=hashlib.sha256(raw).hexdigest(),
        policy_source=source,
        policy_sha256=digest,
    )
