"""Writes a batch's `Changes` and the checkpoint in one Postgres transaction."""

from __future__ import annotations

import asyncpg

from services.projector.changes import Changes


class CheckpointMismatch(RuntimeError):
    """The stored offset is not where this batch starts: another writer moved it."""

    def __init__(self, partition: int, stored: int | None, expected: int) -> None:
        super().__init__(f"partition {partition}: stored offset {stored}, batch starts {expected}")
        self.partition = partition
        self.stored = stored


async def stored_offsets(conn: asyncpg.Connection, schema: str, topic: str) -> dict[int, int]:
    """The next offset to apply, per partition."""
    rows = await conn.fetch(
        f'SELECT partition, next_offset FROM "{schema}".checkpoints WHERE topic = $1', topic
    )
    return {row["partition"]: row["next_offset"] for row in rows}


async def write_batch(
    conn: asyncpg.Connection,
    schema: str,
    changes: Changes,
    positions: dict[tuple[str, int], tuple[int, int]],
) -> None:
    """Apply `changes` and move each (topic, partition) from its first to its next offset.

    Each checkpoint row is locked and compared first: a batch that starts before the stored
    offset is refused, so no event is ever applied twice — even by a zombie projector.
    """
    async with conn.transaction():
        for (topic, partition), (first, after) in sorted(positions.items()):
            stored = await conn.fetchval(
                f'SELECT next_offset FROM "{schema}".checkpoints'
                " WHERE topic = $1 AND partition = $2 FOR UPDATE",
                topic, partition,
            )
            # Transaction markers occupy offsets, so a batch may start after the stored offset;
            # starting before it would apply events twice.
            if (stored or 0) > first:
                raise CheckpointMismatch(partition, stored, first)
            await conn.execute(
                f'INSERT INTO "{schema}".checkpoints (topic, partition, next_offset)'
                " VALUES ($1, $2, $3) ON CONFLICT (topic, partition)"
                " DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()",
                topic, partition, after,
            )
        await _write_changes(conn, schema, changes)


async def _write_changes(conn: asyncpg.Connection, schema: str, changes: Changes) -> None:
    created = [row for row in changes.accounts.values() if row.created_at is not None]
    if created:
        await conn.execute(
            f'INSERT INTO "{schema}".accounts (account_id, root_arn, created_at, version)'
            " SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::bigint[])"
            " ON CONFLICT (account_id) DO UPDATE SET version = EXCLUDED.version",
            [r.account_id for r in created], [r.root_arn for r in created],
            [r.created_at for r in created], [r.version for r in created],
        )
    bumped = [row for row in changes.accounts.values() if row.created_at is None]
    if bumped:
        await conn.execute(
            f'UPDATE "{schema}".accounts AS a SET version = GREATEST(a.version, v.version)'
            " FROM unnest($1::text[], $2::bigint[]) AS v(account_id, version)"
            " WHERE a.account_id = v.account_id",
            [r.account_id for r in bumped], [r.version for r in bumped],
        )
    if changes.user_deletes:
        deletes = sorted(changes.user_deletes)
        await conn.execute(
            f'DELETE FROM "{schema}".users AS u USING unnest($1::text[], $2::text[])'
            " AS d(account_id, name_key)"
            " WHERE u.account_id = d.account_id AND u.name_key = d.name_key",
            [d[0] for d in deletes], [d[1] for d in deletes],
        )
    if changes.user_upserts:
        rows = list(changes.user_upserts.values())
        await conn.execute(
            f'INSERT INTO "{schema}".users'
            " (account_id, name_key, user_name, user_id, path, arn, created_at)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
            " $6::text[], $7::timestamptz[])"
            " ON CONFLICT (account_id, name_key) DO UPDATE SET user_name = EXCLUDED.user_name,"
            " user_id = EXCLUDED.user_id, path = EXCLUDED.path, arn = EXCLUDED.arn,"
            " created_at = EXCLUDED.created_at",
            [r.account_id for r in rows], [r.name_key for r in rows],
            [r.user_name for r in rows], [r.user_id for r in rows], [r.path for r in rows],
            [r.arn for r in rows], [r.created_at for r in rows],
        )
    if changes.key_deletes:
        await conn.execute(
            f'DELETE FROM "{schema}".access_keys WHERE access_key_id = ANY($1::text[])',
            sorted(changes.key_deletes),
        )
    full = [r for r in changes.key_upserts.values() if r.created_at is not None]
    if full:
        await conn.execute(
            f'INSERT INTO "{schema}".access_keys'
            " (access_key_id, account_id, user_name, owner_arn, status, created_at)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
            " $6::timestamptz[])"
            " ON CONFLICT (access_key_id) DO UPDATE SET status = EXCLUDED.status",
            [r.access_key_id for r in full], [r.account_id for r in full],
            [r.user_name for r in full], [r.owner_arn for r in full],
            [r.status for r in full], [r.created_at for r in full],
        )
    status_only = [r for r in changes.key_upserts.values() if r.created_at is None]
    if status_only:
        await conn.execute(
            f'UPDATE "{schema}".access_keys AS k SET status = s.status'
            " FROM unnest($1::text[], $2::text[]) AS s(access_key_id, status)"
            " WHERE k.access_key_id = s.access_key_id",
            [r.access_key_id for r in status_only], [r.status for r in status_only],
        )
