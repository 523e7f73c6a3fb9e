"""Each refusal with AWS's code, HTTP status and wording; clock skew at its edges."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from domain.errors import DomainError
from services.api.sigv4 import Credential, SignedRequest, SigV4Error, verify
from services.api.sigv4.errors import SIGNATURE_DOES_NOT_MATCH
from tests.unit.sigv4.signer import (
    ACCESS_KEY_ID,
    HOST,
    NOW,
    SECRET,
    FakeResolver,
    sign,
)

SKEW_EDGE = timedelta(minutes=14, seconds=59)
SKEW_PAST = timedelta(minutes=15, seconds=1)


def _refusal(request: SignedRequest, *, at: timedelta = timedelta(0),
             resolver: FakeResolver | None = None) -> SigV4Error:
    with pytest.raises(SigV4Error) as refusal:
        verify(request, resolver or FakeResolver(), NOW + at)
    return refusal.value


def _with_authorization(value: str, *, date: bool = True) -> SignedRequest:
    headers = [("Host", HOST), ("Authorization", value)]
    if date:
        headers.append(("X-Amz-Date", "20260101T120000Z"))
    return SignedRequest("POST", "/", "", headers, b"")


@pytest.mark.parametrize("offset", [SKEW_EDGE, -SKEW_EDGE, timedelta(0)])
def test_skew_within_fifteen_minutes_is_accepted(offset: timedelta) -> None:
    """A signature 14m59s old or 14m59s ahead of the server's clock verifies."""
    assert NOW == verify(sign(), FakeResolver(), NOW + offset).signed_at


def test_signature_older_than_fifteen_minutes() -> None:
    """15m01s late: `RequestExpired`, 400, with AWS's "Signature expired" wording."""
    error = _refusal(sign(), at=SKEW_PAST)

    assert ("RequestExpired", 400) == (error.code, error.http_status)
    assert ("Signature expired: 20260101T120000Z is now earlier than 20260101T120001Z "
            "(20260101T121501Z - 15 min.)") == error.message


def test_signature_from_more_than_fifteen_minutes_ahead() -> None:
    """15m01s early: `RequestExpired`, "Signature not yet current"."""
    error = _refusal(sign(), at=-SKEW_PAST)

    assert ("RequestExpired", 400) == (error.code, error.http_status)
    assert ("Signature not yet current: 20260101T120000Z is still later than "
            "20260101T115959Z (20260101T114459Z + 15 min.)") == error.message


def test_expired_request_never_reaches_the_resolver() -> None:
    """Malformed or stale requests are refused before any credential lookup."""
    resolver = FakeResolver()
    _refusal(sign(), at=SKEW_PAST, resolver=resolver)
    _refusal(_with_authorization("AWS4-HMAC-SHA256 Credential=x"), resolver=resolver)

    assert [] == resolver.calls


def test_presigned_url_expiry() -> None:
    """A presigned URL verifies up to `X-Amz-Expires`, then is `RequestExpired`."""
    request = sign("GET", "/", params={"Action": "GetCallerIdentity"}, service="sts",
                   presign_expires=900)
    verify(request, FakeResolver(), NOW + timedelta(seconds=900))

    error = _refusal(request, at=timedelta(seconds=901))

    assert ("RequestExpired", 400, "Request has expired") == (
        error.code, error.http_status, error.message)


def test_presigned_url_from_the_future() -> None:
    """A presigned URL dated beyond the skew window ahead is not yet current."""
    request = sign("GET", "/", service="sts", presign_expires=3600)
    verify(request, FakeResolver(), NOW - SKEW_EDGE)

    assert "RequestExpired" == _refusal(request, at=-SKEW_PAST).code


def test_presigned_url_asking_for_more_than_a_week() -> None:
    """`X-Amz-Expires` above 604800 seconds: `IncompleteSignature`."""
    request = sign("GET", "/", service="sts", presign_expires=604_801)

    error = _refusal(request)

    assert ("IncompleteSignature", 400) == (error.code, error.http_status)
    assert "604800 seconds" in error.message


