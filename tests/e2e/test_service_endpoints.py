"""`/v1/authorize`, `/v1/authenticate`, and revocation seen by a second api replica."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.e2e.conftest import Account, Server, api_replica, client
from tests.e2e.test_iam_users_keys import error_code


def test_authorize_answers_with_the_matching_statements(server: Server, iam: Any,
                                                        account: Account) -> None:
    """An inline Allow on s3:GetObject allows it, explains it, and nothing else is allowed."""
    iam.create_user(UserName="svc")
    iam.put_user_policy(UserName="svc", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow",
                                                "Action": "s3:GetObject",
                                                "Resource": "arn:aws:s3:::bucket/*"}]}))
    arn = f"arn:aws:iam::{account.account_id}:user/svc"
    allowed = httpx.post(f"{server.url}/v1/authorize", json={
        "principal": arn, "action": "s3:GetObject", "resource": "arn:aws:s3:::bucket/key"})
    assert 200 == allowed.status_code
    assert "Allow" == allowed.json()["decision"]
    assert ["Read"] == [m["statement"] for m in allowed.json()["matched"]]
    denied = httpx.post(f"{server.url}/v1/authorize", json={
        "principal": arn, "action": "s3:PutObject", "resource": "arn:aws:s3:::bucket/key"})
    assert "ImplicitDeny" == denied.json()["decision"]
    unknown = httpx.post(f"{server.url}/v1/authorize", json={
        "principal": f"arn:aws:iam::{account.account_id}:user/nobody",
        "action": "s3:GetObject", "resource": "*"})
    assert (404, "NoSuchEntity") == (unknown.status_code, unknown.json()["code"])
    malformed = httpx.post(f"{server.url}/v1/authorize", json={"principal": arn})
    assert (400, "ValidationError") == (malformed.status_code, malformed.json()["code"])


def _signed(key: dict[str, str], body: bytes) -> AWSRequest:
    request = AWSRequest(method="POST", url="http://files.internal:9000/upload?part=1",
                         data=body, headers={"Content-Type": "application/octet-stream"})
    SigV4Auth(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), "s3",
              "us-east-1").add_auth(request)
    return request


def test_authenticate_names_the_signer_without_seeing_the_secret(server: Server, iam: Any,
                                                                 account: Account) -> None:
    """A service forwards a signed request's parts and body digest; iamlog names the caller."""
    iam.create_user(UserName="uploader")
    key = iam.create_access_key(UserName="uploader")["AccessKey"]
    body = b"some bytes the other service received"
    request = _signed(key, body)
    payload = {"method": "POST", "path": "/upload", "query": "part=1",
               "headers": [["Host", "files.internal:9000"],
                           *([name, value] for name, value in request.headers.items())],
               "body_sha256": hashlib.sha256(body).hexdigest()}
    answer = httpx.post(f"{server.url}/v1/authenticate", json=payload)
    assert 200 == answer.status_code
    assert {"account": account.account_id,
            "arn": f"arn:aws:iam::{account.account_id}:user/uploader",
            "access_key_id": key["AccessKeyId"]} == {
        k: answer.json()[k] for k in ("account", "arn", "access_key_id")}
    tampered = dict(payload, body_sha256=hashlib.sha256(body + b"!").hexdigest())
    refused = httpx.post(f"{server.url}/v1/authenticate", json=tampered)
    assert (403, "SignatureDoesNotMatch") == (refused.status_code, refused.json()["code"])


@pytest.fixture
def second_api(server: Server) -> Iterator[str]:
    """Another `iamlog serve --role api` beside the first, on its own port."""
    with api_replica(server) as replica:
        yield replica.url


def test_disabled_key_is_refused_by_another_replica_within_100ms(
        server: Server, second_api: str, iam: Any) -> None:
    """UpdateAccessKey Inactive on one replica; the other refuses the key within 100 ms."""
    iam.create_user(UserName="henry")
    key = iam.create_access_key(UserName="henry")["AccessKey"]
    henry_there = client(Server(second_api, server.settings, server.process, server.log_path),
                         "iam", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as allowed_to_ask:
        henry_there.create_user(UserName="x")
    assert "AccessDenied" == error_code(allowed_to_ask)[0]  # authenticated, then not allowed
    iam.update_access_key(UserName="henry", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    returned = time.monotonic()
    while True:
        with pytest.raises(ClientError) as refused:
            henry_there.create_user(UserName="x")
        if error_code(refused)[0] == "InvalidClientTokenId":
            break
        assert time.monotonic() - returned < 0.1, "the second replica still accepts the key"
    henry_here = client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as here:
        henry_here.create_user(UserName="x")
    assert ("InvalidClientTokenId", 403) == error_code(here)
