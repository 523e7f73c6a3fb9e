"""`iamlog dev up | down | status`: the broker, the cluster, the topics and the dev master key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from services.devstack.kafka import KafkaNode
from services.devstack.master_key import ensure_dev_master_key
from services.devstack.postgres import PostgresCluster
from services.devstack.status import ComponentStatus
from services.devstack.topics import ensure_topics
from services.settings import Settings

Say = Callable[[str], None]


@dataclass(frozen=True)
class StackStatus:
    """Both components, and the dev master key file if the stack keeps one."""

    kafka: ComponentStatus
    postgres: ComponentStatus
    state_dir: Path
    master_key_file: Path | None

    @property
    def available(self) -> bool:
        """Whether Kafka and Postgres both accept clients."""
        return self.kafka.available and self.postgres.available


def up(settings: Settings, say: Say, warn: Say) -> StackStatus:
    """Start whatever is not running, then create the topics and, if needed, the dev key."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    PostgresCluster.from_settings(settings).up(say)
    KafkaNode.from_settings(settings).up(say)
    if ensure_topics(settings):
        say(f"kafka: topics {settings.topic_prefix}.* are in place")
    else:
        warn("kafka: events.topics.ensure_topics is not available yet; no topics created")
    if _uses_dev_key(settings) and ensure_dev_master_key(settings.master_key_file):
        warn(
            f"created a master key at {settings.master_key_file}: for DEVELOPMENT ONLY. "
            "Production sets IAMLOG_MASTER_KEYS from a secret store."
        )
    return status(settings)


def down(settings: Settings, say: Say) -> None:
    """Stop the broker, then the cluster; data stays for the next `up`."""
    if KafkaNode.from_settings(settings).down():
        say("kafka: stopped")
    if PostgresCluster.from_settings(settings).down():
        say("postgres: stopped")


def status(settings: Settings) -> StackStatus:
    """What runs where."""
    return StackStatus(
        kafka=KafkaNode.from_settings(settings).status(),
        postgres=PostgresCluster.from_settings(settings).status(),
        state_dir=settings.state_dir,
        master_key_file=settings.master_key_file if _uses_dev_key(settings) else None,
    )


def _uses_dev_key(settings: Settings) -> bool:
    return not settings.master_keys.get_secret_value()
