"""Decoding a batch of records for the projector."""

from __future__ import annotations

import asyncio

from services.projector.batch import decode_batch, decode_batch_stepwise
from tests.unit.projector_records import TOPIC, user_and_key_records


async def test_stepwise_decoding_lets_the_writer_run_meanwhile() -> None:
    """While a big batch decodes, other tasks (the writer of the batch before) get turns."""
    records = user_and_key_records(3000, 6)
    turns = 0
    stop = asyncio.Event()

    async def writer() -> None:
        nonlocal turns
        while not stop.is_set():
            turns += 1
            await asyncio.sleep(0)

    running = asyncio.create_task(writer())
    await asyncio.sleep(0)
    before = turns
    batch = await decode_batch_stepwise(records)
    during = turns - before
    stop.set()
    await running

    assert during >= 5
    assert (3000, []) == (batch.changes.events, batch.poison)


async def test_stepwise_decoding_gives_what_decoding_at_once_gives() -> None:
    """Rows, offsets and newest events are the same however the batch is decoded."""
    records = user_and_key_records(1200, 4)

    stepwise = await decode_batch_stepwise(records)
    at_once = decode_batch(records)

    assert at_once.changes.user_upserts == stepwise.changes.user_upserts
    assert at_once.changes.key_upserts == stepwise.changes.key_upserts
    assert {(TOPIC, p): (0, 300) for p in range(4)} == stepwise.positions == at_once.positions
    assert at_once.newest == stepwise.newest
