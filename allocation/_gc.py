"""Pausing Python's cyclic garbage collector around bulk construction of acyclic values.

The engine and the explainer build hundreds of thousands of small frozen values at
once (protocol records, attempts, explanations): dicts, tuples and dataclasses of
text and integers that never form reference cycles, so the cyclic collector can
free none of them. Left on, it runs a pass every few hundred allocations and a full
pass each time the heap has grown by a quarter, over every object built so far:
at 100,000 applicants and more that costs more than the construction itself (see
docs/benchmarks.md). Reference counting still frees everything as usual; the
collector is switched back on (if it was on) when the block ends, also on error.

It is process-wide: another thread's cycles wait until the block ends, which is
bounded by the block (a round's records, a round's explanations).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic GC inside the block; restore its previous state after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
