"""`iamlog keys …`: long-term key ages — expiries, a maximum age, the safe rotation dance."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated, Any

import asyncpg
import typer

from domain.commands import RotateAccessKey, SetAccessKeyExpiry, SetAccountKeyMaxAge
from domain.errors import NoSuchEntity, ValidationError
from domain.iam.key_schedule import MAX_AGE_DAYS
from domain.ids import account_id as valid_account_id
from domain.ids import entity_name
from services.bootstrap import master_keys
from services.cli import arguments
from services.command_client import send_once
from services.credentials.secrets import secret_for
from services.projector.session_queries import account_of_key
from services.settings import Settings, get_settings

app = typer.Typer(no_args_is_help=True, help=__doc__)


async def set_expiry(settings: Settings, key_id: str, at: datetime | None) -> dict[str, Any]:
    """Set (or clear) a key's own expiry; the answer names the expiry that applies."""
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        account = await account_of_key(conn, key_id)
    finally:
        await conn.close()
    if account is None:
        raise NoSuchEntity(f"The Access Key with id {key_id[:32]} cannot be found.")
    reply = await send_once(settings, account, SetAccessKeyExpiry(access_key_id=key_id,
                                                                  expires_at=at))
    found = [e.data for e in reply.events if e.type == "iamlog.access_key.expiry_set"]
    return {"AccessKeyId": key_id, "ExpiresAt": found[0]["expires_at"] if found else None,
            "RotationDueAt": found[0]["rotation_due_at"] if found else None,
            "Changed": bool(found)}


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text} is not an ISO 8601 time.") from None
    if moment.tzinfo is None:
        raise ValidationError(f"{text} has no time zone (add Z or +00:00).")
    return moment


@app.command("set-expiry")
def set_expiry_command(
    key_id: Annotated[str, typer.Argument(help="the AKIA… key id")],
    at: Annotated[str | None, typer.Option("--at", help="ISO 8601 time with zone")] = None,
    none: Annotated[bool, typer.Option("--none", help="clear the key's own expiry")] = False,
) -> None:
    """Give a key an expiry (or none); it is Expired from then on, rotation due at 80 %."""
    if (at is None) == (not none):
        raise typer.BadParameter("give --at TIME or --none")
    arguments.access_key_id(key_id)
    answer = asyncio.run(set_expiry(get_settings(), key_id,
                                    _moment(at) if at is not None else None))
    typer.echo(json.dumps(answer))


@app.command("set-max-age")
def set_max_age_command(
    account: Annotated[str, typer.Option("--account", help="12 digits")],
    days: Annotated[int | None, typer.Option("--days", min=1, max=MAX_AGE_DAYS)] = None,
    none: Annotated[bool, typer.Option("--none", help="no maximum")] = False,
) -> None:
    """Maximum access key age of an account (a user's iamlog:AccessKeyMaxAgeDays tag wins)."""
    if (days is None) == (not none):
        raise typer.BadParameter("give --days N or --none")
    valid_account_id(account)
    reply = asyncio.run(send_once(get_settings(), account,
                                  SetAccountKeyMaxAge(max_age_days=days)))
    changed = [e.data["access_key_id"] for e in reply.events
               if e.type == "iamlog.access_key.expiry_set"]
    typer.echo(json.dumps({"AccountId": account, "MaxAgeDays": days, "KeysRescheduled": changed}))


async def rotate(settings: Settings, account: str, user: str | None, grace: int,
                 delete_after: int) -> dict[str, Any]:
    """Issue the second key (its secret, this once) and schedule the old key's end."""
    keys = master_keys(settings)
    reply = await send_once(settings, account, RotateAccessKey(
        user_name=user, disable_after_seconds=grace, delete_after_seconds=delete_after))
    issued = next(e.data for e in reply.events if e.type == "iamlog.access_key.issued")
    started = next(e.data for e in reply.events
                   if e.type == "iamlog.access_key.rotation_started")
    return {"UserName": user, "AccessKeyId": issued["access_key_id"],
            "SecretAccessKey": secret_for(keys, issued["master_key_version"],
                                          issued["access_key_id"], issued["salt"]),
            "OldAccessKeyId": started["access_key_id"], "OldKeyDisabledAt": started["disable_at"],
            "OldKeyDeletedAt": started["delete_at"]}


@app.command("rotate")
def rotate_command(
    account: Annotated[str, typer.Option("--account", help="12 digits")],
    user: Annotated[str | None, typer.Option("--user", help="user name (none: root)")] = None,
    grace: Annotated[int, typer.Option("--grace", min=0, help="seconds until the old key is "
                                       "disabled")] = 3600,
    delete_after: Annotated[int, typer.Option("--delete-after", min=0, help="seconds until "
                                              "the old key is deleted")] = 86_400,
) -> None:
    """Create the second key and print it once; the scheduler disables the old key after the
    grace period and deletes it later — each step an event."""
    valid_account_id(account)
    if user is not None:
        entity_name(user, "userName")
    answer = asyncio.run(rotate(get_settings(), account, user, grace, delete_after))
    typer.echo(json.dumps(answer))
