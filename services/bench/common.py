"""Shared pieces of the benchmark commands: scratch databases, percentiles, result files."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from services.projector.migrate import migrate

RESULTS_DIR = Path("bench-results")


@asynccontextmanager
async def scratch_database(base_url: str, label: str) -> AsyncIterator[str]:
    """A migrated database that exists for the duration of one benchmark or test."""
    name = f"iamlog_{label}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(base_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = f"{base_url.rsplit('/', 1)[0]}/{name}"
    try:
        await migrate(url)
        yield url
    finally:
        await _drop(base_url, name)


async def _drop(base_url: str, name: str) -> None:
    # FORCE ends our own lingering sessions, but not an autovacuum worker (it belongs to the
    # superuser): that one finishes within moments, so the drop is retried for a while.
    admin = await asyncpg.connect(base_url)
    try:
        for attempt in range(100):
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except (asyncpg.InsufficientPrivilegeError, asyncpg.ObjectInUseError):
                if attempt == 99:
                    raise
                await asyncio.sleep(0.1)
    finally:
        await admin.close()


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values lie (nearest rank)."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def record_result(name: str, figures: dict[str, Any]) -> Path:
    """Append one run's figures to `bench-results/<name>.jsonl` (for plots over time)."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.jsonl"
    line = {"time": datetime.now(UTC).isoformat(timespec="seconds"), **figures}
    with path.open("a") as out:
        out.write(json.dumps(line) + "\n")
    return path
