"""The benchmarks' own HTTP client and SigV4 form signer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from services.api.sigv4 import Credential, SignedRequest, verify
from services.bench.wire import CONTENT_TYPE, Connection, FormSigner, form, post

HOST = "127.0.0.1:8080"
MOMENT = datetime(2026, 11, 28, 17, 30, 5, tzinfo=UTC)


def _botocore(service: str, region: str, body: bytes, token: str | None) -> dict[str, str]:
    request = AWSRequest(method="POST", url=f"http://{HOST}/", data=body,
                         headers={"Content-Type": CONTENT_TYPE})
    auth = SigV4Auth(Credentials("AKIAEXAMPLE000000001", "s3cr3t/key", token), service, region)
    with mock.patch("botocore.auth.get_current_datetime", return_value=MOMENT):
        auth.add_auth(request)
    return dict(request.headers.items())


@pytest.mark.parametrize(("service", "region", "token"), [
    ("iam", "us-east-1", None), ("sts", "eu-west-1", "FwoGZXIvYXdzE+token/with=chars")])
def test_signs_as_botocore_does(service: str, region: str, token: str | None) -> None:
    """Same timestamp, same request: the Authorization header is botocore's, byte for byte."""
    body = form("ListAccessKeys", "2010-05-08", UserName="alice+bob@example")
    expected = _botocore(service, region, body, token)
    signer = FormSigner(HOST, "AKIAEXAMPLE000000001", "s3cr3t/key", service=service,
                        region=region, session_token=token)
    headers = dict(signer.headers(body, expected["X-Amz-Date"]))
    assert expected["Authorization"] == headers["Authorization"]
    assert expected.get("X-Amz-Security-Token") == headers.get("X-Amz-Security-Token")


def test_server_verifier_accepts_what_it_signs() -> None:
    """The request bytes it builds verify under iamlog's SigV4 verifier; a changed body not."""
    signer = FormSigner(HOST, "AKIAEXAMPLE000000001", "s3cr3t/key", service="iam")
    body = form("GetUser", "2010-05-08")
    headers = [("Host", HOST), *signer.headers(body, MOMENT.strftime("%Y%m%dT%H%M%SZ"))]

    def resolve(key_id: str, token: str | None) -> Credential:
        return Credential(key_id, "s3cr3t/key")

    verified = verify(SignedRequest("POST", "/", "", headers, body), resolve, MOMENT)
    assert "AKIAEXAMPLE000000001" == verified.access_key_id
    with pytest.raises(Exception, match="signature"):
        verify(SignedRequest("POST", "/", "", headers, body + b"&x=1"), resolve, MOMENT)


async def test_connection_reads_sized_and_chunked_answers() -> None:
    """Keep-alive: a sized and a chunked response in turn on one connection; bytes as sent."""
    received: list[bytes] = []
    answers = [b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Id: 1\r\n\r\nhello",
               b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for answer in answers:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            received.append(head + await reader.readexactly(length))
            writer.write(answer)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        connection = await Connection.open("127.0.0.1", port)
        raw = post(f"127.0.0.1:{port}", b"a=1", [("X-Test", "yes")])
        first = await connection.request(raw)
        second = await connection.request(raw)
        connection.close()
    assert (200, b"hello", "1") == (first.status, first.body, first.headers["x-id"])
    assert (403, b"abcde") == (second.status, second.body)
    assert [raw, raw] == received


async def test_connection_closed_while_idle_is_opened_again() -> None:
    """A server that closes a kept-alive connection after answering: the next request goes
    out on a new connection and is answered; the request is never lost or sent twice."""
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        received.append(head)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()  # as uvicorn does when its keep-alive timeout passes

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        connection = await Connection.open("127.0.0.1", port)
        raw = post(f"127.0.0.1:{port}", b"", [])
        first = await connection.request(raw)
        await asyncio.sleep(0.05)  # the close arrives while the connection is idle
        second = await connection.request(raw)
        connection.close()
    assert [200, 200] == [first.status, second.status]
    assert 2 == len(received)
