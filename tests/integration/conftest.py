"""Fixtures for tests against the real Kafka and Postgres of `iamlog dev up`."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from services.command_client import CommandClient
from services.settings import Settings
from tests.integration.harness import RoleProcess


@pytest.fixture
def account_id() -> str:
    """A random 12-digit account id."""
    return f"{random.randrange(10**11, 10**12)}"


@pytest.fixture
def roles(settings: Settings, tmp_path: Path) -> Iterator[list[RoleProcess]]:
    """Started role processes are registered here and stopped after the test."""
    started: list[RoleProcess] = []
    yield started
    for process in started:
        process.stop()


@pytest.fixture
def spawn(settings: Settings, tmp_path: Path, roles: list[RoleProcess]):  # type: ignore[no-untyped-def]
    """Start `iamlog serve --role …` children: `spawn("processor")`, `spawn("projector")`."""
    def start(*names: str) -> RoleProcess:
        log = tmp_path / f"{'-'.join(names)}-{len(roles)}.log"
        process = RoleProcess(settings, list(names), log).start()
        roles.append(process)
        return process
    return start


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[CommandClient]:
    """A started command client (the api's side of the bus)."""
    command_client = CommandClient(settings, reply_timeout=30)
    await command_client.start()
    yield command_client
    await command_client.stop()


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A connection to this test's read-model database."""
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    yield conn
    await conn.close()
