"""Hostile input on the Query API and the JSON endpoints: each request gets an AWS-style
error, never a 500, appends nothing, and the server answers a valid request right after.

(tests/e2e/test_hostile_requests.py has the first cases: unsigned, unknown action, a 1 MiB
body, a skewed clock; these go further.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock
from urllib.parse import quote

import httpx
import pytest

from services.bench.mixed import Principal, signed_form
from tests.e2e.conftest import Account, Server
from tests.e2e.hostile import assert_no_events_from, refusal, root_of, still_serving
from tests.e2e.signing import signed_query

SIGV4_CODES = {"IncompleteSignature", "SignatureDoesNotMatch", "InvalidClientTokenId",
               "MissingAuthenticationToken", "RequestExpired", "AccessDenied"}


def _signed_create(server: Server, account: Account, name: str) -> tuple[bytes, dict[str, str]]:
    return signed_form(server.url, "iam", root_of(account),
                       {"Action": "CreateUser", "UserName": name})


def _authorization_variants(header: str) -> Iterator[str]:
    """Truncations and corruptions of a valid `Authorization` header."""
    yield from (header[:cut] for cut in range(0, len(header), 7))
    algorithm, _, rest = header.partition(" ")
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    credential, signed, signature = (fields["Credential"], fields["SignedHeaders"],
                                     fields["Signature"])
    key, date, region, service, terminator = credential.split("/")
    def build(**changes: str) -> str:
        values = {"Credential": credential, "SignedHeaders": signed, "Signature": signature,
                  **changes}
        return f"{algorithm} " + ", ".join(f"{k}={v}" for k, v in values.items() if v != "-")
    yield from (
        header.replace(algorithm, "AWS4-HMAC-SHA512"), header.replace(algorithm, "AWS"),
        "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 ", "Bearer abc", "", " " * 50,
        build(Credential="-"), build(SignedHeaders="-"), build(Signature="-"),
        build(Signature="zz" * 32), build(Signature=signature[:-1]),
        build(Signature=signature + "00"), build(Signature=signature.upper()),
        build(Credential=f"{key}/{date}/{region}/{service}"),
        build(Credential=f"{key}/{date}/{region}/{service}/{terminator}/extra"),
        build(Credential=f"{key}/2001-01-01/{region}/{service}/{terminator}"),
        build(Credential=f"{key}/{date}/{region}/s3/{terminator}"),
        build(Credential=f"{key}/{date}/{region}/{service}/aws5_request"),
        build(Credential=f"{key}\u00e9/{date}/{region}/{service}/{terminator}"),
        build(Credential=f"{key[:-1]}/{date}/{region}/{service}/{terminator}"),
        build(Credential=f"/{date}/{region}/{service}/{terminator}"),
        build(SignedHeaders="content-type"), build(SignedHeaders="host;;x-amz-date"),
        build(SignedHeaders="x-amz-date;host"),
        build(SignedHeaders=signed + ";x-not-sent"),
        header + ", Credential=" + credential, header + ", Signature=" + signature,
        header.replace("Credential=", "Credential =="), header + "\x00",
        header.replace("=", "", 1) * 40,
    )


def test_malformed_and_truncated_sigv4_headers(server: Server, account: Account) -> None:
    """Every corruption of a valid signature is refused with a SigV4 code; nothing is created."""
    body, headers = _signed_create(server, account, "ghost")
    request_ids = []
    with httpx.Client(timeout=30) as http:
        for variant in _authorization_variants(headers["Authorization"]):
            try:
                answer = http.post(f"{server.url}/", content=body, headers={
                    **headers, "Authorization": variant.encode()})  # type: ignore[dict-item]
            except httpx.LocalProtocolError:
                continue  # a header httpx itself will not send (NUL): no request reached us
            assert answer.status_code != 200, variant
            _, code = refusal(answer)
            assert code in SIGV4_CODES, (variant, code)
            request_ids.append(answer.headers["x-amzn-requestid"])
        dated = {**headers}
        for date in ("", "yesterday", "20261301T000000Z", "9" * 200, headers["X-Amz-Date"][:-1]):
            dated["X-Amz-Date"] = date
            answer = http.post(f"{server.url}/", content=body, headers=dated)
            assert refusal(answer)[1] in SIGV4_CODES | {"ValidationError"}, date
            request_ids.append(answer.headers["x-amzn-requestid"])
        twice = [*headers.items(), ("Authorization", headers["Authorization"])]
        answer = http.post(f"{server.url}/", content=body, headers=twice)
        assert refusal(answer)[1] in SIGV4_CODES, answer.text
        request_ids.append(answer.headers["x-amzn-requestid"])
        presigned = http.post(f"{server.url}/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
                              f"{quote(account.access_key_id)}%2F2026&X-Amz-Signature=00",
                              content=body, headers={"Content-Type": headers["Content-Type"]})
        assert refusal(presigned)[1] in SIGV4_CODES, presigned.text
        request_ids.append(presigned.headers["x-amzn-requestid"])
    still_serving(server, account)
    with httpx.Client(timeout=30) as http:
        users = signed_query(http, server.url, "iam", "ListUsers", root_of(account))
    assert "<UserName>ghost</UserName>" not in users.text


@pytest.mark.parametrize("body", [
    "Action=CreateUser&Action=DeleteUser&Version=2010-05-08&UserName=dup",
    "Action=CreateUser&Version=2010-05-08&Version=2011-06-15&UserName=dup",
    "Action=TagUser&Version=2010-05-08&UserName=dup&Tags.member.1.Key=a&Tags.member.1.Key=b"
    "&Tags.member.1.Value=c",
    "Action=CreateUser&Version=2010-05-08&UserName=dup&UserName=",
    "Action=CreateUser&Version=2010-05-08&UserName=%FF%FE",
    "Action=CreateUser&Version=2010-05-08&UserName=%00",
    "Action=CreateUser&Version=2010-05-08&UserName=dup%",
    "Action=CreateUser&Version=2010-05-08&UserName=d%zzup",
    "Action=CreateUser&Version=2010-05-08&UserName",
    "Action=CreateUser&&&&Version=2010-05-08&=&UserName=dup&==",
    "Action=CreateUser&Version=2010-05-08&Tags.member.1.Key.Extra=a&UserName=dup",
    "Action=CreateUser&Version=2010-05-09&UserName=dup",
    "Action=AssumeRole&Version=2010-05-08&RoleArn=x&RoleSessionName=xx",
])
def test_duplicated_and_malformed_parameters(server: Server, account: Account, body: str) -> None:
    """Parameters given twice, empty, badly percent-encoded or badly indexed: a 400."""
    with httpx.Client(timeout=30) as http:
        signed_body, headers = signed_form(server.url, "iam", root_of(account), raw=body.encode())
        answer = http.post(f"{server.url}/", content=signed_body, headers=headers)
    status, _ = refusal(answer)
    assert 400 == status
    still_serving(server, account)
    with httpx.Client(timeout=30) as http:
        users = signed_query(http, server.url, "iam", "ListUsers", root_of(account))
    assert "<Users/>" in users.text or "<Users></Users>" in users.text, users.text


async def test_invalid_utf8_and_ten_megabyte_bodies(server: Server, account: Account) -> None:
    """A signed body that is not UTF-8, and 10 MB bodies (declared or streamed): refused."""
    request_ids = []
    with httpx.Client(timeout=60) as http:
        raw = b"Action=CreateUser&Version=2010-05-08&UserName=\xff\xfe\xc3"
        body, headers = signed_form(server.url, "iam", root_of(account), raw=raw)
        answer = http.post(f"{server.url}/", content=body, headers=headers)
        assert (400, "ValidationError") == refusal(answer)
        request_ids.append(answer.headers["x-amzn-requestid"])

        big = b"Action=CreateUser&Version=2010-05-08&UserName=big&Path=/" + b"a" * 10_000_000
        body, headers = signed_form(server.url, "iam", root_of(account), raw=big)
        answer = http.post(f"{server.url}/", content=body, headers=headers)
        assert (413, "RequestEntityTooLarge") == refusal(answer)
        request_ids.append(answer.headers["x-amzn-requestid"])

        def chunks() -> Iterator[bytes]:
            yield big[:65536]
            for start in range(65536, len(big), 1 << 20):
                yield big[start:start + (1 << 20)]

        streamed = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        answer = http.post(f"{server.url}/", content=chunks(), headers=streamed)
        assert (413, "RequestEntityTooLarge") == refusal(answer)
        request_ids.append(answer.headers["x-amzn-requestid"])
        for path in ("/v1/authorize", "/v1/authenticate"):
            answer = http.post(f"{server.url}{path}", content=b"{" + b" " * 10_000_000 + b"}",
                               headers={"Content-Type": "application/json"})
            assert 400 <= answer.status_code < 500, (path, answer.status_code)
    still_serving(server, account)
    await assert_no_events_from(server, request_ids)


def _nested(depth: int) -> str:
    return ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",'
            ' "Resource": "*", "Condition": {"StringEquals": {"aws:x": '
            + "[" * depth + "1" + "]" * depth + "}}}]}")


def _huge(statements: int) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": f"s3:Get{n}", "Resource": "*"} for n in range(statements)]})


POLICY_CALLS: list[tuple[str, str, dict[str, str]]] = [
    ("iam", "PutUserPolicy", {"UserName": "holder", "PolicyName": "p"}),
    ("iam", "CreatePolicy", {"PolicyName": "p"}),
    ("iam", "CreateRole", {"RoleName": "r", "_doc": "AssumeRolePolicyDocument"}),
]


async def test_deeply_nested_and_huge_policy_documents(server: Server, account: Account) -> None:
    """Policies nested 100,000 deep, or of 20,000 statements: MalformedPolicyDocument or a
    size error — never a server error — and nothing is appended."""
    root = root_of(account)
    request_ids = []
    with httpx.Client(timeout=60) as http:
        assert 200 == signed_query(http, server.url, "iam", "CreateUser", root,
                                   UserName="holder").status_code
        for document in (_nested(100_000), _nested(1_000), _huge(20_000), "[" * 300_000,
                         '{"Statement": ' * 50_000, "{" + '"a":1,' * 100_000 + '"a":2}'):
            for service, action, params in POLICY_CALLS:
                field = params.get("_doc", "PolicyDocument")
                args = {k: v for k, v in params.items() if k != "_doc"}
                answer = signed_query(http, server.url, service, action, root,
                                      **args, **{field: document})
                _, code = refusal(answer)
                assert code in {"MalformedPolicyDocument", "LimitExceeded", "ValidationError",
                                "RequestEntityTooLarge"}, (action, code, document[:80])
                request_ids.append(answer.headers["x-amzn-requestid"])
            decision = http.post(f"{server.url}/v1/authorize", content=json.dumps({
                "principal": account.access_key_id, "action": "iam:GetUser", "resource": "*",
                "context": {"aws:x": document}}).encode()[:2_000_000],
                headers={"Content-Type": "application/json"})
            assert decision.status_code < 500, decision.text[:300]
    still_serving(server, account)
    await assert_no_events_from(server, request_ids)


ODD_ARNS = [
    "", "arn", "arn:aws:iam::", "arn:aws:iam:::", "arn:aws:iam::{acct}:policy/",
    "arn:aws:iam::{acct}:policy/../../etc/passwd", "arn:aws:iam::{acct}:policy/*",
    "arn:aws:iam::*:policy/?", "arn:aws:iam::{acct}:role/\u00e9\u00e8\u4e2d",
    "arn:aws:iam::{acct}:role/a\nb", "arn:aws:iam::{acct}:role/a\u0000b",
    "arn:aws:iam::{acct}:role/" + "r" * 3000, "arn:aws:iam::1:role/x",
    "arn:aws:iam::{acct}:role/x:y:z", "arn:aws-cn:iam::{acct}:role/x",
    "arn:aws:sts::{acct}:assumed-role/x/y", "ARN:AWS:IAM::{acct}:ROLE/X",
    "arn:aws:iam::{acct}:role/%2e%2e", "arn:aws:iam::{acct}:role/\ud800".encode(
        "utf-8", "surrogatepass").decode("utf-8", "replace"),
]


async def test_arns_with_odd_characters(server: Server, account: Account) -> None:
    """Odd ARNs in AttachUserPolicy, AssumeRole, GetPolicy and /v1/authorize: AWS errors."""
    root = root_of(account)
    request_ids = []
    calls: list[tuple[str, str, Principal, str, dict[str, Any]]] = [
        ("iam", "AttachUserPolicy", root, "PolicyArn", {"UserName": "holder"}),
        ("iam", "GetPolicy", root, "PolicyArn", {}),
        ("iam", "PutUserPermissionsBoundary", root, "PermissionsBoundary",
         {"UserName": "holder"}),
    ]
    with httpx.Client(timeout=60) as http:
        assert 200 == signed_query(http, server.url, "iam", "CreateUser", root,
                                   UserName="holder").status_code
        key = signed_query(http, server.url, "iam", "CreateAccessKey", root, UserName="holder")
        holder = Principal(_tag(key.text, "AccessKeyId"), _tag(key.text, "SecretAccessKey"))
        calls.append(("sts", "AssumeRole", holder, "RoleArn", {"RoleSessionName": "odd"}))
        for template in ODD_ARNS:
            arn = template.replace("{acct}", account.account_id)
            for service, action, who, field, params in calls:
                answer = signed_query(http, server.url, service, action, who,
                                      **params, **{field: arn})
                assert answer.status_code != 500, (action, arn)
                refusal(answer)
                if action != "GetPolicy":
                    request_ids.append(answer.headers["x-amzn-requestid"])
            decision = http.post(f"{server.url}/v1/authorize", json={
                "principal": account.access_key_id, "action": "iam:GetUser", "resource": arn})
            assert decision.status_code in (200, 400), decision.text[:300]
    still_serving(server, account)
    await assert_no_events_from(server, request_ids)


def _tag(text: str, name: str) -> str:
    return text.split(f"<{name}>", 1)[1].split("<", 1)[0]


@pytest.mark.parametrize("offset", [timedelta(minutes=-16), timedelta(minutes=16),
                                    timedelta(days=-400), timedelta(days=3650)])
async def test_requests_replayed_outside_the_skew_window(server: Server, account: Account,
                                                         offset: timedelta) -> None:
    """A request signed more than 15 minutes away from now (a replay of a captured request,
    or a clock far off) is RequestExpired, whatever it asks; the same bytes signed now work."""
    at = (datetime.now(UTC) + offset).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=at):
        body, headers = _signed_create(server, account, "replayed")
    with httpx.Client(timeout=30) as http:
        answer = http.post(f"{server.url}/", content=body, headers=headers)
        assert (400, "RequestExpired") == refusal(answer)
        again = http.post(f"{server.url}/", content=body, headers=headers)
        assert (400, "RequestExpired") == refusal(again)
    still_serving(server, account)
    await assert_no_events_from(server, [answer.headers["x-amzn-requestid"],
                                         again.headers["x-amzn-requestid"]])
