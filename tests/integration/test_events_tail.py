"""`iamlog events tail` filters and JSON output, read by another program."""

from __future__ import annotations

import json
import subprocess
import sys

from domain.commands import CreateAccessKey, CreateAccount, CreateUser
from services.command_client import CommandClient
from services.settings import Settings
from tests.integration.harness import ROOT, role_env


async def test_tail_filters_by_type_and_account_as_json(  # type: ignore[no-untyped-def]
    settings: Settings, spawn, client: CommandClient, account_id: str
) -> None:
    """Only the access-key events of one account, one JSON object per line."""
    spawn("processor")
    other = f"{(int(account_id) + 1) % 10**12:012d}"
    for account in (account_id, other):
        await client.send(account, CreateAccount())
        await client.send(account, CreateUser(user_name="ann"))
        await client.send(account, CreateAccessKey(user_name="ann"))
    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "events", "tail", "--from-beginning",
         "--limit", "2", "--type", "iamlog.access_key.*", "--account", account_id, "--json"],
        cwd=ROOT, env=role_env(settings), capture_output=True, text=True, timeout=60, check=True)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [("iamlog.access_key.issued", account_id)] * 2 == [
        (line["type"], line["data"]["account_id"]) for line in lines]
    assert [None, "ann"] == sorted((line["data"]["user_name"] for line in lines),
                                   key=lambda name: name or "")
    assert all("salt" in line["data"] and "secret" not in json.dumps(line) for line in lines)
