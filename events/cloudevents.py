"""CloudEvents 1.0 in Kafka binary mode (ARCHITECTURE.md §3).

The record value is the event's JSON data; the attributes travel as `ce_*` headers. The schema
version travels in `ce_dataschema` (`urn:iamlog:event:<type>:v<version>`), so old payloads are
upcast on the way in.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple

from events.schemas import EVENT_MODELS, Event
from events.upcasters import upcast

Headers = list[tuple[str, bytes]]
SPECVERSION = b"1.0"
CONTENT_TYPE = b"application/json"
_SCHEMA_PREFIX = "urn:iamlog:event:"


class MalformedEvent(ValueError):
    """A record that is not a decodable iamlog CloudEvent."""


# Named tuples rather than frozen dataclasses: just as immutable, and built several times
# faster (a frozen dataclass sets each field through object.__setattr__), which the projector
# does twice per event.
class EventMeta(NamedTuple):
    """The envelope of one event as stored on the log."""

    id: str
    time: datetime
    sequence: int
    # The idempotency key of the command that produced the event.
    command_id: str
    traceparent: str | None = None


class RecordedEvent(NamedTuple):
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
    # Hot path of the projector and of restores: one dict of the headers (the last of a repeated
    # header wins), the type and schema resolved through a cache, and the payload validated
    # straight from JSON unless it needs upcasting.
    attrs: dict[str, bytes | None] = dict(headers)
    try:
        model, version = _resolve(attrs["ce_type"], attrs.get("ce_dataschema"))
        if version == model.version:
            event = model.model_validate_json(value or b"")
        else:
            data = json.loads(value or b"")
            if not isinstance(data, dict):
                raise ValueError("event data is not a JSON object")
            event = model.model_validate(upcast(model.event_type, version, model.version, data))
        command_id = attrs.get("ce_iamlogcommandid")
        traceparent = attrs.get("ce_traceparent")
        meta = EventMeta(
            _required(attrs, "ce_id").decode(),
            datetime.fromisoformat(_required(attrs, "ce_time").decode()),
            int(_required(attrs, "ce_sequence")),
            command_id.decode() if command_id else "",
            traceparent.decode() if traceparent else None,
        )
    except (KeyError, ValueError, UnicodeDecodeError) as exc:
        raise MalformedEvent(f"undecodable event record: {exc}") from exc
    return RecordedEvent(meta, event)


def _required(attrs: dict[str, bytes | None], name: str) -> bytes:
    raw = attrs[name]
    if raw is None:
        raise KeyError(name)
    return raw


@lru_cache(maxsize=1024)
def _resolve(raw_type: bytes | None, raw_schema: bytes | None) -> tuple[type[Event], int]:
    """The model of a `ce_type` and the schema version its `ce_dataschema` names."""
    if raw_type is None:
        raise KeyError("ce_type")
    event_type = raw_type.decode()
    model = EVENT_MODELS[event_type]
    if not raw_schema:
        return model, 1
    schema = raw_schema.decode()
    expected = f"{_SCHEMA_PREFIX}{event_type}:v"
    if not schema.startswith(expected):
        raise ValueError(f"dataschema {schema!r} does not name {event_type}")
    return model, int(schema[len(expected):])
