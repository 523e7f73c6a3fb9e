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
    # Hot path of the projector and of restores: only the needed headers are decoded, and the
    # payload is validated straight from JSON unless it needs upcasting.
    attrs = {name: raw for name, raw in headers if name in _NEEDED and raw is not None}
    try:
        event_type = attrs["ce_type"].decode()
        model = EVENT_MODELS[event_type]
        schema = attrs.get("ce_dataschema")
        version = _schema_version(schema.decode() if schema else None, event_type)
        if version == model.version:
            event = model.model_validate_json(value or b"")
        else:
            data = json.loads(value or b"")
            if not isinstance(data, dict):
                raise ValueError("event data is not a JSON object")
            event = model.model_validate(upcast(event_type, version, model.version, data))
        traceparent = attrs.get("ce_traceparent")
        command_id = attrs.get("ce_iamlogcommandid")
        meta = EventMeta(
            id=attrs["ce_id"].decode(),
            time=datetime.fromisoformat(attrs["ce_time"].decode()),
            sequence=int(attrs["ce_sequence"]),
            command_id=command_id.decode() if command_id else "",
            traceparent=traceparent.decode() if traceparent else None,
        )
    except (KeyError, ValueError, UnicodeDecodeError) as exc:
        raise MalformedEvent(f"undecodable event record: {exc}") from exc
    return RecordedEvent(meta=meta, event=event)


_NEEDED = frozenset({"ce_type", "ce_dataschema", "ce_id", "ce_time", "ce_sequence",
                     "ce_iamlogcommandid", "ce_traceparent"})


def _schema_version(schema: str | None, event_type: str) -> int:
    if schema is None:
        return 1
    expected = f"{_SCHEMA_PREFIX}{event_type}:v"
    if not schema.startswith(expected):
        raise ValueError(f"dataschema {schema!r} does not name {event_type}")
    return int(schema[len(expected):])
