"""`iamlog bench scheduler`: bound workloads whose sessions the scheduler keeps renewing.

Fresh topics and a scratch database; processor, projector and scheduler each run as their own
`iamlog serve --role X` process. The workloads are spread over `--accounts` accounts (tenants:
their commands spread over the command partitions) and bound with the scheduler already running,
with issue times spread over the first 40 % of a lifetime, so renewals (and, one renewal later,
expiries) arrive at the steady rate `workloads / (lifetime / 2)` instead of in one wave. Binding
is setup: the `BindWorkload` commands are produced in batches of `_CHUNK` (one produce round
trip per batch, no wait for each reply), as fast as the processor folds them in, and the bench
follows the read model. The hold is measured once every workload is bound and projected. After
the hold, the read model says when each session was due (`domain.renewal`) and when its
successor was issued: renewal lateness, renewals per second, and how many workloads ever had
only a session in its last 10 % (what the credentials endpoint would then serve). The
scheduler's CPU and peak memory come from `/proc`; how long an api replica takes to fold the
log into its identity index (`IdentityIndex.start`) is measured once the workloads are bound.
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
from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from domain.commands import CreateAccount, CreateRole
from domain.renewal import renew_at
from events.topics import Topics, delete_topics, ensure_topics
from services.api.identity_index import IdentityIndex
from services.bench.common import percentile, record_result, scratch_database
from services.command_client import CommandClient
from services.credentials.workload_sessions import binding, new_token
from services.envelopes import CommandEnvelope
from services.kafka_options import kafka_options
from services.settings import Settings, get_settings

console = Console()
_TICKS = os.sysconf("SC_CLK_TCK")
_CHUNK = 2_000  # bindings produced per batch
_AHEAD = 3_000  # bindings produced but not yet in the read model, at most
_PROGRESS_EVERY = 5.0
_ROLES = ("processor", "projector", "scheduler")
# Issue times lie up to this share of a lifetime in the past: the earliest renewal instant
# (0.45 of a lifetime) is then 5 % of a lifetime after the binding, when its row is projected.
_SPREAD = 0.40
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


def _progress() -> Progress:
    # Few refreshes: rendering runs in this process, beside the roles it measures.
    return Progress("[progress.description]{task.description}", BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                    refresh_per_second=1)


async def _accounts(client: CommandClient, accounts: list[str]) -> None:
    async def one(account: str) -> None:
        assert (await client.send(account, CreateAccount())).ok
        assert (await client.send(account, CreateRole(
            role_name="app", assume_role_policy_document=_TRUST))).ok

    await asyncio.gather(*(one(account) for account in accounts))


async def _bind(settings: Settings, url: str, accounts: list[str], workloads: int,
                seconds: int, *, progress: Progress) -> None:
    """Produce the bindings in batches, no further ahead of the read model than `_AHEAD`."""
    producer = AIOKafkaProducer(**kafka_options(settings), enable_idempotence=True, acks="all",
                                linger_ms=20, max_batch_size=1024 * 1024)
    await producer.start()
    topic = Topics.for_prefix(settings.topic_prefix).commands
    task = progress.add_task("binding (projected)", total=workloads)
    conn = await asyncpg.connect(url)
    try:
        for first in range(0, workloads, _CHUNK):
            while first - await _sessions(conn) > _AHEAD:  # noqa: ASYNC110 - a table
                await asyncio.sleep(0.5)
            sent = []
            for n in range(first, min(first + _CHUNK, workloads)):
                now = datetime.now(UTC) - timedelta(seconds=random.uniform(0, _SPREAD * seconds))
                account = accounts[n % len(accounts)]
                envelope = CommandEnvelope(
                    command_id=uuid.uuid4().hex, account_id=account,
                    command=binding(f"w{n}", new_token(), now, seconds, 1, profile_name="app",
                                    role_name="app"))
                sent.append(await producer.send(topic, envelope.model_dump_json().encode(),
                                                key=account.encode()))
            await asyncio.gather(*sent)  # delivered: one round trip for the batch
            progress.update(task, completed=await _sessions(conn))
        for _ in range(int(600 / 0.5)):  # the processor and projector catch up
            done = await _sessions(conn)
            progress.update(task, completed=done)
            if done >= workloads:
                return
            await asyncio.sleep(0.5)
        raise RuntimeError(f"only {done} of {workloads} bindings reached the read model")
    finally:
        await conn.close()
        await producer.stop()


async def _sessions(conn: asyncpg.Connection) -> int:
    """Bindings whose first session is in the read model."""
    return int(await conn.fetchval(
        "SELECT count(*) FROM iamlog_rm.sessions WHERE kind = 'workload' AND renewed_by IS NULL"
        " AND state = 'active'"))


async def _hold(url: str, hold: float, started: datetime, progress: Progress) -> None:
    """Wait `hold` seconds, showing renewals and expiries so far."""
    task = progress.add_task("holding (s)", total=round(hold))
    conn = await asyncpg.connect(url)
    try:
        begun = time.perf_counter()
        while (elapsed := time.perf_counter() - begun) < hold:
            await asyncio.sleep(min(_PROGRESS_EVERY, hold - elapsed))
            renewed, expired = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE issued_at >= $1 AND kind = 'workload'),"
                " count(*) FILTER (WHERE ended_at >= $1 AND state = 'expired')"
                " FROM iamlog_rm.sessions", started)
            progress.update(task, completed=round(time.perf_counter() - begun),
                            description=f"holding (s): {renewed:,} renewed,"
                            f" {expired:,} expired")
    finally:
        await conn.close()


async def _index_load(settings: Settings) -> tuple[float, int]:
    """Seconds an api replica takes to fold the whole log into its identity index, and how
    many workloads it then knows."""
    index = IdentityIndex(settings)
    started = time.perf_counter()
    await index.start()
    seconds = time.perf_counter() - started
    await index.stop()
    return seconds, len(index.workloads)


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
            " WHERE n.issued_at >= $1", started)
        # expiries due in the hold: how many were recorded, the oldest one still waiting
        expiries = await conn.fetchrow(
            "SELECT count(*) AS due, count(*) FILTER (WHERE state = 'expired') AS done,"
            " min(expires_at) FILTER (WHERE state = 'active') AS oldest"
            " FROM iamlog_rm.sessions WHERE kind = 'workload'"
            " AND expires_at BETWEEN $1 AND $2 AND state IN ('active', 'expired')",
            started, ended)
        # a binding whose current session passed 90 % of its life unrenewed by the end
        stale = await conn.fetchval(
            "SELECT count(*) FROM iamlog_rm.sessions WHERE kind = 'workload'"
            " AND renewed_by IS NULL AND state = 'active'"
            " AND issued_at + (expires_at - issued_at) * 0.9 < $1", ended)
    finally:
        await conn.close()
    # Renewals that fell due during the hold: the steady state, not the catch-up after setup.
    due = [(r, renew_at(r["session_id"], r["issued_at"], r["expires_at"])) for r in rows]
    lateness = sorted((r["renewed_at"] - at).total_seconds() for r, at in due
                      if started <= at <= ended)
    late = sum(1 for r in rows if r["renewed_at"] > r["issued_at"]
               + (r["expires_at"] - r["issued_at"]) * 0.9)
    renewed = sum(1 for r in rows if r["renewed_at"] <= ended)
    window = (ended - started).total_seconds()
    return {"renewals": renewed, "renewals_per_second": renewed / window,
            "renewals_due_per_second": len(lateness) / window,
            "expiries_per_second": expiries["done"] / window,
            "expiries_due_per_second": expiries["due"] / window,
            "oldest_unrecorded_expiry_seconds": 0.0 if expiries["oldest"] is None
            else (ended - expiries["oldest"]).total_seconds(),
            "lateness_p50_seconds": percentile(lateness, 0.50),
            "lateness_p99_seconds": percentile(lateness, 0.99),
            "lateness_max_seconds": lateness[-1] if lateness else float("nan"),
            "credentials_within_10pct_of_expiry": late + stale,
            "session_seconds": seconds}


async def run(workloads: int, seconds: int, hold: float, accounts: int) -> dict[str, Any]:
    """Bind, let the scheduler work for `hold` seconds, measure."""
    base = get_settings()
    load_before = os.getloadavg()[0]
    async with scratch_database(base.database_url.get_secret_value(), "bench") as url:
        settings = base.model_copy(update={
            "topic_prefix": f"bench{uuid.uuid4().hex[:8]}",
            "database_url": base.database_url.__class__(url),
            "workload_session_seconds": seconds})
        await ensure_topics(settings)
        log = Path(f"/tmp/iamlog-bench-{settings.topic_prefix}.log")  # noqa: S108 - a log
        roles = [_spawn(settings, role, log) for role in _ROLES[:2]]
        client = CommandClient(settings, reply_timeout=120)
        await client.start()
        try:
            ids = [f"{random.randrange(10**11, 10**12)}" for _ in range(accounts)]
            await _accounts(client, ids)
            # The scheduler runs while workloads are bound, as it would in production: the
            # first sessions fall due before the last ones are bound.
            scheduler = _spawn(settings, "scheduler", log)
            roles.append(scheduler)
            with _progress() as progress:
                bind_started = time.perf_counter()
                await _bind(settings, url, ids, workloads, seconds, progress=progress)
                bind_seconds = time.perf_counter() - bind_started
                index_seconds, indexed = await _index_load(settings)
                cpu_before = [_proc(process.pid)[0] for process in roles]
                started = datetime.now(UTC)
                progress.console.print(
                    f"bound {workloads:,} in {bind_seconds:.0f} s; an api replica folds the log"
                    f" in {index_seconds:.1f} s; holding {hold:.0f} s")
                await _hold(url, hold, started, progress)
            ended = datetime.now(UTC)
            cpu_after = [_proc(process.pid)[0] for process in roles]
            peak_mib = _proc(scheduler.pid)[1]
            await asyncio.sleep(3)  # the projector catches up with the last renewals
            figures: dict[str, Any] = await _analyse(url, started, ended, seconds)
            figures.update({"workloads": workloads, "accounts": accounts, "hold_seconds": hold,
                            "bind_per_second": workloads / bind_seconds,
                            "index_load_seconds": index_seconds, "index_workloads": indexed,
                            "load_before": load_before,
                            "load_after": os.getloadavg()[0],
                            "scheduler_peak_rss_mib": peak_mib})
            # CPU of each role during the hold, % of one core
            for name, before, after in zip(_ROLES, cpu_before, cpu_after, strict=True):
                figures[f"{name}_cpu_percent"] = ((after - before)
                                                  / (ended - started).total_seconds() * 100)
            return figures
        finally:
            await client.stop()
            for process in roles:
                process.send_signal(signal.SIGTERM)
            for process in roles:
                process.wait(30)
            await delete_topics(settings)


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
