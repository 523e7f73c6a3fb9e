"""After a scenario, no secret appears in any topic, any table or any log."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import asyncpg

from domain.commands import CreateAccessKey, CreateRole, CreateUser, UpdateAccessKey
from events.schemas import SessionRenewed, WorkloadSessionIssued
from events.topics import Topics
from services.bootstrap import master_keys
from services.command_client import CommandClient
from services.credentials.secrets import secret_for
from services.credentials.session_tokens import tokens_for
from services.credentials.workload_sessions import claims_of, mint, renewal
from services.settings import Settings
from tests.integration.harness import ROOT, RoleProcess, eventually, read_topic, role_env


async def all_rows_text(db: asyncpg.Connection) -> str:
    """Every row of every table in the test database, as JSON text."""
    tables = await db.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables"
        " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")
    parts = []
    for table in tables:
        rows = await db.fetch(
            f'SELECT row_to_json(t)::text AS j FROM "{table[0]}"."{table[1]}" t')  # noqa: S608
        parts.extend(row["j"] for row in rows)
    return "\n".join(parts)


async def test_no_secret_in_topics_tables_or_logs(  # type: ignore[no-untyped-def]
    settings: Settings, spawn, roles: list[RoleProcess], client: CommandClient,
    db: asyncpg.Connection, account_id: str,
) -> None:
    """The root key from the CLI, user keys, a workload's token and its sessions' secrets
    never leave the reply (or the derivation) that made them."""
    spawn("processor", "projector")
    created = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "accounts", "create",
         "--account-id", account_id],
        cwd=ROOT, env=role_env(settings), capture_output=True, text=True, timeout=60, check=True,
    )
    root = json.loads(created.stdout)
    assert {"AccountId", "Arn", "AccessKeyId", "SecretAccessKey"} == set(root)
    assert len(root["SecretAccessKey"]) == 40
    keys = master_keys(settings)
    secrets = {root["SecretAccessKey"]}
    await client.send(account_id, CreateUser(user_name="carol"))
    for _ in range(2):
        issued = (await client.send(account_id, CreateAccessKey(user_name="carol"))).events[0].data
        secrets.add(secret_for(keys, issued["master_key_version"], issued["access_key_id"],
                               issued["salt"]))
        await client.send(account_id, UpdateAccessKey(
            access_key_id=issued["access_key_id"], status="Inactive", user_name="carol"))
    topics = Topics.for_prefix(settings.topic_prefix)
    root_issued = _issued(await read_topic(settings, topics.events), root["AccessKeyId"])
    # The printed secret is the derivation from the event's salt: nothing else holds it.
    assert root["SecretAccessKey"] == secret_for(
        keys, root_issued["master_key_version"], root["AccessKeyId"], root_issued["salt"])
    await eventually(lambda: db.fetchval(
        "SELECT count(*) FROM iamlog_rm.access_keys WHERE status = 'Inactive'"), lambda n: n == 2)
    secrets |= await _workload_secrets(settings, client, account_id)
    for process in roles:
        process.stop()

    haystacks = {"logs": "\n".join(process.log_text() for process in roles) + created.stderr,
                 "tables": await all_rows_text(db)}
    for topic in (topics.commands, topics.events, topics.replies, topics.deadletter):
        records = await read_topic(settings, topic)
        haystacks[topic] = "\n".join(
            (r.value or b"").decode(errors="replace") + repr(r.headers) for r in records)
    assert all(haystacks[name] for name in (topics.events, "tables", "logs"))
    master = [form for key in keys.keys.values()
              for form in (key.hex(), base64.b64encode(key).decode())]
    for name, text in haystacks.items():
        leaked = [s for s in [*secrets, *master] if s in text]
        assert leaked == [], f"secret found in {name}"


async def _workload_secrets(settings: Settings, client: CommandClient,
                            account_id: str) -> set[str]:
    """Bind a workload through the CLI and renew its session: its token and the secrets and
    session tokens of both sessions (derived from their events as the api would)."""
    trust = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action":'
             ' "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}]}')
    await client.send(account_id, CreateRole(role_name="web", assume_role_policy_document=trust))
    bound = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "workloads", "bind", "--account",
         account_id, "--role", "web", "--workload", "api"],
        cwd=ROOT, env=role_env(settings), capture_output=True, text=True, timeout=60, check=True)
    token = json.loads(bound.stdout)["Token"]
    assert token not in bound.stderr
    keys = master_keys(settings)
    events = await read_topic(settings, Topics.for_prefix(settings.topic_prefix).events)
    issued = next(json.loads(r.value) for r in events
                  if dict(r.headers)["ce_type"] == b"iamlog.workload.session_issued")
    renewed = await client.send(account_id, renewal(
        "api", issued["session_id"], datetime.now(UTC), 600, keys.current_version))
    assert renewed.ok, renewed.error_message
    found = {token}
    for event in (WorkloadSessionIssued.model_validate(issued),
                  SessionRenewed.model_validate(renewed.events[0].data)):
        found.update(mint(tokens_for(keys), claims_of(event), event.master_key_version))
    return found


def _issued(records, key_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    for record in records:
        data = json.loads(record.value)
        if data.get("access_key_id") == key_id and "salt" in data:
            return dict(data)
    raise AssertionError(f"no issued event for {key_id}")
