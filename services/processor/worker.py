"""The processor: sole writer of the accounts in the command partitions it owns (ARCHITECTURE §2).

For each owned partition p it keeps one transactional producer (`<prefix>-processor-<p>`; its
start fences any previous owner) and the in-memory state of p's accounts, restored from
`<prefix>.events` partition p on assignment. Each batch of commands from p is decided and its
events, replies and consumed offsets are written in one Kafka transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import ConsumerRecord

from domain.account import Context
from domain.ids import IdSource
from events import cloudevents
from events.topics import Topics
from services import metrics
from services.envelopes import Reply
from services.processor.partition import Outcome, PartitionState, parse_command
from services.runtime import Clock
from services.settings import Settings

log = structlog.get_logger("iamlog.processor")


@dataclass(slots=True)
class _Owned:
    producer: AIOKafkaProducer
    state: PartitionState


class Processor:
    """Consumes `<prefix>.commands` in the processor group and writes events transactionally."""

    def __init__(self, settings: Settings, *, master_key_version: int, clock: Clock,
                 ids: IdSource) -> None:
        self._settings = settings
        self._topics = Topics.for_prefix(settings.topic_prefix)
        self._group = f"{settings.topic_prefix}-processor"
        self._master_key_version = master_key_version
        self._clock = clock
        self._ids = ids
        self._owned: dict[int, _Owned] = {}
        self._lock = asyncio.Lock()
        self._consumer: AIOKafkaConsumer | None = None
        self.ready = asyncio.Event()

    @property
    def partitions(self) -> set[int]:
        """Command partitions this processor currently owns and has restored."""
        return set(self._owned)

    async def run(self) -> None:
        """Process commands until cancelled."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            group_id=self._group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=1000,
            fetch_max_wait_ms=50,
        )
        self._consumer = consumer
        consumer.subscribe([self._topics.commands], listener=_Listener(self))
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=2000)
                if not batches:
                    continue
                async with self._lock:
                    await asyncio.gather(*(
                        self._process(tp, records) for tp, records in batches.items()
                    ))
        finally:
            async with self._lock:
                for partition in list(self._owned):
                    await self._release(partition)
            await consumer.stop()

    async def _process(self, tp: TopicPartition, records: list[ConsumerRecord]) -> None:
        owned = self._owned.get(tp.partition)
        if owned is None or not records:
            return
        ctx = Context(now=self._clock.now(), ids=self._ids,
                      master_key_version=self._master_key_version)
        outcomes = [self._handle(owned.state, record, ctx) for record in records]
        started = time.perf_counter()
        try:
            async with owned.producer.transaction():
                for outcome in outcomes:
                    await self._send(owned.producer, tp.partition, outcome)
                await owned.producer.send_offsets_to_transaction(
                    {tp: records[-1].offset + 1}, self._group
                )
        except Exception as exc:  # noqa: BLE001 - any failure: reset the partition from the log
            log.warning("transaction failed; restoring partition", partition=tp.partition,
                        error=type(exc).__name__)
            await self._reset(tp, records[0].offset)
            return
        metrics.TRANSACTION_SECONDS.observe(time.perf_counter() - started)
        for outcome in outcomes:
            metrics.COMMANDS_PROCESSED.labels("ok" if outcome.reply.ok else "refused").inc()

    @staticmethod
    def _handle(state: PartitionState, record: ConsumerRecord, ctx: Context) -> Outcome:
        parsed = parse_command(record.value, record.key)
        if isinstance(parsed, Reply):
            return Outcome(events=[], reply=parsed)
        return state.handle(parsed, ctx)

    async def _send(self, producer: AIOKafkaProducer, partition: int, outcome: Outcome) -> None:
        for event, meta in outcome.events:
            key, value, headers = cloudevents.encode(event, meta)
            await producer.send(self._topics.events, value, key=key, partition=partition,
                                headers=headers)
        reply = outcome.reply
        await producer.send(self._topics.replies, reply.model_dump_json().encode(),
                            key=reply.account_id.encode(), partition=partition)

    async def _reset(self, tp: TopicPartition, offset: int) -> None:
        """After a failed transaction: fence, restore from the log, re-read the commands."""
        await self._release(tp.partition)
        with contextlib.suppress(Exception):
            await self._acquire(tp.partition)
        if self._consumer is not None:
            self._consumer.seek(tp, offset)

    async def _acquire(self, partition: int) -> None:
        started = time.perf_counter()
        producer = AIOKafkaProducer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            transactional_id=f"{self._settings.topic_prefix}-processor-{partition}",
            enable_idempotence=True,
            acks="all",
            linger_ms=0,
        )
        # Starting the producer runs InitProducerId: it fences the previous owner of this
        # transactional id and aborts its open transaction before we read the log back.
        await producer.start()
        try:
            state = await restore(self._settings, self._topics.events, partition)
        except BaseException:
            await producer.stop()
            raise
        self._owned[partition] = _Owned(producer=producer, state=state)
        metrics.PARTITIONS_OWNED.set(len(self._owned))
        metrics.RESTORE_SECONDS.observe(time.perf_counter() - started)
        log.info("partition acquired", partition=partition, accounts=len(state.accounts),
                 seconds=round(time.perf_counter() - started, 3))

    async def _release(self, partition: int) -> None:
        owned = self._owned.pop(partition, None)
        metrics.PARTITIONS_OWNED.set(len(self._owned))
        if owned is not None:
            with contextlib.suppress(Exception):
                await owned.producer.stop()

    async def on_assigned(self, assigned: set[TopicPartition]) -> None:
        """Take ownership: fence, restore. Commands wait meanwhile (nothing is refused)."""
        async with self._lock:
            await asyncio.gather(*(
                self._acquire(tp.partition) for tp in assigned if tp.partition not in self._owned
            ))
        self.ready.set()

    async def on_revoked(self, revoked: set[TopicPartition]) -> None:
        """Give up ownership after the batch in flight finishes."""
        async with self._lock:
            for tp in revoked:
                await self._release(tp.partition)


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, processor: Processor) -> None:
        self._processor = processor

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._processor.on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self._processor.on_assigned(assigned)


async def restore(settings: Settings, topic: str, partition: int) -> PartitionState:
    """Fold every committed event of one partition into a fresh state."""
    state = PartitionState()
    tp = TopicPartition(topic, partition)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    try:
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        while await consumer.position(tp) < end:
            batch = await consumer.getmany(tp, timeout_ms=500, max_records=10_000)
            for record in batch.get(tp, []):
                try:
                    state.restore(cloudevents.decode(record.headers, record.value))
                except cloudevents.MalformedEvent:
                    log.error("undecodable event skipped in restore", partition=partition,
                              offset=record.offset)
    finally:
        await consumer.stop()
    return state
