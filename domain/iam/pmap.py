"""A persistent (immutable, cheaply updated) string-keyed mapping for aggregate state.

`evolve` runs once per event in every processor restore and api replica, so copying a map of
thousands of users or keys per event would dominate replay. A `PMap` spreads its entries over
64 buckets by hash: an update copies the bucket tuple and one bucket, about 1/64 of the map.
Iteration order is by bucket, not insertion: nothing may depend on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TypeVar

V = TypeVar("V")
_BUCKETS = 64
_MASK = _BUCKETS - 1
_EMPTY: dict[str, object] = {}


class PMap(Mapping[str, V]):
    """An immutable mapping; `set` and `remove` return a new map sharing most of this one."""

    __slots__ = ("_buckets", "_len")

    def __init__(self, buckets: tuple[dict[str, V], ...] | None = None, length: int = 0) -> None:
        self._buckets: tuple[dict[str, V], ...] = (
            buckets if buckets is not None else (_EMPTY,) * _BUCKETS)  # type: ignore[assignment]
        self._len = length

    @classmethod
    def of(cls, mapping: Mapping[str, V]) -> PMap[V]:
        """A `PMap` with the items of `mapping` (itself when it is one)."""
        if isinstance(mapping, PMap):
            return mapping
        buckets: list[dict[str, V]] = [{} for _ in range(_BUCKETS)]
        for key, value in mapping.items():
            buckets[hash(key) & _MASK][key] = value
        return cls(tuple(buckets), len(mapping))

    def __getitem__(self, key: str) -> V:
        return self._buckets[hash(key) & _MASK][key]

    def get(self, key: str, default: V | None = None) -> V | None:  # type: ignore[override]
        """The value of `key`, or `default`."""
        return self._buckets[hash(key) & _MASK].get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._buckets[hash(key) & _MASK]

    def __iter__(self) -> Iterator[str]:
        for bucket in self._buckets:
            yield from bucket

    def __len__(self) -> int:
        return self._len

    def set(self, key: str, value: V) -> PMap[V]:
        """A map with `key` bound to `value`."""
        index = hash(key) & _MASK
        bucket = dict(self._buckets[index])
        grown = key not in bucket
        bucket[key] = value
        return PMap(self._replaced(index, bucket), self._len + grown)

    def remove(self, key: str) -> PMap[V]:
        """A map without `key` (this one if `key` is absent)."""
        index = hash(key) & _MASK
        if key not in self._buckets[index]:
            return self
        bucket = dict(self._buckets[index])
        del bucket[key]
        return PMap(self._replaced(index, bucket), self._len - 1)

    def _replaced(self, index: int, bucket: dict[str, V]) -> tuple[dict[str, V], ...]:
        buckets = self._buckets
        return (*buckets[:index], bucket, *buckets[index + 1:])

    def __repr__(self) -> str:
        return f"PMap({dict(self.items())!r})"


def updated(mapping: Mapping[str, V], key: str, value: V | None) -> PMap[V]:
    """`mapping` with `key` set to `value`, or removed when `value` is None."""
    pmap = PMap.of(mapping)
    return pmap.remove(key) if value is None else pmap.set(key, value)
