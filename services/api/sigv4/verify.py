"""`verify`: does a request carry a valid SigV4 signature, and whose?"""

from __future__ import annotations

import hmac
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from hashlib import sha256

from services.api.sigv4.authorization import (
    QUERY_AUTH_NAMES,
    Presented,
    from_header,
    from_query,
    missing_authentication,
)
from services.api.sigv4.canonical import (
    canonical_headers,
    canonical_query,
    canonical_request,
    canonical_uri,
    query_pairs,
    string_to_sign,
)
from services.api.sigv4.errors import incomplete, mismatch
from services.api.sigv4.request import Resolver, SignedRequest, Verified
from services.api.sigv4.signing_key import DEFAULT_CACHE, SigningKeyCache
from services.api.sigv4.timestamps import check_presigned, check_skew

# IAM is global and signs with us-east-1; STS has regional endpoints (None: any region).
DEFAULT_SCOPES: Mapping[str, Collection[str] | None] = {"iam": ("us-east-1",), "sts": None}
_PRESIGN_MARKERS = frozenset({"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"})


def verify(request: SignedRequest, resolve: Resolver, now: datetime, *,
           max_skew: timedelta = timedelta(minutes=15),
           max_presign: timedelta = timedelta(days=7),
           scopes: Mapping[str, Collection[str] | None] = DEFAULT_SCOPES,
           keys: SigningKeyCache = DEFAULT_CACHE) -> Verified:
    """Check the request's SigV4 signature (header or presigned form) against its secret.

    Args:
        request: the request as received (raw path, query and body).
        resolve: finds the secret of the presented access key id (and session token).
        now: the verifier's clock, in UTC.
        max_skew: how far a header-form signature's time may be from `now` either way.
        max_presign: the longest `X-Amz-Expires` a presigned URL may ask for.
        scopes: the services accepted in the credential scope, each with the regions it
            accepts (None: any well-formed region).
        keys: the cache of derived signing keys.

    Raises:
        SigV4Error: with AWS's code, HTTP status and message; the resolver's own refusals
            (`InvalidClientTokenId`, `ExpiredToken`) pass through.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        headers.setdefault(name.lower(), []).append(value)
    pairs = query_pairs(request.query) if request.query else []
    auth_params: dict[str, str] = {}
    for name, _, _, raw_value in pairs:
        if name in QUERY_AUTH_NAMES:
            if name in auth_params:
                raise incomplete()
            auth_params[name] = raw_value

    authorizations = headers.get("authorization")
    if authorizations:
        if len(authorizations) != 1 or _PRESIGN_MARKERS & auth_params.keys():
            raise incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                             "parameter or the Authorization header should be specified")
        presented = from_header(authorizations[0], headers)
        _check_scope(presented, scopes)
        check_skew(presented.signed_at, presented.timestamp, now, max_skew)
        query = canonical_query((name, value) for name, value, _, _ in pairs)
    elif _PRESIGN_MARKERS & auth_params.keys():
        presented = from_query(auth_params, max_presign)
        _check_scope(presented, scopes)
        check_presigned(presented.signed_at, presented.timestamp, presented.expires, now,
                        max_skew)
        query = canonical_query((name, value) for name, value, _, _ in pairs
                                if name != "X-Amz-Signature")
    else:
        raise missing_authentication()

    signed_names = presented.signed_headers.split(";")
    if "host" not in signed_names:
        raise incomplete("'Host' must be a signed header.")
    if (not presented.presigned and "x-amz-security-token" in headers
            and "x-amz-security-token" not in signed_names):
        raise incomplete("'X-Amz-Security-Token' must be a signed header.")
    payload_hash = _payload_hash(headers, request.body, request.body_sha256)

    credential = resolve(presented.access_key_id, presented.session_token)
    signing_key = keys.get(presented.access_key_id, credential.secret_access_key,
                           presented.scope_date, presented.region, presented.service)
    canonical = canonical_request(request.method.upper(), canonical_uri(request.path), query,
                                  headers=canonical_headers(signed_names, headers),
                                  signed_headers=presented.signed_headers,
                                  payload_hash=payload_hash)
    to_sign = string_to_sign(presented.timestamp, presented.scope, canonical)
    expected = hmac.digest(signing_key, to_sign.encode(), "sha256").hex().encode()
    if not hmac.compare_digest(expected, presented.signature.encode("utf-8", "surrogatepass")):
        raise mismatch()
    return Verified(presented.access_key_id, presented.service, presented.region,
                    presented.signed_at, presented.presigned, presented.session_token)


def _check_scope(presented: Presented, scopes: Mapping[str, Collection[str] | None]) -> None:
    if presented.scope_date != presented.timestamp[:8]:
        raise mismatch("Date in Credential scope does not match YYYYMMDD from ISO-8601 version "
                       f"of date from HTTP: '{presented.scope_date}' != "
                       f"'{presented.timestamp[:8]}', from '{presented.timestamp}'.")
    if presented.service not in scopes:
        expected = "' or '".join(sorted(scopes))
        raise mismatch(f"Credential should be scoped to correct service: '{expected}'. ")
    regions = scopes[presented.service]
    region = presented.region
    if (not region or not region.isascii() or not region.replace("-", "").isalnum()
            or region != region.lower() or (regions is not None and region not in regions)):
        raise mismatch(f"Credential should be scoped to a valid region, not '{region}'. ")
    if presented.terminator != "aws4_request":
        raise mismatch("Credential should be scoped with a valid terminator: 'aws4_request', "
                       f"not '{presented.terminator}'. ")


def _payload_hash(headers: Mapping[str, list[str]], body: bytes, digest: str | None) -> str:
    """The declared `x-amz-content-sha256` if it matches the raw body, else the body's hash."""
    computed = digest.lower() if digest is not None else sha256(body).hexdigest()
    declared = headers.get("x-amz-content-sha256")
    if declared is None:
        return computed
    if len(declared) != 1 or declared[0].strip().lower() != computed:
        raise mismatch("The provided 'x-amz-content-sha256' header does not match what was "
                       "computed.")
    return declared[0]
