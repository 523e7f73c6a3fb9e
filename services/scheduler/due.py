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

Kind = Literal["renew", "expire", "key-due", "key-expire", "key-disable", "key-delete"]


@dataclass(frozen=True, slots=True)
class _Work:
    """Where one kind of due work is found: the table aliased `s` (locked), its joins, the
    condition that it is still to do, its due instant and the id naming the item."""

    source: str
    pending: str
    due: str
    subject: str


_SESSION = ("s.expires_at, s.workload, s.profile, NULL::text AS user_name, s.renewed_by",
            '"{schema}".sessions AS s')
_KEY_COLUMNS = "NULL::timestamptz AS expires_at, NULL::text AS workload, NULL::text AS profile," \
    " k.user_name, NULL::text AS renewed_by"
_SCHEDULE = '"{schema}".access_key_schedule AS s JOIN "{schema}".access_keys AS k' \
    " ON k.access_key_id = s.access_key_id"
_ROTATION = '"{schema}".access_key_rotations AS s JOIN "{schema}".access_keys AS k' \
    " ON k.access_key_id = s.access_key_id"
_WORK: dict[Kind, tuple[_Work, str]] = {
    "renew": (_Work(_SESSION[1], "s.state = 'active' AND s.renew_at IS NOT NULL",
                    "s.renew_at", "s.session_id"), _SESSION[0]),
    "expire": (_Work(_SESSION[1], "s.state = 'active'", "s.expires_at", "s.session_id"),
               _SESSION[0]),
    "key-due": (_Work(_SCHEDULE, "k.status <> 'Expired' AND NOT s.rotation_noted",
                      "s.rotation_due_at", "s.access_key_id"), _KEY_COLUMNS),
    "key-expire": (_Work(_SCHEDULE, "k.status <> 'Expired'", "s.expires_at",
                         "s.access_key_id"), _KEY_COLUMNS),
    "key-disable": (_Work(_ROTATION, "k.status = 'Active'", "s.disable_at", "s.access_key_id"),
                    _KEY_COLUMNS),
    "key-delete": (_Work(_ROTATION, "TRUE", "s.delete_at", "s.access_key_id"), _KEY_COLUMNS),
}
KINDS: tuple[Kind, ...] = tuple(_WORK)


@dataclass(frozen=True, slots=True)
class DueItem:
    """One renewal, expiry or key step that is due."""

    kind: Kind
    subject: str  # a session id or an access key id
    account_id: str
    due_at: datetime
    expires_at: datetime | None
    workload: str | None
    profile: str | None
    user_name: str | None
    renewed_by: str | None = None  # sessions: the session that replaced it, if any

    @property
    def item(self) -> str:
        """Its name in `scheduler_claims`, also the seed of its command id."""
        return f"{self.kind}:{self.subject}"


async def rebuilding(conn: asyncpg.Connection) -> bool:
    """True while a projection rebuild replays the log (call inside a transaction)."""
    return not await conn.fetchval("SELECT pg_try_advisory_xact_lock_shared($1)", REBUILD_LOCK)


def claim_sql(schema: str, kind: Kind) -> str:
    """The statement `claim` runs: $1 now, $2 the item prefix, $3 the limit, $4 the lease end."""
    work, columns = _WORK[kind]
    # The claim is looked up row by row (a scalar subquery: one primary-key probe per due row
    # read in due order), not as an anti-join: the planner hashed the whole claims table
    # for that (~2 minutes of claims at the steady rate, 60k rows at 100k workloads) on
    # every pass, which made a pass take 0.2-0.5 s and renewals late.
    return (
        f"WITH due AS (SELECT {work.subject} AS subject, s.account_id, {work.due} AS due_at,"
        f" {columns} FROM {work.source.format(schema=schema)}"
        f" WHERE {work.pending} AND {work.due} <= $1"
        f" AND coalesce((SELECT c.until FROM \"{schema}\".scheduler_claims AS c"
        f" WHERE c.item = $2 || {work.subject}), '-infinity') <= $1"
        f" ORDER BY {work.due} LIMIT $3 FOR UPDATE OF s SKIP LOCKED),"
        f" claimed AS (INSERT INTO \"{schema}\".scheduler_claims (item, until)"
        " SELECT $2 || subject, $4 FROM due"
        " ON CONFLICT (item) DO UPDATE SET until = EXCLUDED.until)"
        " SELECT * FROM due ORDER BY due_at")


async def claim(conn: asyncpg.Connection, schema: str, kind: Kind, now: datetime, *,
                limit: int, lease_until: datetime) -> list[DueItem]:
    """Claim up to `limit` due items of `kind`, most overdue first (call inside a transaction)."""
    rows = await conn.fetch(claim_sql(schema, kind), now, f"{kind}:", limit, lease_until)
    return [DueItem(kind, row["subject"], row["account_id"], row["due_at"], row["expires_at"],
                    row["workload"], row["profile"], row["user_name"], row["renewed_by"])
            for row in rows]


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
    """What the metrics show: live sessions by kind, the oldest overdue item, keys past their
    rotation due instant."""

    active: dict[str, int]
    oldest_due: datetime | None
    keys_rotation_due: int


async def backlog(conn: asyncpg.Connection, schema: str, now: datetime) -> Backlog:
    """Count live sessions and keys past rotation due; find the oldest due renewal or
    expiry."""
    active = {row["kind"]: row["n"] for row in await conn.fetch(
        f"SELECT kind, count(*) AS n FROM \"{schema}\".sessions WHERE state = 'active'"
        " GROUP BY kind")}
    oldest = await conn.fetchval(
        f"SELECT least((SELECT min(renew_at) FROM \"{schema}\".sessions"
        "               WHERE state = 'active' AND renew_at <= $1),"
        f"             (SELECT min(expires_at) FROM \"{schema}\".sessions"
        "               WHERE state = 'active' AND expires_at <= $1))", now)
    keys_due = await conn.fetchval(
        f"SELECT count(*) FROM \"{schema}\".access_key_schedule AS s"
        f" JOIN \"{schema}\".access_keys AS k ON k.access_key_id = s.access_key_id"
        " WHERE s.rotation_due_at <= $1 AND k.status <> 'Expired'", now)
    return Backlog(active, oldest, int(keys_due))
