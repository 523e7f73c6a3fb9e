"""Every one-byte change of a signed request is refused, with the code AWS would answer."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from hashlib import sha256

import pytest

from services.api.sigv4 import SignedRequest, SigV4Error, verify
from tests.unit.sigv4.signer import NOW, SESSION_TOKEN, FakeResolver, sign

MISMATCH = {"SignatureDoesNotMatch"}


def _header_form() -> SignedRequest:
    return sign("POST", "/path/to%20thing/", params={"Marker": "a b/é", "MaxItems": "10"},
                body=b"Action=ListUsers&Version=2010-05-08",
                headers=[("Content-Type", "application/x-www-form-urlencoded"),
                         ("X-Test", "one  two"), ("X-Test", "three")], session=True)


def _presigned() -> SignedRequest:
    return sign("GET", "/", params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                service="sts", region="eu-west-1", session=True, presign_expires=900)


def _one_byte_changes(text: str) -> Iterator[str]:
    """Each position replaced by a character that differs canonically (not a case flip)."""
    for index, char in enumerate(text):
        replacements = {"Z" if char.lower() != "z" else "Q"}
        if char.isdigit():
            replacements.add(str((int(char) + 1) % 10))
        for replacement in replacements:
            yield text[:index] + replacement + text[index + 1:]


def _with_header(request: SignedRequest, name: str, value: str) -> SignedRequest:
    headers = [(n, value if n.lower() == name else v) for n, v in request.headers]
    return dataclasses.replace(request, headers=headers)


def _header(request: SignedRequest, name: str) -> str:
    return next(v for n, v in request.headers if n.lower() == name)


def _refused_with(request: SignedRequest, codes: set[str]) -> None:
    with pytest.raises(SigV4Error) as refusal:
        verify(request, FakeResolver(), NOW)
    assert refusal.value.code in codes, (refusal.value.code, refusal.value.message)


def _authorization_part(part: str) -> Iterator[SignedRequest]:
    """The header-form request with each one-byte change of one Authorization component."""
    request = _header_form()
    authorization = _header(request, "authorization")
    start = authorization.index(f"{part}=") + len(part) + 1
    end = authorization.find(",", start)
    end = len(authorization) if end < 0 else end
    for changed in _one_byte_changes(authorization[start:end]):
        yield _with_header(request, "authorization",
                           authorization[:start] + changed + authorization[end:])


def test_unchanged_requests_verify() -> None:
    """The baselines of this module verify as they are."""
    assert verify(_header_form(), FakeResolver(), NOW).session_token == SESSION_TOKEN
    assert verify(_presigned(), FakeResolver(), NOW).presigned


def test_signature_changes() -> None:
    """Any changed character of the signature: `SignatureDoesNotMatch`."""
    for request in _authorization_part("Signature"):
        _refused_with(request, MISMATCH)


def test_signed_headers_changes() -> None:
    """A changed signed-headers list: mismatch, or incomplete once `host` is gone."""
    for request in _authorization_part("SignedHeaders"):
        _refused_with(request, MISMATCH | {"IncompleteSignature"})


def test_scope_changes() -> None:
    """A changed date, region, service or terminator in the scope: mismatch.

    A changed key id is an unknown key; a lost slash is a malformed credential.
    """
    request = _header_form()
    credential = _header(request, "authorization").split("Credential=")[1].split(",")[0]
    key_id = credential.split("/")[0]
    for changed in _one_byte_changes(credential):
        mutated = _with_header(request, "authorization", _header(request, "authorization")
                               .replace(credential, changed))
        if changed.count("/") != 4:
            expected = {"IncompleteSignature"}  # a slash replaced: not a credential any more
        elif changed.split("/")[0] != key_id:
            expected = {"InvalidClientTokenId"}
        else:
            expected = MISMATCH
        _refused_with(mutated, expected)


def test_date_changes() -> None:
    """A changed X-Amz-Date: mismatch, malformed, or outside the clock-skew window."""
    request = _header_form()
    for changed in _one_byte_changes(_header(request, "x-amz-date")):
        _refused_with(_with_header(request, "x-amz-date", changed),
                      MISMATCH | {"IncompleteSignature", "RequestExpired"})


@pytest.mark.parametrize("name", ["content-type", "x-test", "host", "x-amz-security-token"])
def test_signed_header_value_changes(name: str) -> None:
    """A changed value of any signed header: mismatch (a changed token: an unknown token)."""
    request = _header_form()
    codes = {"InvalidClientTokenId"} if name == "x-amz-security-token" else MISMATCH
    for changed in _one_byte_changes(_header(request, name)):
        _refused_with(_with_header(request, name, changed), codes)


def test_query_changes() -> None:
    """A changed query string: mismatch."""
    request = _header_form()
    for changed in _one_byte_changes(request.query):
        _refused_with(dataclasses.replace(request, query=changed), MISMATCH)


def test_path_and_method_changes() -> None:
    """A changed path or method: mismatch."""
    request = _header_form()
    for changed in _one_byte_changes(request.path):
        _refused_with(dataclasses.replace(request, path=changed), MISMATCH)
    _refused_with(dataclasses.replace(request, method="PUT"), MISMATCH)


def test_body_changes() -> None:
    """Each byte of the body flipped, and a byte added or removed: mismatch."""
    request = _header_form()
    body = request.body
    mutations: list[Callable[[], bytes]] = [lambda: body + b"x", lambda: body[:-1]]
    for index in range(len(body)):
        mutations.append(lambda i=index: body[:i] + bytes([body[i] ^ 1]) + body[i + 1:])
    for mutate in mutations:
        _refused_with(dataclasses.replace(request, body=mutate()), MISMATCH)


def test_empty_body_gaining_a_byte() -> None:
    """A signed empty body that arrives with one byte: mismatch."""
    request = sign("GET", "/")
    _refused_with(dataclasses.replace(request, body=b"\0"), MISMATCH)


def test_declared_payload_hash_changes() -> None:
    """A changed `x-amz-content-sha256`, or a body that does not match it: mismatch."""
    body = b"Action=GetUser"
    request = sign(body=body, headers=[("X-Amz-Content-SHA256", sha256(body).hexdigest())])
    for changed in _one_byte_changes(_header(request, "x-amz-content-sha256")):
        _refused_with(_with_header(request, "x-amz-content-sha256", changed), MISMATCH)
    _refused_with(dataclasses.replace(request, body=b"Action=GetUseR"), MISMATCH)


def test_presigned_query_changes() -> None:
    """Each one-byte change anywhere in a presigned URL's query is refused."""
    request = _presigned()
    codes = MISMATCH | {"IncompleteSignature", "RequestExpired", "InvalidClientTokenId",
                        "MissingAuthenticationToken"}
    seen: set[str] = set()
    for changed in _one_byte_changes(request.query):
        with pytest.raises(SigV4Error) as refusal:
            verify(dataclasses.replace(request, query=changed), FakeResolver(), NOW)
        seen.add(refusal.value.code)
    assert seen <= codes
    assert "SignatureDoesNotMatch" in seen


def test_presigned_host_change() -> None:
    """The signed `host` of a presigned URL cannot change."""
    request = _presigned()
    for changed in _one_byte_changes(_header(request, "host")):
        _refused_with(_with_header(request, "host", changed), MISMATCH)
