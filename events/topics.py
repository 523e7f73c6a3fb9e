"""Topic names and configs, and their idempotent creation (ARCHITECTURE.md §1–§3)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError


class TopicSettings(Protocol):
    """What topic creation needs to know (services.settings.Settings satisfies it)."""

    @property
    def kafka_bootstrap_servers(self) -> str: ...
    @property
    def topic_prefix(self) -> str: ...
    @property
    def partitions(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Topics:
    """The four topics of one deployment, named from its prefix."""

    commands: str
    events: str
    replies: str
    deadletter: str

    @classmethod
    def for_prefix(cls, prefix: str) -> Topics:
        """Topic names for `prefix`."""
        return cls(
            commands=f"{prefix}.commands",
            events=f"{prefix}.events",
            replies=f"{prefix}.replies",
            deadletter=f"{prefix}.deadletter",
        )


def topic_specs(settings: TopicSettings) -> list[NewTopic]:
    """Every topic with its partition count and configuration."""
    topics = Topics.for_prefix(settings.topic_prefix)
    forever = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}
    week = {"retention.ms": str(7 * 24 * 3600 * 1000)}
    # Commands, events and replies share the partition count: partition p of each holds the
    # same accounts, so the owner of commands[p] is the only writer of events[p].
    n = settings.partitions
    return [
        NewTopic(topics.commands, n, 1, topic_configs=week),
        NewTopic(topics.events, n, 1, topic_configs=forever),
        NewTopic(topics.replies, n, 1, topic_configs={"retention.ms": str(3600 * 1000)}),
        NewTopic(topics.deadletter, 1, 1, topic_configs=forever),
    ]


async def ensure_topics(settings: TopicSettings, **client_options: Any) -> None:
    """Create the topics that are missing; existing ones are left as they are.

    `client_options` replace the plain bootstrap connection (e.g. SASL over TLS).
    """
    admin = AIOKafkaAdminClient(
        **(client_options or {"bootstrap_servers": settings.kafka_bootstrap_servers}))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in topic_specs(settings) if spec.name not in existing]
        if missing:
            # Another process may create them between our list and create.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
            await _await_leaders(admin, [spec.name for spec in missing])
    finally:
        await admin.close()


async def delete_topics(settings: TopicSettings, **client_options: Any) -> None:
    """Delete the topics of `settings.topic_prefix` that exist (tests and benchmarks clean up
    the topics they made, so a long-lived dev broker does not pile them up)."""
    admin = AIOKafkaAdminClient(
        **(client_options or {"bootstrap_servers": settings.kafka_bootstrap_servers}))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        names = [spec.name for spec in topic_specs(settings) if spec.name in existing]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def scratch_topics(settings: TopicSettings, **client_options: Any) -> AsyncIterator[None]:
    """The prefix's topics for the duration of a test or benchmark: created, then deleted
    (best effort: a fault test may have stopped the broker)."""
    await ensure_topics(settings, **client_options)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            await delete_topics(settings, **client_options)


async def _await_leaders(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    """Wait until every partition of `names` has a leader: new topics refuse reads until then."""
    async with asyncio.timeout(30):
        while True:
            described = await admin.describe_topics(names)
            if all(
                topic.get("error_code", 0) == 0 and topic.get("partitions")
                and all(p.get("leader", -1) >= 0 for p in topic["partitions"])
                for topic in described
            ):
                return
            await asyncio.sleep(0.05)
