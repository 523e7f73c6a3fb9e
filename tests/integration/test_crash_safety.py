"""SIGKILL of the processor and the projector under load loses and duplicates nothing."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import asyncpg

from domain.commands import CreateAccount, CreateUser
from events.topics import Topics
from services.command_client import CommandClient
from services.envelopes import Reply
from services.settings import Settings
from tests.integration.harness import eventually, read_topic
from tests.integration.load import send_until_ok

USERS_PER_ACCOUNT = 60
WORKERS = 12


async def test_sigkill_processor_and_projector_mid_load(  # type: ignore[no-untyped-def]
    settings: Settings, spawn, db: asyncpg.Connection
) -> None:
    """Every acknowledged command has its event exactly once; read models match the log."""
    client = CommandClient(settings, reply_timeout=4)
    await client.start()
    try:
        processor = spawn("processor")
        projector = spawn("projector")
        accounts = [f"{random.randrange(10**11, 10**12)}" for _ in range(4)]
        for account in accounts:
            assert (await send_until_ok(client, account, CreateAccount(), f"create-{account}")).ok
        work = [(account, f"user{i}", f"cmd-{account}-{i}")
                for i in range(USERS_PER_ACCOUNT) for account in accounts]
        acked: dict[str, Reply] = {}

        async def worker(items: list[tuple[str, str, str]]) -> None:
            for account, name, command_id in items:
                acked[command_id] = await send_until_ok(
                    client, account, CreateUser(user_name=name), command_id)

        load = asyncio.gather(*(worker(work[n::WORKERS]) for n in range(WORKERS)))
        await eventually(lambda: _count(acked), lambda n: n >= 40, timeout=60, interval=0.01)
        processor.kill()
        projector.kill()
        spawn("processor")
        await eventually(lambda: _count(acked), lambda n: n >= 120, timeout=90, interval=0.01)
        spawn("projector")
        await load

        again = await client.send(accounts[0], CreateUser(user_name="user0"),
                                  command_id=f"cmd-{accounts[0]}-0")
        assert (again.ok, again.duplicate) == (True, True)
    finally:
        await client.stop()

    assert len(work) == len(acked)
    assert all(reply.ok for reply in acked.values())
    events = await read_topic(settings, Topics.for_prefix(settings.topic_prefix).events)
    per_command = Counter(dict(r.headers)["ce_iamlogcommandid"].decode() for r in events)
    assert dict.fromkeys(acked, 1) == {
        command_id: per_command[command_id] for command_id in acked}
    assert len(accounts) * 2 + len(work) == len(events)  # nothing beyond what was acknowledged

    async def users() -> int:
        return int(await db.fetchval("SELECT count(*) FROM iamlog_rm.users"))

    await eventually(users, lambda n: n == len(work), timeout=60)
    versions = await db.fetch("SELECT account_id, version FROM iamlog_rm.accounts")
    assert dict.fromkeys(accounts, 2 + USERS_PER_ACCOUNT) == {
        row["account_id"]: row["version"] for row in versions}


async def _count(acked: dict[str, Reply]) -> int:
    return len(acked)