def test_no_authentication_at_all() -> None:
    """Neither header nor query parameters: `MissingAuthenticationToken`, 403."""
    request = SignedRequest("POST", "/", "Action=ListUsers", [("Host", HOST)], b"")

    error = _refusal(request)

    assert ("MissingAuthenticationToken", 403, "Request is missing Authentication Token") == (
        error.code, error.http_status, error.message)


def test_authorization_header_missing_its_parts() -> None:
    """Missing `Signature` and `SignedHeaders`: AWS's list of what is required."""
    value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/iam/aws4_request"

    error = _refusal(_with_authorization(value))

    assert ("IncompleteSignature", 400) == (error.code, error.http_status)
    assert ("Authorization header requires 'Signature' parameter. Authorization header "
            "requires 'SignedHeaders' parameter. Authorization=" + value) == error.message


def test_authorization_header_without_a_date() -> None:
    """Neither `X-Amz-Date` nor `Date`: `IncompleteSignature`."""
    value = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/iam/aws4_request, "
             "SignedHeaders=host, Signature=abc")

    error = _refusal(_with_authorization(value, date=False))

    assert ("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
            "header. Authorization=" + value) == error.message


def test_other_authorization_schemes() -> None:
    """A bearer token or a SigV2 header is not a SigV4 signature: `IncompleteSignature`."""
    for value in ("Bearer eyJhbGciOi", "AWS AKIDEXAMPLE:qaNdqGsI6bq4Hi+9Gzovwyjbh0E="):
        error = _refusal(_with_authorization(value))
        assert error.message.startswith("Authorization header requires 'Credential' parameter.")
        assert "IncompleteSignature" == error.code


def test_unsupported_algorithm() -> None:
    """A well-formed header with another algorithm: `IncompleteSignature`."""
    value = ("AWS4-HMAC-SHA512 Credential=AKIDEXAMPLE/20260101/us-east-1/iam/aws4_request, "
             "SignedHeaders=host, Signature=abc")

    assert "IncompleteSignature" == _refusal(_with_authorization(value)).code


def test_credential_with_a_space() -> None:
    """A key id with a trailing space (the classic paste error): AWS's key=value message."""
    value = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE /20260101/us-east-1/iam/aws4_request, "
             "SignedHeaders=host;x-amz-date, Signature=abc")

    error = _refusal(_with_authorization(value))

    assert (f"'/20260101/us-east-1/iam/aws4_request' not a valid key=value pair (missing "
            f"equal-sign) in Authorization header: '{value}'.") == error.message


def test_credential_without_five_elements() -> None:
    """A scope missing an element: `IncompleteSignature`."""
    value = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/aws4_request, "
             "SignedHeaders=host, Signature=abc")

    error = _refusal(_with_authorization(value))

    assert error.message.startswith("Credential must have exactly 5 slash-delimited elements")


def test_malformed_date() -> None:
    """An `X-Amz-Date` not in the ISO-8601 basic format: `IncompleteSignature`."""
    request = sign()
    headers = [(n, "2026-01-01T12:00:00Z" if n == "X-Amz-Date" else v)
               for n, v in request.headers]

    error = _refusal(dataclasses.replace(request, headers=headers))

    assert "IncompleteSignature" == error.code
    assert error.message.startswith("Date must be in ISO-8601 'basic format'.")


def test_both_authentication_forms() -> None:
    """An `Authorization` header and presigned parameters together: `IncompleteSignature`."""
    presigned = sign("GET", "/", service="sts", presign_expires=60)
    request = dataclasses.replace(sign("GET", "/", service="sts"), query=presigned.query)

    assert "IncompleteSignature" == _refusal(request).code


def test_presigned_url_missing_parameters() -> None:
    """A presigned URL without `X-Amz-SignedHeaders`: `IncompleteSignature`."""
    request = sign("GET", "/", service="sts", presign_expires=60)
    query = "&".join(p for p in request.query.split("&")
                     if not p.startswith("X-Amz-SignedHeaders="))

    error = _refusal(dataclasses.replace(request, query=query))

    assert "IncompleteSignature" == error.code
    assert error.message.startswith("AWS query-string parameters must include")


