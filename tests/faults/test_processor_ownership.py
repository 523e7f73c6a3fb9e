"""Partitions moving between processors mid-load, and a zombie processor that is fenced."""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import UTC, datetime

import asyncpg
from aiokafka.partitioner import DefaultPartitioner

from services.projector.migrate import LIVE_SCHEMA
from services.settings import Settings
from tests.faults.checks import check_log, check_read_models, check_workloads_and_scheduler
from tests.faults.cluster import Cluster
from tests.faults.conftest import Traffic
from tests.integration.harness import RoleProcess, eventually

# aiokafka's default consumer session timeout is 10 s: a silent member is out of the group then.
PAUSE_SECONDS = 15
# The owner freezes this long before the first workload renewal falls due, so renewals are sent
# to a frozen processor and decided by the one that takes its partitions over.
FREEZE_BEFORE_RENEWAL = 2.0


def log_lines(process: RoleProcess) -> list[dict[str, object]]:
    """The process's structured log lines."""
    return [json.loads(line) for line in process.log_text().splitlines()
            if line.startswith("{")]


def owner(processors: list[RoleProcess], partition: int) -> RoleProcess:
    """The processor that acquired `partition` last (by its log)."""
    acquired = [(line["timestamp"], n) for n, process in enumerate(processors)
                for line in log_lines(process)
                if line.get("event") == "partition acquired" and line["partition"] == partition]
    return processors[max(acquired)[1]]


def acquisitions(process: RoleProcess) -> int:
    """How many partition acquisitions `process` has logged."""
    return sum(1 for line in log_lines(process) if line.get("event") == "partition acquired")


async def until_renewals_due(db: asyncpg.Connection) -> None:
    """Sleep until `FREEZE_BEFORE_RENEWAL` seconds before the first workload renewal is due."""
    first = await db.fetchval(
        f"SELECT min(renew_at) FROM {LIVE_SCHEMA}.sessions"  # noqa: S608
        " WHERE state = 'active' AND renew_at IS NOT NULL")
    assert first is not None, "no workload session is due for renewal"
    wait = (first - datetime.now(UTC)).total_seconds() - FREEZE_BEFORE_RENEWAL
    await asyncio.sleep(max(0.0, wait))


def fenced(process: RoleProcess, partition: int) -> bool:
    """Whether `process` logged a failed (fenced) transaction on `partition`."""
    return any(line.get("event") == "transaction failed; restoring partition"
               and line["partition"] == partition
               for line in log_lines(process))


async def test_rebalance_then_zombie_processor_is_fenced(
        cluster: Cluster, traffic: Traffic, fault_settings: Settings,
        fault_db: asyncpg.Connection) -> None:
    """A second processor takes half the partitions; then the owner of the busy partition
    freezes (SIGSTOP), loses its partitions to the other, and wakes up (SIGCONT) believing it
    still owns them: its transactions are fenced, so no command is applied twice or lost."""
    await traffic.progress(40)
    second = cluster.start("processor")  # joins the group: partitions move mid-load
    await cluster.ready(second)
    await traffic.progress(60)
    await until_renewals_due(fault_db)

    busy = DefaultPartitioner()(traffic.load.account.account_id.encode(),
                                list(range(fault_settings.partitions)), [])
    zombie = owner(cluster.running("processor"), busy)
    assert zombie.process is not None
    assert not fenced(zombie, busy)
    acquired_before = acquisitions(zombie)
    zombie.process.send_signal(signal.SIGSTOP)
    try:
        await asyncio.sleep(PAUSE_SECONDS)
        await traffic.progress(40, timeout=120)  # the second processor serves every partition
    finally:
        zombie.process.send_signal(signal.SIGCONT)
    # Woken up, it may try to commit what it had fetched and be fenced, or learn from the group
    # that it was dropped first; either way it rejoins as a new member and is given partitions
    # again. The log checks below prove that none of its decisions were applied twice.
    async def acquired() -> int:
        return acquisitions(zombie)

    await eventually(acquired, lambda count: count > acquired_before, timeout=60, interval=0.5)
    # After that rebalance the busy partition decides commands again, whoever owns it.
    await traffic.progress(60, commands=True, timeout=120)
    sent = await traffic.finish()
    assert [] == cluster.crashed()
    assert zombie.process.poll() is None, zombie.log_text()[-3000:]
    await check_workloads_and_scheduler(cluster, fault_settings, sent,
                                        traffic.load.account.workloads)

    counts = await check_log(fault_settings, sent)
    assert counts["acknowledged"] >= 100, counts
    assert await check_read_models(fault_settings, fault_db) > 0
