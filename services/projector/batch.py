"""Decode a batch of event records into `Changes` plus the offsets it covers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from aiokafka.structs import ConsumerRecord

from events import cloudevents
from services.projector.changes import Changes

Positions = dict[tuple[str, int], tuple[int, int]]
# Records decoded between two yields to the event loop (a few milliseconds of work).
_STEP = 500


@dataclass(slots=True)
class DecodedBatch:
    """The changes of a batch, the offsets it spans, and its undecodable records."""

    changes: Changes = field(default_factory=Changes)
    positions: Positions = field(default_factory=dict)
    poison: list[tuple[ConsumerRecord, str]] = field(default_factory=list)
    newest: dict[int, cloudevents.RecordedEvent] = field(default_factory=dict)

    def add(self, records: Iterable[ConsumerRecord]) -> None:
        """Fold records (in offset order per partition) in."""
        positions, changes = self.positions, self.changes
        for record in records:
            key = (record.topic, record.partition)
            first, _ = positions.get(key, (record.offset, 0))
            positions[key] = (first, record.offset + 1)
            try:
                recorded = cloudevents.decode(record.headers, record.value)
            except cloudevents.MalformedEvent as exc:
                self.poison.append((record, str(exc)))
                continue
            changes.add(recorded)
            self.newest[record.partition] = recorded


def decode_batch(records: Iterable[ConsumerRecord]) -> DecodedBatch:
    """Fold records (in offset order per partition) into one `DecodedBatch`."""
    batch = DecodedBatch()
    batch.add(records)
    return batch


async def decode_batch_stepwise(records: Sequence[ConsumerRecord]) -> DecodedBatch:
    """`decode_batch`, yielding to the event loop every few hundred records.

    The projector decodes batch n+1 while batch n is written: yielding lets the writer send
    its next statement as soon as Postgres answers the last one, instead of after the whole
    decode, so Postgres and the decoding run side by side.
    """
    batch = DecodedBatch()
    for start in range(0, len(records), _STEP):
        batch.add(records[start:start + _STEP])
        await asyncio.sleep(0)
    return batch
