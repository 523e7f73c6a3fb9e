"""Session credentials in the api: the resolver, the caller, GetSessionToken's limits, the rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from domain.account import AccountState, decide, fold
from domain.commands import CreateAccount, CreateUser, IssueSessionToken
from domain.errors import NoSuchEntity
from events.schemas import SessionIssued, UserCreated
from services.api.authn import KeyResolver, session_caller_of
from services.api.authz import AccessDenied, require, session_token_allows
from services.api.identity_index import IdentityIndex
from services.api.sigv4 import SigV4Error
from services.credentials.master_keys import MasterKeys
from services.credentials.session_tokens import IssuedSession
from services.settings import Settings
from tests.unit.samples import ACCOUNT, NOW, context, replay

KEYS = MasterKeys({1: bytes(range(32))})


class _Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _world() -> tuple[IdentityIndex, KeyResolver, _Clock, UserCreated]:
    index = IdentityIndex(Settings())
    events = replay([CreateAccount(), CreateUser(user_name="Alice")])
    for event in events:
        index.apply(event)
    clock = _Clock()
    user = next(e for e in events if isinstance(e, UserCreated))
    return index, KeyResolver(index, KEYS, clock), clock, user


def _session(resolver: KeyResolver, user: UserCreated, seconds: int = 900) -> IssuedSession:
    return resolver.sessions.issue(
        account_id=ACCOUNT, arn=user.arn, kind="session_token", name=user.user_name,
        principal_id=user.user_id, issued_at=NOW, expires_at=NOW + timedelta(seconds=seconds))


def test_resolver_gives_the_session_secret_and_the_caller_is_the_user() -> None:
    """A session token resolves to its secret; the caller is the user, marked as a session."""
    index, resolver, _, user = _world()
    session = _session(resolver, user)
    key_id = session.claims.access_key_id
    assert session.secret_access_key == resolver(key_id, session.token).secret_access_key
    caller = session_caller_of(index, session.claims)
    assert (user.arn, "Alice", user.user_id, "user", key_id) == (
        caller.arn, caller.user_name, caller.user_id, caller.kind, caller.access_key_id)
    assert session.claims == caller.session


def test_resolver_refuses_expired_revoked_foreign_and_missing_tokens() -> None:
    """Expired: ExpiredToken; revoked, another key's token or no token: InvalidClientTokenId."""
    index, resolver, clock, user = _world()
    session = _session(resolver, user, seconds=900)
    key_id = session.claims.access_key_id
    other = _session(resolver, user)
    for token in (other.token, None, session.token[:-2]):
        with pytest.raises(SigV4Error) as refused:
            resolver(key_id, token)
        assert "InvalidClientTokenId" == refused.value.code
    clock.now = NOW + timedelta(seconds=900)
    with pytest.raises(SigV4Error) as expired:
        resolver(key_id, session.token)
    assert "ExpiredToken" == expired.value.code
    clock.now = NOW
    index.revoked_sessions.add(session.claims.session_id)
    with pytest.raises(SigV4Error) as revoked:
        resolver(key_id, session.token)
    assert "InvalidClientTokenId" == revoked.value.code


def test_a_session_of_a_user_that_is_gone_names_no_caller() -> None:
    """A session whose user no longer exists (or was re-created, new id) is refused."""
    index, resolver, _, user = _world()
    session = _session(resolver, user)
    for stale in (replace(session.claims, principal_id="AIDAOTHERALICE"),
                  replace(session.claims, name="Nobody")):
        with pytest.raises(SigV4Error) as refused:
            session_caller_of(index, stale)
        assert "InvalidClientTokenId" == refused.value.code


@pytest.mark.parametrize(("action", "allowed"), [
    ("iam:ListUsers", False), ("IAM:CreateAccessKey", False), ("sts:GetSessionToken", False),
    ("sts:GetAccessKeyInfo", False), ("sts:AssumeRole", True), ("sts:GetCallerIdentity", True),
    ("s3:GetObject", True),
])
def test_session_token_credentials_call_no_iam_and_little_sts(action: str,
                                                              allowed: bool) -> None:
    """GetSessionToken credentials: no IAM, in STS only AssumeRole and GetCallerIdentity."""
    index, resolver, _, user = _world()
    caller = session_caller_of(index, _session(resolver, user).claims)
    assert allowed == session_token_allows(caller, action)


def test_root_session_is_still_root_but_refused_iam() -> None:
    """Root's session is the root user, and even root's session may not call IAM."""
    index, resolver, _, _ = _world()
    session = resolver.sessions.issue(
        account_id=ACCOUNT, arn=f"arn:aws:iam::{ACCOUNT}:root", kind="session_token",
        name=None, principal_id=ACCOUNT, issued_at=NOW, expires_at=NOW + timedelta(hours=1))
    caller = session_caller_of(index, session.claims)
    assert caller.is_root
    with pytest.raises(AccessDenied):
        require(index.account(ACCOUNT), caller, "iam:ListUsers", "*", now=NOW)


def _issue(user_name: str | None, user_id: str) -> IssueSessionToken:
    return IssueSessionToken(session_id="ab" * 16, user_name=user_name, user_id=user_id,
                             session_key_id="ASIA" + "B" * 16, source_key_id="AKIA" + "C" * 16,
                             issued_at=NOW, expires_at=NOW + timedelta(hours=12))


def test_issuing_a_session_records_it_for_an_existing_user_only() -> None:
    """Given Alice, IssueSessionToken records the session; a stale user id is NoSuchEntity."""
    history = replay([CreateAccount(), CreateUser(user_name="Alice")])
    state = fold(AccountState(account_id=ACCOUNT), history)
    alice = state.users["alice"]
    [event] = decide(state, _issue("alice", alice.user_id), context())
    assert isinstance(event, SessionIssued)
    assert (alice.arn, "ASIA" + "B" * 16, "session_token") == (
        event.principal_arn, event.session_key_id, event.session_kind)
    assert state.version + 1 == fold(state, [event]).version
    with pytest.raises(NoSuchEntity):
        decide(state, _issue("Alice", "AIDASOMEONEELSE"), context())
    with pytest.raises(NoSuchEntity):
        decide(state, _issue("nobody", "AIDANOBODY"), context())
    [root_event] = decide(state, _issue(None, ACCOUNT), context())
    assert f"arn:aws:iam::{ACCOUNT}:root" == root_event.subject()
