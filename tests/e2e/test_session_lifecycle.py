"""Session credentials end: `iamlog sessions revoke` (by id, by role) is refused by another api
replica within 100 ms; past its expiration a session gets `ExpiredToken` and the scheduler
records `iamlog.session.expired` — the server's clock moved by the test, boto3's with it."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from events import cloudevents
from events.topics import Topics
from tests.e2e.conftest import (
    Server,
    api_replica,
    client,
    create_account,
    iamlog,
)
from tests.e2e.test_iam_users_keys import error_code
from tests.integration.harness import read_topic

LIST_ROLES = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]})


def listed(server: Server, *filters: str) -> list[dict[str, Any]]:
    """`iamlog sessions list … --json`."""
    done = iamlog(server, "sessions", "list", *filters, "--json")
    assert 0 == done.returncode, done.stderr
    return list(json.loads(done.stdout))


def session_of(server: Server, role_arn: str, key_id: str) -> dict[str, Any]:
    """The read model's row of the session with this key id (waits for the projector)."""
    deadline = time.monotonic() + 20
    while True:
        rows = [row for row in listed(server, "--role", role_arn)
                if row["session_key_id"] == key_id]
        if rows or time.monotonic() > deadline:
            assert rows, f"session {key_id} never listed"
            return rows[0]
        time.sleep(0.2)


def role_and_user(server: Server, role: str = "worker") -> tuple[str, Any]:
    """A fresh account whose role `role` trusts its user ann; (role ARN, ann's STS client)."""
    account = create_account(server)
    iam = client(server, "iam", account.access_key_id, account.secret_access_key)
    iam.create_user(UserName="ann")
    key = iam.create_access_key(UserName="ann")["AccessKey"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account.account_id}:user/ann"},
        "Action": "sts:AssumeRole"}]})
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=LIST_ROLES)
    return arn, client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"])


def as_session(server: Server, creds: dict[str, Any], service: str = "sts") -> Any:
    """A boto3 client signed with session credentials."""
    return client(server, service, creds["AccessKeyId"], creds["SecretAccessKey"],
                  creds["SessionToken"])


def refused_within(sts: Any, seconds: float) -> float:
    """Call GetCallerIdentity until InvalidClientTokenId; fail if that takes over `seconds`."""
    started = time.monotonic()
    while (code := refusal(sts.get_caller_identity)) is None:
        assert time.monotonic() - started < seconds, "the replica still accepts the session"
    assert "InvalidClientTokenId" == code
    return time.monotonic() - started


def refusal(call: Any) -> str | None:
    """The AWS error code of `call()`, or None when it succeeds."""
    try:
        call()
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return None


def test_a_revoked_session_is_refused_by_another_replica_within_100ms(clocked: Server) -> None:
    """Revoke by id, then by role: the other replica refuses each within 100 ms; listed so."""
    with api_replica(clocked) as there:
        role_arn, sts = role_and_user(clocked)
        first = sts.assume_role(RoleArn=role_arn, RoleSessionName="job")["Credentials"]
        first_there = as_session(there, first)
        assert role_arn.split(":")[4] == first_there.get_caller_identity()["Account"]
        row = session_of(clocked, role_arn, first["AccessKeyId"])
        assert ("active", "assumed_role") == (row["state"], row["kind"])
        done = iamlog(clocked, "sessions", "revoke", row["session_id"], "--reason", "leaked")
        assert 0 == done.returncode, done.stderr
        assert {"Revoked": [row["session_id"]]} == json.loads(done.stdout)
        refused_within(first_there, 0.1)

        second = sts.assume_role(RoleArn=role_arn, RoleSessionName="again")["Credentials"]
        second_there = as_session(there, second)
        second_there.get_caller_identity()
        second_row = session_of(clocked, role_arn, second["AccessKeyId"])
        by_role = iamlog(clocked, "sessions", "revoke", "--role", role_arn)
        assert 0 == by_role.returncode, by_role.stderr
        assert {"Revoked": [second_row["session_id"]]} == json.loads(by_role.stdout)
        refused_within(second_there, 0.1)
    with pytest.raises(ClientError) as here:
        as_session(clocked, second).get_caller_identity()
    assert ("InvalidClientTokenId", 403) == error_code(here)
    revoked = {r["session_id"]: r for r in listed(clocked, "--role", role_arn, "--state",
                                                   "revoked")}
    assert {row["session_id"], second_row["session_id"]} == set(revoked)
    assert "leaked" == revoked[row["session_id"]]["end_reason"]


def test_past_its_expiration_a_session_gets_expired_token_and_the_log_says_so(
        clocked: Server, moved_clock: Any) -> None:
    """900 s later (clocks moved, nobody waits): ExpiredToken, `iamlog.session.expired` on the
    log for that session, and the read model lists it as expired."""
    role_arn, sts = role_and_user(clocked, role="short")
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="brief",
                            DurationSeconds=900)["Credentials"]
    session = as_session(clocked, creds)
    session.get_caller_identity()
    row = session_of(clocked, role_arn, creds["AccessKeyId"])
    left = (creds["Expiration"] - datetime.now(UTC)).total_seconds()
    assert 880 < left <= 900
    moved_clock(left - 5)
    session.get_caller_identity()
    moved_clock(left + 1)
    with pytest.raises(ClientError) as expired:
        session.get_caller_identity()
    assert ("ExpiredToken", 403) == error_code(expired)
    deadline = time.monotonic() + 20
    while True:
        states = {r["session_id"]: r["state"] for r in listed(clocked, "--role", role_arn)}
        if states[row["session_id"]] == "expired" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "expired" == states[row["session_id"]]
    records = asyncio.run(read_topic(clocked.settings,
                                     Topics.for_prefix(clocked.settings.topic_prefix).events))
    events = [cloudevents.decode(r.headers, r.value) for r in records]
    ended = [(e.event.event_type, e.event.subject()) for e in events
             if getattr(e.event, "session_id", None) == row["session_id"]]
    assert [("iamlog.role.assumed", role_arn),
            ("iamlog.session.expired", row["principal_arn"])] == ended
