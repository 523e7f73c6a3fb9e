"""Postgres stopped for 20 s under load, then started again (ARCHITECTURE.md §1)."""

from __future__ import annotations

import asyncio
import time

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
from tests.faults.stack import PrivateStack

OUTAGE_SECONDS = 20
# Commands, authentication and workload credentials never touch Postgres; reads do.
NEEDS_NO_DATABASE = {"create_user", "key_churn", "key_toggle", "assume_role", "session_token",
                     "session_call", "authenticate", "authorize", "denied",
                     "workload_credentials", "workload_call"}


async def test_commands_and_authentication_survive_a_database_outage(
        private_stack: PrivateStack, cluster: Cluster, traffic: Traffic,
        fault_settings: Settings, fault_db: asyncpg.Connection) -> None:
    """While Postgres is down every command and authentication still answers as usual, reads
    answer ServiceUnavailable; afterwards the read models catch up and match a replay."""
    await traffic.progress(40)
    await private_stack.stop_postgres()
    down_since = time.monotonic()
    await asyncio.sleep(OUTAGE_SECONDS)
    down_until = time.monotonic()
    await private_stack.start_postgres()
    await traffic.progress(60, timeout=120)
    sent = await traffic.finish()
    assert [] == cluster.crashed()
    await check_workloads_and_scheduler(cluster, fault_settings, sent,
                                        traffic.load.account.workloads)

    during = [s for s in sent if down_since <= s.started and s.started + s.seconds <= down_until]
    working = [s for s in during if s.op in NEEDS_NO_DATABASE]
    assert len(working) >= 20, f"only {len(working)} requests during the outage"
    assert [] == [s for s in working if s.status in (0, 503) or s.status >= 500]
    assert any(s.ok and s.expects for s in working), "no command succeeded during the outage"
    assert {"authenticate", "session_call", "workload_credentials", "workload_call"} <= {
        s.op for s in working if s.ok}
    reads = {(s.status, s.code) for s in during if s.op == "read"}
    assert reads <= {(200, ""), (503, "ServiceUnavailable")}, reads

    await check_log(fault_settings, sent)
    db = await asyncpg.connect(fault_settings.database_url.get_secret_value())
    try:
        assert await check_read_models(fault_settings, db) > 0
        await asyncio.to_thread(cluster.stop)
        await check_no_secrets(fault_settings, db, cluster.logs(), traffic.load.secrets)
    finally:
        await db.close()
