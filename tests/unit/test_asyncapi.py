"""The AsyncAPI document `events/asyncapi.yaml` agrees with the code it describes."""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from domain.commands import Command
from events.cloudevents import EventMeta, dataschema, encode
from events.schemas import EVENT_MODELS, UserCreated
from events.schemas.history import HISTORICAL_MODELS
from events.topics import Topics, topic_specs
from services.envelopes import CommandEnvelope, Reply
from tests.unit.samples import ACCOUNT, NOW

DOCUMENT = Path(__file__).parents[2] / "events" / "asyncapi.yaml"


@dataclass(frozen=True)
class DefaultTopicSettings:
    """The defaults of `services.settings.Settings` that name and size the topics."""

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = "iamlog"
    partitions: int = 6


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    """The parsed AsyncAPI document."""
    loaded = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def resolve(doc: dict[str, Any], ref: str) -> Any:
    """Follow a local `#/…` JSON pointer, and the local `$ref`s it lands on."""
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if isinstance(node, dict) and str(node.get("$ref", "")).startswith("#/"):
        return resolve(doc, node["$ref"])
    return node


def refs(node: Any) -> Iterator[str]:
    """Every `$ref` value anywhere under `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def event_messages(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The messages of the events channel, resolved, by their key."""
    channel = doc["channels"]["events"]["messages"]
    return {key: resolve(doc, value["$ref"]) for key, value in channel.items()}


def message_schema_id(message: dict[str, Any]) -> str:
    """The `$id` of the JSON Schema file a message's payload points at."""
    path = DOCUMENT.parent / message["payload"]["$ref"]
    return str(json.loads(path.read_text(encoding="utf-8"))["$id"])


def test_document_is_asyncapi_3(doc: dict[str, Any]) -> None:
    """The YAML parses and declares AsyncAPI 3.0.0 with JSON as the default content type."""
    assert ("3.0.0", "application/json") == (doc["asyncapi"], doc["defaultContentType"])


def test_every_ref_resolves(doc: dict[str, Any]) -> None:
    """Each local `$ref` names a node of the document and each file `$ref` an existing file."""
    broken = []
    for ref in set(refs(doc)):
        if ref.startswith("#/"):
            try:
                resolve(doc, ref)
            except (KeyError, TypeError):
                broken.append(ref)
        elif not (DOCUMENT.parent / ref).is_file():
            broken.append(ref)

    assert [] == broken


def test_channels_are_the_four_topics(doc: dict[str, Any]) -> None:
    """Channel addresses, with the default prefix, are the topic names of `events.topics`."""
    default = doc["components"]["parameters"]["prefix"]["default"]
    topics = Topics.for_prefix(default)

    assert ("iamlog", {
        "commands": topics.commands, "events": topics.events,
        "replies": topics.replies, "deadletter": topics.deadletter,
    }) == (default, {
        name: channel["address"].replace("{prefix}", default)
        for name, channel in doc["channels"].items()
    })


def test_channel_bindings_match_topic_specs(doc: dict[str, Any]) -> None:
    """Partition counts and retention in the document are those the topics are created with."""
    specs = {spec.name: spec for spec in topic_specs(DefaultTopicSettings())}
    described = {}
    for channel in doc["channels"].values():
        kafka = channel["bindings"]["kafka"]
        config = kafka["topicConfiguration"]
        described[channel["address"].replace("{prefix}", "iamlog")] = (
            kafka["partitions"], str(config["retention.ms"]))

    assert {
        name: (spec.num_partitions, spec.topic_configs["retention.ms"])
        for name, spec in specs.items()
    } == described


def test_every_event_type_has_its_message(doc: dict[str, Any]) -> None:
    """Each type in `EVENT_MODELS` has a message on the events channel for its current version."""
    described = {
        (message["name"], message_schema_id(message))
        for message in event_messages(doc).values()
    }

    assert set() == {
        (event_type, dataschema(event_type, model.version))
        for event_type, model in EVENT_MODELS.items()
    } - described


def test_historical_versions_are_described(doc: dict[str, Any]) -> None:
    """Superseded versions still on the log have a message too."""
    described = {message_schema_id(message) for message in event_messages(doc).values()}

    assert set() == {dataschema(m.event_type, m.version) for m in HISTORICAL_MODELS} - described


def test_messages_pin_type_and_dataschema_headers(doc: dict[str, Any]) -> None:
    """Each event message's headers fix `ce_type` and `ce_dataschema` to its payload's schema."""
    mismatched = []
    for key, message in event_messages(doc).items():
        pinned = message["headers"]["allOf"][1]["properties"]
        if (pinned["ce_type"]["const"], pinned["ce_dataschema"]["const"]) != (
            message["name"], message_schema_id(message)):
            mismatched.append(key)

    assert [] == mismatched


