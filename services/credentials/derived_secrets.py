"""Derived secrets remembered in memory for the hot path, only while they can still be used.

Deriving a secret is an HKDF per call, so the api keeps what it derived. An LRU alone keeps a
deleted key's or an expired session's secret until 65,536 newer ones push it out: memory that
grows for hours under churn (the soak saw it), and secrets of dead credentials lingering in
the process. Here every entry carries what its owner needs to tell whether it is still of use
(a session's expiration, a key's salt), and a sweep drops the dead entries once the cache has
doubled since the last one or a minute has passed: amortised O(1) per insert, and the size
stays within a minute's new entries of the live credentials (doubling alone let it swing
between one and two times the live sessions, a slow rise the soak saw as growth).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Tag = TypeVar("Tag")

MIN_SWEEP = 1024  # entries below which no sweep runs
MAX_ENTRIES = 65_536  # live entries beyond this: the oldest go (re-derived when used)
SWEEP_SECONDS = 60.0  # at least this often, while entries are added


class DerivedSecrets(Generic[Key, Tag]):
    """`key` → `derive(key)`, each with a `tag` that `alive(key, tag)` judges when sweeping."""

    def __init__(self, derive: Callable[[Key], str], alive: Callable[[Key, Tag], bool], *,
                 max_entries: int = MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._derive = derive
        self._alive = alive
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[Key, tuple[str, Tag]] = {}
        self._sweep_at = MIN_SWEEP
        self._swept_at = clock()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(self, key: Key, tag: Tag) -> str:
        """The secret of `key`, derived at most once while it is alive."""
        entry = self._entries.get(key)
        if entry is not None:
            return entry[0]
        secret = self._derive(key)
        if (len(self._entries) >= self._sweep_at
                or self._clock() - self._swept_at >= SWEEP_SECONDS):
            self.sweep()
        self._entries[key] = (secret, tag)
        return secret

    def sweep(self) -> None:
        """Drop the dead entries, then the oldest beyond the bound."""
        live = {key: entry for key, entry in self._entries.items()
                if self._alive(key, entry[1])}
        excess = len(live) - self._max_entries // 2
        if len(live) >= self._max_entries and excess > 0:
            for key in list(live)[:excess]:  # dicts keep insertion order: oldest first
                del live[key]
        self._entries = live
        self._sweep_at = min(self._max_entries, max(MIN_SWEEP, 2 * len(live)))
        self._swept_at = self._clock()
