"""The live projector: `<prefix>.events` → Postgres read models, offsets stored with the rows.

On assignment it seeks each partition to the offset stored in Postgres; each batch is applied
with its checkpoint in one transaction (`store.write_batch`). Undecodable events go to the
dead-letter topic and the projector moves on. If Postgres is down it waits and retries; the log
keeps everything meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition

from events.topics import Topics
from services import metrics
from services.database_outage import DATABASE_UNAVAILABLE
from services.kafka_options import kafka_options
from services.projector.batch import DecodedBatch, decode_batch_stepwise
from services.projector.migrate import LIVE_SCHEMA
from services.projector.store import CheckpointMismatch, stored_offsets, write_batch
from services.settings import Settings

log = structlog.get_logger("iamlog.projector")
_RETRY_SECONDS = 1.0


class Projector:
    """Keeps the read models of the live schema up to date."""

    def __init__(self, settings: Settings, *, schema: str = LIVE_SCHEMA) -> None:
        self._settings = settings
        self._topics = Topics.for_prefix(settings.topic_prefix)
        self._schema = schema
        self._conn: asyncpg.Connection | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._stored: dict[int, int] = {}  # partition → next offset as last written
        # One connection, used by the write task and by the rebalance listener's seek: never
        # at the same time.
        self._db = asyncio.Lock()
        self.ready = asyncio.Event()

    async def run(self) -> None:
        """Project until cancelled."""
        consumer = AIOKafkaConsumer(
            **kafka_options(self._settings),
            group_id=f"{self._settings.topic_prefix}-projector",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            fetch_max_wait_ms=50,
            max_partition_fetch_bytes=16 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
        )
        deadletters = AIOKafkaProducer(
            **kafka_options(self._settings), acks="all",
            enable_idempotence=True,
        )
        self._consumer = consumer
        consumer.subscribe([self._topics.events], listener=_Listener(self))
        await deadletters.start()
        await consumer.start()
        # While Postgres writes batch n, batch n+1 is fetched and decoded: the write is a task
        # awaited before the next one starts, so writes stay in log order.
        writing: asyncio.Task[bool] | None = None
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=20_000)
                # A fetch started before the rebalance listener's seek can return records that
                # are projected already; they are skipped here rather than refused later.
                records = [record for part in batches.values() for record in part
                           if record.offset >= self._stored.get(record.partition, 0)]
                if not records:
                    if writing is not None:
                        await writing
                        writing = None
                    await self._advance_idle()
                    continue
                batch = await decode_batch_stepwise(records)
                await self._past_markers(batch)
                if writing is not None and not await writing:
                    # The consumer was re-positioned while this batch was fetched: drop it and
                    # position again, so nothing fetched after the first seek is lost.
                    writing = None
                    await self._seek_to_stored()
                    continue
                writing = asyncio.create_task(self._apply(batch, deadletters))
        finally:
            if writing is not None:
                writing.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await writing
            await consumer.stop()
            await deadletters.stop()
            if self._conn is not None:
                await self._conn.close()

    async def _past_markers(self, batch: DecodedBatch) -> None:
        # The consumer's position already skips transaction markers after the batch; storing
        # it makes a caught-up partition show zero lag.
        assert self._consumer is not None
        for (topic, partition), (first, after) in list(batch.positions.items()):
            position = await self._consumer.position(TopicPartition(topic, partition))
            batch.positions[(topic, partition)] = (first, max(after, position))

    async def _advance_idle(self) -> None:
        """Store positions that moved over transaction markers only (no records came)."""
        assert self._consumer is not None
        idle = DecodedBatch()
        for tp in self._consumer.assignment():
            position = await self._consumer.position(tp)
            stored = self._stored.get(tp.partition)
            if stored is not None and position > stored:
                idle.positions[(tp.topic, tp.partition)] = (stored, position)
        if idle.positions:
            await self._apply(idle, None)

    async def _connection(self) -> asyncpg.Connection:
        while self._conn is None or self._conn.is_closed():
            try:
                self._conn = await asyncpg.connect(self._settings.database_url.get_secret_value())
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("postgres unavailable; retrying", error=type(exc).__name__)
                await asyncio.sleep(_RETRY_SECONDS)
        return self._conn

    async def _apply(self, batch: DecodedBatch, deadletters: AIOKafkaProducer | None) -> bool:
        """Write one batch; False when the checkpoint had moved and the consumer was re-sought."""
        for record, error in batch.poison:
            assert deadletters is not None
            await deadletters.send_and_wait(
                self._topics.deadletter, record.value, key=record.key,
                headers=[*record.headers, ("iamlog_error", error.encode()),
                         ("iamlog_source", f"{record.topic}/{record.partition}/"
                          f"{record.offset}".encode())],
            )
            metrics.DEADLETTERED.inc()
            log.error("event dead-lettered", partition=record.partition, offset=record.offset,
                      error=error)
        while True:
            try:
                async with self._db:
                    await write_batch(await self._connection(), self._schema, batch.changes,
                                      batch.positions)
                break
            except CheckpointMismatch as exc:
                log.warning("checkpoint moved; seeking", partition=exc.partition,
                            stored=exc.stored)
                await self._seek_to_stored()
                return False
            except DATABASE_UNAVAILABLE as exc:
                log.warning("postgres write failed; retrying batch", error=type(exc).__name__)
                if self._conn is not None and not self._conn.is_closed():
                    await self._conn.close()
                self._conn = None
                await asyncio.sleep(_RETRY_SECONDS)
        for (_, partition), (_, after) in batch.positions.items():
            self._stored[partition] = after
        metrics.EVENTS_PROJECTED.inc(batch.changes.events)
        self._observe_lag(batch)
        return True

    def _observe_lag(self, batch: DecodedBatch) -> None:
        assert self._consumer is not None
        now = datetime.now(UTC)
        for (topic, partition), (_, after) in batch.positions.items():
            high = self._consumer.highwater(TopicPartition(topic, partition)) or after
            metrics.PROJECTION_LAG_EVENTS.labels(str(partition)).set(max(0, high - after))
            newest = batch.newest.get(partition)
            if newest is not None:
                lag = (now - newest.meta.time).total_seconds()
                metrics.PROJECTION_LAG_SECONDS.labels(str(partition)).set(max(0.0, lag))

    async def _seek_to_stored(self, assigned: set[TopicPartition] | None = None) -> None:
        assert self._consumer is not None
        tps = assigned if assigned is not None else self._consumer.assignment()
        async with self._db:
            offsets = await stored_offsets(await self._connection(), self._schema,
                                           self._topics.events)
        for tp in tps:
            # Stored offsets only move forward; the larger of what Postgres and this process
            # last saw wins (the listener may read Postgres just before a write lands).
            target = max(offsets.get(tp.partition, 0), self._stored.get(tp.partition, 0))
            self._consumer.seek(tp, target)
            self._stored[tp.partition] = target

    async def on_assigned(self, assigned: set[TopicPartition]) -> None:
        """Resume each partition where the read models say it stopped."""
        started = time.perf_counter()
        await self._seek_to_stored(assigned)
        self.ready.set()
        log.info("projector partitions assigned", partitions=sorted(tp.partition for tp in
                 assigned), seconds=round(time.perf_counter() - started, 3))


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, projector: Projector) -> None:
        self._projector = projector

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self._projector.on_assigned(assigned)
