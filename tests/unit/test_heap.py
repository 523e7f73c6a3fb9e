"""Garbage-collector settings of a started process."""

from __future__ import annotations

import gc

import pytest

from services.heap import settle_heap


@pytest.mark.usefixtures("restored_gc")
def test_start_up_objects_are_frozen_and_young_collections_rarer() -> None:
    """After start-up the heap is frozen and gen 0 waits for 10,000 allocations."""
    older = gc.get_threshold()[1:]

    settle_heap()

    assert gc.get_freeze_count() > 0
    assert (10_000, *older) == gc.get_threshold()
