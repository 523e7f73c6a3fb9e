"""The real clock and randomness handed to pure domain code."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Tells the time; tests inject a fixed one."""

    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...


class SystemClock:
    """Wall-clock UTC time."""

    def now(self) -> datetime:
        """The current moment in UTC."""
        return datetime.now(UTC)


class SystemRandom:
    """Unpredictable bytes from the OS (satisfies `domain.ids.IdSource`)."""

    def random_bytes(self, n: int) -> bytes:
        """n bytes from `secrets`."""
        return secrets.token_bytes(n)