def test_host_must_be_signed() -> None:
    """A signature that leaves `host` out: `IncompleteSignature`."""
    request = sign()
    headers = [(n, v.replace("SignedHeaders=host;", "SignedHeaders=")
                if n == "Authorization" else v) for n, v in request.headers]

    assert "IncompleteSignature" == _refusal(dataclasses.replace(request, headers=headers)).code


def test_security_token_header_must_be_signed() -> None:
    """An `X-Amz-Security-Token` header outside the signed headers: `IncompleteSignature`."""
    request = sign(session=True)
    headers = [(n, v.replace(";x-amz-security-token", "") if n == "Authorization" else v)
               for n, v in request.headers]

    error = _refusal(dataclasses.replace(request, headers=headers))

    assert ("IncompleteSignature", "'X-Amz-Security-Token' must be a signed header.") == (
        error.code, error.message)


def test_unknown_access_key() -> None:
    """The resolver's refusal passes through: `InvalidClientTokenId`, 403."""
    def unknown(access_key_id: str, session_token: str | None) -> Credential:
        raise SigV4Error.invalid_client_token_id()

    with pytest.raises(SigV4Error) as refusal:
        verify(sign(), unknown, NOW)

    assert ("InvalidClientTokenId", 403,
            "The security token included in the request is invalid.") == (
        refusal.value.code, refusal.value.http_status, refusal.value.message)


def test_expired_session_token() -> None:
    """A resolver's `ExpiredToken` (403) passes through."""
    def expired(access_key_id: str, session_token: str | None) -> Credential:
        raise SigV4Error.expired_token()

    with pytest.raises(SigV4Error) as refusal:
        verify(sign(session=True), expired, NOW)

    assert ("ExpiredToken", 403) == (refusal.value.code, refusal.value.http_status)


def test_wrong_secret_reveals_nothing() -> None:
    """`SignatureDoesNotMatch` (403) carries AWS's text: no expected signature, no secret."""
    good = sign()
    expected_signature = dict(good.headers)["Authorization"].rsplit("Signature=", 1)[1]

    def other_secret(access_key_id: str, session_token: str | None) -> Credential:
        return Credential(ACCESS_KEY_ID, SECRET[::-1])

    with pytest.raises(SigV4Error) as refusal:
        verify(good, other_secret, NOW)

    error = refusal.value
    assert ("SignatureDoesNotMatch", 403, SIGNATURE_DOES_NOT_MATCH) == (
        error.code, error.http_status, error.message)
    for secret_material in (expected_signature, SECRET, SECRET[::-1]):
        assert secret_material not in str(error) + repr(error)


@pytest.mark.parametrize(("service", "region", "message"), [
    ("iam", "us-east-2", "Credential should be scoped to a valid region, not 'us-east-2'. "),
    ("s3", "us-east-1", "Credential should be scoped to correct service: 'iam' or 'sts'. "),
    ("sts", "Bad_Region", "Credential should be scoped to a valid region, not 'Bad_Region'. "),
])
def test_scope_outside_what_iamlog_serves(service: str, region: str, message: str) -> None:
    """IAM signs with us-east-1 only; services other than IAM and STS are not served."""
    error = _refusal(sign(service=service, region=region))

    assert ("SignatureDoesNotMatch", message) == (error.code, error.message)


def test_scope_date_must_match_the_request_date() -> None:
    """A credential scope dated another day than X-Amz-Date: `SignatureDoesNotMatch`."""
    request = sign()
    headers = [(n, v.replace("/20260101/", "/20260102/") if n == "Authorization" else v)
               for n, v in request.headers]

    error = _refusal(dataclasses.replace(request, headers=headers))

    assert ("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            "from HTTP: '20260102' != '20260101', from '20260101T120000Z'.") == error.message


def test_error_is_a_domain_error_with_per_instance_code() -> None:
    """SigV4Error fits the domain error tree: code and status read like any DomainError's."""
    error = SigV4Error("RequestExpired", "Request has expired")

    assert isinstance(error, DomainError)
    assert ("RequestExpired", 400) == (error.code, error.http_status)
    assert "ServiceFailure" == DomainError.code
