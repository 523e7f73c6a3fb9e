"""Garbage-collector settings for a long-running iamlog process.

Every role allocates many short-lived containers (records, events, rows, requests) that
reference counting frees; the cycle collector mostly re-walks objects that live for the whole
process. After start-up those are frozen out of its reach, and the youngest generation is
collected every 10,000 allocations instead of 700, so a 20,000-event projector batch causes a
few dozen collections rather than over a thousand.
"""

from __future__ import annotations

import gc

_YOUNG_THRESHOLD = 10_000


def settle_heap() -> None:
    """Freeze what start-up allocated and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(_YOUNG_THRESHOLD, older, oldest)
