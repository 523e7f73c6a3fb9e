"""STS with real boto3: GetSessionToken, GetCallerIdentity, GetAccessKeyInfo, session creds."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from events.topics import Topics
from tests.e2e.conftest import Account, Server, client
from tests.e2e.leaks import assert_nowhere
from tests.e2e.test_iam_users_keys import error_code
from tests.integration.harness import read_topic

READ_USERS = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["iam:ListUsers", "sts:GetAccessKeyInfo"], "Resource": "*"}]})


def _user(server: Server, iam: Any, name: str) -> tuple[dict[str, Any], Any]:
    """A user allowed to list users, and an STS client signed with its long-term key."""
    user = iam.create_user(UserName=name)["User"]
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=READ_USERS)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return user, client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"])


def _session_clients(server: Server, creds: dict[str, Any], token: str | None = None
                     ) -> tuple[Any, Any]:
    args = (creds["AccessKeyId"], creds["SecretAccessKey"], token or creds["SessionToken"])
    return client(server, "sts", *args), client(server, "iam", *args)


def test_session_token_credentials_act_as_the_user_but_call_no_iam(server: Server, iam: Any,
                                                                 account: Account) -> None:
    """The user's session is ASIA…, expires on time, is the user, and is refused IAM calls."""
    user, sts = _user(server, iam, "sam")
    iam_as_user = client(server, "iam", *_long_term(iam, "sam"))
    assert [] != iam_as_user.list_users()["Users"]  # the user itself may list users
    before = datetime.now(UTC)
    creds = sts.get_session_token(DurationSeconds=1800)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert 20 == len(creds["AccessKeyId"])
    assert 40 == len(creds["SecretAccessKey"])
    expected_end = before + timedelta(seconds=1800)
    assert abs((creds["Expiration"] - expected_end).total_seconds()) < 30
    session_sts, session_iam = _session_clients(server, creds)
    identity = session_sts.get_caller_identity()
    assert (user["Arn"], user["UserId"], account.account_id) == (
        identity["Arn"], identity["UserId"], identity["Account"])
    with pytest.raises(ClientError) as denied:
        session_iam.list_users()
    assert ("AccessDenied", 403) == error_code(denied)
    with pytest.raises(ClientError) as again:
        session_sts.get_session_token()
    assert ("AccessDenied", 403) == error_code(again)
    with pytest.raises(ClientError) as info:
        session_sts.get_access_key_info(AccessKeyId=creds["AccessKeyId"])
    assert ("AccessDenied", 403) == error_code(info)


def _long_term(iam: Any, name: str) -> tuple[str, str]:
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_tampered_or_foreign_tokens_are_invalid(server: Server, iam: Any) -> None:
    """A token altered in one byte, garbage, or another session's token: InvalidClientTokenId."""
    _, sts = _user(server, iam, "tess")
    creds = sts.get_session_token()["Credentials"]
    other = sts.get_session_token()["Credentials"]
    raw = bytearray(base64.urlsafe_b64decode(creds["SessionToken"] + "=="))
    raw[len(raw) // 2] ^= 1
    tampered = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    for token in (tampered, "garbage", other["SessionToken"]):
        session_sts, _ = _session_clients(server, creds, token)
        with pytest.raises(ClientError) as refused:
            session_sts.get_caller_identity()
        assert ("InvalidClientTokenId", 403) == error_code(refused)
    # A session key id without its token is no key at all.
    bare = client(server, "sts", creds["AccessKeyId"], creds["SecretAccessKey"])
    with pytest.raises(ClientError) as bare_refused:
        bare.get_caller_identity()
    assert ("InvalidClientTokenId", 403) == error_code(bare_refused)


@pytest.mark.parametrize(("seconds", "message"), [
    (899, "Member must have value greater than or equal to 900"),
    (129_601, "Member must have value less than or equal to 129600"),
])
def test_duration_out_of_range_is_a_validation_error(server: Server, iam: Any, seconds: int,
                                                     message: str) -> None:
    """Durations outside 900–129,600 s are refused with AWS's wording."""
    _, signed = _user(server, iam, "dora")
    credentials = signed._request_signer._credentials
    sts = boto3.client("sts", endpoint_url=server.url, region_name="us-east-1",
                       aws_access_key_id=credentials.access_key,
                       aws_secret_access_key=credentials.secret_key,
                       config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as refused:
        sts.get_session_token(DurationSeconds=seconds)
    assert ("ValidationError", 400) == error_code(refused)
    assert message in refused.value.response["Error"]["Message"]


def test_root_sessions_last_at_most_an_hour(server: Server, account: Account) -> None:
    """Root asking for 36 h gets 1 h (AWS caps root silently); its session is the root."""
    sts = client(server, "sts", account.access_key_id, account.secret_access_key)
    root_identity = sts.get_caller_identity()
    assert f"arn:aws:iam::{account.account_id}:root" == root_identity["Arn"]
    assert account.account_id == root_identity["UserId"]
    creds = sts.get_session_token(DurationSeconds=129_600)["Credentials"]
    remaining = creds["Expiration"] - datetime.now(UTC)
    assert timedelta(minutes=58) < remaining <= timedelta(hours=1)
    session_sts, session_iam = _session_clients(server, creds)
    assert root_identity["Arn"] == session_sts.get_caller_identity()["Arn"]
    with pytest.raises(ClientError) as denied:
        session_iam.list_users()
    assert ("AccessDenied", 403) == error_code(denied)


def test_get_caller_identity_works_under_an_explicit_deny(server: Server, iam: Any) -> None:
    """A user denied everything still learns who it is."""
    user, sts = _user(server, iam, "denied")
    iam.put_user_policy(UserName="denied", PolicyName="deny", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}))
    assert user["Arn"] == sts.get_caller_identity()["Arn"]


def test_get_access_key_info_names_the_account_of_long_term_and_session_keys(
        server: Server, iam: Any, account: Account) -> None:
    """Known AKIA and ASIA ids answer their account; unknown ids are refused, bad ones invalid."""
    _, sts = _user(server, iam, "ines")
    creds = sts.get_session_token()["Credentials"]
    root_sts = client(server, "sts", account.access_key_id, account.secret_access_key)
    assert account.account_id == root_sts.get_access_key_info(
        AccessKeyId=account.access_key_id)["Account"]
    assert account.account_id == root_sts.get_access_key_info(
        AccessKeyId=creds["AccessKeyId"])["Account"]
    with pytest.raises(ClientError) as unknown:
        root_sts.get_access_key_info(AccessKeyId="AKIAAAAAAAAAAAAAAAAA")
    assert ("InvalidParameterValue", 400) == error_code(unknown)
    with pytest.raises(ClientError) as malformed:
        root_sts.get_access_key_info(AccessKeyId="not a key id!!!!!!")
    assert ("ValidationError", 400) == error_code(malformed)


async def test_no_session_token_or_secret_in_logs_topics_or_tables(server: Server,
                                                                   iam: Any) -> None:
    """Issued sessions are on the log as `iamlog.session.issued`, their token and secret not."""
    _, sts = _user(server, iam, "audit")
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    session_sts, _ = _session_clients(server, creds)
    session_sts.get_caller_identity()
    topics = Topics.for_prefix(server.settings.topic_prefix)
    events = await read_topic(server.settings, topics.events)
    issued = [json.loads(r.value) for r in events
              if dict(r.headers).get("ce_type") == b"iamlog.session.issued"]
    assert creds["AccessKeyId"] in {event["session_key_id"] for event in issued}
    await assert_nowhere(server, creds["SessionToken"], creds["SecretAccessKey"])
