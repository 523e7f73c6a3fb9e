"""`projections rebuild` gives exactly the rows the live projection gave."""

from __future__ import annotations

import asyncpg

from domain.commands import (
    CreateAccessKey,
    CreateAccount,
    CreateUser,
    DeleteAccessKey,
    DeleteUser,
    UpdateAccessKey,
)
from services.command_client import CommandClient
from services.projector.rebuild import rebuild
from services.settings import Settings
from tests.integration.harness import eventually

TABLES = {
    "accounts": "account_id",
    "users": "account_id, name_key",
    "access_keys": "access_key_id",
}


async def snapshot(db: asyncpg.Connection) -> dict[str, list[tuple[object, ...]]]:
    """Every read-model row, ordered."""
    return {table: [tuple(row) for row in await db.fetch(
        f"SELECT * FROM iamlog_rm.{table} ORDER BY {order}")]  # noqa: S608 - fixed names
        for table, order in TABLES.items()}


async def test_rebuild_equals_live_projection(  # type: ignore[no-untyped-def]
    settings: Settings, spawn, client: CommandClient, db: asyncpg.Connection, account_id: str
) -> None:
    """A scenario touching every event type, projected live, then replayed from scratch."""
    spawn("processor", "projector")
    other = str(int(account_id) // 10 * 10 + (int(account_id) % 10 + 1) % 10).zfill(12)
    version = 0
    for account in (account_id, other):
        await client.send(account, CreateAccount())
        for name in ("ann", "ben", "cid"):
            await client.send(account, CreateUser(user_name=name, path="/team/"))
        key = (await client.send(account, CreateAccessKey(user_name="ann"))).events[0].data
        await client.send(account, CreateAccessKey(user_name="ben"))
        await client.send(account, UpdateAccessKey(access_key_id=key["access_key_id"],
                                                   status="Inactive", user_name="ann"))
        await client.send(account, DeleteAccessKey(access_key_id=key["access_key_id"],
                                                   user_name="ann"))
        version = (await client.send(account, DeleteUser(user_name="cid"))).version

    async def versions() -> list[int]:
        return [row["version"] for row in await db.fetch("SELECT version FROM iamlog_rm.accounts")]

    await eventually(versions, lambda v: v == [version, version])
    live = await snapshot(db)
    assert len(live["accounts"]) == 2
    assert len(live["users"]) == 4
    progress: list[tuple[int, int]] = []
    result = await rebuild(settings, lambda done, total: progress.append((done, total)))
    assert 2 * version == result.events
    assert progress[-1][0] == progress[-1][1] >= result.events
    assert live == await snapshot(db)
