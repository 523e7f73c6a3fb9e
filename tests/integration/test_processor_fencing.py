"""A processor woken up as a zombie: its transaction is fenced while the group revokes the
partition; given the partition back, it processes it again (found by the fault suite)."""

from __future__ import annotations

import asyncio
import contextlib
import random

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import ConsumerRecord

from domain.commands import CreateAccount, CreateUser
from services.command_client import CommandClient, ServiceUnavailable
from services.kafka_options import kafka_options
from services.settings import Settings
from tests.integration.test_processor_heap import running


async def test_a_partition_revoked_while_its_transaction_is_fenced_is_restored_on_assignment(
        settings: Settings, client: CommandClient) -> None:
    """The group revokes the partition while its transaction is in flight and a new owner has
    fenced it; the failed transaction's reset must not restart the revoked partition (the
    revocation cancelled that restart half-way and the next assignment took the half-started
    pipeline for a live one: the partition was never processed again, and nothing was logged).
    Assigned again, the processor answers the next command."""
    account = f"{random.randrange(10**11, 10**12)}"
    partition = DefaultPartitioner()(account.encode(), list(range(settings.partitions)), [])
    async with running(settings) as processor:
        assert (await client.send(account, CreateAccount())).ok
        tp = TopicPartition(f"{settings.topic_prefix}.commands", partition)
        # Another processor takes the partition over: starting its producer fences ours.
        owner = AIOKafkaProducer(**kafka_options(settings), enable_idempotence=True,
                                 transactional_id=f"{settings.topic_prefix}-processor-{partition}")
        await owner.start()
        await owner.stop()
        revoking: asyncio.Queue[asyncio.Task[None]] = asyncio.Queue()
        commit = processor._commit

        async def commit_while_revoked(pipeline: object, records: list[ConsumerRecord]) -> bool:
            revoking.put_nowait(asyncio.create_task(processor.on_revoked({tp})))
            return await commit(pipeline, records)  # type: ignore[arg-type]

        processor._commit = commit_while_revoked  # type: ignore[method-assign]
        fenced = asyncio.create_task(client.send(account, CreateUser(user_name="fenced")))
        try:
            async with asyncio.timeout(30):
                await (await revoking.get())
            processor._commit = commit  # type: ignore[method-assign]

            await processor.on_assigned({tp})  # the group gives the partition back
            async with asyncio.timeout(20):
                reply = await client.send(account, CreateUser(user_name="after"))
            assert reply.ok, reply
            assert partition in processor.partitions
        finally:
            fenced.cancel()
            with contextlib.suppress(asyncio.CancelledError, ServiceUnavailable):
                await fenced
