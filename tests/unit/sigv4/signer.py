"""Requests signed by botocore's own signers, turned into what a server receives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from unittest import mock
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from services.api.sigv4 import Credential, SignedRequest, SigV4Error

ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_KEY_ID = "ASIAIOSFODNN7EXAMPLE"
SESSION_SECRET = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEHcaCXVzLWVhc3QtMSJHMEUCIQD+token/with+sp ace="
NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
HOST = "localhost:8080"


@dataclass
class FakeResolver:
    """An in-memory credential store: two keys, one of them a session key with its token."""

    calls: list[tuple[str, str | None]] = field(default_factory=list)

    def __call__(self, access_key_id: str, session_token: str | None) -> Credential:
        self.calls.append((access_key_id, session_token))
        if access_key_id == ACCESS_KEY_ID and session_token is None:
            return Credential(ACCESS_KEY_ID, SECRET)
        if access_key_id == SESSION_KEY_ID and session_token == SESSION_TOKEN:
            return Credential(SESSION_KEY_ID, SESSION_SECRET, SESSION_TOKEN)
        raise SigV4Error.invalid_client_token_id()


def credentials(session: bool) -> Credentials:
    """botocore credentials: a long-term key or a session key with its token."""
    if session:
        return Credentials(SESSION_KEY_ID, SESSION_SECRET, SESSION_TOKEN)
    return Credentials(ACCESS_KEY_ID, SECRET)


def sign(method: str = "POST", path: str = "/", *, params: Mapping[str, str] | None = None,
         body: bytes = b"", headers: Sequence[tuple[str, str]] = (), service: str = "iam",
         region: str = "us-east-1", session: bool = False, at: datetime = NOW,
         presign_expires: int | None = None) -> SignedRequest:
    """Sign with botocore (header form, or presigned if `presign_expires` is given)."""
    request = AWSRequest(method=method, url=f"http://{HOST}{path}", data=body,
                         params=dict(params or {}))
    for name, value in headers:
        request.headers[name] = value  # HTTPHeaders appends: repeated names stay repeated
    signer: SigV4Auth
    if presign_expires is None:
        signer = SigV4Auth(credentials(session), service, region)
    else:
        signer = SigV4QueryAuth(credentials(session), service, region, expires=presign_expires)
    with mock.patch("botocore.auth.get_current_datetime",
                    return_value=at.astimezone(UTC).replace(tzinfo=None)):
        signer.add_auth(request)
    prepared = request.prepare()
    url = urlsplit(prepared.url)
    received = list(request.headers.items())
    if "host" not in {name.lower() for name, _ in received}:
        received.append(("Host", HOST))
    raw_body = prepared.body or b""
    if isinstance(raw_body, str):
        raw_body = raw_body.encode()
    return SignedRequest(prepared.method, url.path or "/", url.query, received, raw_body)
