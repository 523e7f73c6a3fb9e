"""The verifier accepts what botocore's own SigV4 signers produce."""

from __future__ import annotations

from datetime import timedelta
from hashlib import sha256
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from services.api.sigv4 import verify
from tests.unit.sigv4.signer import (
    ACCESS_KEY_ID,
    NOW,
    SESSION_KEY_ID,
    SESSION_TOKEN,
    FakeResolver,
    sign,
)

_SCOPES = st.sampled_from([("iam", "us-east-1"), ("sts", "us-east-1"), ("sts", "eu-west-3"),
                           ("sts", "ap-southeast-2")])
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_SEGMENT = st.one_of(
    _TEXT.map(lambda text: quote(text, safe="")),       # what a client puts in a URL
    st.sampled_from(["", ".", "..", "a b", "x:y@z", "~tilde", "%2F", "semi;colon=1", "é"]),
)
_PATH = st.lists(_SEGMENT, max_size=6).map(lambda segments: "/" + "/".join(segments))
_PARAMS = st.dictionaries(st.text(min_size=1, max_size=10), _TEXT, max_size=5)
_HEADER_VALUE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF,
                                      exclude_characters="\x7f"), max_size=20)
_HEADERS = st.lists(st.tuples(st.sampled_from(["X-Test-One", "x-test-two", "X-TEST-THREE"]),
                              _HEADER_VALUE), max_size=4)


@settings(max_examples=80, deadline=None)
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]), path=_PATH, params=_PARAMS,
       body=st.binary(max_size=2048), headers=_HEADERS, scope=_SCOPES, session=st.booleans())
def test_header_form_signed_by_botocore_verifies(
        method: str, path: str, params: dict[str, str], body: bytes,
        headers: list[tuple[str, str]], scope: tuple[str, str], session: bool) -> None:
    """Any path, query, unicode, body, repeated headers and credential type verify."""
    service, region = scope
    request = sign(method, path, params=params, body=body, headers=headers, service=service,
                   region=region, session=session)
    resolver = FakeResolver()

    verified = verify(request, resolver, NOW)

    key_id = SESSION_KEY_ID if session else ACCESS_KEY_ID
    assert (key_id, service, region, NOW, False) == (
        verified.access_key_id, verified.service, verified.region, verified.signed_at,
        verified.presigned)
    assert [(key_id, SESSION_TOKEN if session else None)] == resolver.calls


@settings(max_examples=40, deadline=None)
@given(path=_PATH, params=_PARAMS, scope=_SCOPES, session=st.booleans(),
       expires=st.integers(min_value=1, max_value=604_800))
def test_presigned_url_from_botocore_verifies(path: str, params: dict[str, str],
                                              scope: tuple[str, str], session: bool,
                                              expires: int) -> None:
    """Presigned URLs (`SigV4QueryAuth`) verify until they expire."""
    service, region = scope
    request = sign("GET", path, params=params, service=service, region=region,
                   session=session, presign_expires=expires)

    verified = verify(request, FakeResolver(), NOW + timedelta(seconds=expires))

    assert (True, service, region) == (verified.presigned, verified.service, verified.region)
    assert (SESSION_TOKEN if session else None) == verified.session_token


def test_empty_body_and_root_path() -> None:
    """The smallest request: `GET /`, no query, no body."""
    assert not verify(sign("GET", "/"), FakeResolver(), NOW).presigned


def test_large_body() -> None:
    """A 1 MiB body is hashed raw and verifies."""
    body = bytes(range(256)) * 4096

    assert "iam" == verify(sign(body=body), FakeResolver(), NOW).service


def test_query_protocol_post() -> None:
    """What boto3 sends to IAM: a form-encoded body and its content type."""
    request = sign(body=b"Action=ListUsers&Version=2010-05-08",
                   headers=[("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")])

    assert ACCESS_KEY_ID == verify(request, FakeResolver(), NOW).access_key_id


def test_date_header_instead_of_x_amz_date() -> None:
    """botocore signs with `Date` when the request carries one; so do we."""
    request = sign(headers=[("Date", "Thu, 01 Jan 2026 11:00:00 GMT")])

    assert {"date"} <= {name.lower() for name, _ in request.headers}
    assert NOW == verify(request, FakeResolver(), NOW).signed_at


def test_x_amz_content_sha256_honoured() -> None:
    """A declared payload hash that matches the raw body is the one signed."""
    body = b"Action=GetUser&Version=2010-05-08"
    request = sign(body=body, headers=[("X-Amz-Content-SHA256", sha256(body).hexdigest())])

    assert "iam" == verify(request, FakeResolver(), NOW).service


def test_naive_now_is_utc() -> None:
    """A clock without a timezone is read as UTC."""
    assert NOW == verify(sign(), FakeResolver(), NOW.replace(tzinfo=None)).signed_at
