"""The projector's batch write: few round trips, one transaction, checkpoints guarded."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from services.projector.batch import decode_batch
from services.projector.migrate import LIVE_SCHEMA
from services.projector.store import CheckpointMismatch, stored_offsets, write_batch
from tests.unit.projector_records import TOPIC, user_and_key_records


class _Counting(asyncpg.Connection):  # type: ignore[misc]
    """Counts the statements sent (each one a round trip to Postgres)."""

    round_trips = 0

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        self.round_trips += 1
        return await super().execute(*args, **kwargs)

    async def fetch(self, *args: Any, **kwargs: Any) -> Any:
        self.round_trips += 1
        return await super().fetch(*args, **kwargs)

    async def fetchval(self, *args: Any, **kwargs: Any) -> Any:
        self.round_trips += 1
        return await super().fetchval(*args, **kwargs)


async def _count(conn: asyncpg.Connection, table: str) -> int:
    return int(await conn.fetchval(
        f"SELECT count(*) FROM {LIVE_SCHEMA}.{table}"))  # noqa: S608 - fixed names


async def test_a_batch_over_six_partitions_takes_seven_round_trips(database_url: str) -> None:
    """Users and keys over six partitions: begin, checkpoints (2), 3 tables, commit."""
    conn = await asyncpg.connect(database_url, connection_class=_Counting)
    try:
        batch = decode_batch(user_and_key_records(600, 6))

        await write_batch(conn, LIVE_SCHEMA, batch.changes, batch.positions)

        assert 7 == conn.round_trips
        assert (200, 400) == (await _count(conn, "users"), await _count(conn, "access_keys"))
        assert dict.fromkeys(range(6), 100) == await stored_offsets(conn, LIVE_SCHEMA, TOPIC)
    finally:
        await conn.close()


async def test_a_batch_starting_before_a_stored_offset_changes_nothing(
        database_url: str) -> None:
    """If any partition's stored offset is past the batch's first, the batch is refused whole."""
    conn = await asyncpg.connect(database_url)
    try:
        first = decode_batch(user_and_key_records(600, 6))
        await write_batch(conn, LIVE_SCHEMA, first.changes, first.positions)
        second = decode_batch(user_and_key_records(600, 6, first_offset=100, label="v"))
        # Partition 4 of the second batch claims to start inside the first batch.
        second.positions[(TOPIC, 4)] = (99, 200)

        with pytest.raises(CheckpointMismatch) as refused:
            await write_batch(conn, LIVE_SCHEMA, second.changes, second.positions)

        assert (4, 100) == (refused.value.partition, refused.value.stored)
        assert (200, 400) == (await _count(conn, "users"), await _count(conn, "access_keys"))
        assert dict.fromkeys(range(6), 100) == await stored_offsets(conn, LIVE_SCHEMA, TOPIC)
    finally:
        await conn.close()


async def test_consecutive_batches_move_every_partition(database_url: str) -> None:
    """A batch that starts where the last one ended is applied and moves each checkpoint."""
    conn = await asyncpg.connect(database_url)
    try:
        for n, label in enumerate(("u", "v", "w")):
            batch = decode_batch(user_and_key_records(600, 6, first_offset=100 * n, label=label))
            await write_batch(conn, LIVE_SCHEMA, batch.changes, batch.positions)

        assert (600, 1200) == (await _count(conn, "users"), await _count(conn, "access_keys"))
        assert dict.fromkeys(range(6), 300) == await stored_offsets(conn, LIVE_SCHEMA, TOPIC)
    finally:
        await conn.close()
