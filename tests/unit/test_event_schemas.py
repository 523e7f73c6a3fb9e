"""The committed JSON Schemas of the events, and reading old versions through upcasters."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from domain.commands import (
    AddUserToGroup,
    AssumeRole,
    AttachGroupPolicy,
    AttachRolePolicy,
    AttachUserPolicy,
    Command,
    CreateAccessKey,
    CreateAccount,
    CreateGroup,
    CreatePolicy,
    CreatePolicyVersion,
    CreateRole,
    CreateUser,
    DeleteAccessKey,
    DeleteGroup,
    DeleteGroupPolicy,
    DeletePolicy,
    DeletePolicyVersion,
    DeleteRole,
    DeleteRolePermissionsBoundary,
    DeleteRolePolicy,
    DeleteUser,
    DeleteUserPermissionsBoundary,
    DeleteUserPolicy,
    DetachGroupPolicy,
    DetachRolePolicy,
    DetachUserPolicy,
    ExpireAccessKey,
    ExpireSession,
    IssueSessionToken,
    MarkAccessKeyRotationDue,
    PutGroupPolicy,
    PutRolePermissionsBoundary,
    PutRolePolicy,
    PutUserPermissionsBoundary,
    PutUserPolicy,
    RecordAccessKeyUse,
    RemoveUserFromGroup,
    RevokeSession,
    RotateAccessKey,
    SetAccessKeyExpiry,
    SetAccountKeyMaxAge,
    SetDefaultPolicyVersion,
    TagRole,
    TagUser,
    UntagRole,
    UntagUser,
    UpdateAccessKey,
    UpdateAssumeRolePolicy,
    UpdateRole,
    UpdateUser,
)
from events.cloudevents import EventMeta, MalformedEvent, dataschema, decode, encode
from events.schemas import (
    EVENT_MODELS,
    AccessKeyIssued,
    Event,
    RoleCreated,
    SessionIssued,
    Tag,
    export,
)
from events.schemas.history import HISTORICAL_MODELS
from tests.unit.oidc_samples import oidc_commands
from tests.unit.profile_samples import profile_commands
from tests.unit.samples import ACCOUNT, NOW, events_of, replay

SCHEMA_DIR = Path(export.__file__).parent / "json"
ALLOW_ALL = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",'
             ' "Resource": "*"}]}')
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
META = EventMeta(id="2d1f4c1e-0f6b-4a4c-9b43-5b3e6f3d9e01", time=NOW, sequence=7,
                 command_id="cmd-0007")
V1_PAYLOAD = {
    "account_id": ACCOUNT,
    "access_key_id": "AKIAIOSFODNN7EXAMPL2",
    "user_name": None,
    "owner_arn": ROOT_ARN,
    "salt": "00112233445566778899aabbccddeeff",
    "created_at": "2024-05-01T09:30:00Z",
}


def schemas_by_id() -> dict[str, dict[str, Any]]:
    """Every committed schema file, by its `$id`."""
    loaded = (json.loads(path.read_text(encoding="utf-8")) for path in SCHEMA_DIR.glob("*.json"))
    return {schema["$id"]: schema for schema in loaded}


def validator_for(schema_uri: str) -> Draft202012Validator:
    """A validator for the committed schema named by a `ce_dataschema` value."""
    return Draft202012Validator(schemas_by_id()[schema_uri])


def v1_record(payload: dict[str, Any], version: int = 1) -> tuple[list[tuple[str, bytes]], bytes]:
    """The headers and value an older release wrote for an `access_key.issued` event."""
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", META.id.encode()),
        ("ce_source", f"iamlog/{ACCOUNT}".encode()),
        ("ce_type", b"iamlog.access_key.issued"),
        ("ce_time", b"2024-05-01T09:30:00.000000Z"),
        ("ce_subject", ROOT_ARN.encode()),
        ("ce_sequence", b"00000000000000000002"),
        ("ce_dataschema", dataschema("iamlog.access_key.issued", version).encode()),
        ("ce_iamlogcommandid", b"cmd-0001"),
        ("content-type", b"application/json"),
    ]
    return headers, json.dumps(payload).encode()


TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "sts:AssumeRole"}]})


def scenario() -> list[Event]:
    """A history holding every current event type, decided by the real aggregate."""
    prefix: list[Command] = [CreateAccount(), CreateUser(user_name="Alice", path="/ops/"),
              CreateAccessKey(user_name="Alice")]
    # replay() is deterministic, so the key issued by the prefix has the same id below.
    key = replay(prefix)[-1]
    assert isinstance(key, AccessKeyIssued)
    policy = f"arn:aws:iam::{ACCOUNT}:policy/ops/Read"
    commands: list[Command] = [
        *prefix,
        UpdateAccessKey(access_key_id=key.access_key_id, status="Inactive", user_name="Alice"),
        UpdateAccessKey(access_key_id=key.access_key_id, status="Active", user_name="Alice"),
        RecordAccessKeyUse(access_key_id=key.access_key_id, service="iam", region="us-east-1",
                           at=NOW),
        IssueSessionToken(session_id="ab" * 16, user_name=None, user_id=ACCOUNT,
                          session_key_id="ASIA" + "A" * 16, source_key_id=key.access_key_id,
                          issued_at=NOW, expires_at=NOW.replace(year=NOW.year + 1)),
        SetAccessKeyExpiry(access_key_id=key.access_key_id, expires_at=NOW + timedelta(days=10)),
        MarkAccessKeyRotationDue(access_key_id=key.access_key_id, at=NOW + timedelta(days=8)),
        ExpireAccessKey(access_key_id=key.access_key_id, at=NOW + timedelta(days=10)),
        SetAccountKeyMaxAge(max_age_days=90),
        RotateAccessKey(user_name=None, disable_after_seconds=60, delete_after_seconds=120),
        DeleteAccessKey(access_key_id=key.access_key_id, user_name="Alice"),
        UpdateUser(user_name="Alice", new_user_name="Alicia"),
        TagUser(user_name="Alicia", tags=(Tag(key="team", value="ops"),)),
        UntagUser(user_name="Alicia", tag_keys=("TEAM",)),
        CreateGroup(group_name="Ops"),
        AddUserToGroup(group_name="Ops", user_name="Alicia"),
        RemoveUserFromGroup(group_name="Ops", user_name="Alicia"),
        CreatePolicy(policy_name="Read", path="/ops/", policy_document=ALLOW_ALL),
        CreatePolicyVersion(policy_arn=policy, policy_document=ALLOW_ALL),
        SetDefaultPolicyVersion(policy_arn=policy, version_id="v2"),
        DeletePolicyVersion(policy_arn=policy, version_id="v1"),
        AttachUserPolicy(user_name="Alicia", policy_arn=policy),
        DetachUserPolicy(user_name="Alicia", policy_arn=policy),
        AttachGroupPolicy(group_name="Ops", policy_arn=policy),
        DetachGroupPolicy(group_name="Ops", policy_arn=policy),
        PutUserPolicy(user_name="Alicia", policy_name="p", policy_document=ALLOW_ALL),
        DeleteUserPolicy(user_name="Alicia", policy_name="p"),
        PutGroupPolicy(group_name="Ops", policy_name="p", policy_document=ALLOW_ALL),
        PutUserPermissionsBoundary(user_name="Alicia", permissions_boundary=policy),
        DeleteUserPermissionsBoundary(user_name="Alicia"),
        CreateRole(role_name="Deployer", assume_role_policy_document=TRUST,
                   tags=(Tag(key="a", value="1"),)),
        UpdateRole(role_name="Deployer", description="deploys", max_session_duration=7200),
        UpdateAssumeRolePolicy(role_name="Deployer", policy_document=TRUST.replace("root",
                                                                                   "user/x")),
        TagRole(role_name="Deployer", tags=(Tag(key="b", value="2"),)),
    ]
    created = next(e for e in replay(commands) if isinstance(e, RoleCreated))
    return replay([
        *commands,
        AssumeRole(session_id="cd" * 16, role_name="Deployer", role_id=created.role_id,
                   caller_arn=f"arn:aws:iam::{ACCOUNT}:user/ops/Alicia",
                   role_session_name="deploy", source_identity="alicia",
                   session_key_id="ASIA" + "B" * 16, issued_at=NOW,
                   expires_at=NOW.replace(hour=13)),
        *profile_commands("Deployer", NOW),
        ExpireSession(session_id="cd" * 16, at=NOW.replace(hour=13)),
        RevokeSession(session_id="ab" * 16, reason="leaked"),
        *oidc_commands(ACCOUNT),
        UntagRole(role_name="Deployer", tag_keys=("a",)),
        AttachRolePolicy(role_name="Deployer", policy_arn=policy),
        DetachRolePolicy(role_name="Deployer", policy_arn=policy),
        PutRolePolicy(role_name="Deployer", policy_name="p", policy_document=ALLOW_ALL),
        DeleteRolePolicy(role_name="Deployer", policy_name="p"),
        PutRolePermissionsBoundary(role_name="Deployer", permissions_boundary=policy),
        DeleteRolePermissionsBoundary(role_name="Deployer"),
        DeleteRole(role_name="Deployer"),
        DeletePolicy(policy_arn=policy),
        DeleteUser(user_name="Alicia"),
        DeleteGroupPolicy(group_name="Ops", policy_name="p"),
        DeleteGroup(group_name="Ops"),
    ])


# --- the files match the models ---------------------------------------------------------------


def test_export_check_passes() -> None:
    """`python -m events.schemas.export --check` finds every file up to date."""
    assert 0 == export.main(["--check"])


def test_every_current_and_historical_version_has_its_file() -> None:
    """There is exactly one file per current event version, plus the superseded versions."""
    expected = {f"{t}.v{m.version}.json" for t, m in EVENT_MODELS.items()}
    expected |= {"iamlog.access_key.issued.v1.json", "iamlog.session.issued.v1.json"}

    assert sorted(expected) == sorted(path.name for path in SCHEMA_DIR.glob("*.json"))


@pytest.mark.parametrize("event_type", sorted(EVENT_MODELS))
def test_schema_file_names_its_dataschema(event_type: str) -> None:
    """Each file is a 2020-12 schema whose `$id` is the CloudEvents `dataschema` of its version."""
    model = EVENT_MODELS[event_type]
    path = SCHEMA_DIR / f"{event_type}.v{model.version}.json"
    schema = json.loads(path.read_text(encoding="utf-8"))

    Draft202012Validator.check_schema(schema)
    assert (
        "https://json-schema.org/draft/2020-12/schema",
        dataschema(event_type, model.version),
        f"{event_type} v{model.version}",
    ) == (schema["$schema"], schema["$id"], schema["title"])


def test_export_writes_what_check_accepts(tmp_path: Path) -> None:
    """Writing into an empty directory gives files `differences` finds nothing wrong with."""
    written, refused = export.write(tmp_path)

    assert (len(EVENT_MODELS) + len(HISTORICAL_MODELS), [], []) == (
        len(written), refused, export.differences(tmp_path))


def test_check_reports_stale_missing_and_unknown_files(tmp_path: Path) -> None:
    """A stale, a missing and a stray file are each reported."""
    export.write(tmp_path)
    (tmp_path / "iamlog.user.created.v1.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "iamlog.user.deleted.v1.json").unlink()
    (tmp_path / "iamlog.user.renamed.v1.json").write_text("{}\n", encoding="utf-8")

    assert [
        "iamlog.user.deleted.v1.json: missing",
        "iamlog.user.renamed.v1.json: not generated by any model",
        "iamlog.user.created.v1.json: differs from its model",
    ] == export.differences(tmp_path)


def test_historical_files_are_never_rewritten(tmp_path: Path) -> None:
    """A historical file that differs from its model is refused, not overwritten."""
    export.write(tmp_path)
    frozen = tmp_path / "iamlog.access_key.issued.v1.json"
    frozen.write_text('{"edited": true}\n', encoding="utf-8")

    written, refused = export.write(tmp_path)

    assert ([], ["iamlog.access_key.issued.v1.json"]) == (written, refused)
    assert '{"edited": true}\n' == frozen.read_text(encoding="utf-8")


def test_access_key_issued_v1_is_the_old_shape() -> None:
    """The frozen v1 schema requires the old fields and knows no `master_key_version`."""
    schema = json.loads((SCHEMA_DIR / "iamlog.access_key.issued.v1.json").read_text("utf-8"))

    assert (
        ["account_id", "access_key_id", "user_name", "owner_arn", "salt", "created_at"],
        False,
    ) == (schema["required"], "master_key_version" in schema["properties"])


# --- the files validate real payloads ---------------------------------------------------------


def test_domain_payloads_validate_against_their_schema() -> None:
    """Every event the aggregate decides, once encoded, satisfies the schema its header names."""
    events = scenario()
    errors = []
    for event in events:
        _, value, headers = encode(event, META)
        schema_uri = dict(headers)["ce_dataschema"].decode()
        errors += [e.message for e in validator_for(schema_uri).iter_errors(json.loads(value))]

    assert (set(EVENT_MODELS), []) == ({e.event_type for e in events}, errors)


@pytest.mark.parametrize("event_type", sorted(EVENT_MODELS))
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_generated_payloads_validate(event_type: str, data: st.DataObject) -> None:
    """Any valid instance of a model, encoded, satisfies the committed schema."""
    event = data.draw(events_of(EVENT_MODELS[event_type]), label="event")
    _, value, _ = encode(event, META)

    assert [] == list(validator_for(dataschema(event_type, event.version)).iter_errors(
        json.loads(value)))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"salt": "not-hex"}, "pattern"),
        ({"access_key_id": "ASIAIOSFODNN7EXAMPL2"}, "pattern"),
        ({"secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, "additionalProperties"),
        ({"created_at": None}, "type"),
    ],
)
def test_schemas_reject_what_the_model_rejects(change: dict[str, Any], reason: str) -> None:
    """Bad patterns, unknown fields (a secret, say) and wrong types fail the schema."""
    payload = {**V1_PAYLOAD, "master_key_version": 1, **change}
    validator = validator_for(dataschema("iamlog.access_key.issued", 2))

    assert [reason] == [error.validator for error in validator.iter_errors(payload)]


# --- old versions through upcasters -----------------------------------------------------------


def test_v1_payload_satisfies_v1_schema_only() -> None:
    """A v1 `access_key.issued` payload fits the v1 schema and lacks what v2 requires."""
    v1 = validator_for(dataschema("iamlog.access_key.issued", 1))
    v2 = validator_for(dataschema("iamlog.access_key.issued", 2))

    assert ([], ["required"]) == (
        [e.message for e in v1.iter_errors(V1_PAYLOAD)],
        [e.validator for e in v2.iter_errors(V1_PAYLOAD)],
    )


def test_v1_record_decodes_as_v2_with_master_key_1() -> None:
    """An `access_key.issued` v1 record is read as the v2 model with master key version 1."""
    headers, value = v1_record(V1_PAYLOAD)

    recorded = decode(headers, value)

    assert AccessKeyIssued(**V1_PAYLOAD, master_key_version=1) == recorded.event
    assert isinstance(recorded.event, AccessKeyIssued)
    assert (2, 1) == (recorded.event.version, recorded.event.master_key_version)


def test_v1_record_re_encodes_as_v2() -> None:
    """Re-encoding an upcast event writes the current dataschema and a v2-valid payload."""
    headers, value = v1_record(V1_PAYLOAD)
    recorded = decode(headers, value)

    _, new_value, new_headers = encode(recorded.event, recorded.meta)
    schema_uri = dict(new_headers)["ce_dataschema"].decode()

    assert ("urn:iamlog:event:iamlog.access_key.issued:v2", []) == (
        schema_uri, list(validator_for(schema_uri).iter_errors(json.loads(new_value))))


@pytest.mark.parametrize("version", [3, 99])
def test_a_future_version_is_malformed(version: int) -> None:
    """A version newer than this release knows cannot be read: `MalformedEvent`."""
    headers, value = v1_record({**V1_PAYLOAD, "master_key_version": 1}, version=version)

    with pytest.raises(MalformedEvent, match=f"v{version}"):
        decode(headers, value)


def test_a_version_without_upcaster_is_malformed() -> None:
    """A version below the current one with no upcaster path (v0) is `MalformedEvent`."""
    headers, value = v1_record(V1_PAYLOAD, version=0)

    with pytest.raises(MalformedEvent, match="no upcaster"):
        decode(headers, value)


def test_v1_payload_with_an_unknown_field_is_malformed() -> None:
    """Upcasting keeps the model strict: a v1 payload with a stray field is `MalformedEvent`."""
    headers, value = v1_record({**V1_PAYLOAD, "extra": 1})

    with pytest.raises(MalformedEvent):
        decode(headers, value)


SESSION_V1_PAYLOAD = {
    "account_id": ACCOUNT,
    "session_id": "ab" * 16,
    "session_kind": "session_token",
    "principal_arn": ROOT_ARN,
    "user_name": None,
    "session_key_id": "ASIAIOSFODNN7EXAMPL2",
    "source_key_id": "AKIAIOSFODNN7EXAMPL2",
    "issued_at": "2024-05-01T09:30:00Z",
    "expires_at": "2024-05-01T10:30:00Z",
}


def test_session_issued_v1_record_decodes_as_v2_without_federated_name() -> None:
    """A `session.issued` v1 record (before GetFederationToken) fits the v1 schema and is read
    as the v2 model with `federated_name` None."""
    headers, value = v1_record(SESSION_V1_PAYLOAD)
    headers = [(name, b"iamlog.session.issued" if name == "ce_type"
                else dataschema("iamlog.session.issued", 1).encode() if name == "ce_dataschema"
                else raw) for name, raw in headers]

    recorded = decode(headers, value)

    assert [] == list(validator_for(dataschema("iamlog.session.issued", 1)).iter_errors(
        SESSION_V1_PAYLOAD))
    assert isinstance(recorded.event, SessionIssued)
    assert (2, None, "session_token") == (recorded.event.version,
                                          recorded.event.federated_name,
                                          recorded.event.session_kind)
