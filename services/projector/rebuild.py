"""`iamlog projections rebuild`: replay the whole log into a fresh schema, then swap it in.

The replay writes nothing but the new schema (no dead letters, no commands); a poison event
stops it, leaving the live read models untouched. While it runs it holds `REBUILD_LOCK`, and
the scheduler renews and expires nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from events.kafka_meta import partitions_of
from events.topics import Topics
from services.kafka_options import kafka_options
from services.projector.batch import decode_batch
from services.projector.migrate import LIVE_SCHEMA, apply_schema
from services.projector.store import write_batch
from services.settings import Settings

REBUILD_SCHEMA = f"{LIVE_SCHEMA}_rebuild"
# Held (exclusively, for the connection's life) while a rebuild replays: the scheduler sends
# nothing while it cannot take it shared. A crashed rebuild's connection releases it.
REBUILD_LOCK = 0x1A_4C_07
_OLD_SCHEMA = f"{LIVE_SCHEMA}_old"


class PoisonEvent(RuntimeError):
    """A rebuild met an undecodable event and stopped."""


@dataclass(frozen=True, slots=True)
class RebuildResult:
    """What a rebuild replayed."""

    events: int
    partitions: int


async def log_extent(consumer: AIOKafkaConsumer, topic: str) -> tuple[dict[TopicPartition, int],
                                                                      dict[TopicPartition, int]]:
    """First and end offsets of every partition of `topic` (the consumer gets them assigned)."""
    tps = await partitions_of(consumer, topic)
    consumer.assign(tps)
    return await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)


async def rebuild(settings: Settings, progress: Callable[[int, int], None] | None = None,
                  *, swap: bool = True) -> RebuildResult:
    """Replay `<prefix>.events` into `REBUILD_SCHEMA` and (by default) swap it in."""
    topic = Topics.for_prefix(settings.topic_prefix).events
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    consumer = AIOKafkaConsumer(
        **kafka_options(settings),
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", REBUILD_LOCK)
        await conn.execute(f'DROP SCHEMA IF EXISTS "{REBUILD_SCHEMA}" CASCADE')
        async with conn.transaction():
            await apply_schema(conn, REBUILD_SCHEMA)
        begins, ends = await log_extent(consumer, topic)
        for tp, offset in begins.items():
            consumer.seek(tp, offset)
        # Progress counts offsets (transaction markers included) so the bar ends at its total.
        total = sum(ends[tp] - begins[tp] for tp in ends)
        events = 0
        remaining = {tp for tp in ends if ends[tp] > begins[tp]}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=20_000)
            records = [r for tp, part in batches.items() for r in part if r.offset < ends[tp]]
            if records:
                batch = decode_batch(records)
                if batch.poison:
                    record, error = batch.poison[0]
                    raise PoisonEvent(f"partition {record.partition} offset {record.offset}: "
                                      f"{error}")
                await write_batch(conn, REBUILD_SCHEMA, batch.changes, batch.positions)
                events += len(records)
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    await _checkpoint_end(conn, tp, ends[tp])
                    remaining.discard(tp)
            if progress is not None:
                done = sum([min(await consumer.position(tp), ends[tp]) - begins[tp]
                            for tp in ends])
                progress(done, total)
        for tp, end in ends.items():
            await _checkpoint_end(conn, tp, end)
        if swap:
            await _swap(conn)
        return RebuildResult(events=events, partitions=len(ends))
    finally:
        await consumer.stop()
        await conn.close()


async def _checkpoint_end(conn: asyncpg.Connection, tp: TopicPartition, end: int) -> None:
    # Transaction markers occupy offsets too: the checkpoint is the end of the log, not
    # one past the last data record.
    await conn.execute(
        f'INSERT INTO "{REBUILD_SCHEMA}".checkpoints (topic, partition, next_offset)'
        " VALUES ($1, $2, $3) ON CONFLICT (topic, partition) DO UPDATE"
        " SET next_offset = GREATEST(checkpoints.next_offset, EXCLUDED.next_offset)",
        tp.topic, tp.partition, end,
    )


async def _swap(conn: asyncpg.Connection) -> None:
    async with conn.transaction():
        await conn.execute(f'DROP SCHEMA IF EXISTS "{_OLD_SCHEMA}" CASCADE')
        await conn.execute(f'ALTER SCHEMA "{LIVE_SCHEMA}" RENAME TO "{_OLD_SCHEMA}"')
        await conn.execute(f'ALTER SCHEMA "{REBUILD_SCHEMA}" RENAME TO "{LIVE_SCHEMA}"')
        await conn.execute(f'DROP SCHEMA "{_OLD_SCHEMA}" CASCADE')
