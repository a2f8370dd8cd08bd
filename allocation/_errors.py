"""Errors of the allocation package: each carries a JSON pointer and the rule broken."""

from __future__ import annotations


def pointer_token(key: object) -> str:
    """One reference token of a JSON pointer (RFC 6901 §3): ``~`` as ``~0``, ``/`` as ``~1``."""
    return str(key).replace("~", "~0").replace("/", "~1")


class AllocationInputError(ValueError):
    """Base: a policy or scenario value is malformed.

    ``where`` is a JSON pointer to the offending value (empty when unknown);
    ``rule`` names the format rule or policy section it breaks.
    """

    def __init__(self, message: str, where: str = "", rule: str = "") -> None:
        self.message = message
        self.where = where
        self.rule = rule
        text = f"{where}: {message}" if where else message
        super().__init__(f"{text} ({rule})" if rule else text)


class PolicyError(AllocationInputError):
    """The policy file is malformed or incomplete."""


class ScenarioError(AllocationInputError):
    """The scenario (schools, zones, applicants, choices) is malformed or inconsistent."""


class AllocationError(RuntimeError):
    """A round cannot be run as planned (e.g. missing contributions for a round)."""

    def __init__(self, message: str, round_id: str = "") -> None:
        self.round_id = round_id
        super().__init__(f"round {round_id}: {message}" if round_id else message)
