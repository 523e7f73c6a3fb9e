"""Commands sent the way a careful client sends them: same id on every retry."""

from __future__ import annotations

import asyncio
import time

from domain.commands import Command
from services.command_client import CommandClient, ServiceUnavailable
from services.envelopes import Reply


async def send_until_ok(client: CommandClient, account: str, command: Command, command_id: str,
                        deadline_seconds: float = 120.0) -> Reply:
    """Retry on ServiceUnavailable with the same idempotency key until a reply comes."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            return await client.send(account, command, command_id=command_id)
        except ServiceUnavailable:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)
