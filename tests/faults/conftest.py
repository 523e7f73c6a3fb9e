"""Fixtures of the fault suite: a private Kafka + Postgres, roles as processes, a mixed load.

Tests here stop brokers and databases, so they never use the shared dev stack: the session
starts a stack of its own on free loopback ports under a temporary state directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from events.topics import ensure_topics
from services.bench.common import scratch_database
from services.bench.mixed import Load, Principal, Sent, bind_workloads, prepare, run_load
from services.cli.accounts import create_account
from services.settings import Settings
from tests.faults.cluster import Cluster
from tests.faults.stack import PrivateStack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Fault tests wait out outages on a busy machine: 10 minutes each, not the default 5."""
    for item in items:
        if "faults" in item.path.parts:
            item.add_marker(pytest.mark.timeout(600))


# Workload sessions this short are renewed (at about half their lifetime) and expired by the
# scheduler during each test; their renewal margin (about a minute) outlasts the broker outage
# with its restart under load (up to a minute on a busy machine: 60 s sessions had expired).
WORKLOAD_SESSION_SECONDS = 120
WORKLOADS = 3


@pytest.fixture(scope="session")
def private_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateStack]:
    """Kafka and Postgres of this session only (stopped and removed at its end)."""
    stack = PrivateStack.create(tmp_path_factory.mktemp("stack"))
    try:
        stack.up()
        yield stack
    finally:
        stack.destroy()


@pytest.fixture
async def fault_settings(private_stack: PrivateStack) -> AsyncIterator[Settings]:
    """This test's own topics and database on the private stack."""
    base = private_stack.settings
    async with scratch_database(base.database_url.get_secret_value(), "fault") as url:
        settings = base.model_copy(update={
            "topic_prefix": f"f{uuid.uuid4().hex[:10]}",
            "database_url": base.database_url.__class__(url),
            "workload_session_seconds": WORKLOAD_SESSION_SECONDS,
        })
        await ensure_topics(settings)
        yield settings
        # A test that stopped Postgres has started it again; the drop needs it.


@pytest.fixture
async def fault_db(fault_settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A connection to this test's database (tests that stop Postgres reconnect)."""
    conn = await asyncpg.connect(fault_settings.database_url.get_secret_value())
    yield conn
    with contextlib.suppress(Exception):
        await conn.close()


@pytest.fixture
async def cluster(fault_settings: Settings, tmp_path) -> AsyncIterator[Cluster]:  # type: ignore[no-untyped-def]
    """Processor, projector, scheduler and api as four processes, ready."""
    running = Cluster(fault_settings, tmp_path)
    try:
        await running.start_all()
        yield running
    finally:
        await asyncio.to_thread(running.stop)


@dataclass
class Traffic:
    """A mixed load running in the background of a test."""

    load: Load
    stop: asyncio.Event
    task: asyncio.Task[int]
    setup: list[Sent]

    @property
    def sent(self) -> list[Sent]:
        """Every request so far, the setup's included."""
        return [*self.setup, *self.load.sent]

    def since(self, moment: float) -> list[Sent]:
        """Requests started at or after `moment` (time.monotonic())."""
        return [sent for sent in self.load.sent if sent.started >= moment]

    async def progress(self, count: int, *, ok_only: bool = True, commands: bool = False,
                       timeout: float = 90) -> None:
        """Wait until `count` more requests have been answered (200 unless `ok_only` is off;
        only acknowledged commands, which need their partition's processor, with `commands`)."""
        def done() -> int:
            return sum(1 for s in self.load.sent
                       if (s.ok or not ok_only) and (s.expects or not commands))
        target = done() + count
        deadline = asyncio.get_running_loop().time() + timeout
        while done() < target:
            assert not self.task.done(), self.task
            assert asyncio.get_running_loop().time() < deadline, \
                f"load stalled at {done()}/{target}"
            await asyncio.sleep(0.05)

    async def finish(self) -> list[Sent]:
        """Stop the workers (each finishes its request in flight); return every request."""
        self.stop.set()
        await self.task
        return self.sent


@pytest.fixture
async def traffic(cluster: Cluster, fault_settings: Settings) -> AsyncIterator[Traffic]:
    """A fresh account with bound workloads and a mixed load on it through the cluster's api,
    8 workers."""
    account_id = f"{random.randrange(10**11, 10**12)}"
    created = await create_account(fault_settings, account_id)
    root = Principal(created["AccessKeyId"], created["SecretAccessKey"])
    # Long enough for the api's own 10 s reply timeout: a 503 comes from the api, not from us.
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=16)) as client:
        account, setup = await prepare(client, cluster.url, account_id, root)
        binder = Load(client, cluster.url, account)
        account.workloads = await bind_workloads(fault_settings, binder, WORKLOADS)
        load = Load(client, cluster.url, account)
        load.secrets |= binder.secrets
        stop = asyncio.Event()
        task = asyncio.create_task(run_load(load, stop, workers=8))
        running = Traffic(load, stop, task, [*setup, *binder.sent])
        try:
            yield running
        finally:
            stop.set()
            with contextlib.suppress(Exception):
                await task
