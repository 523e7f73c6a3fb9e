"""A test's or benchmark's topics exist for its duration and are deleted after it."""

from __future__ import annotations

import uuid

from aiokafka.admin import AIOKafkaAdminClient

from events.topics import scratch_topics, topic_specs
from services.settings import Settings


async def _names(settings: Settings) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def test_scratch_topics_are_created_then_deleted() -> None:
    """Inside the block every topic of the prefix exists; after it none does, while another
    prefix's topics are left alone."""
    settings = Settings(topic_prefix=f"t{uuid.uuid4().hex[:10]}", partitions=2)
    other = Settings(topic_prefix=f"t{uuid.uuid4().hex[:10]}", partitions=2)
    mine = {spec.name for spec in topic_specs(settings)}
    theirs = {spec.name for spec in topic_specs(other)}

    async with scratch_topics(other):
        async with scratch_topics(settings):
            assert mine | theirs <= await _names(settings)
        after = await _names(settings)
        assert set() == mine & after
        assert theirs <= after
