"""Due work in the `sessions` read model, claimed with `FOR UPDATE SKIP LOCKED`.

A claim locks due rows that no replica holds, records `<kind>:<session id>` in
`scheduler_claims` until a lease ends, and commits at once: the command goes out after the
transaction, so the projector never waits on a scheduler. Until the projector shows the work
done, other replicas skip the claimed item; if a replica dies, the lease ends and another takes
the item over (its command id is the same, so the processor decides it once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from services.projector.rebuild import REBUILD_LOCK

Kind = Literal["renew", "expire"]

_DUE_COLUMN: dict[Kind, str] = {"renew": "renew_at", "expire": "expires_at"}


@dataclass(frozen=True, slots=True)
class DueItem:
    """One session whose renewal or expiry is due."""

    kind: Kind
    session_id: str
    account_id: str
    due_at: datetime
    expires_at: datetime
    workload: str | None
    profile: str | None

    @property
    def item(self) -> str:
        """Its name in `scheduler_claims`, also the seed of its command id."""
        return f"{self.kind}:{self.session_id}"


async def rebuilding(conn: asyncpg.Connection) -> bool:
    """True while a projection rebuild replays the log (call inside a transaction)."""
    return not await conn.fetchval("SELECT pg_try_advisory_xact_lock_shared($1)", REBUILD_LOCK)


async def claim(conn: asyncpg.Connection, schema: str, kind: Kind, now: datetime, *,
                limit: int, lease_until: datetime) -> list[DueItem]:
    """Claim up to `limit` due items of `kind`, most overdue first (call inside a transaction)."""
    column = _DUE_COLUMN[kind]
    rows = await conn.fetch(
        f"WITH due AS (SELECT s.session_id, s.account_id, s.{column} AS due_at, s.expires_at,"
        f" s.workload, s.profile FROM \"{schema}\".sessions AS s"
        f" WHERE s.state = 'active' AND s.{column} <= $1"
        f" AND NOT EXISTS (SELECT 1 FROM \"{schema}\".scheduler_claims AS c"
        f" WHERE c.item = $2 || s.session_id AND c.until > $1)"
        f" ORDER BY s.{column} LIMIT $3 FOR UPDATE OF s SKIP LOCKED),"
        f" claimed AS (INSERT INTO \"{schema}\".scheduler_claims (item, until)"
        f" SELECT $2 || session_id, $4 FROM due"
        " ON CONFLICT (item) DO UPDATE SET until = EXCLUDED.until)"
        " SELECT * FROM due ORDER BY due_at",
        now, f"{kind}:", limit, lease_until,
    )
    return [DueItem(kind, row["session_id"], row["account_id"], row["due_at"],
                    row["expires_at"], row["workload"], row["profile"]) for row in rows]


async def hold(conn: asyncpg.Connection, schema: str, items: list[str],
               until: datetime) -> None:
    """Keep claims until `until` (a refused item is not retried before then)."""
    await conn.execute(
        f'UPDATE "{schema}".scheduler_claims SET until = $2 WHERE item = ANY($1::text[])',
        items, until)


async def forget_claims(conn: asyncpg.Connection, schema: str, before: datetime) -> None:
    """Drop claims whose lease ended before `before`."""
    await conn.execute(f'DELETE FROM "{schema}".scheduler_claims WHERE until < $1', before)


@dataclass(frozen=True, slots=True)
class Backlog:
    """What the metrics show: live sessions by kind, and the oldest overdue item."""

    active: dict[str, int]
    oldest_due: datetime | None


async def backlog(conn: asyncpg.Connection, schema: str, now: datetime) -> Backlog:
    """Count live sessions and find the oldest due renewal or expiry."""
    active = {row["kind"]: row["n"] for row in await conn.fetch(
        f"SELECT kind, count(*) AS n FROM \"{schema}\".sessions WHERE state = 'active'"
        " GROUP BY kind")}
    oldest = await conn.fetchval(
        f"SELECT least((SELECT min(renew_at) FROM \"{schema}\".sessions"
        "               WHERE state = 'active' AND renew_at <= $1),"
        f"             (SELECT min(expires_at) FROM \"{schema}\".sessions"
        "               WHERE state = 'active' AND expires_at <= $1))", now)
    return Backlog(active, oldest)
