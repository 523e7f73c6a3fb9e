"""What the HTTP benchmarks send with: keep-alive HTTP/1.1 connections and a SigV4 form signer.

On a 2-core machine the benchmark client competes with the server it measures: httpx spends
~0.9 ms of CPU per request and botocore ~0.15 ms per signature, more than the server itself.
So the client here is an asyncio protocol that writes a request's bytes and parses the answer
with httptools (uvicorn's own parser), one request at a time per connection. `FormSigner`
signs AWS Query POSTs the way botocore's `SigV4Auth` does (same signed headers, same
canonical request; `tests/unit/bench/test_wire.py` proves the signatures are equal), caching
the signing key per day. The server still verifies every signature in full.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha256
from typing import cast
from urllib.parse import urlencode

import httptools

from services.api.sigv4 import derive_signing_key

CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
_ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(slots=True)
class Answer:
    """A response: status, headers (lower-case names) and body."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def text(self) -> str:
        """The body as text, for error messages."""
        return self.body.decode("utf-8", "replace")


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; `request` sends raw bytes and awaits the answer."""

    def __init__(self) -> None:
        self._address = ("", 0)
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._answer = Answer()
        self._chunks: list[bytes] = []
        self._waiter: asyncio.Future[Answer] | None = None

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        """Connect to `host:port`."""
        connection = cls()
        connection._address = (host, port)
        await connection._connect()
        return connection

    async def _connect(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._answer, self._chunks = Answer(), []
        await asyncio.get_running_loop().create_connection(lambda: self, *self._address)

    async def request(self, raw: bytes) -> Answer:
        """Send one request (as built by `post`) and wait for its response.

        A kept-alive connection that the server closed while it was idle (uvicorn does after
        5 s) is opened again and the request sent once more, as HTTP clients do: a server that
        closed the connection before any byte of an answer never read the request.
        """
        fresh = self._transport is None or self._transport.is_closing()
        if fresh:
            await self._connect()
        try:
            return await self._send(raw)
        except ConnectionError:
            if fresh or self._answer.headers or self._chunks:
                raise
        await self._connect()
        return await self._send(raw)

    async def _send(self, raw: bytes) -> Answer:
        assert self._transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(raw)
        return await self._waiter

    def close(self) -> None:
        """Close the connection."""
        if self._transport is not None:
            self._transport.close()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's or uvloop's TCP transport (uvloop's is not an asyncio.Transport subclass).
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"unparsable response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._fail(ConnectionError(f"connection lost: {exc!r}"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._answer.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        answer = self._answer
        answer.status = self._parser.get_status_code()
        answer.body = b"".join(self._chunks)
        self._answer, self._chunks = Answer(), []
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(answer)

    def _fail(self, exc: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)


def post(host: str, body: bytes, headers: Iterable[tuple[str, str]]) -> bytes:
    """The bytes of `POST /` with `body` and `headers` (Host and Content-Length added)."""
    lines = [f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"]
    lines.extend(f"{name}: {value}\r\n" for name, value in headers)
    lines.append("\r\n")
    return "".join(lines).encode("latin-1") + body


def form(action: str, version: str, **params: str) -> bytes:
    """A Query API form body."""
    return urlencode({"Action": action, "Version": version, **params}).encode()


class FormSigner:
    """SigV4 for `POST /` form requests, as botocore's `SigV4Auth` signs them.

    botocore signs `content-type`, `host`, `x-amz-date` (and `x-amz-security-token` with
    session credentials) over the body's SHA-256; so does this, without botocore's generic
    request walk.
    """

    def __init__(self, host: str, access_key_id: str, secret: str, *, service: str,
                 region: str = "us-east-1", session_token: str | None = None) -> None:
        self.host = host
        self._service, self._region = service, region
        self._key_id, self._secret, self._token = access_key_id, secret, session_token
        self._signed = "content-type;host;x-amz-date" + (
            ";x-amz-security-token" if session_token is not None else "")
        self._day = ""
        self._key = b""

    def headers(self, body: bytes, amz_date: str | None = None) -> list[tuple[str, str]]:
        """The headers to send with `body`: Content-Type, X-Amz-Date, token, Authorization."""
        amz_date = amz_date or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        day = amz_date[:8]
        if day != self._day:
            self._key = derive_signing_key(self._secret, day, self._region, self._service)
            self._day = day
        token_line = (f"x-amz-security-token:{self._token}\n"
                      if self._token is not None else "")
        canonical = (f"POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{self.host}\n"
                     f"x-amz-date:{amz_date}\n{token_line}\n{self._signed}\n"
                     f"{sha256(body).hexdigest()}")
        scope = f"{day}/{self._region}/{self._service}/aws4_request"
        to_sign = (f"{_ALGORITHM}\n{amz_date}\n{scope}\n"
                   f"{sha256(canonical.encode()).hexdigest()}")
        signature = hmac.digest(self._key, to_sign.encode(), "sha256").hex()
        headers = [("Content-Type", CONTENT_TYPE), ("X-Amz-Date", amz_date)]
        if self._token is not None:
            headers.append(("X-Amz-Security-Token", self._token))
        headers.append(("Authorization",
                        f"{_ALGORITHM} Credential={self._key_id}/{scope}, "
                        f"SignedHeaders={self._signed}, Signature={signature}"))
        return headers

    def request(self, body: bytes) -> bytes:
        """The whole signed request, ready for `Connection.request`."""
        return post(self.host, body, self.headers(body))
