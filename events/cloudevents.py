"""CloudEvents 1.0 in Kafka binary mode (ARCHITECTURE.md §3).

The record value is the event's JSON data; the attributes travel as `ce_*` headers. The schema
version travels in `ce_dataschema` (`urn:iamlog:event:<type>:v<version>`), so old payloads are
upcast on the way in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from events.schemas import EVENT_MODELS, Event
from events.upcasters import upcast

Headers = list[tuple[str, bytes]]
SPECVERSION = b"1.0"
CONTENT_TYPE = b"application/json"
_SCHEMA_PREFIX = "urn:iamlog:event:"


class MalformedEvent(ValueError):
    """A record that is not a decodable iamlog CloudEvent."""


@dataclass(frozen=True, slots=True)
class EventMeta:
    """The envelope of one event as stored on the log."""

    id: str
    time: datetime
    sequence: int
    # The idempotency key of the command that produced the event.
    command_id: str
    traceparent: str | None = None


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event with its envelope, as decoded from the log."""

    meta: EventMeta
    event: Event


def dataschema(event_type: str, version: int) -> str:
    """The `dataschema` URI naming one version of an event type."""
    return f"{_SCHEMA_PREFIX}{event_type}:v{version}"


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, as CloudEvents writes time."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def encode(event: Event, meta: EventMeta) -> tuple[bytes, bytes, Headers]:
    """Return (key, value, headers) of the Kafka record for `event`."""
    headers: Headers = [
        ("ce_specversion", SPECVERSION),
        ("ce_id", meta.id.encode()),
        ("ce_source", f"iamlog/{event.account_id}".encode()),
        ("ce_type", event.event_type.encode()),
        ("ce_time", format_time(meta.time).encode()),
        ("ce_subject", event.subject().encode()),
        ("ce_sequence", f"{meta.sequence:020d}".encode()),
        ("ce_dataschema", dataschema(event.event_type, event.version).encode()),
        ("ce_iamlogcommandid", meta.command_id.encode()),
        ("content-type", CONTENT_TYPE),
    ]
    if meta.traceparent:
        headers.append(("ce_traceparent", meta.traceparent.encode()))
    return event.account_id.encode(), event.model_dump_json().encode(), headers


def decode(headers: Headers | tuple[tuple[str, bytes], ...], value: bytes | None) -> RecordedEvent:
    """Decode one record; raises `MalformedEvent` for anything that is not ours."""
    # Kafka allows null header values (aiokafka yields None); they count as absent.
    attrs = {name: raw.decode("utf-8", "replace") for name, raw in headers if raw is not None}
    try:
        event_type = attrs["ce_type"]
        model = EVENT_MODELS[event_type]
        version = _schema_version(attrs.get("ce_dataschema"), event_type)
        data = json.loads(value or b"")
        if not isinstance(data, dict):
            raise ValueError("event data is not a JSON object")  # upcasters expect a mapping
        if version != model.version:
            data = upcast(event_type, version, model.version, data)
        event = model.model_validate(data)
        meta = EventMeta(
            id=attrs["ce_id"],
            time=datetime.fromisoformat(attrs["ce_time"]),
            sequence=int(attrs["ce_sequence"]),
            command_id=attrs.get("ce_iamlogcommandid", ""),
            traceparent=attrs.get("ce_traceparent"),
        )
    except (KeyError, ValueError) as exc:
        raise MalformedEvent(f"undecodable event record: {exc}") from exc
    return RecordedEvent(meta=meta, event=event)


def _schema_version(schema: str | None, event_type: str) -> int:
    if schema is None:
        return 1
    expected = f"{_SCHEMA_PREFIX}{event_type}:v"
    if not schema.startswith(expected):
        raise ValueError(f"dataschema {schema!r} does not name {event_type}")
    return int(schema[len(expected):])
