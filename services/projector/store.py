"""Writes a batch's `Changes` and the checkpoint in one Postgres transaction."""

from __future__ import annotations

import asyncpg

from services.projector.changes import TABLES, Changes, RowChanges
from services.projector.session_rows import write_sessions


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
    spans = sorted(positions.items())
    topics = [topic for (topic, _), _ in spans]
    partitions = [partition for (_, partition), _ in spans]
    async with conn.transaction():
        # Two round trips for every partition of the batch together: lock and read, then move.
        stored = {
            (row["topic"], row["partition"]): row["next_offset"]
            for row in await conn.fetch(
                f'SELECT c.topic, c.partition, c.next_offset FROM "{schema}".checkpoints AS c'
                " JOIN unnest($1::text[], $2::integer[]) AS b(topic, partition)"
                " ON c.topic = b.topic AND c.partition = b.partition"
                " ORDER BY c.topic, c.partition FOR UPDATE OF c",
                topics, partitions,
            )
        }
        for (topic, partition), (first, _) in spans:
            # Transaction markers occupy offsets, so a batch may start after the stored offset;
            # starting before it would apply events twice.
            if stored.get((topic, partition), 0) > first:
                raise CheckpointMismatch(partition, stored[(topic, partition)], first)
        if spans:
            await conn.execute(
                f'INSERT INTO "{schema}".checkpoints (topic, partition, next_offset)'
                " SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[])"
                " ON CONFLICT (topic, partition)"
                " DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()",
                topics, partitions, [after for _, (_, after) in spans],
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
        await conn.execute(
            f'DELETE FROM "{schema}".users WHERE user_id = ANY($1::text[])',
            sorted(changes.user_deletes),
        )
    if changes.user_renames:
        await _rename_users(conn, schema, changes)
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
    if changes.key_uses:
        uses = sorted(changes.key_uses.items())
        await conn.execute(
            f'UPDATE "{schema}".access_keys AS k SET last_used_date = u.used_at,'
            " last_used_service = u.service, last_used_region = u.region"
            " FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[])"
            " AS u(access_key_id, used_at, service, region)"
            " WHERE k.access_key_id = u.access_key_id",
            [key for key, _ in uses], [use[0] for _, use in uses],
            [use[1] for _, use in uses], [use[2] for _, use in uses],
        )
    for table, table_rows in changes.table_changes():
        await _write_rows(conn, schema, table, table_rows, changes.gone)
    await write_sessions(conn, schema, changes.sessions)


async def _rename_users(conn: asyncpg.Connection, schema: str, changes: Changes) -> None:
    renames = sorted(changes.user_renames.items())
    ids = [user_id for user_id, _ in renames]
    # Names move in two steps so that swapping two names within one batch never collides
    # on the (account_id, name_key) key; keys follow by their old owner name.
    await conn.execute(
        f'UPDATE "{schema}".users SET name_key = \'#\' || user_id WHERE user_id = ANY($1::text[])',
        ids,
    )
    await conn.execute(
        f'UPDATE "{schema}".users AS u SET name_key = lower(r.user_name), user_name = r.user_name,'
        " path = r.path, arn = r.arn"
        " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])"
        " AS r(user_id, user_name, path, arn) WHERE u.user_id = r.user_id",
        ids, [r.user_name for _, r in renames], [r.path for _, r in renames],
        [r.arn for _, r in renames],
    )
    await conn.execute(
        f'UPDATE "{schema}".access_keys AS k SET user_name = r.user_name, owner_arn = r.arn'
        " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])"
        " AS r(account_id, old_name, user_name, arn)"
        " WHERE k.account_id = r.account_id AND k.user_name = r.old_name",
        [r.account_id for _, r in renames], [r.old_name for _, r in renames],
        [r.user_name for _, r in renames], [r.arn for _, r in renames],
    )


async def _write_rows(conn: asyncpg.Connection, schema: str, table: str, rows: RowChanges,
                      gone: set[str]) -> None:
    columns, key_size, id_columns = TABLES[table]
    names = [name for name, _ in columns]
    if gone:
        ids = sorted(gone)
        where = " OR ".join(f"{column} = ANY($1::text[])" for column in id_columns)
        await conn.execute(f'DELETE FROM "{schema}".{table} WHERE {where}', ids)
    if rows.deletes:
        keys = sorted(rows.deletes)
        key_columns = columns[:key_size]
        await conn.execute(
            f'DELETE FROM "{schema}".{table} AS t USING unnest('
            + ", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(key_columns, 1))
            + f") AS d({', '.join(name for name, _ in key_columns)}) WHERE "
            + " AND ".join(f"t.{name} = d.{name}" for name, _ in key_columns),
            *[[key[i] for key in keys] for i in range(key_size)],
        )
    live = rows.live_rows(gone)
    if live:
        updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names[key_size:])
        conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        await conn.execute(
            f'INSERT INTO "{schema}".{table} ({", ".join(names)}) SELECT * FROM unnest('
            + ", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(columns, 1))
            + f") ON CONFLICT ({', '.join(names[:key_size])}) {conflict}",
            *[[row[i] for row in live] for i in range(len(columns))],
        )
