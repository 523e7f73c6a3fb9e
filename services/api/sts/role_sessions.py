"""What every way of assuming a role shares: finding the role, its trust policy's decision
(with `sts:TagSession` when the session gets tags), and issuing and recording the session as
`iamlog.role.assumed` in the role's account."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from domain.account import AccountState
from domain.commands import AssumeRole
from domain.errors import error_from_code
from domain.iam.state import Role
from domain.policy import (
    PolicySource,
    Principal,
    PrincipalPolicies,
    RequestContext,
    evaluate,
    evaluate_trust,
)
from domain.policy.context import ContextInput
from services.api.authz import AccessDenied
from services.api.iam.registry import Call, Result
from services.api.sts.session_policies import (
    PACKED_MAX_PERCENT,
    PackedPolicyTooLarge,
    packed_policy_size,
)
from services.api.sts.session_tags import NO_TAGS, SessionTags
from services.credentials.session_tokens import tokens_for

_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role(/(?:[\x21-\x7e]*/)?)([\w+=,.@-]{1,64})")

# action → the AccessDenied to raise, whether or not the role exists
Denial = Callable[[str], AccessDenied]


def role_named(call: Call, role_arn: str, denied: Denial,
               action: str) -> tuple[AccountState, Role]:
    """The role `role_arn` and its account's state; a malformed ARN, a missing role or one
    whose path differs is the same denial (role names cannot be probed)."""
    match = _ROLE_ARN.fullmatch(role_arn)
    if match is None:
        raise denied(action)
    role_account, _, role_name = match.groups()
    state = call.runtime.index.account(role_account)
    role = state.roles.get(role_name.lower()) if state is not None else None
    if state is None or role is None or role.arn != role_arn:
        raise denied(action)
    return state, role


def check_trust(call: Call, state: AccountState, role: Role, *, principal: Principal,
                caller_policies: PrincipalPolicies, action: str,
                context: Mapping[str, ContextInput], tags: SessionTags,
                denied: Denial) -> None:
    """Raise `denied` unless the role's trust policy allows `action` for `principal` (and
    `sts:TagSession` when the session gets tags), the caller's own policies agreeing across
    accounts. An identity policy alone never lets a caller assume a role, even in the role's
    own account: the trust policy itself must allow."""
    from domain.authorization import trust_policy_of  # noqa: PLC0415

    trust = trust_policy_of(state, role.name)
    if trust is None:
        raise denied(action)
    full_context = {**context, **tags.trust_context()} if tags else dict(context)
    request = RequestContext(action=action, resource=role.arn, principal=principal,
                             now=call.now, context=full_context,
                             resource_account=state.account_id)
    decision = evaluate_trust(request, trust, caller_policies)
    checks = [(action, decision)]
    if tags and decision.allowed:
        tagging = request.with_action("sts:TagSession")
        checks.append(("sts:TagSession", evaluate(tagging, caller_policies, trust)))
    for name, found in checks:
        if not found.allowed or not any(m.source is PolicySource.RESOURCE
                                        for m in found.allowing_statements):
            raise denied(name)
        call.decisions.append(found)


@dataclass(frozen=True, slots=True)
class RoleSessionRequest:
    """A role session about to be issued, once the trust policy allowed it."""

    role: Role
    role_account: str
    session_name: str
    caller_arn: str
    seconds: int
    source_identity: str | None = None
    policy: str | None = None
    policy_arns: tuple[str, ...] = ()
    tags: SessionTags = NO_TAGS


async def issue_role_session(call: Call, asked: RoleSessionRequest,
                             denied: Denial, action: str) -> Result:
    """Issue the session's credentials, record `iamlog.role.assumed` in the role's account,
    and return what every AssumeRole* response holds."""
    role = asked.role
    packed = None
    if asked.policy is not None or asked.policy_arns or asked.tags:
        packed = packed_policy_size(asked.policy, asked.policy_arns, asked.tags.packed_chars)
        if packed > PACKED_MAX_PERCENT:
            raise PackedPolicyTooLarge.of(packed, call.account_id)
    issued_at = call.now.replace(microsecond=0)
    expires_at = issued_at + timedelta(seconds=asked.seconds)
    assumed_arn = (f"arn:aws:sts::{asked.role_account}:assumed-role/{role.name}/"
                   f"{asked.session_name}")
    session = tokens_for(call.runtime.master_keys).issue(
        account_id=asked.role_account, arn=assumed_arn, kind="assumed_role", name=role.name,
        principal_id=role.role_id, session_name=asked.session_name, issued_at=issued_at,
        expires_at=expires_at, policy=asked.policy, policy_arns=asked.policy_arns,
        tags=asked.tags.tags, transitive_tag_keys=asked.tags.transitive_tag_keys)
    claims = session.claims
    reply = await call.runtime.commands.send(asked.role_account, AssumeRole(
        session_id=claims.session_id, role_name=role.name, role_id=role.role_id,
        caller_arn=asked.caller_arn, role_session_name=asked.session_name,
        source_identity=asked.source_identity, session_key_id=claims.access_key_id,
        issued_at=issued_at, expires_at=expires_at), traceparent=call.traceparent)
    if not reply.ok:
        if reply.error_code == "NoSuchEntity":  # deleted meanwhile: still never NoSuchEntity
            raise denied(action)
        raise error_from_code(reply.error_code or "ServiceFailure",
                              reply.error_message or "The command was refused.")
    await call.runtime.index.wait_for(asked.role_account, reply.version)
    result: Result = {
        "Credentials": {
            "AccessKeyId": claims.access_key_id,
            "SecretAccessKey": session.secret_access_key,
            "SessionToken": session.token,
            "Expiration": expires_at,
        },
        "AssumedRoleUser": {"AssumedRoleId": f"{role.role_id}:{asked.session_name}",
                            "Arn": assumed_arn},
    }
    if packed is not None:
        result["PackedPolicySize"] = packed
    if asked.source_identity is not None:
        result["SourceIdentity"] = asked.source_identity
    return result
