"""Role sessions: AssumeRole's rule, the assumed-role caller and its authorization."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from domain.account import AccountState, decide, fold
from domain.authorization import policies_for_role_session
from domain.commands import AssumeRole, CreateAccount, CreateRole, PutRolePolicy
from domain.errors import NoSuchEntity
from events.schemas import RoleAssumed, RoleCreated
from services.api.authn import session_caller_of
from services.api.authz import AccessDenied, principal_of, require
from services.credentials.master_keys import MasterKeys
from services.credentials.session_tokens import SessionTokens
from tests.unit.samples import ACCOUNT, NOW, context, replay

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "sts:AssumeRole"}]})
ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["iam:ListUsers", "iam:ListRoles"], "Resource": "*"}]})
SESSION_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["iam:ListRoles", "iam:ListGroups"], "Resource": "*"}]})


def _state() -> tuple[AccountState, RoleCreated]:
    events = replay([CreateAccount(), CreateRole(role_name="Reader", path="/ops/",
                                                 assume_role_policy_document=TRUST),
                     PutRolePolicy(role_name="Reader", policy_name="p",
                                   policy_document=ROLE_POLICY)])
    role = next(e for e in events if isinstance(e, RoleCreated))
    return fold(AccountState(account_id=ACCOUNT), events), role


def _command(role_name: str, role_id: str) -> AssumeRole:
    return AssumeRole(session_id="ab" * 16, role_name=role_name, role_id=role_id,
                      caller_arn=f"arn:aws:iam::{ACCOUNT}:user/ann", role_session_name="s1",
                      session_key_id="ASIA" + "B" * 16, issued_at=NOW,
                      expires_at=NOW + timedelta(hours=1))


def test_assume_role_is_recorded_for_an_existing_role_only() -> None:
    """The role must exist with the same id; the event names role, caller and session."""
    state, role = _state()
    [event] = decide(state, _command("reader", role.role_id), context())
    assert isinstance(event, RoleAssumed)
    assert (role.arn, "s1", None) == (event.role_arn, event.role_session_name,
                                       event.source_identity)
    assert role.arn == event.subject()
    with pytest.raises(NoSuchEntity):
        decide(state, _command("Reader", "AROAOTHER"), context())
    with pytest.raises(NoSuchEntity):
        decide(state, _command("nobody", role.role_id), context())


def test_assumed_role_caller_has_the_role_policies_intersected_with_the_session() -> None:
    """The caller is the assumed role (AROA…:session); a session policy narrows the role."""
    state, role = _state()
    tokens = SessionTokens(MasterKeys({1: bytes(range(32))}))
    arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/Reader/s1"

    def caller(policy: str | None = None):  # type: ignore[no-untyped-def]
        session = tokens.issue(account_id=ACCOUNT, arn=arn, kind="assumed_role", name="Reader",
                               principal_id=role.role_id, session_name="s1", issued_at=NOW,
                               expires_at=NOW + timedelta(hours=1), policy=policy)
        return session_caller_of(None, session.claims)  # type: ignore[arg-type]

    plain = caller()
    assert (arn, f"{role.role_id}:s1", "assumed_role", False) == (
        plain.arn, plain.user_id, plain.kind, plain.is_root)
    principal = principal_of(state, plain)
    assert (arn, f"{role.role_id}:s1") == (principal.arn, principal.user_id)
    require(state, plain, "iam:ListUsers", "*", now=NOW)
    with pytest.raises(AccessDenied):
        require(state, plain, "iam:ListGroups", "*", now=NOW)
    narrowed = caller(SESSION_POLICY)
    require(state, narrowed, "iam:ListRoles", "*", now=NOW)
    for action in ("iam:ListUsers", "iam:ListGroups"):
        with pytest.raises(AccessDenied):
            require(state, narrowed, action, "*", now=NOW)
    # a role deleted and created again (another id) gives old sessions nothing
    stale = policies_for_role_session(state, "Reader", "AROAOLDROLE")
    assert ((), None) == (stale.identity, stale.session)
    assert 1 == len(policies_for_role_session(state, "Reader", role.role_id).identity)