def test_append_events_sends_exactly_the_current_versions(doc: dict[str, Any]) -> None:
    """The processor's send operation lists one message per current event version."""
    messages = [resolve(doc, ref["$ref"]) for ref in doc["operations"]["appendEvents"]["messages"]]

    assert sorted(dataschema(t, m.version) for t, m in EVENT_MODELS.items()) == sorted(
        message_schema_id(message) for message in messages)


def test_consumers_receive_every_message_of_the_log(doc: dict[str, Any]) -> None:
    """The receive operation on the events channel covers old versions too."""
    listed = {ref["$ref"] for ref in doc["operations"]["consumeEvents"]["messages"]}

    assert {f"#/channels/events/messages/{key}" for key in doc["channels"]["events"]["messages"]
            } == listed


def test_operations_use_messages_of_their_channel(doc: dict[str, Any]) -> None:
    """An operation's messages are those of the channel it names (AsyncAPI 3 requires it)."""
    stray = [
        (name, ref["$ref"])
        for name, operation in doc["operations"].items()
        for ref in operation["messages"]
        if not ref["$ref"].startswith(operation["channel"]["$ref"] + "/messages/")
    ]

    assert [] == stray


@pytest.mark.parametrize(
    "traceparent", [None, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
)
def test_encoded_headers_satisfy_the_header_schema(
    doc: dict[str, Any], traceparent: str | None,
) -> None:
    """The headers `encode` writes validate against the documented header schema."""
    event = UserCreated(account_id=ACCOUNT, user_name="Alice", user_id="AIDAAAAAAAAAAAAAAAAAA",
                        path="/", arn=f"arn:aws:iam::{ACCOUNT}:user/Alice", created_at=NOW)
    meta = EventMeta(id="0f8e2a9c-52d1-4f0e-8a4b-1c2d3e4f5a6b", time=NOW, sequence=3,
                     command_id="cmd-3", traceparent=traceparent)
    _, _, headers = encode(event, meta)
    schema = doc["components"]["schemas"]["CloudEventHeaders"]

    assert [] == [e.message for e in Draft7Validator(schema).iter_errors(
        {name: value.decode() for name, value in headers})]


def test_header_schema_names_exactly_the_codec_headers(doc: dict[str, Any]) -> None:
    """Documented header names are those `encode` writes; the required ones always appear."""
    event = UserCreated(account_id=ACCOUNT, user_name="A", user_id="AIDAAAAAAAAAAAAAAAAAA",
                        path="/", arn="arn", created_at=NOW)
    _, _, untraced = encode(event, EventMeta(id="i", time=NOW, sequence=0, command_id="c"))
    _, _, traced = encode(event, EventMeta(id="i", time=NOW, sequence=0, command_id="c",
                                           traceparent="t"))
    schema = doc["components"]["schemas"]["CloudEventHeaders"]

    assert (sorted(name for name, _ in traced), sorted(name for name, _ in untraced)) == (
        sorted(schema["properties"]), sorted(schema["required"]))


def test_record_key_is_the_account_id(doc: dict[str, Any]) -> None:
    """Every message is keyed by the 12-digit account id."""
    keys = set()
    for message in doc["components"]["messages"].values():
        for trait in message["traits"]:
            key = resolve(doc, trait["$ref"])["bindings"]["kafka"]["key"]
            keys.add(resolve(doc, key["$ref"])["pattern"])

    assert {"^[0-9]{12}$"} == keys


def test_command_and_reply_schemas_follow_the_envelopes(doc: dict[str, Any]) -> None:
    """The command and reply payloads list the fields of `services.envelopes`."""
    schemas = doc["components"]["schemas"]

    assert (sorted(CommandEnvelope.model_fields), sorted(Reply.model_fields)) == (
        sorted(schemas["CommandEnvelope"]["properties"]), sorted(schemas["Reply"]["properties"]))


def test_command_kinds_are_the_domain_commands(doc: dict[str, Any]) -> None:
    """The documented command kinds are the members of `domain.commands.Command`."""
    union = typing.get_args(typing.get_args(Command)[0])
    kinds = sorted(model.model_fields["kind"].default for model in union)
    documented = doc["components"]["schemas"]["CommandEnvelope"]["properties"]["command"]

    assert kinds == sorted(documented["properties"]["kind"]["enum"])
