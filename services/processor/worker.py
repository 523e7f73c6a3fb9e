"""The processor: sole writer of the accounts in the command partitions it owns (ARCHITECTURE §2).

For each owned partition p it keeps one transactional producer (`<prefix>-processor-<p>`; its
start fences any previous owner), the in-memory state of p's accounts (restored from
`<prefix>.events` partition p on assignment) and a pipeline task. The consumer loop only hands
records to the pipelines; each pipeline decides whatever has queued up and writes its events,
replies and consumed offsets in one Kafka transaction — partitions never wait for each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

import aiokafka.producer.sender
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import ConsumerRecord

from domain.account import Context
from domain.ids import IdSource
from events import cloudevents
from events.topics import Topics
from services import metrics
from services.envelopes import Reply
from services.heap import settle_heap
from services.kafka_options import kafka_options
from services.processor.partition import Outcome, PartitionState, parse_command
from services.runtime import Clock
from services.settings import Settings

log = structlog.get_logger("iamlog.processor")

# After a commit the coordinator answers CONCURRENT_TRANSACTIONS until its markers are written
# (about a millisecond on one node); aiokafka then waits this long before retrying. Its 20 ms
# default would dominate a command's latency.
aiokafka.producer.sender.BACKOFF_OVERRIDE = 0.002
_MAX_BATCH = 2000
_PAUSE_AT = 10_000  # queued records per partition before the consumer pauses it


@dataclass(slots=True)
class _Pipeline:
    """One owned partition: its queue from the moment of assignment; once restored, its
    producer, its state and the task draining the queue."""

    tp: TopicPartition
    queue: asyncio.Queue[ConsumerRecord] = field(default_factory=asyncio.Queue)
    producer: AIOKafkaProducer | None = None
    state: PartitionState | None = None
    task: asyncio.Task[None] | None = None
    busy: asyncio.Lock = field(default_factory=asyncio.Lock)


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
        self._pipelines: dict[int, _Pipeline] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self.ready = asyncio.Event()

    @property
    def partitions(self) -> set[int]:
        """Command partitions this processor currently owns and has restored."""
        return set(self._pipelines)

    async def run(self) -> None:
        """Process commands until cancelled."""
        consumer = AIOKafkaConsumer(
            **kafka_options(self._settings),
            group_id=self._group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=_MAX_BATCH,
            fetch_max_wait_ms=50,
        )
        self._consumer = consumer
        consumer.subscribe([self._topics.commands], listener=_Listener(self))
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=_MAX_BATCH)
                for tp, records in batches.items():
                    pipeline = self._pipelines.get(tp.partition)
                    if pipeline is None:
                        continue  # revoked meanwhile: the new owner reads them again
                    for record in records:
                        pipeline.queue.put_nowait(record)
                    if pipeline.queue.qsize() >= _PAUSE_AT:
                        consumer.pause(tp)
        finally:
            for partition in list(self._pipelines):
                await self._release(partition)
            await consumer.stop()

    async def _drain(self, pipeline: _Pipeline) -> None:
        """Decide and commit whatever is queued for one partition, batch after batch."""
        while True:
            records = [await pipeline.queue.get()]
            while len(records) < _MAX_BATCH and not pipeline.queue.empty():
                records.append(pipeline.queue.get_nowait())
            if self._consumer is not None and pipeline.tp in self._consumer.paused():
                self._consumer.resume(pipeline.tp)
            async with pipeline.busy:
                committed = await self._commit(pipeline, records)
            if not committed:
                await self._reset(pipeline, records[0].offset)
                return

    async def _commit(self, pipeline: _Pipeline, records: list[ConsumerRecord]) -> bool:
        assert pipeline.producer is not None
        assert pipeline.state is not None
        ctx = Context(now=self._clock.now(), ids=self._ids,
                      master_key_version=self._master_key_version)
        outcomes = [self._handle(pipeline.state, record, ctx) for record in records]
        started = time.perf_counter()
        try:
            async with pipeline.producer.transaction():
                # Records first, offsets after: the broker's transaction verification then
                # answers some produce requests NOT_ENOUGH_REPLICAS (the coordinator is writing
                # AddOffsetsToTxn) and aiokafka retries them, but the overlap is faster than
                # offsets first (docs/benchmarks.md: 1,088 vs 990 commands/s, medians of 5).
                for outcome in outcomes:
                    await self._send(pipeline.producer, pipeline.tp.partition, outcome)
                await pipeline.producer.send_offsets_to_transaction(
                    {pipeline.tp: records[-1].offset + 1}, self._group
                )
        except Exception as exc:
            log.warning("transaction failed; restoring partition",
                        partition=pipeline.tp.partition, error=type(exc).__name__)
            return False
        metrics.TRANSACTION_SECONDS.observe(time.perf_counter() - started)
        for outcome in outcomes:
            metrics.COMMANDS_PROCESSED.labels("ok" if outcome.reply.ok else "refused").inc()
        return True

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

    async def _reset(self, failed: _Pipeline, offset: int) -> None:
        """After a failed transaction: fence, restore from the log, re-read the commands.

        The state may hold decisions whose transaction aborted, and records after the failed
        batch may be queued; both are dropped and read again from the committed offset. A
        partition the group revoked meanwhile (a zombie woken up: its transaction was fenced
        while it was rejoining) is left alone: its next assignment restores it. Restarting it
        here would leave a pipeline that the revocation's cancel stops half-started and the
        assignment takes for a live one, so that nothing processed the partition again.
        """
        tp = failed.tp
        if self._pipelines.get(tp.partition) is not failed:
            return
        await self._release(tp.partition, cancel_task=False)
        if self._consumer is None or tp not in self._consumer.assignment():
            return
        pipeline = self._pipelines[tp.partition] = _Pipeline(tp)
        self._consumer.seek(tp, offset)
        self._consumer.resume(tp)
        while self._pipelines.get(tp.partition) is pipeline:
            try:
                await self._start(pipeline)
                return
            except Exception as exc:
                log.warning("partition restore failed; retrying", partition=tp.partition,
                            error=type(exc).__name__)
                await asyncio.sleep(1.0)

    async def _start(self, pipeline: _Pipeline) -> None:
        """Fence the previous owner, restore the state, then drain what has queued up."""
        tp = pipeline.tp
        started = time.perf_counter()
        producer = AIOKafkaProducer(
            **kafka_options(self._settings),
            transactional_id=f"{self._settings.topic_prefix}-processor-{tp.partition}",
            enable_idempotence=True,
            acks="all",
            linger_ms=0,
            retry_backoff_ms=5,
        )
        try:
            # Starting the producer runs InitProducerId: it fences the previous owner of this
            # transactional id and aborts its open transaction before we read the log back.
            await producer.start()
            state = await restore(self._settings, self._topics.events, tp.partition)
        except BaseException:
            await producer.stop()
            raise
        if self._pipelines.get(tp.partition) is not pipeline:  # revoked while restoring
            await producer.stop()
            return
        pipeline.producer, pipeline.state = producer, state
        pipeline.task = asyncio.create_task(self._drain(pipeline), name=f"partition-{tp}")
        metrics.PARTITIONS_OWNED.set(len(self._pipelines))
        metrics.RESTORE_SECONDS.observe(time.perf_counter() - started)
        log.info("partition acquired", partition=tp.partition, accounts=len(state.accounts),
                 seconds=round(time.perf_counter() - started, 3))

    async def _release(self, partition: int, *, cancel_task: bool = True) -> None:
        pipeline = self._pipelines.pop(partition, None)
        metrics.PARTITIONS_OWNED.set(len(self._pipelines))
        if pipeline is None:
            return
        async with pipeline.busy:  # let the transaction in flight finish
            if cancel_task and pipeline.task is not None:
                pipeline.task.cancel()
        if cancel_task and pipeline.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await pipeline.task
        if pipeline.producer is not None:
            with contextlib.suppress(Exception):
                await pipeline.producer.stop()

    async def on_assigned(self, assigned: set[TopicPartition]) -> None:
        """Take ownership: fence, restore. Commands wait meanwhile (nothing is refused)."""
        # The queues exist before restoring: records fetched meanwhile wait in them.
        fresh = [tp for tp in assigned if tp.partition not in self._pipelines]
        for tp in fresh:
            self._pipelines[tp.partition] = _Pipeline(tp)
        await asyncio.gather(*(self._start(self._pipelines[tp.partition]) for tp in fresh))
        if fresh:
            # Restores finish after serve's own settle_heap(): freeze the restored states too,
            # or every full collection walks them again (35-255 ms each, docs/benchmarks.md).
            settle_heap()
        self.ready.set()

    async def on_revoked(self, revoked: set[TopicPartition]) -> None:
        """Give up ownership after the transaction in flight finishes."""
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
    state = PartitionState(window=settings.idempotency_window)
    tp = TopicPartition(topic, partition)
    consumer = AIOKafkaConsumer(
        **kafka_options(settings),
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
