"""Fixtures shared by every test layer.

Integration tests get a Postgres database of their own (created, migrated, dropped) and a topic
prefix of their own, so they never see each other's events or rows.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from events.topics import scratch_topics
from services.bench.common import scratch_database
from services.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by folder, so `-m "not integration"` runs the fast ones only."""
    for item in items:
        path = Path(str(item.fspath))
        if "integration" in path.parts or "faults" in path.parts:
            item.add_marker(pytest.mark.integration)
        if "e2e" in path.parts:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    """A fresh, migrated database for one test."""
    async with scratch_database(Settings().database_url.get_secret_value(), "test") as url:
        yield url


@pytest.fixture
async def settings(database_url: str) -> AsyncIterator[Settings]:
    """Settings naming this test's own topics and database; the topics exist (and are
    deleted after the test)."""
    configured = Settings(
        topic_prefix=f"t{uuid.uuid4().hex[:10]}",
        database_url=database_url,  # type: ignore[arg-type]
        partitions=4,
    )
    async with scratch_topics(configured):
        yield configured


@pytest.fixture
def restored_gc() -> Iterator[None]:
    """Puts the collector back as it was: the test process is shared."""
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
