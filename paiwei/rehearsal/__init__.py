"""Rehearsal (模拟派位): a whole season from one scenario file, with throwaway seeds.

The use case behind ``paiwei rehearse``: load and validate a scenario file
(:mod:`~paiwei.rehearsal.loading`), resolve its policy, run eligibility, routing
and every round through :mod:`allocation` in memory under ``rehearsal/`` draw ids
(:mod:`~paiwei.rehearsal.season`), or many runs for a staff-only forecast
(:mod:`~paiwei.rehearsal.forecast`), and write the outputs atomically
(:mod:`~paiwei.rehearsal.output`). No database, no web server.
"""

from paiwei.rehearsal.errors import RehearsalInputError
from paiwei.rehearsal.forecast import FORECAST_FORMAT, STAFF_NOTE, forecast, run_seed, wilson
from paiwei.rehearsal.loading import LoadedScenario, load_scenario, parse_json, resolve_policy
from paiwei.rehearsal.output import check_target, write_file, write_tree
from paiwei.rehearsal.season import (
    KEY_TAG,
    REHEARSAL_FORMAT,
    SIGNER,
    Rehearsal,
    dump,
    dump_rows,
    rehearse,
    run_season,
    throwaway_key,
)

__all__ = [
    "FORECAST_FORMAT",
    "KEY_TAG",
    "REHEARSAL_FORMAT",
    "SIGNER",
    "STAFF_NOTE",
    "LoadedScenario",
    "Rehearsal",
    "RehearsalInputError",
    "check_target",
    "dump",
    "dump_rows",
    "forecast",
    "load_scenario",
    "parse_json",
    "rehearse",
    "resolve_policy",
    "run_season",
    "run_seed",
    "throwaway_key",
    "wilson",
    "write_file",
    "write_tree",
]
