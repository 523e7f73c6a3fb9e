"""A persistent (immutable, cheaply updated) string-keyed mapping for aggregate state.

`evolve` runs once per event in every processor restore and api replica, so copying a map of
thousands of users, keys, workloads or sessions per event would dominate replay. A `PMap` is a
hash array mapped trie (`immutables.Map`, the structure behind `contextvars`): an update copies
one node per level, O(log n), so folding 100,000 workloads into one account stays linear.
(It replaced 64 hash buckets, where each update copied about 1/64 of the map: folding 100k
workloads of one account was quadratic.) Iteration order is by hash, not insertion: nothing
may depend on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import immutables

V = TypeVar("V")
_EMPTY: immutables.Map[str, Any] = immutables.Map()


class PMap(Mapping[str, V]):
    """An immutable mapping; `set` and `remove` return a new map sharing most of this one."""

    __slots__ = ("_map",)

    def __init__(self, trie: immutables.Map[str, V] | None = None) -> None:
        self._map: immutables.Map[str, V] = trie if trie is not None else _EMPTY

    @classmethod
    def of(cls, mapping: Mapping[str, V]) -> PMap[V]:
        """A `PMap` with the items of `mapping` (itself when it is one)."""
        if isinstance(mapping, PMap):
            return mapping
        return cls(immutables.Map(mapping))

    def __getitem__(self, key: str) -> V:
        return self._map[key]

    def get(self, key: str, default: V | None = None) -> V | None:  # type: ignore[override]
        """The value of `key`, or `default`."""
        return self._map.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._map

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)

    def set(self, key: str, value: V) -> PMap[V]:
        """A map with `key` bound to `value`."""
        return PMap(self._map.set(key, value))

    def remove(self, key: str) -> PMap[V]:
        """A map without `key` (this one if `key` is absent)."""
        if key not in self._map:
            return self
        return PMap(self._map.delete(key))

    def __repr__(self) -> str:
        return f"PMap({dict(self.items())!r})"


def updated(mapping: Mapping[str, V], key: str, value: V | None) -> PMap[V]:
    """`mapping` with `key` set to `value`, or removed when `value` is None."""
    pmap = PMap.of(mapping)
    return pmap.remove(key) if value is None else pmap.set(key, value)
