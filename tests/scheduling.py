"""How ``make test`` (``pytest -n N --dist loadfile``) hands test files to the xdist workers.

pytest-xdist's ``loadfile`` sends each file to one worker (so a module fixture runs once)
and sends the files with the most tests first. Two changes, both about where and when a
file runs, never about what it runs:

- Files that share a costly session fixture form one unit (``SAME_WORKER``): the whole
  demo is run once for ``test_demo.py`` and ``test_reports_demo.py``.
- The units are sent longest first, by the seconds they took in this checkout's last run
  (kept in pytest's cache, ``.pytest_cache``), else by ``KNOWN_SLOW`` and then by their
  number of tests. A long file started last would keep one worker busy while the others
  have finished.

``--dist loadgroup`` would do the first, but xdist 3.8 marks a group by rewriting
``item._nodeid``, which pytest 9.2 no longer reads; a scheduler from the documented hook
``pytest_xdist_make_scheduler`` does not depend on that.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

CACHE_KEY = "paiwei/seconds-per-unit"

# file -> the file whose worker runs it (both use the session fixture ``demo_run``).
SAME_WORKER = {
    "tests/integration/test_reports_demo.py": "tests/integration/test_demo.py",
}

# Without a cache (a fresh clone): files that took the longest in a measured run, longest
# first (docs/benchmarks.md, "Developer loop"). Any order is correct; this one ends sooner.
KNOWN_SLOW = (
    "tests/integration/test_demo.py",
    "tests/integration/rounds/test_beacon_season.py",
    "tests/integration/test_api_fuzz.py",
    "tests/unit/lottery/test_mechanisms.py",
    "tests/integration/test_route_scope.py",
    "tests/integration/choices/test_windows_and_choices.py",
    "tests/e2e/test_parent_journey.py",
    "tests/integration/test_security.py",
    "tests/integration/intake/test_registration_rules.py",
    "tests/integration/rounds/test_crash.py",
    "tests/integration/rounds/test_lifecycle.py",
    "tests/unit/lottery/test_canonical.py",
)


def unit_of(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return SAME_WORKER.get(path, path)


class FileUnitScheduling(LoadScopeScheduling):
    """``loadfile`` with ``SAME_WORKER`` units, sent longest first."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        cache = getattr(config, "cache", None)  # absent with -p no:cacheprovider
        cached = cache.get(CACHE_KEY, None) if cache is not None else None
        self.seconds: dict[str, float] = cached if isinstance(cached, dict) else {}

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)

    def _order(self, units: dict[str, dict[str, bool]]) -> list[str]:
        def key(unit: str) -> tuple[float, int, int]:
            known = KNOWN_SLOW.index(unit) if unit in KNOWN_SLOW else len(KNOWN_SLOW)
            return (-float(self.seconds.get(unit, 0.0)), known, -len(units[unit]))

        return sorted(units, key=key)

    def schedule(self) -> None:
        # LoadScopeScheduling.schedule (xdist 3.8) with the order of _order.
        assert self.collection_is_completed
        if self.collection is not None:
            for node in self.nodes:
                self._reschedule(node)
            return
        if not self._check_nodes_have_same_collection():
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = list(next(iter(self.registered_collections.values())))
        if not self.collection:
            return
        units: dict[str, dict[str, bool]] = {}
        for nodeid in self.collection:
            units.setdefault(self._split_scope(nodeid), {})[nodeid] = False
        for unit in self._order(units):
            self.workqueue[unit] = units[unit]
        for _ in range(len(self.nodes) - len(self.workqueue)):
            unused_node, _assigned = self.assigned_work.popitem()
            unused_node.shutdown()
        for node in self.nodes:
            self._assign_work_unit(node)
        for node in self.nodes:
            self._reschedule(node)
        if not self.workqueue:
            for node in self.nodes:
                node.shutdown()


class UnitTimes:
    """In the controlling process: the seconds each unit took, saved at the end of the run."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[unit_of(report.nodeid)] += report.duration

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        cache = getattr(self.config, "cache", None)
        if cache is None or not self.seconds:
            return
        saved = cache.get(CACHE_KEY, None)
        merged = dict(saved) if isinstance(saved, dict) else {}
        merged.update({unit: round(s, 2) for unit, s in self.seconds.items()})
        cache.set(CACHE_KEY, merged)
