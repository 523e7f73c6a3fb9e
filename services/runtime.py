"""The real clock and randomness handed to pure domain code."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
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


class OffsetClock:
    """Wall-clock UTC time plus the seconds written in a file, re-read at each call.

    For tests that must see time pass (expirations, renewals) without waiting: the test process
    writes the offset, every role of the server under test reads it.
    """

    def __init__(self, path: Path) -> None:
        self._path = path

    def now(self) -> datetime:
        """The current moment in UTC, shifted by the file's offset (none if unreadable)."""
        try:
            offset = float(self._path.read_text().strip() or 0)
        except (OSError, ValueError):
            offset = 0.0
        return datetime.now(UTC) + timedelta(seconds=offset)


def clock_for(offset_file: Path | None) -> Clock:
    """The clock every role uses: the system's, or a test's shifted one."""
    return SystemClock() if offset_file is None else OffsetClock(offset_file)


class SystemRandom:
    """Unpredictable bytes from the OS (satisfies `domain.ids.IdSource`)."""

    def random_bytes(self, n: int) -> bytes:
        """n bytes from `secrets`."""
        return secrets.token_bytes(n)
