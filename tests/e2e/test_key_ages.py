"""Long-term keys age: `iamlog keys set-expiry` brings `rotation_due` at 80 % and `Expired` at
the expiry (refused, listed as Expired, still counted toward the two-key limit); `iamlog keys
rotate` leaves exactly one active key and the log shows each step. The server's clock and
boto3's are moved together; nobody waits through days."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from events import cloudevents
from events.topics import Topics
from tests.e2e.conftest import Server, client, create_account, iamlog
from tests.e2e.test_iam_users_keys import error_code
from tests.integration.harness import read_topic


def key_events(server: Server, key_id: str) -> list[str]:
    """Types of the events naming `key_id` (as the key, or as a rotation's new key), in order;
    `access_key.used` left out."""
    records = asyncio.run(read_topic(server.settings,
                                     Topics.for_prefix(server.settings.topic_prefix).events))
    found = []
    for record in records:
        event = cloudevents.decode(record.headers, record.value).event
        if event.event_type != "iamlog.access_key.used" and key_id in (
                getattr(event, "access_key_id", None), getattr(event, "new_access_key_id", None)):
            found.append(event.event_type)
    return found


def until(probe: Callable[[], Any], accept: Callable[[Any], bool], seconds: float = 30) -> Any:
    """Poll `probe` until `accept` holds (the scheduler and projector work in the background)."""
    deadline = time.monotonic() + seconds
    value = probe()
    while not accept(value):
        assert time.monotonic() < deadline, f"not reached; last value {value!r}"
        time.sleep(0.2)
        value = probe()
    return value


def statuses(iam: Any, user: str) -> dict[str, str]:
    """Key id → status, as ListAccessKeys answers."""
    return {k["AccessKeyId"]: k["Status"]
            for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]}


def refusal(call: Callable[[], Any]) -> str | None:
    """The AWS error code of `call()`, or None when it succeeds."""
    try:
        call()
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return None


def test_a_key_with_an_expiry_is_due_for_rotation_then_expired_and_refused(
        clocked: Server, moved_clock: Any) -> None:
    """10 days: rotation_due after day 8, Expired after day 10 — refused, listed as Expired,
    not re-enabled, still one of the two keys allowed."""
    account = create_account(clocked)
    iam = client(clocked, "iam", account.access_key_id, account.secret_access_key)
    iam.create_user(UserName="ann")
    key = iam.create_access_key(UserName="ann")["AccessKey"]
    sts = client(clocked, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    at = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    done = iamlog(clocked, "keys", "set-expiry", key["AccessKeyId"], "--at", at)
    assert 0 == done.returncode, done.stderr
    answer = json.loads(done.stdout)
    expires = datetime.fromisoformat(answer["ExpiresAt"])
    due = datetime.fromisoformat(answer["RotationDueAt"])
    lifetime = (expires - key["CreateDate"]).total_seconds()
    assert abs((due - key["CreateDate"]).total_seconds() - 0.8 * lifetime) < 1
    moved_clock((due - datetime.now(UTC)).total_seconds() + 2)
    until(lambda: key_events(clocked, key["AccessKeyId"]),
          lambda kinds: "iamlog.access_key.rotation_due" in kinds)
    assert sts.get_caller_identity()["Arn"].endswith(":user/ann")
    moved_clock((expires - datetime.now(UTC)).total_seconds() + 2)
    assert "InvalidClientTokenId" == until(lambda: refusal(sts.get_caller_identity),
                                           lambda code: code is not None)
    assert {key["AccessKeyId"]: "Expired"} == until(lambda: statuses(iam, "ann"),
                                                    lambda s: "Expired" in s.values())
    kinds = key_events(clocked, key["AccessKeyId"])
    assert ["iamlog.access_key.issued", "iamlog.access_key.expiry_set",
            "iamlog.access_key.rotation_due", "iamlog.access_key.expired"] == kinds
    with pytest.raises(ClientError) as reenable:
        iam.update_access_key(UserName="ann", AccessKeyId=key["AccessKeyId"], Status="Active")
    assert ("ValidationError", 400) == error_code(reenable)
    iam.create_access_key(UserName="ann")
    with pytest.raises(ClientError) as third:
        iam.create_access_key(UserName="ann")
    assert ("LimitExceeded", 409) == error_code(third)


def test_rotate_leaves_one_active_key_and_the_log_shows_each_step(
        clocked: Server, moved_clock: Any) -> None:
    """keys rotate: a second key printed once and working; the old key disabled after the
    grace period, deleted later; issued, rotation_started, disabled, deleted on the log."""
    account = create_account(clocked)
    iam = client(clocked, "iam", account.access_key_id, account.secret_access_key)
    iam.create_user(UserName="bob")
    old = iam.create_access_key(UserName="bob")["AccessKey"]
    done = iamlog(clocked, "keys", "rotate", "--account", account.account_id, "--user", "bob",
                  "--grace", "600", "--delete-after", "1200")
    assert 0 == done.returncode, done.stderr
    rotated = json.loads(done.stdout)
    assert old["AccessKeyId"] == rotated["OldAccessKeyId"]
    new_sts = client(clocked, "sts", rotated["AccessKeyId"], rotated["SecretAccessKey"])
    old_sts = client(clocked, "sts", old["AccessKeyId"], old["SecretAccessKey"])
    assert new_sts.get_caller_identity()["Arn"].endswith(":user/bob")
    assert old_sts.get_caller_identity()["Arn"].endswith(":user/bob")  # the grace period
    assert {old["AccessKeyId"]: "Active", rotated["AccessKeyId"]: "Active"} == until(
        lambda: statuses(iam, "bob"), lambda s: len(s) == 2)
    moved_clock(605)
    until(lambda: statuses(iam, "bob"), lambda s: s.get(old["AccessKeyId"]) == "Inactive")
    assert "InvalidClientTokenId" == refusal(old_sts.get_caller_identity)
    moved_clock(1205)
    assert {rotated["AccessKeyId"]: "Active"} == until(lambda: statuses(iam, "bob"),
                                                       lambda s: len(s) == 1)
    assert new_sts.get_caller_identity()["Arn"].endswith(":user/bob")
    assert ["iamlog.access_key.issued", "iamlog.access_key.rotation_started",
            "iamlog.access_key.disabled", "iamlog.access_key.deleted"] == key_events(
        clocked, old["AccessKeyId"])
    assert ["iamlog.access_key.issued", "iamlog.access_key.rotation_started"] == key_events(
        clocked, rotated["AccessKeyId"])
