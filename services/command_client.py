"""The api's side of the command bus: produce a command, await its reply.

Each client reads every partition of `<prefix>.replies` (read_committed, from the end) and
resolves the futures of its own command ids; replies to other replicas' commands are ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from domain.commands import Command
from domain.errors import DomainError, error_from_code
from events.kafka_meta import partitions_of
from events.topics import Topics
from services import metrics
from services.envelopes import CommandEnvelope, Reply
from services.kafka_options import kafka_options
from services.settings import Settings


class ServiceUnavailable(DomainError):
    """The log could not take the command or no reply came in time (HTTP 503, retryable)."""

    code = "ServiceUnavailable"
    http_status = 503

    def __init__(self, message: str) -> None:
        super().__init__(message)


class CommandClient:
    """Sends commands keyed by account id and returns the processor's replies."""

    def __init__(self, settings: Settings, *, reply_timeout: float = 10.0) -> None:
        self._settings = settings
        self._topics = Topics.for_prefix(settings.topic_prefix)
        self._timeout = reply_timeout
        self._pending: dict[str, asyncio.Future[Reply]] = {}
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect, and position the reply reader at the end before any command is sent."""
        self._producer = AIOKafkaProducer(
            **kafka_options(self._settings),
            enable_idempotence=True,
            acks="all",
            linger_ms=1,  # under load, commands in flight share produce requests
            request_timeout_ms=5000,
        )
        consumer = AIOKafkaConsumer(
            **kafka_options(self._settings),
            enable_auto_commit=False,
            isolation_level="read_committed",
            fetch_max_wait_ms=50,
        )
        try:  # a broker out of reach fails a start: close what was opened, then report it
            await self._producer.start()
            await consumer.start()
            tps = await partitions_of(consumer, self._topics.replies)
            if not tps:
                raise ServiceUnavailable(f"topic {self._topics.replies} does not exist")
            consumer.assign(tps)
            await consumer.seek_to_end(*tps)
            for tp in tps:
                await consumer.position(tp)  # resolve now: replies after this are seen
        except BaseException:
            await consumer.stop()
            await self._producer.stop()
            raise
        self._consumer = consumer
        self._reader = asyncio.create_task(self._read_replies(), name="reply-reader")

    async def stop(self) -> None:
        """Close what start() opened; pending callers get ServiceUnavailable."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ServiceUnavailable("the api is shutting down"))
        if self._consumer is not None:
            await self._consumer.stop()
        if self._producer is not None:
            await self._producer.stop()

    async def send(self, account_id: str, command: Command, *, command_id: str | None = None,
                   traceparent: str | None = None) -> Reply:
        """Send one command and wait for its reply."""
        if self._producer is None:
            raise ServiceUnavailable("command client not started")
        envelope = CommandEnvelope(
            command_id=command_id or uuid.uuid4().hex,
            account_id=account_id,
            command=command,
            traceparent=traceparent,
        )
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[envelope.command_id] = future
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout):
                await self._producer.send_and_wait(
                    self._topics.commands,
                    envelope.model_dump_json().encode(),
                    key=account_id.encode(),
                )
                reply = await future
        except (TimeoutError, KafkaError) as exc:
            raise ServiceUnavailable(
                "The command could not be confirmed in time; it is safe to retry."
            ) from exc
        finally:
            # A late reply to an abandoned wait is dropped; a retry with the same command id
            # gets the first outcome again from the processor.
            if self._pending.get(envelope.command_id) is future:
                del self._pending[envelope.command_id]
        metrics.COMMAND_ROUNDTRIP_SECONDS.observe(time.perf_counter() - started)
        return reply

    async def _read_replies(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batches.values():
                for record in records:
                    self._resolve(record.value)

    def _resolve(self, value: bytes | None) -> None:
        if not self._pending:
            return
        reply = Reply.model_validate_json(value or b"{}")
        future = self._pending.pop(reply.command_id, None)
        if future is not None and not future.done():
            future.set_result(reply)


async def send_once(settings: Settings, account_id: str, command: Command) -> Reply:
    """Send one command with a client of its own (the CLI); a refusal raises its DomainError."""
    client = CommandClient(settings, reply_timeout=30)
    await client.start()
    try:
        reply = await client.send(account_id, command)
    finally:
        await client.stop()
    if not reply.ok:
        raise error_from_code(reply.error_code or "ServiceFailure",
                              reply.error_message or "refused")
    return reply
