"""`iamlog sessions …`: list session credentials, revoke them before they expire."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated, Any

import asyncpg
import typer
from rich.console import Console
from rich.table import Table

from domain.commands import Command, RevokeRoleSessions, RevokeSession
from domain.errors import NoSuchEntity
from domain.iam.sessions import check_reason
from domain.ids import account_id, entity_name
from services.cli import arguments
from services.command_client import send_once
from services.projector.session_queries import SessionFilter, account_of_session, list_sessions
from services.settings import Settings, get_settings

app = typer.Typer(no_args_is_help=True, help=__doc__)

STATES = ("active", "expired", "revoked")
KINDS = ("session_token", "assumed_role", "federated_user", "workload")


async def _sessions(settings: Settings, only: SessionFilter, limit: int) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        return await list_sessions(conn, only, limit=limit)
    finally:
        await conn.close()


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in row.items()}


@app.command("list")
def list_command(
    *,
    account: Annotated[str | None, typer.Option("--account", help="12-digit account id")] = None,
    role: Annotated[str | None, typer.Option("--role", help="role ARN")] = None,
    state: Annotated[str | None, typer.Option("--state", help=" | ".join(STATES))] = None,
    kind: Annotated[str | None, typer.Option("--kind", help=" | ".join(KINDS))] = None,
    workload: Annotated[str | None, typer.Option("--workload")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="a JSON array")] = False,
) -> None:
    """Sessions of every kind with their state (active, expired, revoked), newest first."""
    if state is not None and state not in STATES:
        raise typer.BadParameter(f"--state must be one of {', '.join(STATES)}")
    if kind is not None and kind not in KINDS:
        raise typer.BadParameter(f"--kind must be one of {', '.join(KINDS)}")
    if account is not None:
        account_id(account)
    if role is not None:
        arguments.role_arn(role)
    if workload is not None:
        entity_name(workload, "workload")
    rows = asyncio.run(_sessions(get_settings(), SessionFilter(
        account_id=account, role_arn=role, state=state, kind=kind, workload=workload), limit))
    if as_json:
        typer.echo(json.dumps([_jsonable(row) for row in rows]))
        return
    table = Table("session id", "account", "kind", "principal", "state", "issued", "expires")
    for row in rows:
        table.add_row(row["session_id"], row["account_id"], row["kind"], row["principal_arn"],
                      row["state"], f"{row['issued_at']:%Y-%m-%d %H:%M:%S}",
                      f"{row['expires_at']:%Y-%m-%d %H:%M:%S}")
    Console(width=200).print(table)


async def revoke(settings: Settings, session_id: str | None, role_arn: str | None,
                 reason: str) -> list[str]:
    """Revoke one session (found in the read model) or every live session of a role."""
    command: Command
    if role_arn is not None:
        account = arguments.role_arn(role_arn)
        command = RevokeRoleSessions(role_arn=role_arn, reason=reason)
    else:
        assert session_id is not None
        arguments.session_id(session_id)
        conn = await asyncpg.connect(settings.database_url.get_secret_value())
        try:
            found = await account_of_session(conn, session_id)
        finally:
            await conn.close()
        if found is None:
            raise NoSuchEntity(f"No session {session_id} is known.")
        account, command = found, RevokeSession(session_id=session_id, reason=reason)
    reply = await send_once(settings, account, command)
    return [event.data["session_id"] for event in reply.events
            if event.type == "iamlog.session.revoked"]


@app.command("revoke")
def revoke_command(
    session_id: Annotated[str | None, typer.Argument(help="the session id")] = None,
    role: Annotated[str | None, typer.Option("--role", help="revoke every session of this "
                                             "role ARN")] = None,
    reason: Annotated[str, typer.Option("--reason", help="1-256 characters, for the audit "
                                        "trail")] = "revoked by an operator",
) -> None:
    """Revoke a session, or all of a role's; every api replica refuses them at once."""
    if (session_id is None) == (role is None):
        raise typer.BadParameter("give a session id or --role ARN (one of them)")
    check_reason(reason)
    revoked = asyncio.run(revoke(get_settings(), session_id, role, reason))
    typer.echo(json.dumps({"Revoked": revoked}))
