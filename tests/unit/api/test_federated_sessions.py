"""GetFederationToken sessions in the api: the caller, the intersection of the user's policies
with the session policies, what the credentials may never call, and the decider's event."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from domain.commands import CreateAccount, CreateUser, IssueSessionToken, PutUserPolicy
from domain.iam.sessions import issue_session_token
from events.schemas import SessionIssued, UserCreated
from services.api.authn import KeyResolver, session_caller_of
from services.api.authz import AccessDenied, decide, require, session_token_allows
from services.api.caller import Caller
from services.api.identity_index import IdentityIndex
from services.api.sigv4 import SigV4Error
from services.credentials.master_keys import MasterKeys
from services.settings import Settings
from tests.unit.samples import ACCOUNT, NOW, replay

KEYS = MasterKeys({1: bytes(range(32))})
USER_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "iam:ListUsers"],
    "Resource": "*"}]})
SESSION_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject", "iam:ListUsers",
                                  "sts:GetAccessKeyInfo"], "Resource": "*"}]})


def _world() -> tuple[IdentityIndex, KeyResolver, UserCreated]:
    index = IdentityIndex(Settings())
    events = replay([CreateAccount(), CreateUser(user_name="Alice"),
                     PutUserPolicy(user_name="Alice", policy_name="s3",
                                   policy_document=USER_POLICY)])
    for event in events:
        index.apply(event)
    user = next(e for e in events if isinstance(e, UserCreated))
    return index, KeyResolver(index, KEYS), user


def _federated(index: IdentityIndex, resolver: KeyResolver, user_name: str | None,
               user_id: str, policy: str = SESSION_POLICY,
               tags: tuple[tuple[str, str], ...] = ()) -> Caller:
    session = resolver.sessions.issue(
        account_id=ACCOUNT, arn=f"arn:aws:sts::{ACCOUNT}:federated-user/bob",
        kind="federated_user", name=user_name, principal_id=user_id, session_name="bob",
        issued_at=NOW, expires_at=NOW + timedelta(hours=1), policy=policy, tags=tags)
    return session_caller_of(index, session.claims)


def test_federated_caller_is_the_federated_user() -> None:
    """ARN `…:federated-user/<name>`, user id `<account>:<name>`, kind federated_user."""
    index, resolver, user = _world()
    caller = _federated(index, resolver, "Alice", user.user_id)
    assert (f"arn:aws:sts::{ACCOUNT}:federated-user/bob", f"{ACCOUNT}:bob", "federated_user",
            None) == (caller.arn, caller.user_id, caller.kind, caller.user_name)


@pytest.mark.parametrize(("action", "allowed"), [
    ("s3:GetObject", True),      # the user's policy and the session policy allow it
    ("s3:PutObject", False),     # only the user's policy
    ("s3:DeleteObject", False),  # only the session policy
    ("s3:ListBucket", False),    # neither
])
def test_permissions_are_the_users_intersected_with_the_session_policy(action: str,
                                                                       allowed: bool) -> None:
    """What the federated user may do is what both its user and its session policy allow."""
    index, resolver, user = _world()
    caller = _federated(index, resolver, "Alice", user.user_id)
    decision = decide(index.account(ACCOUNT), caller, action, "arn:aws:s3:::bucket/key", now=NOW)
    assert allowed == decision.allowed


def test_root_federated_user_has_exactly_its_session_policy() -> None:
    """Root federating: root holds everything, so the session policy alone decides."""
    index, resolver, _ = _world()
    caller = _federated(index, resolver, None, ACCOUNT)
    state = index.account(ACCOUNT)
    assert (True, False) == (
        decide(state, caller, "s3:DeleteObject", "arn:aws:s3:::b/k", now=NOW).allowed,
        decide(state, caller, "s3:PutObject", "arn:aws:s3:::b/k", now=NOW).allowed)


@pytest.mark.parametrize(("action", "allowed"), [
    ("iam:ListUsers", False), ("sts:GetAccessKeyInfo", False), ("sts:AssumeRole", False),
    ("sts:GetSessionToken", False), ("sts:GetFederationToken", False),
    ("sts:GetCallerIdentity", True), ("s3:GetObject", True),
])
def test_federated_credentials_call_no_iam_and_in_sts_only_get_caller_identity(
        action: str, allowed: bool) -> None:
    """Whatever the policies say, no IAM action and in STS only GetCallerIdentity."""
    index, resolver, user = _world()
    caller = _federated(index, resolver, "Alice", user.user_id)
    assert allowed == session_token_allows(caller, action)
    if not allowed:
        with pytest.raises(AccessDenied, match=f"is not authorized to perform: {action}"):
            require(index.account(ACCOUNT), caller, action, "*", now=NOW)


def test_a_user_gone_or_recreated_leaves_its_federated_users_nothing() -> None:
    """A federated session of a user id that no longer exists is refused as a caller."""
    index, resolver, _ = _world()
    with pytest.raises(SigV4Error) as refused:
        _federated(index, resolver, "Alice", "AIDAOTHERALICE")
    assert "InvalidClientTokenId" == refused.value.code


def test_decider_records_a_federated_session_for_its_user() -> None:
    """IssueSessionToken with a federated name: `session.issued` of kind federated_user."""
    index, _, user = _world()
    state = index.account(ACCOUNT)
    assert state is not None
    [event] = issue_session_token(state, IssueSessionToken(
        session_id="ab" * 16, user_name="Alice", user_id=user.user_id, federated_name="bob",
        session_key_id="ASIA" + "A" * 16, source_key_id="AKIA" + "B" * 16, issued_at=NOW,
        expires_at=NOW + timedelta(hours=1)))
    assert isinstance(event, SessionIssued)
    assert ("federated_user", f"arn:aws:sts::{ACCOUNT}:federated-user/bob", "Alice", "bob") == (
        event.session_kind, event.principal_arn, event.user_name, event.federated_name)


def test_session_tags_are_the_federated_users_principal_tags() -> None:
    """GetFederationToken's tags travel in the token and answer `aws:PrincipalTag/<key>`."""
    index, resolver, user = _world()
    by_tag = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}]})
    state = index.account(ACCOUNT)
    blue = _federated(index, resolver, "Alice", user.user_id, by_tag, (("Team", "blue"),))
    red = _federated(index, resolver, "Alice", user.user_id, by_tag, (("team", "red"),))
    assert (True, False) == (
        decide(state, blue, "s3:GetObject", "arn:aws:s3:::b/k", now=NOW).allowed,
        decide(state, red, "s3:GetObject", "arn:aws:s3:::b/k", now=NOW).allowed)
