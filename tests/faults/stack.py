"""A private Kafka + Postgres for tests that stop them: the shared dev stack is never touched.

The stack lives under a temporary state directory and listens on free loopback ports; it
reuses the Kafka jars already cached for the shared stack (a symlink), so starting it costs a
broker start-up and an `initdb`, not a download.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

from services.bench.common import free_port
from services.devstack import stack
from services.devstack.kafka import KAFKA_VERSION, KafkaNode
from services.devstack.postgres import PostgresCluster
from services.settings import DEFAULT_STATE_DIR, Settings


def _port_pair() -> int:
    """A free port whose successor is free too (the broker and its controller)."""
    while True:
        port = free_port()
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port


@dataclass(frozen=True)
class PrivateStack:
    """Kafka and Postgres of one test session, and how to stop and start each."""

    settings: Settings

    @classmethod
    def create(cls, state_dir: Path) -> PrivateStack:
        """Settings for a stack under `state_dir` on free ports (nothing started yet)."""
        libs = state_dir / f"kafka-{KAFKA_VERSION}" / "libs"
        cached = DEFAULT_STATE_DIR / f"kafka-{KAFKA_VERSION}" / "libs"
        if cached.is_dir():
            libs.parent.mkdir(parents=True, exist_ok=True)
            libs.symlink_to(cached, target_is_directory=True)
        pg_port = free_port()
        settings = Settings(
            state_dir=state_dir,
            kafka_bootstrap_servers=f"127.0.0.1:{_port_pair()}",
            database_url=f"postgresql://iamlog:iamlog@127.0.0.1:{pg_port}/iamlog",  # type: ignore[arg-type]
            topic_prefix=f"f{uuid.uuid4().hex[:10]}",
            partitions=4,
        )
        return cls(settings)

    @property
    def kafka(self) -> KafkaNode:
        """The private broker."""
        return KafkaNode.from_settings(self.settings)

    @property
    def postgres(self) -> PostgresCluster:
        """The private Postgres cluster."""
        return PostgresCluster.from_settings(self.settings)

    def up(self) -> None:
        """Start both, create the topics and the dev master key (blocking)."""
        stack.up(self.settings, say=_quiet, warn=_quiet)

    def destroy(self) -> None:
        """Stop both and remove their files (the cluster may live outside the state dir)."""
        stack.down(self.settings, say=_quiet)
        shutil.rmtree(self.postgres.base_dir, ignore_errors=True)

    async def stop_kafka(self) -> None:
        """Stop the broker (off the event loop: the load keeps running meanwhile)."""
        await asyncio.to_thread(self.kafka.down)

    async def start_kafka(self) -> None:
        """Start the broker again and wait until it answers."""
        await asyncio.to_thread(self.kafka.up, _quiet)

    async def stop_postgres(self) -> None:
        """Stop Postgres (fast shutdown: open connections are cut)."""
        await asyncio.to_thread(self.postgres.down)

    async def start_postgres(self) -> None:
        """Start Postgres again."""
        await asyncio.to_thread(self.postgres.up, _quiet)


def _quiet(_: str) -> None:
    """The stack's progress lines are not test output."""
