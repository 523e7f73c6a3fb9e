"""One writer per partition: concurrent commands across two processors keep AWS's limits."""

from __future__ import annotations

import asyncio

import asyncpg

from domain.commands import CreateAccessKey, CreateAccount, CreateUser
from events.topics import Topics
from services.command_client import CommandClient
from services.settings import Settings
from tests.integration.harness import eventually, read_topic
from tests.integration.load import send_until_ok


async def test_fifty_concurrent_key_creations_yield_two_keys(  # type: ignore[no-untyped-def]
    settings: Settings, spawn, client: CommandClient, db: asyncpg.Connection, account_id: str
) -> None:
    """50 CreateAccessKey for one user, a second processor joining mid-burst: exactly 2 keys."""
    spawn("processor", "projector")
    assert (await send_until_ok(client, account_id, CreateAccount(), "acct")).ok
    assert (await send_until_ok(client, account_id, CreateUser(user_name="bob"), "bob")).ok
    burst = [send_until_ok(client, account_id, CreateAccessKey(user_name="bob"), f"key-{n}")
             for n in range(50)]
    second = spawn("processor")  # joins the group: a rebalance moves partitions mid-burst
    replies = await asyncio.gather(*burst)
    assert second.process is not None
    assert second.process.poll() is None

    outcomes = sorted((reply.ok, reply.error_code or "") for reply in replies)
    assert outcomes == [(False, "LimitExceeded")] * 48 + [(True, "")] * 2
    events = await read_topic(settings, Topics.for_prefix(settings.topic_prefix).events)
    issued = [r for r in events if dict(r.headers)["ce_type"] == b"iamlog.access_key.issued"
              and dict(r.headers)["ce_subject"].endswith(b":user/bob")]
    assert len(issued) == 2

    async def bob_keys() -> int:
        return int(await db.fetchval(
            "SELECT count(*) FROM iamlog_rm.access_keys WHERE user_name = 'bob'"))

    assert await eventually(bob_keys, lambda n: n == 2) == 2
