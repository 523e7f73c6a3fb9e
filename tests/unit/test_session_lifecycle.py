"""Live sessions: expiry after the expiration only and once; revocation of one session or of
every session of a role; the identity index refuses revoked sessions and forgets expired ones."""

from __future__ import annotations

import json
from datetime import timedelta

import pydantic
import pytest

from domain.account import AccountState, decide, fold
from domain.commands import (
    AssumeRole,
    Command,
    CreateAccount,
    CreateRole,
    CreateUser,
    ExpireSession,
    ExpireSessions,
    IssueSessionToken,
    RevokeRoleSessions,
    RevokeSession,
)
from domain.errors import NoSuchEntity, ValidationError
from events.schemas import Event, RoleCreated, SessionExpired, SessionRevoked
from services.api.identity_index import IdentityIndex
from services.settings import Settings
from tests.unit.samples import ACCOUNT, NOW, context, replay

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "sts:AssumeRole"}]})
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/Deployer"
TOKEN_SESSION, ROLE_SESSION, SECOND_ROLE_SESSION = "a1" * 16, "b2" * 16, "c3" * 16


def _history() -> list[Event]:
    """Alice with a GetSessionToken session; role Deployer with two sessions; role Other."""
    base = replay([CreateAccount(), CreateUser(user_name="Alice"),
                   CreateRole(role_name="Deployer", assume_role_policy_document=TRUST),
                   CreateRole(role_name="Other", assume_role_policy_document=TRUST)])
    state = fold(AccountState(account_id=ACCOUNT), base)
    roles = {e.role_name: e.role_id for e in base if isinstance(e, RoleCreated)}
    commands: list[Command] = [
        IssueSessionToken(session_id=TOKEN_SESSION, user_name="Alice",
                          user_id=state.users["alice"].user_id,
                          session_key_id="ASIA" + "A" * 16, source_key_id="AKIA" + "A" * 16,
                          issued_at=NOW, expires_at=NOW + timedelta(hours=1)),
        *(AssumeRole(session_id=session_id, role_name="Deployer", role_id=roles["Deployer"],
                     caller_arn=f"arn:aws:iam::{ACCOUNT}:user/Alice", role_session_name=name,
                     session_key_id="ASIA" + letter * 16, issued_at=NOW,
                     expires_at=NOW + timedelta(minutes=15))
          for session_id, name, letter in ((ROLE_SESSION, "one", "B"),
                                           (SECOND_ROLE_SESSION, "two", "C"))),
        AssumeRole(session_id="d4" * 16, role_name="Other", role_id=roles["Other"],
                   caller_arn=f"arn:aws:iam::{ACCOUNT}:user/Alice", role_session_name="x",
                   session_key_id="ASIA" + "D" * 16, issued_at=NOW,
                   expires_at=NOW + timedelta(minutes=15)),
    ]
    for command in commands:
        new = decide(state, command, context())
        state = fold(state, new)
        base += new
    return base


def _state(events: list[Event]) -> AccountState:
    return fold(AccountState(account_id=ACCOUNT), events)


def test_a_session_expires_only_after_its_expiration_and_only_once() -> None:
    """Before the expiration: ValidationError; after: one event; again: no event."""
    state = _state(_history())
    with pytest.raises(ValidationError):
        decide(state, ExpireSession(session_id=ROLE_SESSION,
                                    at=NOW + timedelta(minutes=14, seconds=59)), context())
    [expired] = decide(state, ExpireSession(session_id=ROLE_SESSION,
                                            at=NOW + timedelta(minutes=15)), context())
    assert isinstance(expired, SessionExpired)
    assert (f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/one", "ASIA" + "B" * 16,
            NOW + timedelta(minutes=15)) == (expired.subject(), expired.session_key_id,
                                             expired.expires_at)
    after = fold(state, [expired])
    assert ROLE_SESSION not in after.sessions
    assert [] == decide(after, ExpireSession(session_id=ROLE_SESSION,
                                             at=NOW + timedelta(hours=2)), context())


