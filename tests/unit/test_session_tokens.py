"""Session tokens: sealing, opening, tampering, expiry, rotation, no secrets in clear."""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.credentials.master_keys import MasterKeys
from services.credentials.secrets import derive_secret
from services.credentials.session_tokens import (
    MAX_TOKEN_CHARS,
    ExpiredSessionToken,
    InvalidSessionToken,
    RevokedSession,
    SessionClaims,
    SessionTokens,
    derive_session_secret,
)

KEY_1 = bytes(range(32))
KEY_2 = bytes(range(100, 132))
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _issue(tokens: SessionTokens, seconds: int = 3600, **extra: str | None) -> tuple[str, str,
                                                                                      str]:
    issued = tokens.issue(account_id="123456789012", arn="arn:aws:iam::123456789012:user/alice",
                          kind="session_token", name="alice", principal_id="AIDAEXAMPLE",
                          issued_at=NOW, expires_at=NOW + timedelta(seconds=seconds),
                          **extra)  # type: ignore[arg-type]
    return issued.token, issued.claims.access_key_id, issued.secret_access_key


def _unpad(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _raw(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def test_issue_then_verify_returns_the_claims_and_the_same_secret() -> None:
    """A fresh token verifies with its key id and yields the secret it was issued with."""
    tokens = SessionTokens(MasterKeys({1: KEY_1}))
    token, key_id, secret = _issue(tokens)
    claims, derived = tokens.verify(token, key_id, NOW)
    assert secret == derived
    assert "arn:aws:iam::123456789012:user/alice" == claims.arn
    assert key_id.startswith("ASIA")
    assert 20 == len(key_id)
    assert 40 == len(secret)
    assert NOW + timedelta(hours=1) == claims.expiration


_text = st.text(min_size=1, max_size=80)


@settings(max_examples=60, deadline=None)
@given(name=st.none() | _text, session_name=st.none() | _text, policy=st.none() | _text,
       arns=st.lists(_text, max_size=3).map(tuple),
       issued=st.integers(0, 2**32), length=st.integers(1, 200_000),
       kind=st.sampled_from(["session_token", "assumed_role", "federated_user"]),
       tags=st.lists(st.tuples(_text, st.text(max_size=20)), max_size=3).map(tuple),
       transitive=st.lists(_text, max_size=3).map(tuple))
def test_seal_open_round_trips_any_claims(name: str | None, session_name: str | None,
                                          policy: str | None, arns: tuple[str, ...],
                                          issued: int, length: int, kind: str,
                                          tags: tuple[tuple[str, str], ...],
                                          transitive: tuple[str, ...]) -> None:
    """Whatever the claims hold (unicode, empty tuples, None), opening gives them back."""
    tokens = SessionTokens(MasterKeys({1: KEY_1}))
    claims = SessionClaims(
        session_id="ab" * 16, account_id="123456789012", arn="arn:x", kind=kind,  # type: ignore[arg-type]
        name=name, principal_id="AROAEXAMPLE", session_name=session_name,
        access_key_id="ASIAAAAAAAAAAAAAAAAA", salt="00" * 16, issued_at=issued,
        expires_at=issued + length, policy=policy, policy_arns=arns, tags=tags,
        transitive_tag_keys=transitive)
    assert (claims, 1) == tokens.open(tokens.seal(claims, 1))


def test_changing_any_byte_makes_the_token_invalid() -> None:
    """Flipping any single byte of the decoded token (header included) is detected."""
    tokens = SessionTokens(MasterKeys({1: KEY_1, 2: KEY_2}))
    token, key_id, _ = _issue(tokens, policy='{"Version":"2012-10-17"}')
    raw = _raw(token)
    for position, flip in itertools.product(range(len(raw)), (0x01, 0x80)):
        altered = bytearray(raw)
        altered[position] ^= flip
        with pytest.raises(InvalidSessionToken):
            tokens.verify(_unpad(bytes(altered)), key_id, NOW)


@pytest.mark.parametrize("garbage", [
    "", "x", "!!!!", "AQ", "a" * 40, "é" * 10, "A" * (MAX_TOKEN_CHARS + 1), "AQE=" * 20,
    _unpad(bytes((1, 1)) + bytes(28)), _unpad(bytes((9, 1)) + bytes(60)),
])
def test_garbage_is_an_invalid_token(garbage: str) -> None:
    """Anything that is not a sealed token is refused as invalid, never as a crash."""
    tokens = SessionTokens(MasterKeys({1: KEY_1}))
    with pytest.raises(InvalidSessionToken):
        tokens.open(garbage)


def test_truncated_or_extended_tokens_are_invalid() -> None:
    """Cutting a character off, or adding one, breaks the token."""
    tokens = SessionTokens(MasterKeys({1: KEY_1}))
    token, key_id, _ = _issue(tokens)
    for variant in (token[:-1], token[:-4], token + "A", token + "AAAA", token[1:]):
        with pytest.raises(InvalidSessionToken):
            tokens.verify(variant, key_id, NOW)


def test_token_presented_with_another_key_id_is_invalid() -> None:
    """A token only authenticates together with the key id it was issued for."""
    tokens = SessionTokens(MasterKeys({1: KEY_1}))
    token, _, _ = _issue(tokens)
    _, other_key, _ = _issue(tokens)
    with pytest.raises(InvalidSessionToken):
        tokens.verify(token, other_key, NOW)


def test_expiry_boundary_is_the_expiration_instant() -> None:
    """Valid one microsecond before the expiration; expired at it and after it."""
    tokens = SessionTokens(MasterKeys({1: KEY_1}))
    token, key_id, _ = _issue(tokens, seconds=900)
    end = NOW + timedelta(seconds=900)
    tokens.verify(token, key_id, end - timedelta(microseconds=1))
    for when in (end, end + timedelta(seconds=1), end + timedelta(days=400)):
        with pytest.raises(ExpiredSessionToken):
            tokens.verify(token, key_id, when)


def test_revoked_session_is_refused() -> None:
    """A session whose id is in the revocation set no longer verifies."""
    tokens = SessionTokens(MasterKeys({1: KEY_1}))
    token, key_id, _ = _issue(tokens)
    claims, _ = tokens.open(token)
    with pytest.raises(RevokedSession):
        tokens.verify(token, key_id, NOW, revoked={claims.session_id})


def test_rotation_keeps_old_tokens_while_their_key_is_configured() -> None:
    """New tokens use the newest key; old ones verify until their version is retired."""
    old = SessionTokens(MasterKeys({1: KEY_1}))
    token_1, key_1, secret_1 = _issue(old)
    rotated = SessionTokens(MasterKeys({1: KEY_1, 2: KEY_2}))
    token_2, key_2, secret_2 = _issue(rotated)
    assert 2 == _raw(token_2)[1]
    assert 1 == _raw(token_1)[1]
    assert secret_1 == rotated.verify(token_1, key_1, NOW)[1]
    assert secret_2 == rotated.verify(token_2, key_2, NOW)[1]
    retired = SessionTokens(MasterKeys({2: KEY_2}))
    with pytest.raises(InvalidSessionToken):
        retired.verify(token_1, key_1, NOW)
    assert secret_2 == retired.verify(token_2, key_2, NOW)[1]


def test_a_token_of_another_master_key_with_the_same_version_is_invalid() -> None:
    """Version numbers are not enough: the key itself must match."""
    token, key_id, _ = _issue(SessionTokens(MasterKeys({1: KEY_1})))
    with pytest.raises(InvalidSessionToken):
        SessionTokens(MasterKeys({1: KEY_2})).verify(token, key_id, NOW)


def test_no_secret_or_key_material_appears_in_the_token() -> None:
    """The clear header is two bytes; the secret, master key and token key are nowhere in it."""
    tokens = SessionTokens(MasterKeys({1: KEY_1}))
    token, _, secret = _issue(tokens, policy="a policy in clear?")
    raw = _raw(token)
    assert bytes((1, 1)) == raw[:2]
    for needle in (secret.encode(), base64.b64decode(secret), KEY_1,
                   base64.b64encode(KEY_1), b"alice", b"a policy in clear?"):
        assert needle not in raw
        assert needle.decode("latin-1") not in token
    assert "secret" not in repr(tokens.issue(
        account_id="1", arn="a", kind="session_token", name=None, principal_id="1",
        issued_at=NOW, expires_at=NOW + timedelta(hours=1))).lower()


def test_nonce_is_fresh_so_equal_claims_give_different_tokens() -> None:
    """Sealing the same claims twice gives two different tokens that both open."""
    tokens = SessionTokens(MasterKeys({1: KEY_1}))
    token, _, _ = _issue(tokens)
    claims, _ = tokens.open(token)
    again = tokens.seal(claims, 1)
    assert token != again
    assert claims == tokens.open(again)[0]


def test_session_secret_differs_from_a_long_term_derivation() -> None:
    """A session secret is derived under its own label, not the long-term keys' one."""
    salt = "11" * 16
    session = derive_session_secret(KEY_1, "ASIAAAAAAAAAAAAAAAAA", salt)
    assert session != derive_secret(KEY_1, "ASIAAAAAAAAAAAAAAAAA", salt)
    assert 40 == len(session)
