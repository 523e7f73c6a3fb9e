"""SIGKILL of each role in turn under a steady mixed load, then a restart."""

from __future__ import annotations

import asyncio

import asyncpg

from services.settings import Settings
from tests.faults.checks import (
    check_log,
    check_no_secrets,
    check_read_models,
    check_workloads_and_scheduler,
)
from tests.faults.cluster import Cluster
from tests.faults.conftest import Traffic


async def test_sigkill_each_role_in_turn(cluster: Cluster, traffic: Traffic,
                                         fault_settings: Settings,
                                         fault_db: asyncpg.Connection) -> None:
    """Nothing acknowledged is lost or doubled; the read models equal a replay of the log;
    workloads keep valid credentials and no session is renewed twice."""
    await traffic.progress(60)
    for role in ("processor", "projector", "scheduler", "api"):
        await cluster.crash_and_restart(role)
        await traffic.progress(60)
    sent = await traffic.finish()
    assert [] == cluster.crashed()
    await check_workloads_and_scheduler(cluster, fault_settings, sent,
                                        traffic.load.account.workloads)

    counts = await check_log(fault_settings, sent)
    assert counts["acknowledged"] >= 100, counts
    assert counts["refused"] >= 5, counts
    assert await check_read_models(fault_settings, fault_db) > 0
    secrets = traffic.load.secrets
    assert len(secrets) > 20  # the root's, the users', every session's secret and token
    await asyncio.to_thread(cluster.stop)  # every log line is written
    await check_no_secrets(fault_settings, fault_db, cluster.logs(), secrets)