def test_expire_sessions_ends_each_expired_session_once_and_refuses_an_unexpired_one() -> None:
    """ExpireSessions (the scheduler's batch): one event per live session named (a repeat or
    an ended one yields none); one session not yet expired refuses the whole command."""
    state = _state(_history())
    with pytest.raises(ValidationError):
        decide(state, ExpireSessions(session_ids=(ROLE_SESSION, TOKEN_SESSION),
                                     at=NOW + timedelta(minutes=15)), context())
    late = NOW + timedelta(hours=13)
    events = decide(state, ExpireSessions(
        session_ids=(ROLE_SESSION, TOKEN_SESSION, ROLE_SESSION, "ff" * 16), at=late), context())
    assert [(SessionExpired, ROLE_SESSION), (SessionExpired, TOKEN_SESSION)] == [
        (type(event), getattr(event, "session_id")) for event in events]  # noqa: B009
    after = fold(state, events)
    assert {ROLE_SESSION, TOKEN_SESSION}.isdisjoint(after.sessions)
    assert [] == decide(after, ExpireSessions(session_ids=(ROLE_SESSION, TOKEN_SESSION),
                                              at=late), context())
    with pytest.raises(pydantic.ValidationError):
        ExpireSessions(session_ids=(), at=late)


def test_revoking_a_session_ends_it_and_a_second_revocation_finds_nothing() -> None:
    """RevokeSession: one event naming the principal and the reason; then NoSuchEntity."""
    state = _state(_history())
    [revoked] = decide(state, RevokeSession(session_id=TOKEN_SESSION, reason="leaked"),
                       context())
    assert isinstance(revoked, SessionRevoked)
    assert (f"arn:aws:iam::{ACCOUNT}:user/Alice", "leaked", NOW) == (
        revoked.subject(), revoked.reason, revoked.revoked_at)
    for reason in ("", "x" * 257):
        with pytest.raises(ValidationError):
            decide(state, RevokeSession(session_id=TOKEN_SESSION, reason=reason), context())
        with pytest.raises(ValidationError):
            decide(state, RevokeRoleSessions(role_arn=ROLE_ARN, reason=reason), context())
    after = fold(state, [revoked])
    for again in (RevokeSession(session_id=TOKEN_SESSION), RevokeSession(session_id="ff" * 16)):
        with pytest.raises(NoSuchEntity):
            decide(after, again, context())
    assert [] == decide(after, ExpireSession(session_id=TOKEN_SESSION,
                                             at=NOW + timedelta(hours=2)), context())


def test_revoking_a_roles_sessions_ends_each_of_them_and_no_other() -> None:
    """RevokeRoleSessions: one event per live session of that role, then none."""
    events = _history()
    state = _state(events)
    revoked = decide(state, RevokeRoleSessions(role_arn=ROLE_ARN), context())
    assert sorted([ROLE_SESSION, SECOND_ROLE_SESSION]) == sorted(
        e.session_id for e in revoked if isinstance(e, SessionRevoked))
    after = fold(state, revoked)
    assert {TOKEN_SESSION, "d4" * 16} == set(after.sessions)
    assert [] == decide(after, RevokeRoleSessions(role_arn=ROLE_ARN), context())


def test_the_identity_index_refuses_revoked_sessions_until_they_expire() -> None:
    """Revoked: in the revocation set until its expiration has passed; expired: key forgotten."""
    events = _history()
    index = IdentityIndex(Settings())
    for event in events:
        index.apply(event)
    state = _state(events)
    [revoked] = decide(state, RevokeSession(session_id=ROLE_SESSION), context())
    index.apply(revoked)
    assert {ROLE_SESSION} == index.revoked_sessions
    index.forget_expired_revocations(NOW + timedelta(minutes=15))
    assert {ROLE_SESSION} == index.revoked_sessions
    index.forget_expired_revocations(NOW + timedelta(minutes=17))
    assert set() == index.revoked_sessions
    [expired] = decide(state, ExpireSession(session_id=SECOND_ROLE_SESSION,
                                            at=NOW + timedelta(minutes=15)), context())
    assert "ASIA" + "C" * 16 in index.session_keys
    index.apply(expired)
    assert "ASIA" + "C" * 16 not in index.session_keys
