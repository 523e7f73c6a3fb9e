"""Authorization of every api call through domain/policy (ARCHITECTURE.md §6)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from domain.account import AccountState
from domain.errors import DomainError
from domain.policy import (
    NO_POLICIES,
    Decision,
    Principal,
    PrincipalPolicies,
    RequestContext,
    evaluate,
)
from services.api.caller import Caller


class AccessDenied(DomainError):
    """The caller's policies do not allow the action on the resource.

    `explanation`, when set, is the decoded authorization message (AWS's shape): the Query API
    appends it encoded to the message, for `sts:DecodeAuthorizationMessage`. It is built only
    on a denial and encrypted only when the response is rendered.
    """

    code = "AccessDenied"
    http_status = 403

    def __init__(self, message: str, *, account_id: str | None = None,
                 explanation: dict[str, Any] | None = None) -> None:
        super().__init__(message, account_id=account_id)
        self.explanation = explanation


def refusal(principal: Principal, action: str, resource: str, failure: str) -> dict[str, Any]:
    """The decoded message of a denial that no policy statement decided."""
    return {
        "allowed": False, "explicitDeny": False, "matchedStatements": {"items": []},
        "failures": {"items": [failure]},
        "context": {"principal": {"id": principal.user_id or "", "name": principal.username
                                  or "", "arn": principal.arn},
                    "action": action, "resource": resource, "conditions": {"items": []}},
    }


# What session credentials may call in STS whatever their policies say (GetSessionToken without
# MFA, which iamlog does not model; GetFederationToken); neither may call any IAM action.
_SESSION_STS = {
    "session_token": frozenset({"sts:assumerole", "sts:getcalleridentity"}),
    "federated_user": frozenset({"sts:getcalleridentity"}),
}


def session_token_allows(caller: Caller, action: str) -> bool:
    """False for what GetSessionToken or GetFederationToken credentials may never do,
    whatever the policies say."""
    if caller.session is None:
        return True
    sts_actions = _SESSION_STS.get(caller.session.kind)
    if sts_actions is None:
        return True
    lowered = action.lower()
    if lowered.startswith("iam:"):
        return False
    return not lowered.startswith("sts:") or lowered in sts_actions


def principal_of(state: AccountState | None, caller: Caller) -> Principal:
    """The policy-language principal of `caller`."""
    if caller.is_root:
        return Principal.root(caller.account_id)
    if caller.kind == "assumed_role":
        return assumed_role_principal(state, caller)
    if caller.kind == "federated_user":
        assert caller.session is not None
        return Principal.federated_user(caller.account_id, caller.session.session_name or "",
                                        tags=dict(caller.session.tags))
    from domain.authorization import principal_for  # noqa: PLC0415 - optional until it lands

    assert state is not None
    return principal_for(state, caller.user_name)


def principal_tags(resource_tags: Iterable[tuple[str, str]],
                   session: Iterable[tuple[str, str]]) -> dict[str, str]:
    """`aws:PrincipalTag` of a role session: the role's tags, overridden (ignoring case) by the
    session's tags."""
    merged: dict[str, tuple[str, str]] = {}
    for key, value in (*resource_tags, *session):
        merged[key.lower()] = (key, value)
    return dict(merged.values())


def assumed_role_principal(state: AccountState | None, caller: Caller) -> Principal:
    """A role session's principal (the role's path from the state; `/` once it is gone), its
    `aws:PrincipalTag`s the role's tags overridden by the session's."""
    claims = caller.session
    assert claims is not None
    assert claims.name is not None
    role = state.roles.get(claims.name.lower()) if state is not None else None
    if role is not None and role.role_id != claims.principal_id:
        role = None  # deleted and created again: not this session's role
    tags = principal_tags(role.tags if role is not None else (), claims.tags)
    return Principal.assumed_role(caller.account_id, claims.name, claims.session_name or "",
                                  claims.principal_id,
                                  path=role.path if role is not None else "/",
                                  tags=tags)


def assumed_role_policies(state: AccountState | None, caller: Caller) -> PrincipalPolicies:
    """A role session's policies: the role's, intersected with the token's session policies."""
    from domain.authorization import policies_for_role_session  # noqa: PLC0415

    claims = caller.session
    assert claims is not None
    assert claims.name is not None
    if state is None:
        return NO_POLICIES
    return policies_for_role_session(state, claims.name, claims.principal_id, claims.policy,
                                     claims.policy_arns)


def federated_user_policies(state: AccountState | None, caller: Caller) -> PrincipalPolicies:
    """A federated user's policies: its user's (root: all), intersected with the token's
    session policies."""
    from domain.authorization import policies_for_federated_user  # noqa: PLC0415

    claims = caller.session
    assert claims is not None
    if state is None:
        return NO_POLICIES
    return policies_for_federated_user(state, claims.name, claims.principal_id, claims.policy,
                                       claims.policy_arns)


def decide(state: AccountState | None, caller: Caller, action: str, resource: str, *,
           now: datetime, context: Mapping[str, str | list[str]] | None = None) -> Decision:
    """The decision for `caller` doing `action` on `resource`."""
    if caller.session is not None:
        context = {**(context or {}),
                   "aws:TokenIssueTime": caller.session.issued.isoformat().replace("+00:00", "Z")}
    request = RequestContext(action=action, resource=resource,
                             principal=principal_of(state, caller), now=now, context=context)
    if caller.is_root:
        return evaluate(request)  # root: everything in its own account, nothing elsewhere
    if caller.kind == "assumed_role":
        return evaluate(request, assumed_role_policies(state, caller))
    if caller.kind == "federated_user":
        return evaluate(request, federated_user_policies(state, caller))
    from domain.authorization import policies_for  # noqa: PLC0415 - optional until it lands

    assert state is not None
    assert caller.user_name is not None
    return evaluate(request, policies_for(state, caller.user_name))


def require(state: AccountState | None, caller: Caller, action: str, resource: str, *,
            now: datetime, context: Mapping[str, str | list[str]] | None = None) -> Decision:
    """Raise `AccessDenied` with AWS's message unless the decision allows."""
    if not session_token_allows(caller, action):
        source = " with credentials from GetSessionToken" if caller.kind != "federated_user" \
            else " with credentials from GetFederationToken"
        raise AccessDenied(
            f"User: {caller.arn} is not authorized to perform: {action} on resource: "
            f"{resource}{source}", account_id=caller.account_id,
            explanation=refusal(principal_of(state, caller), action, resource,
                                f"Credentials from {source.rsplit(' ', 1)[1]} may not call "
                                f"{action}."))
    decision = decide(state, caller, action, resource, now=now, context=context)
    if not decision.allowed:
        raise AccessDenied(decision.access_denied_message(), account_id=caller.account_id,
                           explanation=decision.as_dict())
    return decision
