"""`iamlog bench scheduler`: bound workloads whose sessions the scheduler keeps renewing.

Fresh topics and a scratch database; processor, projector and scheduler each run as their own
`iamlog serve --role X` process. The workloads are bound (with the scheduler already running)
with issue times spread over the first 45 % of a lifetime, so renewals (and, one renewal later,
expiries) arrive at the steady rate `workloads / (lifetime / 2)` instead of in one wave; the
hold is measured once every workload is bound and projected. After the hold, the
read model says when each session was due (`domain.renewal`) and when its successor was
issued: renewal lateness, renewals per second, and how many workloads ever had only a session
in its last 10 % (what the credentials endpoint would then serve). The scheduler's CPU and
peak memory come from `/proc`.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import uvloop
from rich.console import Console
from rich.table import Table

from domain.commands import CreateAccount, CreateRole
from domain.renewal import renew_at
from events.topics import ensure_topics
from services.bench.common import percentile, record_result, scratch_database
from services.command_client import CommandClient
from services.credentials.workload_sessions import binding, new_token
from services.settings import Settings, get_settings

console = Console()
_TICKS = os.sysconf("SC_CLK_TCK")
_IN_FLIGHT = 256
_TRUST = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action":'
          ' "sts:AssumeRole", "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}')


def _spawn(settings: Settings, role: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "IAMLOG_TOPIC_PREFIX": settings.topic_prefix,
           "IAMLOG_DATABASE_URL": settings.database_url.get_secret_value(),
           "IAMLOG_PARTITIONS": str(settings.partitions), "IAMLOG_LOG_LEVEL": "WARNING",
           "IAMLOG_HTTP_PORT": "0",
           "IAMLOG_WORKLOAD_SESSION_SECONDS": str(settings.workload_session_seconds)}
    with log.open("ab") as out:
        # our own CLI with a role name of ours
        return subprocess.Popen([sys.executable, "-m", "services.cli.main", "serve",  # noqa: S603
                                 "--role", role], env=env, stdout=out, stderr=subprocess.STDOUT)


def _proc(pid: int) -> tuple[float, float]:
    """(CPU seconds, peak resident MiB) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    peak = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text()
                .splitlines() if line.startswith("VmHWM:"))
    return (int(fields[11]) + int(fields[12])) / _TICKS, peak / 1024


async def _bind(client: CommandClient, accounts: list[str], workloads: int,
                seconds: int) -> None:
    for account in accounts:
        assert (await client.send(account, CreateAccount())).ok
        assert (await client.send(account, CreateRole(
            role_name="app", assume_role_policy_document=_TRUST))).ok
    names = iter(range(workloads))

    async def sender() -> None:
        for n in names:
            now = datetime.now(UTC) - timedelta(seconds=random.uniform(0, 0.45 * seconds))
            command = binding(f"w{n}", new_token(), now, seconds, 1, profile_name="app",
                              role_name="app")
            reply = await client.send(accounts[n % len(accounts)], command)
            assert reply.ok, reply.error_message

    await asyncio.gather(*(sender() for _ in range(_IN_FLIGHT)))


