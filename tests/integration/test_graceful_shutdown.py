"""SIGTERM under load: the processor finishes, leaves cleanly, and nothing acknowledged is lost."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from domain.commands import CreateAccount, CreateUser
from events.topics import Topics
from services.command_client import CommandClient
from services.envelopes import Reply
from services.settings import Settings
from tests.integration.harness import eventually, read_topic
from tests.integration.load import send_until_ok


async def test_sigterm_under_load_loses_nothing(settings: Settings, spawn,  # type: ignore[no-untyped-def]
                                                account_id: str) -> None:
    """A processor stopped with SIGTERM mid-load exits promptly; its successor continues."""
    client = CommandClient(settings, reply_timeout=5)
    await client.start()
    try:
        first = spawn("processor")
        assert (await send_until_ok(client, account_id, CreateAccount(), "acct")).ok
        acked: dict[str, Reply] = {}

        async def worker(offset: int) -> None:
            for n in range(offset, 120, 6):
                acked[f"u{n}"] = await send_until_ok(client, account_id,
                                                     CreateUser(user_name=f"u{n}"), f"u{n}")

        load = asyncio.gather(*(worker(offset) for offset in range(6)))
        await eventually(lambda: _count(acked), lambda n: n >= 30, timeout=60, interval=0.01)
        stopping = time.monotonic()
        assert first.process is not None
        first.stop()  # SIGTERM, then waits for the exit
        assert 0 == first.process.returncode
        assert time.monotonic() - stopping < 20
        spawn("processor")
        await load
    finally:
        await client.stop()
    assert all(reply.ok for reply in acked.values())
    events = await read_topic(settings, Topics.for_prefix(settings.topic_prefix).events)
    per_command = Counter(dict(r.headers)["ce_iamlogcommandid"].decode() for r in events)
    assert dict.fromkeys(acked, 1) == {command_id: per_command[command_id]
                                       for command_id in acked}
    assert 2 + len(acked) == len(events)


async def _count(acked: dict[str, Reply]) -> int:
    return len(acked)
