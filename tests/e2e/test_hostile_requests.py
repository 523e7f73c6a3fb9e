"""Requests no SDK would send get AWS's error codes and change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.e2e.conftest import Account, Server
from tests.e2e.test_iam_users_keys import error_code


def signed_post(server: Server, account: Account, body: str) -> httpx.Response:
    """POST `body` to the Query API, signed with the account's root key by botocore."""
    request = AWSRequest(method="POST", url=f"{server.url}/", data=body.encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    SigV4Auth(Credentials(account.access_key_id, account.secret_access_key), "iam",
              "us-east-1").add_auth(request)
    return httpx.post(f"{server.url}/", content=body.encode(), headers=dict(request.headers))


def code_of(response: httpx.Response) -> tuple[int, str]:
    """HTTP status and `<Code>` of an error response."""
    text = response.text
    return response.status_code, text[text.index("<Code>") + 6:text.index("</Code>")]


def test_unsigned_unknown_malformed_and_oversized(server: Server, account: Account,
                                                  iam: Any) -> None:
    """Each hostile request gets its code; the account is unchanged afterwards."""
    unsigned = httpx.post(f"{server.url}/", data={"Action": "ListUsers",
                                                  "Version": "2010-05-08"})
    assert (403, "MissingAuthenticationToken") == code_of(unsigned)
    garbled = httpx.post(f"{server.url}/", content=b"Action=ListUsers&Version=2010-05-08",
                         headers={"Authorization": "AWS4-HMAC-SHA256 Credential=AKIA/x"})
    assert (400, "IncompleteSignature") == code_of(garbled)
    unknown = signed_post(server, account, "Action=MakeMeAdmin&Version=2010-05-08")
    assert (400, "InvalidAction") == code_of(unknown)
    duplicated = signed_post(server, account,
                             "Action=CreateUser&Version=2010-05-08&UserName=a&UserName=b")
    assert (400, "MalformedQueryString") == code_of(duplicated)
    odd = signed_post(server, account, "Action=CreateUser&Version=2010-05-08&UserName=a%2Fb")
    assert (400, "ValidationError") == code_of(odd)
    missing = signed_post(server, account, "Action=CreateUser&Version=2010-05-08")
    assert (400, "ValidationError") == code_of(missing)
    huge = signed_post(server, account, "Action=CreateUser&Version=2010-05-08&UserName=x&Path="
                       + "a" * (1024 * 1024 + 1))
    assert (413, "RequestEntityTooLarge") == code_of(huge)
    invalid_utf8 = httpx.post(f"{server.url}/", content=b"Action=\xff\xfe",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert 403 == invalid_utf8.status_code  # unsigned: refused before the body is read as text
    assert [] == iam.list_users()["Users"]
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_skewed_clock_is_refused(server: Server, account: Account, iam: Any) -> None:
    """A request signed 20 minutes in the past is `RequestExpired` and creates nothing."""
    past = datetime.now(UTC) - timedelta(minutes=20)
    with mock.patch("botocore.auth.get_current_datetime", return_value=past.replace(tzinfo=None)), \
            pytest.raises(ClientError) as expired:
        iam.create_user(UserName="late")
    assert ("RequestExpired", 400) == error_code(expired)
    assert [] == iam.list_users()["Users"]
