"""Small helpers over aiokafka's metadata."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition


async def partitions_of(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """Every partition of `topic` (empty if it does not exist), from fresh metadata."""
    # `consumer.topics()` fetches metadata but drops the partition map, and
    # `partitions_for_topic` only knows subscribed topics; the client's fetch returns both.
    cluster = await consumer._client.fetch_all_metadata()
    return [TopicPartition(topic, p) for p in sorted(cluster.partitions_for_topic(topic) or ())]
