"""`iamlog dev up | status` against the real stack: both components, idempotence, settings."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.devstack import stack
from services.devstack.status import State
from services.settings import Settings

pytestmark = pytest.mark.integration


def dev(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `iamlog dev <args>` as a user would, in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "dev", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.fixture(scope="module")
def settings() -> Settings:
    """Settings of a stack that `iamlog dev up` has brought up."""
    done = dev("up")
    assert done.returncode == 0, done.stderr
    return Settings()


@pytest.fixture
async def scratch_topic(settings: Settings) -> AsyncIterator[str]:
    """A one-partition topic of its own, deleted afterwards."""
    name = f"{settings.topic_prefix}.devstack-test-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])
        yield name
        await admin.delete_topics([name])
    finally:
        await admin.close()


def test_status_reports_both_running_after_up(settings: Settings) -> None:
    """After `up`, status shows our own broker and cluster running, with pids."""
    current = stack.status(settings)

    assert (current.kafka.state, current.postgres.state) == (State.RUNNING, State.RUNNING)
    assert current.kafka.pid is not None
    assert current.postgres.pid is not None
    done = dev("status")
    assert done.returncode == 0
    assert f"pid {current.kafka.pid}" in done.stdout


def test_second_up_is_fast_and_changes_nothing(settings: Settings) -> None:
    """A warm `up` takes under 30 s and leaves the running processes alone."""
    before = stack.status(settings)

    started = time.monotonic()
    done = dev("up")
    elapsed = time.monotonic() - started

    assert done.returncode == 0, done.stderr
    assert elapsed < 30
    after = stack.status(settings)
    assert (before.kafka.pid, before.postgres.pid) == (after.kafka.pid, after.postgres.pid)


async def test_broker_commits_a_transaction(settings: Settings, scratch_topic: str) -> None:
    """The single-node transaction settings let a transactional producer commit."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        transactional_id=f"devstack-test-{uuid.uuid4().hex}",
    )
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send_and_wait(scratch_topic, b"committed")
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        scratch_topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=10_000, max_records=1)
    finally:
        await consumer.stop()
    assert [record.value for records in batch.values() for record in records] == [b"committed"]


async def test_postgres_accepts_the_iamlog_login(settings: Settings) -> None:
    """The role and database of IAMLOG_DATABASE_URL exist and the password works over TCP."""
    connection = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        row = await connection.fetchrow("SELECT current_user, current_database()")
    finally:
        await connection.close()

    assert tuple(row) == ("iamlog", "iamlog")