async def _count(url: str, sql: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def _analyse(url: str, started: datetime, ended: datetime,
                   seconds: int) -> dict[str, float]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT o.session_id, o.issued_at, o.expires_at, n.issued_at AS renewed_at"
            " FROM iamlog_rm.sessions o JOIN iamlog_rm.sessions n ON n.session_id = o.renewed_by"
            " WHERE n.issued_at BETWEEN $1 AND $2", started, ended)
        expired = await conn.fetchval(
            "SELECT count(*) FROM iamlog_rm.sessions WHERE kind = 'workload'"
            " AND state = 'expired' AND expires_at BETWEEN $1 AND $2", started, ended)
        # a binding whose current session passed 90 % of its life unrenewed by the end
        stale = await conn.fetchval(
            "SELECT count(*) FROM iamlog_rm.sessions WHERE kind = 'workload'"
            " AND renewed_by IS NULL AND state = 'active'"
            " AND issued_at + (expires_at - issued_at) * 0.9 < $1", ended)
    finally:
        await conn.close()
    lateness = sorted((r["renewed_at"] - renew_at(r["session_id"], r["issued_at"],
                                                  r["expires_at"])).total_seconds()
                      for r in rows)
    late = sum(1 for r in rows if r["renewed_at"] > r["issued_at"]
               + (r["expires_at"] - r["issued_at"]) * 0.9)
    window = (ended - started).total_seconds()
    return {"renewals": len(rows), "renewals_per_second": len(rows) / window,
            "expiries_per_second": expired / window,
            "lateness_p50_seconds": percentile(lateness, 0.50),
            "lateness_p99_seconds": percentile(lateness, 0.99),
            "lateness_max_seconds": lateness[-1] if lateness else float("nan"),
            "credentials_within_10pct_of_expiry": late + stale,
            "session_seconds": seconds}


async def run(workloads: int, seconds: int, hold: float, accounts: int) -> dict[str, Any]:
    """Bind, let the scheduler work for `hold` seconds, measure."""
    base = get_settings()
    async with scratch_database(base.database_url.get_secret_value(), "bench") as url:
        settings = base.model_copy(update={
            "topic_prefix": f"bench{uuid.uuid4().hex[:8]}",
            "database_url": base.database_url.__class__(url),
            "workload_session_seconds": seconds})
        await ensure_topics(settings)
        log = Path(f"/tmp/iamlog-bench-{settings.topic_prefix}.log")  # noqa: S108 - a log
        roles = [_spawn(settings, role, log) for role in ("processor", "projector")]
        client = CommandClient(settings, reply_timeout=120)
        await client.start()
        try:
            ids = [f"{random.randrange(10**11, 10**12)}" for _ in range(accounts)]
            # The scheduler runs while workloads are bound, as it would in production: the
            # first sessions fall due before the last ones are bound.
            scheduler = _spawn(settings, "scheduler", log)
            roles.append(scheduler)
            bind_started = time.perf_counter()
            await _bind(client, ids, workloads, seconds)
            bind_seconds = time.perf_counter() - bind_started
            for _ in range(600):  # the projector catches up with the bindings
                if await _count(url, "SELECT count(*) FROM iamlog_rm.sessions") >= workloads:
                    break
                await asyncio.sleep(1)
            cpu_before, _ = _proc(scheduler.pid)
            started = datetime.now(UTC)
            console.print(f"bound {workloads} in {bind_seconds:.0f} s; holding {hold:.0f} s")
            await asyncio.sleep(hold)
            ended = datetime.now(UTC)
            cpu_after, peak_mib = _proc(scheduler.pid)
            await asyncio.sleep(3)  # the projector catches up with the last renewals
            figures: dict[str, Any] = await _analyse(url, started, ended, seconds)
            figures.update({"workloads": workloads, "hold_seconds": hold,
                            "bind_per_second": workloads / bind_seconds,
                            "scheduler_cpu_percent": (cpu_after - cpu_before)
                            / (ended - started).total_seconds() * 100,
                            "scheduler_peak_rss_mib": peak_mib})
            return figures
        finally:
            await client.stop()
            for process in roles:
                process.send_signal(signal.SIGTERM)
            for process in roles:
                process.wait(30)


def main(workloads: int, seconds: int, hold: float, accounts: int) -> None:
    """Run, print a table, append the figures to bench-results/scheduler.jsonl."""
    uvloop.install()
    figures = asyncio.run(run(workloads, seconds, hold, accounts))
    targets = {"lateness_p99_seconds": "≤ 2", "credentials_within_10pct_of_expiry": "0"}
    table = Table("figure", "value", "target", title="iamlog bench scheduler")
    for name, value in figures.items():
        table.add_row(name, f"{value:,.3f}" if isinstance(value, float) and value < 10
                      else f"{value:,.0f}", targets.get(name, ""))
    console.print(table)
    console.print(f"appended to {record_result('scheduler', figures)}")
