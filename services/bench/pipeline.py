"""`iamlog bench pipeline`: the command pipeline, the projector, and their raw ceilings.

Phases, all against the real Kafka and Postgres of `iamlog dev up`, on fresh topics and a
scratch database:

1. throughput: commands through producer → processor (a separate process) → events + reply,
   64 in flight;
2. latency: p50/p99 at a steady 100 commands/s (open loop);
3. projector: catch-up rate of the live projector over a prepared log of N events;
4. ceilings: raw aiokafka transactional produce rate and raw asyncpg COPY rate.
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
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import uvloop
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from domain.commands import CreateAccount, CreateUser
from domain.ids import access_key_id
from events import cloudevents
from events.schemas import AccessKeyIssued, UserCreated
from events.topics import Topics, delete_topics, ensure_topics
from services.bench.common import percentile, record_result, scratch_database
from services.command_client import CommandClient
from services.heap import settle_heap
from services.projector.migrate import LIVE_SCHEMA
from services.projector.projector import Projector
from services.projector.rebuild import log_extent
from services.settings import Settings, get_settings

IN_FLIGHT = 64
STEADY_RATE = 100
STEADY_SECONDS = 15
ACCOUNTS = 64
console = Console()


def _progress() -> Progress:
    # Few refreshes: rendering runs in this process and would add to the latencies it measures.
    return Progress("[progress.description]{task.description}", BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                    refresh_per_second=2)


def _settings(base: Settings, database_url: str) -> Settings:
    return base.model_copy(update={
        "topic_prefix": f"bench{uuid.uuid4().hex[:8]}",
        "database_url": base.database_url.__class__(database_url),
    })


def _spawn_processor(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update({"IAMLOG_TOPIC_PREFIX": settings.topic_prefix,
                "IAMLOG_DATABASE_URL": settings.database_url.get_secret_value(),
                "IAMLOG_PARTITIONS": str(settings.partitions),
                "IAMLOG_LOG_LEVEL": "WARNING", "IAMLOG_HTTP_PORT": "0"})
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", "serve", "--role", "processor"],
            env=env, stdout=out, stderr=subprocess.STDOUT)


async def _throughput(client: CommandClient, accounts: list[str], total: int,
                      label: str) -> float:
    queue = iter(range(total))
    done = 0
    with _progress() as bar:
        task = bar.add_task(f"throughput ({IN_FLIGHT} in flight)", total=total)

        async def sender() -> None:
            nonlocal done
            for n in queue:
                reply = await client.send(accounts[n % len(accounts)],
                                          CreateUser(user_name=f"{label}{n}"))
                if not reply.ok:
                    raise RuntimeError(f"refused: {reply.error_code} {reply.error_message}")
                done += 1
                if done % 100 == 0 or done == total:
                    bar.update(task, completed=done)

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(IN_FLIGHT)))
        return total / (time.perf_counter() - started)


async def _latency(client: CommandClient, accounts: list[str]) -> list[float]:
    total = STEADY_RATE * STEADY_SECONDS
    latencies: list[float] = []
    with _progress() as bar:
        task = bar.add_task(f"latency at {STEADY_RATE}/s", total=total)

        async def one(n: int) -> None:
            started = time.perf_counter()
            await client.send(accounts[n % len(accounts)], CreateUser(user_name=f"l{n}"))
            latencies.append(time.perf_counter() - started)
            if len(latencies) % 100 == 0:
                bar.update(task, completed=len(latencies))

        start = time.perf_counter()
        pending = []
        for n in range(total):
            await asyncio.sleep(max(0.0, start + n / STEADY_RATE - time.perf_counter()))
            pending.append(asyncio.create_task(one(n)))
        await asyncio.gather(*pending)
        bar.update(task, completed=len(latencies))
    return sorted(latencies)


def _prepared_events(count: int) -> list[tuple[bytes, bytes, cloudevents.Headers]]:
    """A realistic log: accounts with users, each user with keys (user → key → key …)."""
    now = datetime.now(UTC)
    records = []
    sequences: dict[str, int] = {}
    for n in range(count):
        account = f"{100_000_000_000 + n // 2000:012d}"
        sequences[account] = sequences.get(account, 0) + 1
        user = f"u{n // 3}"
        arn = f"arn:aws:iam::{account}:user/{user}"
        event = (UserCreated(account_id=account, user_name=user, user_id=f"AIDA{n:017d}",
                             path="/", arn=arn, created_at=now)
                 if n % 3 == 0 else
                 AccessKeyIssued(account_id=account,
                                 access_key_id=access_key_id(n.to_bytes(10, "big")),
                                 user_name=user, owner_arn=arn, salt=f"{n:032x}",
                                 master_key_version=1, created_at=now))
        meta = cloudevents.EventMeta(id=str(uuid.uuid4()), time=now,
                                     sequence=sequences[account], command_id=f"c{n}")
        records.append(cloudevents.encode(event, meta))
    return records


async def _produce_transactionally(settings: Settings, topic: str,
                                   records: list[tuple[bytes, bytes, cloudevents.Headers]],
                                   label: str) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers,
                                transactional_id=f"{settings.topic_prefix}-{label}",
                                linger_ms=5, max_batch_size=1024 * 1024)
    await producer.start()
    try:
        with _progress() as bar:
            task = bar.add_task(label, total=len(records))
            started = time.perf_counter()
            for chunk in range(0, len(records), 5000):
                async with producer.transaction():
                    for key, value, headers in records[chunk:chunk + 5000]:
                        await producer.send(topic, value, key=key, headers=headers)
                bar.update(task, completed=min(len(records), chunk + 5000))
            return len(records) / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def _projector_rate(settings: Settings, total: int) -> float:
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    topic = Topics.for_prefix(settings.topic_prefix).events
    probe = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers,
                             isolation_level="read_committed", enable_auto_commit=False)
    await probe.start()
    try:
        _, ends = await log_extent(probe, topic)
        end = sum(ends.values())
        projector = Projector(settings)
        settle_heap()  # as `iamlog serve` does once started: measure the same process
        with _progress() as bar:
            task = bar.add_task("projector catch-up", total=end)
            started = time.perf_counter()
            running = asyncio.create_task(projector.run())
            stored = 0
            while stored < end:  # the checkpoint is the projector's own word on its progress
                await asyncio.sleep(0.05)
                if running.done():
                    running.result()
                stored = int(await conn.fetchval(
                    f"SELECT coalesce(sum(next_offset), 0) FROM {LIVE_SCHEMA}.checkpoints"
                    " WHERE topic = $1", topic))
                bar.update(task, completed=stored)
            elapsed = time.perf_counter() - started
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        rows = int(await conn.fetchval(f"SELECT count(*) FROM {LIVE_SCHEMA}.users")) + int(
            await conn.fetchval(f"SELECT count(*) FROM {LIVE_SCHEMA}.access_keys"))
        if rows != total:
            raise RuntimeError(f"projected {rows} rows from {total} events")
        return total / elapsed
    finally:
        await probe.stop()
        await conn.close()


async def _copy_rate(database_url: str, rows: int) -> float:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE TEMP TABLE copy_probe (access_key_id text, account_id text,"
                           " user_name text, owner_arn text, status text, created_at timestamptz)")
        now = datetime.now(UTC)
        data = [(f"AKIA{n:016d}", "123456789012", f"u{n}", f"arn:aws:iam::123456789012:user/u{n}",
                 "Active", now) for n in range(rows)]
        started = time.perf_counter()
        await conn.copy_records_to_table("copy_probe", records=data)
        return rows / (time.perf_counter() - started)
    finally:
        await conn.close()


async def run(commands: int, projector_events: int) -> dict[str, float]:
    """Every phase; returns the figures."""
    base = get_settings()
    figures: dict[str, float] = {}
    async with scratch_database(base.database_url.get_secret_value(), "bench") as url:
        settings = _settings(base, url)
        await ensure_topics(settings)
        log = Path(f"/tmp/iamlog-bench-{settings.topic_prefix}.log")  # noqa: S108 - a log
        processor = _spawn_processor(settings, log)
        client = CommandClient(settings, reply_timeout=60)
        await client.start()
        try:
            accounts = [f"{random.randrange(10**11, 10**12)}" for _ in range(ACCOUNTS)]
            await asyncio.gather(*(client.send(a, CreateAccount()) for a in accounts))
            await _throughput(client, accounts, 500, "warm")
            figures["commands_per_second"] = await _throughput(client, accounts, commands, "t")
            latencies = await _latency(client, accounts)
            figures["p50_ms_at_100_per_s"] = percentile(latencies, 0.50) * 1000
            figures["p99_ms_at_100_per_s"] = percentile(latencies, 0.99) * 1000
        finally:
            await client.stop()
            processor.send_signal(signal.SIGTERM)
            processor.wait(30)
            await delete_topics(settings)

    async with scratch_database(base.database_url.get_secret_value(), "bench") as url:
        settings = _settings(base, url)
        await ensure_topics(settings)
        records = _prepared_events(projector_events)
        topics = Topics.for_prefix(settings.topic_prefix)
        figures["prepared_log_produce_per_second"] = await _produce_transactionally(
            settings, topics.events, records, "prepare log")
        figures["projector_events_per_second"] = await _projector_rate(settings, len(records))
        figures["raw_kafka_tx_produce_per_second"] = await _produce_transactionally(
            settings, topics.deadletter, records, "raw produce ceiling")
        figures["raw_pg_copy_rows_per_second"] = await _copy_rate(url, len(records))
        await delete_topics(settings)
    figures["commands_vs_kafka_ceiling"] = (figures["commands_per_second"]
                                            / figures["raw_kafka_tx_produce_per_second"])
    figures["projector_vs_copy_ceiling"] = (figures["projector_events_per_second"]
                                            / figures["raw_pg_copy_rows_per_second"])
    return figures


def main(commands: int, projector_events: int) -> None:
    """Run, print a table, append the figures to bench-results/pipeline.jsonl."""
    uvloop.install()  # the loop `iamlog serve` runs on: measure the same thing
    figures = asyncio.run(run(commands, projector_events))
    targets = {"commands_per_second": "≥ 1,000", "p99_ms_at_100_per_s": "≤ 50",
               "projector_events_per_second": "≥ 20,000"}
    table = Table("figure", "value", "target", title="iamlog bench pipeline")
    for name, value in figures.items():
        table.add_row(name, f"{value:,.3f}" if value < 10 else f"{value:,.0f}",
                      targets.get(name, ""))
    console.print(table)
    path = record_result("pipeline", {"commands": commands,
                                      "projector_events": projector_events, **figures})
    console.print(f"appended to {path}")
