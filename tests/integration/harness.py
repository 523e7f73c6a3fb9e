"""Real role processes and log readers for integration tests."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from events.kafka_meta import partitions_of
from services.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def role_env(settings: Settings) -> dict[str, str]:
    """The environment that points a child process at this test's topics and database."""
    env = dict(os.environ)
    env.update({
        "IAMLOG_TOPIC_PREFIX": settings.topic_prefix,
        "IAMLOG_DATABASE_URL": settings.database_url.get_secret_value(),
        "IAMLOG_PARTITIONS": str(settings.partitions),
        "IAMLOG_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "IAMLOG_STATE_DIR": str(settings.state_dir),  # where the dev master key lives
        "IAMLOG_LOG_LEVEL": "INFO",
        # Role processes of one test run side by side: each takes a free port for its probes.
        "IAMLOG_HTTP_PORT": "0",
    })
    if settings.clock_offset_file is not None:  # a test that moves the roles' clocks
        env["IAMLOG_CLOCK_OFFSET_FILE"] = str(settings.clock_offset_file)
    return env


class RoleProcess:
    """`iamlog serve --role …` as a child process, its output in a log file."""

    def __init__(self, settings: Settings, roles: list[str], log_path: Path,
                 env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.roles = roles
        self.log_path = log_path
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RoleProcess:
        """Spawn the process (it starts consuming shortly after)."""
        args = [sys.executable, "-m", "services.cli.main", "serve"]
        for role in self.roles:
            args += ["--role", role]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            args, cwd=ROOT, env={**role_env(self.settings), **self.env}, stdout=log,
            stderr=subprocess.STDOUT
        )
        log.close()
        return self

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye to Kafka or Postgres."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_text(self) -> str:
        """Everything the process wrote."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


async def eventually(probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool],
                     timeout: float = 30.0, interval: float = 0.1) -> T:
    """Poll `probe` until `accept` holds for its value; fail with the last value otherwise."""
    deadline = time.monotonic() + timeout
    value = await probe()
    while not accept(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {value!r}")
        await asyncio.sleep(interval)
        value = await probe()
    return value


async def read_topic(settings: Settings, topic: str) -> list[ConsumerRecord]:
    """Every committed record of `topic`, in partition then offset order."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers,
                                isolation_level="read_committed", enable_auto_commit=False)
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        tps = await partitions_of(consumer, topic)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=500)
            for part in batches.values():
                records.extend(part)
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return sorted(records, key=lambda r: (r.partition, r.offset))
