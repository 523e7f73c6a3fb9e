"""The derived signing key and its cache."""

from __future__ import annotations

import hmac
from hashlib import sha256

import pytest
from botocore.auth import SigV4Auth
from botocore.credentials import Credentials

from services.api.sigv4 import Credential, SigningKeyCache, SigV4Error, derive_signing_key, verify
from tests.unit.sigv4.signer import ACCESS_KEY_ID, NOW, SECRET, sign


def test_derivation_matches_botocore() -> None:
    """The four chained HMACs are botocore's (`SigV4Auth._sign`)."""
    signer = SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET), "iam", "us-east-1")
    key = signer._sign(f"AWS4{SECRET}".encode(), "20260101")
    for part in ("us-east-1", "iam", "aws4_request"):
        key = signer._sign(key, part)

    assert key == derive_signing_key(SECRET, "20260101", "us-east-1", "iam")


def test_cache_is_bounded_and_least_recently_used() -> None:
    """The oldest unused entry goes first once the bound is reached."""
    cache = SigningKeyCache(max_entries=2)
    cache.get("AKIA1", "s1", "20260101", "us-east-1", "iam")
    cache.get("AKIA2", "s2", "20260101", "us-east-1", "iam")
    cache.get("AKIA1", "s1", "20260101", "us-east-1", "iam")
    cache.get("AKIA3", "s3", "20260101", "us-east-1", "iam")

    keys = {entry[0] for entry in cache._entries}
    assert {"AKIA1", "AKIA3"} == keys


def test_cache_never_holds_the_secret() -> None:
    """Entries are keyed by a digest of the secret, not the secret."""
    cache = SigningKeyCache()
    cache.get(ACCESS_KEY_ID, SECRET, "20260101", "us-east-1", "iam")

    (entry,) = cache._entries
    assert SECRET not in repr(entry)
    assert sha256(SECRET.encode()).digest() in entry


def test_rotated_secret_under_the_same_key_id() -> None:
    """A new secret for a cached key id gets a new signing key, never the old one."""
    cache = SigningKeyCache()
    request = sign()
    verify(request, lambda key_id, token: Credential(key_id, SECRET), NOW, keys=cache)

    with pytest.raises(SigV4Error) as refusal:
        verify(request, lambda key_id, token: Credential(key_id, "rotated"), NOW, keys=cache)

    assert "SignatureDoesNotMatch" == refusal.value.code
    assert 2 == len(cache)


def test_cached_key_is_the_derived_one() -> None:
    """A hit returns exactly the derived key."""
    cache = SigningKeyCache()
    first = cache.get(ACCESS_KEY_ID, SECRET, "20260101", "us-east-1", "sts")
    second = cache.get(ACCESS_KEY_ID, SECRET, "20260101", "us-east-1", "sts")

    assert hmac.compare_digest(first, second)
    assert first == derive_signing_key(SECRET, "20260101", "us-east-1", "sts")
