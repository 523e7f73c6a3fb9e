"""AssumeRole: temporary credentials of a role, recorded as `iamlog.role.assumed` in the role's
account.

The role's trust policy must allow the caller (`sts:ExternalId` in the context when given); a
caller of another account also needs an identity policy of its own allowing `sts:AssumeRole` on
the role (the evaluator's cross-account rule). The root user may not assume roles. A missing
role is `AccessDenied`, as in AWS, so that role names cannot be probed. Session policies
(`Policy`, `PolicyArns`) travel in the token and intersect the role's permissions.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from domain.commands import AssumeRole
from domain.errors import ValidationError, error_from_code
from domain.iam.state import Role
from domain.policy import (
    NO_POLICIES,
    PolicySource,
    PrincipalPolicies,
    RequestContext,
    evaluate_trust,
)
from services.api import authz
from services.api.authz import AccessDenied
from services.api.iam.registry import Call, Result, action
from services.api.sts.session_policies import inline_policy, packed_policy_size, policy_arns
from services.credentials.session_tokens import tokens_for

DEFAULT_SECONDS = 3_600
CHAINING_MAX_SECONDS = 3_600
_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role(/(?:[\x21-\x7e]*/)?)([\w+=,.@-]{1,64})")


def _caller_policies(call: Call) -> PrincipalPolicies:
    """The caller's own identity policies (they matter across accounts)."""
    caller = call.caller
    state = call.state
    if state is None:
        return NO_POLICIES
    if caller.kind == "assumed_role":
        return authz.assumed_role_policies(state, caller)
    from domain.authorization import policies_for  # noqa: PLC0415

    return policies_for(state, caller.user_name)


def _trusted_role(call: Call, role_arn: str, external_id: Any, source_identity: Any,
                  denied: AccessDenied) -> Role:
    """The role named by `role_arn` if its trust policy (and, across accounts, the caller's
    identity policies) allow the caller; else `denied`, whether or not the role exists."""
    caller = call.caller
    match = _ROLE_ARN.fullmatch(role_arn)
    if match is None:
        raise denied
    role_account, _, role_name = match.groups()
    state = call.runtime.index.account(role_account)
    role = state.roles.get(role_name.lower()) if state is not None else None
    if state is None or role is None or role.arn != role_arn:
        raise denied
    from domain.authorization import trust_policy_of  # noqa: PLC0415

    trust = trust_policy_of(state, role.name)
    if trust is None:
        raise denied
    context: dict[str, str | list[str]] = {}
    if external_id is not None:
        context["sts:ExternalId"] = str(external_id)
    if source_identity is not None:
        context["sts:SourceIdentity"] = str(source_identity)
    if caller.session is not None:
        context["aws:TokenIssueTime"] = caller.session.issued.isoformat().replace("+00:00", "Z")
    request = RequestContext(action="sts:AssumeRole", resource=role.arn,
                             principal=authz.principal_of(call.state, caller), now=call.now,
                             context=context, resource_account=role_account)
    decision = evaluate_trust(request, trust, _caller_policies(call))
    # The trust policy itself must allow the caller: an identity policy alone never lets a
    # caller assume a role, even in the role's own account.
    if not any(m.source is PolicySource.RESOURCE for m in decision.allowing_statements):
        raise denied
    call.decisions.append(decision)
    if not decision.allowed:
        raise denied
    return role


@action("sts", "AssumeRole")
async def assume_role(call: Call) -> Result:
    """Issue credentials of the role `RoleArn` for session `RoleSessionName`."""
    caller = call.caller
    role_arn = str(call.args.get("RoleArn", ""))
    session_name = str(call.args.get("RoleSessionName", ""))
    external_id = call.args.get("ExternalId")
    source_identity = call.args.get("SourceIdentity")
    policy = inline_policy(call.args)
    arns = policy_arns(call.args)
    if caller.is_root:
        raise AccessDenied("Roles may not be assumed by root accounts.",
                           account_id=caller.account_id)
    denied = AccessDenied(f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on "
                          f"resource: {role_arn}", account_id=caller.account_id)
    if not authz.session_token_allows(caller, "sts:AssumeRole"):  # a federated user
        raise denied
    role = _trusted_role(call, role_arn, external_id, source_identity, denied)
    role_account = role.arn.split(":")[4]

    seconds = int(call.args.get("DurationSeconds", DEFAULT_SECONDS))
    if caller.kind == "assumed_role" and seconds > CHAINING_MAX_SECONDS:
        raise ValidationError("The requested DurationSeconds exceeds the 1 hour session limit "
                              "for roles assumed by role chaining.",
                              account_id=caller.account_id)
    if seconds > role.max_session_duration:
        raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set "
                              "for this role.", account_id=caller.account_id)

    issued_at = call.now.replace(microsecond=0)
    expires_at = issued_at + timedelta(seconds=seconds)
    assumed_arn = f"arn:aws:sts::{role_account}:assumed-role/{role.name}/{session_name}"
    session = tokens_for(call.runtime.master_keys).issue(
        account_id=role_account, arn=assumed_arn, kind="assumed_role", name=role.name,
        principal_id=role.role_id, session_name=session_name, issued_at=issued_at,
        expires_at=expires_at, policy=policy, policy_arns=arns)
    claims = session.claims
    reply = await call.runtime.commands.send(role_account, AssumeRole(
        session_id=claims.session_id, role_name=role.name, role_id=role.role_id,
        caller_arn=caller.arn, role_session_name=session_name,
        source_identity=str(source_identity) if source_identity is not None else None,
        session_key_id=claims.access_key_id, issued_at=issued_at, expires_at=expires_at),
        traceparent=call.traceparent)
    if not reply.ok:
        if reply.error_code == "NoSuchEntity":  # deleted meanwhile: still never NoSuchEntity
            raise denied
        raise error_from_code(reply.error_code or "ServiceFailure",
                              reply.error_message or "The command was refused.")
    await call.runtime.index.wait_for(role_account, reply.version)
    result: Result = {
        "Credentials": {
            "AccessKeyId": claims.access_key_id,
            "SecretAccessKey": session.secret_access_key,
            "SessionToken": session.token,
            "Expiration": expires_at,
        },
        "AssumedRoleUser": {"AssumedRoleId": f"{role.role_id}:{session_name}",
                            "Arn": assumed_arn},
    }
    if policy is not None or arns:
        result["PackedPolicySize"] = packed_policy_size(policy, arns)
    if source_identity is not None:
        result["SourceIdentity"] = str(source_identity)
    return result
