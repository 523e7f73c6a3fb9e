"""`iamlog projections status`: stored offset, log end and lag per partition."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer

from events.topics import Topics
from services.kafka_options import kafka_options
from services.projector.migrate import LIVE_SCHEMA
from services.projector.rebuild import log_extent
from services.projector.store import stored_offsets
from services.settings import Settings


@dataclass(frozen=True, slots=True)
class PartitionStatus:
    """How far one partition of the log is projected."""

    partition: int
    next_offset: int
    end_offset: int

    @property
    def lag(self) -> int:
        """Offsets on the log not yet in the read models (transaction markers included)."""
        return max(0, self.end_offset - self.next_offset)


async def projection_status(settings: Settings) -> list[PartitionStatus]:
    """One `PartitionStatus` per partition of `<prefix>.events`."""
    topic = Topics.for_prefix(settings.topic_prefix).events
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    consumer = AIOKafkaConsumer(**kafka_options(settings),
                                isolation_level="read_committed", enable_auto_commit=False)
    await consumer.start()
    try:
        stored = await stored_offsets(conn, LIVE_SCHEMA, topic)
        _, ends = await log_extent(consumer, topic)
    finally:
        await consumer.stop()
        await conn.close()
    return [PartitionStatus(tp.partition, stored.get(tp.partition, 0), end)
            for tp, end in sorted(ends.items())]
