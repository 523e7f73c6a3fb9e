"""The CloudEvents 1.0 binary-mode codec of ARCHITECTURE.md §3."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.cloudevents import EventMeta, Headers, MalformedEvent, decode, encode
from events.schemas import EVENT_MODELS, Event, UserCreated
from tests.unit.samples import ACCOUNT, NOW, events_of, metas

SECTION_3_HEADERS = {
    "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject",
    "ce_sequence", "content-type",
}
EXTENSION_HEADERS = {"ce_dataschema", "ce_iamlogcommandid", "ce_traceparent"}
EVENT_TYPES = sorted(EVENT_MODELS)
ALICE = UserCreated(
    account_id=ACCOUNT, user_name="Alice", user_id="AIDAAAAAAAAAAAAAAAAAA", path="/",
    arn=f"arn:aws:iam::{ACCOUNT}:user/Alice", created_at=NOW,
)
META = EventMeta(id="6f1c1f5e-8d4c-4bb5-9a55-0d3c3f0f5a10", time=NOW, sequence=42,
                 command_id="cmd-0001", traceparent=None)


def headers_of(event: Event = ALICE, meta: EventMeta = META) -> dict[str, str]:
    """The record headers of `event` as a name → text mapping."""
    _, _, headers = encode(event, meta)
    return {name: value.decode() for name, value in headers}


@pytest.mark.parametrize("event_type", EVENT_TYPES)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_encode_then_decode_gives_the_event_back(event_type: str, data: st.DataObject) -> None:
    """Every event type survives encode → decode with its envelope intact."""
    event = data.draw(events_of(EVENT_MODELS[event_type]), label="event")
    meta = data.draw(metas, label="meta")

    _, value, headers = encode(event, meta)
    recorded = decode(headers, value)

    assert (event, meta) == (recorded.event, recorded.meta)
    assert type(event) is type(recorded.event)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_record_key_source_type_and_value(event_type: str, data: st.DataObject) -> None:
    """Key and `ce_source` name the account, `ce_type` the event type, the value is the data."""
    event = data.draw(events_of(EVENT_MODELS[event_type]), label="event")

    key, value, headers = encode(event, META)
    attrs = {name: raw.decode() for name, raw in headers}

    assert event.account_id.encode() == key
    assert f"iamlog/{event.account_id}" == attrs["ce_source"]
    assert event_type == attrs["ce_type"]
    assert event.model_dump(mode="json") == json.loads(value)


@pytest.mark.parametrize(
    "traceparent", [None, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
)
def test_headers_are_exactly_the_documented_ones(traceparent: str | None) -> None:
    """Headers are §3's names plus `ce_dataschema`, `ce_iamlogcommandid` and, when traced,
    `ce_traceparent` — each once."""
    meta = EventMeta(id=META.id, time=NOW, sequence=1, command_id="c", traceparent=traceparent)
    _, _, headers = encode(ALICE, meta)
    names = [name for name, _ in headers]

    expected = SECTION_3_HEADERS | EXTENSION_HEADERS
    if traceparent is None:
        expected -= {"ce_traceparent"}
    assert sorted(expected) == sorted(names)


def test_fixed_attributes() -> None:
    """Spec version 1.0, JSON content type, the event's id and dataschema URN."""
    attrs = headers_of()

    assert {
        "ce_specversion": "1.0",
        "content-type": "application/json",
        "ce_id": META.id,
        "ce_dataschema": "urn:iamlog:event:iamlog.user.created:v1",
        "ce_iamlogcommandid": "cmd-0001",
    } == {name: attrs[name] for name in (
        "ce_specversion", "content-type", "ce_id", "ce_dataschema", "ce_iamlogcommandid")}


@pytest.mark.parametrize(
    ("sequence", "expected"),
    [(0, "00000000000000000000"), (42, "00000000000000000042"),
     (2**63 - 1, "09223372036854775807")],
)
def test_sequence_is_zero_padded_to_20_digits(sequence: int, expected: str) -> None:
    """`ce_sequence` is the account's event number in 20 zero-padded digits."""
    meta = EventMeta(id=META.id, time=NOW, sequence=sequence, command_id="c")

    assert expected == headers_of(meta=meta)["ce_sequence"]


@settings(max_examples=50, deadline=None)
@given(sequence=st.integers(min_value=0, max_value=2**63 - 1))
def test_sequences_sort_as_text_like_as_numbers(sequence: int) -> None:
    """Zero padding keeps 20 digits, so header text orders like the numbers."""
    meta = EventMeta(id=META.id, time=NOW, sequence=sequence, command_id="c")
    text = headers_of(meta=meta)["ce_sequence"]

    assert (20, sequence) == (len(text), int(text))


def test_time_is_rfc3339_utc_with_z() -> None:
    """`ce_time` is written in UTC with a `Z` and microseconds, whatever the input offset."""
    moment = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=2)))
    meta = EventMeta(id=META.id, time=moment, sequence=1, command_id="c")

    assert "2026-01-02T01:04:05.000006Z" == headers_of(meta=meta)["ce_time"]


