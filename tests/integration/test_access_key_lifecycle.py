"""The access-key lifecycle end to end on the real Kafka and Postgres."""

from __future__ import annotations

from typing import Any

import asyncpg

from domain.commands import (
    CreateAccessKey,
    CreateAccount,
    CreateUser,
    DeleteAccessKey,
    UpdateAccessKey,
)
from events import cloudevents
from events.topics import Topics
from services.command_client import CommandClient
from services.settings import Settings
from tests.integration.harness import eventually, read_topic

CE_HEADERS = {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject",
              "ce_sequence", "content-type"}


async def account_version(db: asyncpg.Connection, account: str) -> int:
    """The read model's version of `account` (0 when not projected yet)."""
    return int(await db.fetchval(
        "SELECT version FROM iamlog_rm.accounts WHERE account_id = $1", account) or 0)


async def keys_of(db: asyncpg.Connection, account: str) -> dict[str, Any]:
    """access key id → (user, status) in the read model."""
    rows = await db.fetch("SELECT access_key_id, user_name, status FROM iamlog_rm.access_keys"
                          " WHERE account_id = $1", account)
    return {row["access_key_id"]: (row["user_name"], row["status"]) for row in rows}


async def test_access_key_lifecycle(settings: Settings, spawn, client: CommandClient,  # type: ignore[no-untyped-def]
                                    db: asyncpg.Connection, account_id: str) -> None:
    """Create, refuse a third key, disable, enable, delete: log and read models agree."""
    spawn("processor", "projector")
    created = await client.send(account_id, CreateAccount())
    assert created.ok
    root_key = created.events[1].data["access_key_id"]
    assert (await client.send(account_id, CreateUser(user_name="alice"))).ok
    first = await client.send(account_id, CreateAccessKey(user_name="alice"))
    second = await client.send(account_id, CreateAccessKey(user_name="alice"))
    key1 = first.events[0].data["access_key_id"]
    key2 = second.events[0].data["access_key_id"]
    third = await client.send(account_id, CreateAccessKey(user_name="alice"))
    assert (third.ok, third.error_code) == (False, "LimitExceeded")
    for status in ("Inactive", "Active"):
        reply = await client.send(account_id, UpdateAccessKey(
            access_key_id=key1, status=status, user_name="alice"))
        assert reply.ok
    deleted = await client.send(account_id, DeleteAccessKey(access_key_id=key1,
                                                            user_name="alice"))
    assert deleted.version == 8

    log = await read_topic(settings, Topics.for_prefix(settings.topic_prefix).events)
    records = [r for r in log if r.key == account_id.encode()]
    expected_types = [
        "iamlog.account.created", "iamlog.access_key.issued", "iamlog.user.created",
        "iamlog.access_key.issued", "iamlog.access_key.issued", "iamlog.access_key.disabled",
        "iamlog.access_key.enabled", "iamlog.access_key.deleted",
    ]
    assert expected_types == [dict(r.headers)["ce_type"].decode() for r in records]
    for number, record in enumerate(records, 1):
        headers = dict(record.headers)
        assert set(headers) >= CE_HEADERS
        assert f"{number:020d}" == headers["ce_sequence"].decode()
        assert f"iamlog/{account_id}" == headers["ce_source"].decode()
        assert headers["content-type"] == b"application/json"
        decoded = cloudevents.decode(record.headers, record.value)
        assert decoded.event.subject() == headers["ce_subject"].decode()
    alice = f"arn:aws:iam::{account_id}:user/alice"
    assert alice == dict(records[3].headers)["ce_subject"].decode()

    await eventually(lambda: account_version(db, account_id), lambda v: v == 8)
    assert {root_key: (None, "Active"), key2: ("alice", "Active")} == await keys_of(db, account_id)
    users = await db.fetch("SELECT user_name, arn FROM iamlog_rm.users WHERE account_id = $1",
                           account_id)
    assert [("alice", f"arn:aws:iam::{account_id}:user/alice")] == [tuple(u) for u in users]


async def test_bad_input_changes_nothing(settings: Settings, spawn, client: CommandClient,  # type: ignore[no-untyped-def]
                                         db: asyncpg.Connection, account_id: str) -> None:
    """A 65-character name, a name with `/` and an unknown user get their codes; no event."""
    spawn("processor", "projector")
    assert (await client.send(account_id, CreateAccount())).ok
    cases = [
        (CreateUser(user_name="a" * 65), "ValidationError"),
        (CreateUser(user_name="bad/name"), "ValidationError"),
        (CreateUser(user_name="x", path="no-slashes"), "ValidationError"),
        (CreateAccessKey(user_name="nobody"), "NoSuchEntity"),
        (UpdateAccessKey(access_key_id="AKIAAAAAAAAAAAAAAAAA", status="Inactive"),
         "NoSuchEntity"),
    ]
    for command, code in cases:
        reply = await client.send(account_id, command)
        assert (False, code) == (reply.ok, reply.error_code), command
        assert reply.error_message
    marker = await client.send(account_id, CreateUser(user_name="after"))
    assert marker.version == 3  # account.created, access_key.issued, then this user: no others
    await eventually(lambda: account_version(db, account_id), lambda v: v == 3)
    names = await db.fetch("SELECT user_name FROM iamlog_rm.users WHERE account_id = $1",
                           account_id)
    assert [row["user_name"] for row in names] == ["after"]
