"""Spacing commands out to a maximum rate, with a short burst allowed."""

from __future__ import annotations

import asyncio
import time


class Pace:
    """At most `rate` calls of `wait()` return per second (after a burst of `rate / 10`)."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._burst = max(1.0, rate / 10) * self._interval
        self._next = time.monotonic()

    async def wait(self) -> None:
        """Return when the next call may go."""
        now = time.monotonic()
        at = max(self._next, now - self._burst)
        self._next = at + self._interval
        if at > now:
            await asyncio.sleep(at - now)
