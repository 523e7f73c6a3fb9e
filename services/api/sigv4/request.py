"""What the verifier reads (a request as received), asks for (a credential) and answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """An HTTP request exactly as received.

    `path` is the raw, still percent-encoded path; `query` the raw query string without `?`;
    `headers` in any case, repeated names allowed, values decoded from the wire as latin-1 (as
    ASGI servers and botocore's HTTP client do); `body` the raw bytes.
    """

    method: str
    path: str
    query: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    # Set when the verifier sees only the body's digest (`POST /v1/authenticate`): the hex
    # SHA-256 of the body the caller received; `body` is then ignored.
    body_sha256: str | None = None


@dataclass(frozen=True, slots=True)
class Credential:
    """The secret behind an access key id, as a resolver returns it."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def __repr__(self) -> str:
        return f"Credential(access_key_id={self.access_key_id!r}, secret_access_key='***')"


class Resolver(Protocol):
    """Finds the credential of an access key id (and session token, if one was sent).

    Raises `SigV4Error.invalid_client_token_id()` for unknown, inactive or deleted keys and
    invalid tokens, `SigV4Error.expired_token()` for expired session tokens.
    """

    def __call__(self, access_key_id: str, session_token: str | None) -> Credential: ...


@dataclass(frozen=True, slots=True)
class Verified:
    """A request whose signature holds: who signed it, for what scope, and when."""

    access_key_id: str
    service: str
    region: str
    signed_at: datetime
    presigned: bool
    session_token: str | None = None
