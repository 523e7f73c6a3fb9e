"""`iamlog events …`: watch the event log."""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import json
from dataclasses import dataclass

import typer
from aiokafka import AIOKafkaConsumer

from domain.ids import account_id as valid_account_id
from events import cloudevents
from events.kafka_meta import partitions_of
from events.topics import Topics
from services.kafka_options import kafka_options
from services.settings import Settings, get_settings

app = typer.Typer(no_args_is_help=True, help=__doc__)


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events to show: glob patterns on type and subject, an exact account."""

    type: str | None = None
    account: str | None = None
    subject: str | None = None

    def accepts(self, recorded: cloudevents.RecordedEvent) -> bool:
        """True when `recorded` passes every given criterion."""
        event = recorded.event
        return ((self.type is None or fnmatch.fnmatchcase(event.event_type, self.type))
                and (self.account is None or event.account_id == self.account)
                and (self.subject is None or fnmatch.fnmatchcase(event.subject(), self.subject)))


def format_line(recorded: cloudevents.RecordedEvent) -> str:
    """`time  type  subject  sequence` of one event."""
    event = recorded.event
    return (f"{cloudevents.format_time(recorded.meta.time)}  {event.event_type:<28} "
            f"{event.subject()}  #{recorded.meta.sequence}")


def format_json(recorded: cloudevents.RecordedEvent) -> str:
    """One JSON object per line: the CloudEvents attributes and the data."""
    event = recorded.event
    return json.dumps({
        "id": recorded.meta.id, "type": event.event_type, "time":
        cloudevents.format_time(recorded.meta.time), "source": f"iamlog/{event.account_id}",
        "subject": event.subject(), "sequence": recorded.meta.sequence,
        "data": event.model_dump(mode="json"),
    })


async def tail(settings: Settings, *, from_beginning: bool, limit: int | None,
               only: EventFilter = EventFilter(), as_json: bool = False) -> None:
    """Print events as they are committed to the log."""
    topic = Topics.for_prefix(settings.topic_prefix).events
    consumer = AIOKafkaConsumer(**kafka_options(settings),
                                isolation_level="read_committed", enable_auto_commit=False)
    printed = 0
    render = format_json if as_json else format_line
    try:
        await consumer.start()
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
                        recorded = cloudevents.decode(record.headers, record.value)
                    except cloudevents.MalformedEvent as exc:
                        typer.echo(f"(undecodable at {record.partition}/{record.offset}: {exc})",
                                   err=True)
                        continue
                    if only.accepts(recorded) and (limit is None or printed < limit):
                        typer.echo(render(recorded))
                        printed += 1
    finally:
        await consumer.stop()


@app.command("tail")
def tail_command(
    *,
    from_beginning: bool = typer.Option(False, "--from-beginning", help="replay the whole log"),
    limit: int | None = typer.Option(None, min=1, help="stop after this many events"),
    event_type: str | None = typer.Option(None, "--type", help="glob, e.g. 'iamlog.access_key.*'"),
    account: str | None = typer.Option(None, "--account", help="12-digit account id"),
    subject: str | None = typer.Option(None, "--subject", help="glob on the subject ARN"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per line"),
) -> None:
    """Print each event (time, type, subject, sequence) as it arrives."""
    if account is not None:
        valid_account_id(account)
    only = EventFilter(type=event_type, account=account, subject=subject)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(tail(get_settings(), from_beginning=from_beginning, limit=limit, only=only,
                         as_json=as_json))
