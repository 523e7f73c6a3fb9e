"""Queries for the operator CLI: the `sessions` read model (`iamlog sessions list`, revocation
by id) and which account a session or key is in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from services.projector.migrate import LIVE_SCHEMA

_COLUMNS = ("session_id", "account_id", "kind", "principal_arn", "role_arn", "workload",
            "profile", "session_key_id", "issued_at", "expires_at", "renew_at", "renewed_by",
            "state", "ended_at", "end_reason")


@dataclass(frozen=True, slots=True)
class SessionFilter:
    """Which sessions to list; None matches everything."""

    account_id: str | None = None
    role_arn: str | None = None
    state: str | None = None
    kind: str | None = None
    workload: str | None = None


async def list_sessions(conn: asyncpg.Connection, only: SessionFilter, *, limit: int,
                        schema: str = LIVE_SCHEMA) -> list[dict[str, Any]]:
    """Sessions matching `only`, newest first, at most `limit`."""
    rows = await conn.fetch(
        f"SELECT {', '.join(_COLUMNS)} FROM \"{schema}\".sessions"
        " WHERE ($1::text IS NULL OR account_id = $1) AND ($2::text IS NULL OR role_arn = $2)"
        " AND ($3::text IS NULL OR state = $3) AND ($4::text IS NULL OR kind = $4)"
        " AND ($5::text IS NULL OR workload = $5)"
        " ORDER BY issued_at DESC, session_id LIMIT $6",
        only.account_id, only.role_arn, only.state, only.kind, only.workload, limit)
    return [dict(row) for row in rows]


async def account_of_session(conn: asyncpg.Connection, session_id: str,
                             schema: str = LIVE_SCHEMA) -> str | None:
    """The account a session is recorded in, or None if the read model has not seen it."""
    account: str | None = await conn.fetchval(
        f'SELECT account_id FROM "{schema}".sessions WHERE session_id = $1', session_id)
    return account


async def account_of_key(conn: asyncpg.Connection, access_key_id: str,
                         schema: str = LIVE_SCHEMA) -> str | None:
    """The account of a long-term access key, or None if the read model has not seen it."""
    account: str | None = await conn.fetchval(
        f'SELECT account_id FROM "{schema}".access_keys WHERE access_key_id = $1',
        access_key_id)
    return account