def test_subject_is_the_entity_arn() -> None:
    """`ce_subject` is the user's ARN for user events."""
    assert f"arn:aws:iam::{ACCOUNT}:user/Alice" == headers_of()["ce_subject"]


@pytest.mark.parametrize("event_type", EVENT_TYPES)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_subject_is_an_arn_the_event_carries(event_type: str, data: st.DataObject) -> None:
    """`ce_subject` is an ARN held in the event's data, or the account root's ARN."""
    event = data.draw(events_of(EVENT_MODELS[event_type]), label="event")

    subject = headers_of(event)["ce_subject"]

    carried = {value for value in event.model_dump().values() if isinstance(value, str)}
    assert subject in {f"arn:aws:iam::{event.account_id}:root", *carried}


def _record(**changes: bytes | None) -> tuple[Headers, bytes | None]:
    """ALICE's record with some headers replaced (`None` drops one); `value=` swaps the value."""
    _, value, headers = encode(ALICE, META)
    new_value = changes.pop("value", value)
    attrs = dict(headers)
    for name, raw in changes.items():
        if raw is None:
            attrs.pop(name, None)
        else:
            attrs[name] = raw
    return list(attrs.items()), new_value


GARBAGE = {
    "no headers": ([], b"{}"),
    "no type": _record(ce_type=None),
    "unknown type": _record(ce_type=b"iamlog.user.renamed"),
    "no id": _record(ce_id=None),
    "no time": _record(ce_time=None),
    "bad time": _record(ce_time=b"yesterday"),
    "no sequence": _record(ce_sequence=None),
    "bad sequence": _record(ce_sequence=b"forty-two"),
    "schema of another type": _record(ce_dataschema=b"urn:iamlog:event:iamlog.user.deleted:v1"),
    "schema without version": _record(ce_dataschema=b"urn:iamlog:event:iamlog.user.created:v"),
    "future version": _record(ce_dataschema=b"urn:iamlog:event:iamlog.user.created:v2"),
    "no value": _record(value=None),
    "not json": _record(value=b"{not json"),
    "not utf-8": _record(value=b"\xff\xfe\xfa"),
    "json list": _record(value=b"[]"),
    "json string": _record(value=b'"Alice"'),
    "missing field": _record(value=json.dumps({"account_id": ACCOUNT}).encode()),
    "extra field": _record(value=json.dumps(
        {**ALICE.model_dump(mode="json"), "secret": "x"}).encode()),
    "wrong field type": _record(value=json.dumps(
        {**ALICE.model_dump(mode="json"), "created_at": [1]}).encode()),
}


@pytest.mark.parametrize("record", GARBAGE.values(), ids=GARBAGE.keys())
def test_garbage_records_are_malformed(record: tuple[Headers, bytes | None]) -> None:
    """Records that are not a decodable iamlog event raise `MalformedEvent`."""
    headers, value = record

    with pytest.raises(MalformedEvent):
        decode(headers, value)


def test_null_header_values_count_as_absent() -> None:
    """A null header value (Kafka allows them) is read as a missing header, not a crash."""
    _, value, headers = encode(ALICE, META)
    nulled = [(name, None if name == "ce_type" else raw) for name, raw in headers]

    with pytest.raises(MalformedEvent):
        decode(nulled, value)  # type: ignore[arg-type]


def test_upcasting_a_non_object_payload_is_malformed() -> None:
    """A v1 `access_key.issued` whose data is not a JSON object is malformed, not a crash."""
    headers: Headers = [
        ("ce_type", b"iamlog.access_key.issued"),
        ("ce_dataschema", b"urn:iamlog:event:iamlog.access_key.issued:v1"),
        ("ce_id", b"x"), ("ce_time", b"2026-03-01T12:00:00Z"), ("ce_sequence", b"1"),
    ]

    with pytest.raises(MalformedEvent):
        decode(headers, b"[1, 2]")


_header_names = st.sampled_from(sorted(SECTION_3_HEADERS | EXTENSION_HEADERS)) | st.text()
_header_values = st.none() | st.binary(max_size=40) | st.sampled_from(
    [b"iamlog.access_key.issued", b"urn:iamlog:event:iamlog.access_key.issued:v1", b"1",
     b"2026-03-01T12:00:00Z", f"iamlog/{ACCOUNT}".encode()])


@settings(max_examples=120, deadline=None)
@given(headers=st.lists(st.tuples(_header_names, _header_values), max_size=10),
       value=st.none() | st.binary(max_size=60) | st.sampled_from([b"[]", b"{}", b"null", b"1"]))
def test_decode_fails_only_with_malformed_event(headers: Headers, value: bytes | None) -> None:
    """Whatever the bytes, decode returns an event or raises `MalformedEvent`, nothing else."""
    with contextlib.suppress(MalformedEvent):
        decode(headers, value)


def test_decoded_time_is_utc() -> None:
    """The decoded envelope time is the same instant, in UTC."""
    _, value, headers = encode(ALICE, META)

    time = decode(headers, value).meta.time

    assert (NOW, UTC) == (time, time.tzinfo)
