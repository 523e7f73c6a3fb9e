"""`iamlog events …`: watch the event log."""

from __future__ import annotations

import asyncio
import contextlib

import typer
from aiokafka import AIOKafkaConsumer

from events import cloudevents
from events.kafka_meta import partitions_of
from events.topics import Topics
from services.kafka_options import kafka_options
from services.settings import Settings, get_settings

app = typer.Typer(no_args_is_help=True, help=__doc__)


def format_line(recorded: cloudevents.RecordedEvent) -> str:
    """`time  type  subject  sequence` of one event."""
    event = recorded.event
    return (f"{cloudevents.format_time(recorded.meta.time)}  {event.event_type:<28} "
            f"{event.subject()}  #{recorded.meta.sequence}")


async def tail(settings: Settings, *, from_beginning: bool, limit: int | None) -> None:
    """Print events as they are committed to the log."""
    topic = Topics.for_prefix(settings.topic_prefix).events
    consumer = AIOKafkaConsumer(**kafka_options(settings),
                                isolation_level="read_committed", enable_auto_commit=False)
    await consumer.start()
    printed = 0
    try:
        tps = await partitions_of(consumer, topic)
        consumer.assign(tps)
        if from_beginning:
            await consumer.seek_to_beginning(*tps)
        else:
            await consumer.seek_to_end(*tps)
        while limit is None or printed < limit:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    try:
                        line = format_line(cloudevents.decode(record.headers, record.value))
                    except cloudevents.MalformedEvent as exc:
                        line = f"(undecodable at {record.partition}/{record.offset}: {exc})"
                    typer.echo(line)
                    printed += 1
    finally:
        await consumer.stop()


@app.command("tail")
def tail_command(
    from_beginning: bool = typer.Option(False, "--from-beginning", help="replay the whole log"),
    limit: int | None = typer.Option(None, help="stop after this many events"),
) -> None:
    """Print each event (time, type, subject, sequence) as it arrives."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(tail(get_settings(), from_beginning=from_beginning, limit=limit))
