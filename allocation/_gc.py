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

When the block ends, what it built is moved to the oldest generation without a pass
over it (``gc.freeze()`` then ``gc.unfreeze()``: two list splices). Left in the
youngest generation, the first collection after the block would walk every object
built in it (millions at 1M applicants), then the middle generation's pass would walk
them again, and the survivors counted into the oldest generation would soon set off a
full pass: the "catch-up" that cost about a second at 1M (docs/benchmarks.md). Those
objects are acyclic, so the walks free nothing; a cycle made in the block (or left in
the young generations by the caller) is still freed, by the next full collection. Done
only when nothing else is frozen (``gc.get_freeze_count() == 0``), so that a caller's
own frozen objects (a pre-fork server's) are never unfrozen.
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
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
