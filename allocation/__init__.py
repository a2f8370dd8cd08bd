"""Policy model and allocation engine: the district's admission policy as rounds of draws.

Pure: no clock, no environment, no file I/O (the shipped policy file is read with
``importlib.resources``). NumPy columns throughout; each round is one protocol
draw made with :mod:`lottery`.
"""

from allocation._errors import AllocationError, AllocationInputError, PolicyError, ScenarioError
from allocation.compare import compare_round
from allocation.eligibility import (
    ADDRESS_DECISIONS,
    RULES,
    UNMET,
    Address,
    Routing,
    Rule,
    Target,
    route,
)
from allocation.engine import (
    REHEARSAL_CONTRIBUTION_RULE,
    REHEARSAL_CONTRIBUTION_TAG,
    AllocationResult,
    ContributionSource,
    Outcome,
    RoundRecord,
    SchoolRound,
    draw_id_of,
    rehearsal_contribution_value,
    rehearsal_contributions,
    run_plan,
)
from allocation.explain import Attempt, Explainer, Explanation, RoundExplanation, explain
from allocation.generator import generate_district, generate_junior_district
from allocation.policy import (
    READING_SPECS,
    Policy,
    Readings,
    RoundKind,
    RoundSpec,
    SchoolKind,
    Stage,
    policy_from_mapping,
    policy_from_text,
    shipped_policy,
    shipped_policy_text,
)
from allocation.reporter import Reporter
from allocation.scenario import (
    SCENARIO_FORMAT,
    SCENARIO_FORMATS,
    Applicants,
    Scenario,
    School,
    Zone,
    embedded_policy,
    scenario_from_mapping,
    scenario_to_mapping,
)

__all__ = [
    "ADDRESS_DECISIONS",
    "READING_SPECS",
    "REHEARSAL_CONTRIBUTION_RULE",
    "REHEARSAL_CONTRIBUTION_TAG",
    "RULES",
    "SCENARIO_FORMAT",
    "SCENARIO_FORMATS",
    "UNMET",
    "Address",
    "AllocationError",
    "AllocationInputError",
    "AllocationResult",
    "Applicants",
    "Attempt",
    "ContributionSource",
    "Explainer",
    "Explanation",
    "Outcome",
    "Policy",
    "PolicyError",
    "Readings",
    "Reporter",
    "RoundExplanation",
    "RoundKind",
    "RoundRecord",
    "RoundSpec",
    "Routing",
    "Rule",
    "Scenario",
    "ScenarioError",
    "School",
    "SchoolKind",
    "SchoolRound",
    "Stage",
    "Target",
    "Zone",
    "compare_round",
    "draw_id_of",
    "embedded_policy",
    "explain",
    "generate_district",
    "generate_junior_district",
    "policy_from_mapping",
    "policy_from_text",
    "rehearsal_contribution_value",
    "rehearsal_contributions",
    "route",
    "run_plan",
    "scenario_from_mapping",
    "scenario_to_mapping",
    "shipped_policy",
    "shipped_policy_text",
]
