"""A processor freezes the states it restores out of the cycle collector's full passes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
from collections.abc import AsyncIterator

import pytest

from domain.commands import CreateAccount, CreateUser
from services.command_client import CommandClient
from services.processor.worker import Processor
from services.runtime import SystemClock, SystemRandom
from services.settings import Settings


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Processor]:
    """An in-process processor that owns every partition and has restored them."""
    processor = Processor(settings, master_key_version=1, clock=SystemClock(), ids=SystemRandom())
    task = asyncio.create_task(processor.run())
    try:
        async with asyncio.timeout(60):
            await processor.ready.wait()
        yield processor
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.mark.usefixtures("restored_gc")
async def test_restored_state_is_frozen(settings: Settings, client: CommandClient) -> None:
    """After assignment, the accounts read back from the log are outside every generation."""
    account = f"{random.randrange(10**11, 10**12)}"
    async with running(settings):
        assert (await client.send(account, CreateAccount())).ok
        assert (await client.send(account, CreateUser(user_name="frozen"))).ok
    gc.unfreeze()

    async with running(settings) as processor:
        restored = next(pipeline.state.accounts[account]
                        for pipeline in processor._pipelines.values()
                        if pipeline.state is not None and account in pipeline.state.accounts)
        assert "frozen" in restored.users
        assert gc.get_freeze_count() > 0
        assert not any(obj is restored for generation in range(3)
                       for obj in gc.get_objects(generation=generation))
