"""boto3's IAM client against a real server: users and access keys."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import Account, Server, client


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    """The AWS error code and HTTP status of a refused call."""
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"][
        "HTTPStatusCode"]


def test_user_and_key_lifecycle(server: Server, account: Account, iam: Any) -> None:
    """CreateUser, two keys, a third refused, disable, delete: shapes parse through botocore."""
    user = iam.create_user(UserName="alice", Path="/team/")["User"]
    assert ("alice", "/team/") == (user["UserName"], user["Path"])
    assert f"arn:aws:iam::{account.account_id}:user/team/alice" == user["Arn"]
    keys = [iam.create_access_key(UserName="alice")["AccessKey"] for _ in range(2)]
    assert all(len(key["SecretAccessKey"]) == 40 for key in keys)
    with pytest.raises(ClientError) as refused:
        iam.create_access_key(UserName="alice")
    assert ("LimitExceeded", 409) == error_code(refused)

    alice = client(server, "iam", keys[0]["AccessKeyId"], keys[0]["SecretAccessKey"])
    with pytest.raises(ClientError) as denied:
        alice.create_user(UserName="mallory")
    assert ("AccessDenied", 403) == error_code(denied)
    assert "is not authorized to perform: iam:CreateUser" in denied.value.response["Error"][
        "Message"]

    iam.update_access_key(UserName="alice", AccessKeyId=keys[0]["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as inactive:
        alice.create_user(UserName="mallory")
    assert ("InvalidClientTokenId", 403) == error_code(inactive)
    for key in keys:
        iam.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName="alice")
    with pytest.raises(ClientError) as gone:
        iam.delete_user(UserName="alice")
    assert ("NoSuchEntity", 404) == error_code(gone)


def test_signature_errors(server: Server, account: Account) -> None:
    """A wrong secret and an unknown key are refused with AWS's codes."""
    wrong = client(server, "iam", account.access_key_id, "x" * 40)
    with pytest.raises(ClientError) as mismatch:
        wrong.create_user(UserName="bob")
    assert ("SignatureDoesNotMatch", 403) == error_code(mismatch)
    unknown = client(server, "iam", "AKIAAAAAAAAAAAAAAAAA", "x" * 40)
    with pytest.raises(ClientError) as invalid:
        unknown.create_user(UserName="bob")
    assert ("InvalidClientTokenId", 403) == error_code(invalid)


def test_validation_errors(iam: Any) -> None:
    """A 65-character name is refused by the server (boto3 does not check maxima)."""
    with pytest.raises(ClientError) as refused:
        iam.create_user(UserName="a" * 65)
    assert ("ValidationError", 400) == error_code(refused)
