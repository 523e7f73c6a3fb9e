"""Decode a batch of event records into `Changes` plus the offsets it covers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka.structs import ConsumerRecord

from events import cloudevents
from services.projector.changes import Changes

Positions = dict[tuple[str, int], tuple[int, int]]


@dataclass(slots=True)
class DecodedBatch:
    """The changes of a batch, the offsets it spans, and its undecodable records."""

    changes: Changes = field(default_factory=Changes)
    positions: Positions = field(default_factory=dict)
    poison: list[tuple[ConsumerRecord, str]] = field(default_factory=list)
    newest: dict[int, cloudevents.RecordedEvent] = field(default_factory=dict)


def decode_batch(records: Iterable[ConsumerRecord]) -> DecodedBatch:
    """Fold records (in offset order per partition) into one `DecodedBatch`."""
    batch = DecodedBatch()
    for record in records:
        key = (record.topic, record.partition)
        first, _ = batch.positions.get(key, (record.offset, 0))
        batch.positions[key] = (first, record.offset + 1)
        try:
            recorded = cloudevents.decode(record.headers, record.value)
        except cloudevents.MalformedEvent as exc:
            batch.poison.append((record, str(exc)))
            continue
        batch.changes.add(recorded)
        batch.newest[record.partition] = recorded
    return batch
