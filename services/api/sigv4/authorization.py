"""Reading what a request presents as its SigV4 authentication, in either form.

Header form: `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` with
`X-Amz-Date` (or `Date`). Query form (presigned URL): `X-Amz-Algorithm`, `X-Amz-Credential`,
`X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Signature`, and
`X-Amz-Security-Token` for session credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import unquote_to_bytes

from services.api.sigv4.canonical import ALGORITHM
from services.api.sigv4.errors import (
    MISSING_AUTHENTICATION_TOKEN,
    SigV4Error,
    incomplete,
)
from services.api.sigv4.timestamps import format_basic, parse_basic, parse_http_date

QUERY_AUTH_NAMES = frozenset({
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
    "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token",
})
_QUERY_REQUIRED = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date",
                   "X-Amz-SignedHeaders")
_HEADER_PARTS = ("Credential", "Signature", "SignedHeaders")


@dataclass(frozen=True, slots=True)
class Presented:
    """The authentication a request presents, parsed but not yet checked."""

    access_key_id: str
    scope_date: str
    region: str
    service: str
    terminator: str
    signed_headers: str
    signature: str
    timestamp: str
    signed_at: datetime
    session_token: str | None
    presigned: bool
    expires: int = 0

    @property
    def scope(self) -> str:
        """`date/region/service/aws4_request` as it enters the string to sign."""
        return f"{self.scope_date}/{self.region}/{self.service}/{self.terminator}"


def from_header(authorization: str, headers: Mapping[str, list[str]]) -> Presented:
    """Parse the header form."""
    algorithm, _, rest = authorization.strip().partition(" ")
    parts: dict[str, str] = {}
    if algorithm == ALGORITHM:
        for component in rest.replace(",", " ").split():
            name, equals, value = component.partition("=")
            if not equals:
                raise incomplete(f"'{component}' not a valid key=value pair (missing "
                                 f"equal-sign) in Authorization header: '{authorization}'.")
            if name in parts:  # which of two Credentials was signed is anyone's guess: refuse
                raise incomplete(f"'{name}' appears more than once in Authorization header: "
                                 f"'{authorization}'.")
            parts[name] = value
    dates = headers.get("x-amz-date") or headers.get("date")
    missing = [f"Authorization header requires '{part}' parameter."
               for part in _HEADER_PARTS if not parts.get(part)]
    if not dates:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or "
                       "a 'Date' header.")
    if missing or not dates:
        raise incomplete(" ".join([*missing, f"Authorization={authorization}"]))
    if algorithm != ALGORITHM:
        raise incomplete()
    if "x-amz-date" in headers:
        timestamp = ",".join(dates)
        signed_at = _basic_or_refuse(timestamp)
    else:
        http_date = parse_http_date(",".join(dates))
        if http_date is None:
            raise incomplete(f"Date must be in ISO-8601 'basic format'. Got '{dates[0]}'. "
                             "See http://en.wikipedia.org/wiki/ISO_8601")
        signed_at, timestamp = http_date, format_basic(http_date)
    tokens = headers.get("x-amz-security-token")
    if tokens is not None and len(tokens) != 1:
        raise incomplete()
    return _presented(parts["Credential"], signed_headers=parts["SignedHeaders"],
                      signature=parts["Signature"], timestamp=timestamp, signed_at=signed_at,
                      session_token=tokens[0] if tokens else None, presigned=False)


def from_query(params: Mapping[str, str], max_presign: timedelta) -> Presented:
    """Parse the query form from its (still encoded) `X-Amz-*` parameters."""
    if any(not params.get(name) for name in _QUERY_REQUIRED):
        raise incomplete("AWS query-string parameters must include 'X-Amz-Algorithm', "
                         "'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', "
                         "'X-Amz-SignedHeaders'. Re-examine the query-string parameters.")
    if decode(params["X-Amz-Algorithm"]) != ALGORITHM:
        raise incomplete()
    expires_text = decode(params.get("X-Amz-Expires", ""))
    if not (expires_text.isascii() and expires_text.isdigit()):
        raise incomplete("X-Amz-Expires should be a number")
    expires = int(expires_text)
    limit = int(max_presign.total_seconds())
    if expires > limit:
        raise incomplete("X-Amz-Expires must be less than a week (in seconds) that is, the "
                         f"given X-Amz-Expires must be less than {limit} seconds")
    timestamp = decode(params["X-Amz-Date"])
    token = params.get("X-Amz-Security-Token")
    return _presented(decode(params["X-Amz-Credential"]),
                      signed_headers=decode(params["X-Amz-SignedHeaders"]),
                      signature=decode(params["X-Amz-Signature"]), timestamp=timestamp,
                      signed_at=_basic_or_refuse(timestamp),
                      session_token=None if token is None else decode(token), presigned=True,
                      expires=expires)


def missing_authentication() -> SigV4Error:
    """Neither an `Authorization` header nor presigned query parameters."""
    return SigV4Error("MissingAuthenticationToken", MISSING_AUTHENTICATION_TOKEN)


def decode(raw: str) -> str:
    """A query component decoded (`+` is a space, as in form encoding)."""
    return unquote_to_bytes(raw.replace("+", " ")).decode("utf-8", "replace")


def _basic_or_refuse(timestamp: str) -> datetime:
    signed_at = parse_basic(timestamp)
    if signed_at is None:
        raise incomplete(f"Date must be in ISO-8601 'basic format'. Got '{timestamp}'. "
                         "See http://en.wikipedia.org/wiki/ISO_8601")
    return signed_at


def _presented(credential: str, *, signed_headers: str, signature: str, timestamp: str,
               signed_at: datetime, session_token: str | None, presigned: bool,
               expires: int = 0) -> Presented:
    elements = credential.split("/")
    if len(elements) != 5 or not elements[0]:
        raise incomplete("Credential must have exactly 5 slash-delimited elements, e.g. "
                         f"keyid/date/region/service/term, got '{credential}'")
    access_key_id, scope_date, region, service, terminator = elements
    return Presented(access_key_id, scope_date, region, service, terminator, signed_headers,
                     signature, timestamp, signed_at, session_token, presigned, expires)
