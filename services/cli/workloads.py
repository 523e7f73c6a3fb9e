"""`iamlog workloads …`: bind workloads to instance profiles, unbind them, list them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import asyncpg
import typer

from domain.commands import UnbindWorkload
from domain.errors import ValidationError
from domain.ids import account_id, entity_name
from services.bootstrap import master_keys
from services.command_client import send_once
from services.credentials.workload_sessions import binding, new_token
from services.projector.profile_queries import list_workloads
from services.settings import Settings, get_settings

app = typer.Typer(no_args_is_help=True, help=__doc__)


async def bind_workload(settings: Settings, account: str, workload: str, *,
                        profile: str | None, role: str | None) -> dict[str, str]:
    """Bind `workload`; return its token (shown this once) with the workload and profile."""
    token = new_token()
    command = binding(workload, token, datetime.now(UTC), settings.workload_session_seconds,
                      master_keys(settings).current_version,
                      profile_name=role if role is not None else str(profile), role_name=role)
    reply = await send_once(settings, account, command)
    bound = next(e.data for e in reply.events if e.type == "iamlog.workload.bound")
    return {"Workload": bound["workload"], "Profile": bound["profile_name"], "Token": token}


async def unbind_workload(settings: Settings, account: str, workload: str) -> dict[str, Any]:
    """Unbind `workload`; return the sessions revoked with it."""
    reply = await send_once(settings, account, UnbindWorkload(workload=workload))
    unbound = reply.events[0].data
    return {"Workload": unbound["workload"], "Profile": unbound["profile_name"],
            "RevokedSessionIds": unbound["revoked_session_ids"]}


async def _list(settings: Settings, account: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        return await list_workloads(conn, account)
    finally:
        await conn.close()


def _checked(account: str, workload: str | None = None) -> None:
    account_id(account)
    if workload is not None:
        entity_name(workload, "workload")


@app.command("bind")
def bind(
    account: str = typer.Option(..., "--account", help="12 digits"),
    workload: str = typer.Option(..., "--workload", help="the workload's name"),
    profile: str | None = typer.Option(None, "--profile", help="an instance profile"),
    role: str | None = typer.Option(None, "--role",
                                    help="a role: its instance profile of the same name is "
                                         "created first if needed"),
) -> None:
    """Bind a workload; print its token once, as JSON (needs `iamlog serve`)."""
    _checked(account, workload)
    if (profile is None) == (role is None):
        raise ValidationError("Give exactly one of --profile and --role.")
    if profile is not None:
        entity_name(profile, "instanceProfileName")
    if role is not None:
        entity_name(role, "roleName")
    typer.echo(json.dumps(asyncio.run(bind_workload(get_settings(), account, workload,
                                                    profile=profile, role=role))))


@app.command("unbind")
def unbind(
    account: str = typer.Option(..., "--account", help="12 digits"),
    workload: str = typer.Option(..., "--workload", help="the workload's name"),
) -> None:
    """Remove a workload's binding and revoke its sessions; print what was revoked."""
    _checked(account, workload)
    typer.echo(json.dumps(asyncio.run(unbind_workload(get_settings(), account, workload))))


@app.command("list")
def list_command(account: str = typer.Option(..., "--account", help="12 digits")) -> None:
    """The account's workload bindings, as JSON (from the read model)."""
    _checked(account)
    typer.echo(json.dumps(asyncio.run(_list(get_settings(), account))))
