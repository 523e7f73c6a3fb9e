"""`iamlog accounts …`: accounts and their root users."""

from __future__ import annotations

import asyncio
import json

import typer

from domain.commands import CreateAccount
from domain.ids import account_id as valid_account_id
from domain.ids import root_arn
from services.bootstrap import master_keys
from services.command_client import send_once
from services.credentials.secrets import secret_for
from services.settings import Settings, get_settings

app = typer.Typer(no_args_is_help=True, help=__doc__)


async def create_account(settings: Settings, account: str) -> dict[str, str]:
    """Create `account`; return its root key with the secret (shown this once)."""
    keys = master_keys(settings)
    reply = await send_once(settings, account, CreateAccount())  # a refusal keeps its code
    issued = next(e.data for e in reply.events if e.type == "iamlog.access_key.issued")
    return {
        "AccountId": account,
        "Arn": root_arn(account),
        "AccessKeyId": issued["access_key_id"],
        "SecretAccessKey": secret_for(keys, issued["master_key_version"],
                                      issued["access_key_id"], issued["salt"]),
    }


@app.command("create")
def create(account_id: str = typer.Option(..., "--account-id", help="12 digits")) -> None:
    """Create an account; print its root access key once, as JSON (needs `iamlog serve`)."""
    valid_account_id(account_id)
    created = asyncio.run(create_account(get_settings(), account_id))
    typer.echo(json.dumps(created))
