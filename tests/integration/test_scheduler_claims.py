"""The scheduler's claim stays cheap however many claims are held: Postgres plans it as one
primary-key probe of `scheduler_claims` per due row, never a scan of the whole table.

At 100,000 workloads the table holds ~60,000 claims (two minutes of them at 660 items/s) while
a pass finds a few hundred rows due; a `NOT EXISTS` anti-join was planned as a hash of every
claim, 0.2-0.5 s per pass, and renewals came seconds late (docs/benchmarks.md, scheduler)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.projector.migrate import LIVE_SCHEMA
from services.scheduler import due

SESSIONS = 60_000
DUE = 300
CLAIMS = 40_000


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def _fill(conn: asyncpg.Connection) -> datetime:
    """SESSIONS workload sessions of which DUE are due for renewal and expiry, CLAIMS claims
    (most of them ended), as a steady state looks; statistics taken."""
    now = datetime.now(UTC)
    await conn.execute(
        f"INSERT INTO {LIVE_SCHEMA}.sessions (session_id, account_id, kind, principal_arn,"  # noqa: S608
        " role_arn, session_key_id, issued_at, expires_at, renew_at, state, workload, profile)"
        " SELECT 's' || g, '1000000000' || (g % 100), 'workload', 'arn:aws:sts::1:x',"
        " 'arn:aws:iam::1:role/app', 'ASIA' || g, $1::timestamptz - interval '5 min',"
        " $1 + (g - $2::int) * interval '10 ms', $1 + (g - $2::int) * interval '10 ms', 'active',"
        " 'w' || g, 'p' FROM generate_series(1, $3::int) AS g",
        now, DUE, SESSIONS)
    await conn.execute(
        f"INSERT INTO {LIVE_SCHEMA}.scheduler_claims (item, until)"  # noqa: S608
        " SELECT 'renew:s' || g, $1::timestamptz + (g % 90 - 60) * interval '1 s'"
        " FROM generate_series($2::int, $2::int + $3::int - 1) AS g",
        now, SESSIONS - CLAIMS, CLAIMS)
    await conn.execute("ANALYZE")
    return now


async def test_a_claim_probes_the_claims_of_due_rows_only(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        now = await _fill(conn)
        for kind in ("renew", "expire"):
            raw = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {due.claim_sql(LIVE_SCHEMA, kind)}",
                                      now, f"{kind}:", 500, now + timedelta(seconds=30))
            plan = json.loads(raw)[0]["Plan"]
            scans = {(node["Node Type"], node.get("Index Name")) for node in _nodes(plan)
                     if node.get("Relation Name") == "scheduler_claims"
                     and node["Node Type"] != "ModifyTable"}  # the claims' own insert
            assert scans == {("Index Scan", "scheduler_claims_pkey")}, (kind, scans)
        # and it claims what is due, skipping what is claimed
        async with conn.transaction():
            items = await due.claim(conn, LIVE_SCHEMA, "renew", now, limit=1_000,
                                    lease_until=now + timedelta(seconds=30))
        assert len(items) == DUE
        assert [i.due_at for i in items] == sorted(i.due_at for i in items)
        async with conn.transaction():
            again = await due.claim(conn, LIVE_SCHEMA, "renew", now, limit=1_000,
                                    lease_until=now + timedelta(seconds=30))
        assert again == []
    finally:
        await conn.close()
