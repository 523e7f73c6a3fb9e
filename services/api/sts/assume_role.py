"""AssumeRole: temporary credentials of a role, recorded as `iamlog.role.assumed` in the role's
account.

The role's trust policy must allow the caller (`sts:ExternalId` in the context when given); a
caller of another account also needs an identity policy of its own allowing `sts:AssumeRole` on
the role (the evaluator's cross-account rule). The root user may not assume roles. A missing
role is `AccessDenied`, as in AWS, so that role names cannot be probed. Session policies
(`Policy`, `PolicyArns`) travel in the token and intersect the role's permissions; session tags
need `sts:TagSession` in the trust policy, and transitive ones pass on along a role chain.
"""

from __future__ import annotations

from domain.errors import ValidationError
from domain.policy import NO_POLICIES, PrincipalPolicies
from domain.policy.context import ContextInput
from services.api import authz
from services.api.authz import AccessDenied
from services.api.iam.registry import Call, Result, action
from services.api.sts.role_sessions import (
    RoleSessionRequest,
    check_trust,
    issue_role_session,
    role_named,
)
from services.api.sts.session_policies import inline_policy, policy_arns
from services.api.sts.session_tags import session_tags

DEFAULT_SECONDS = 3_600
CHAINING_MAX_SECONDS = 3_600


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


@action("sts", "AssumeRole")
async def assume_role(call: Call) -> Result:
    """Issue credentials of the role `RoleArn` for session `RoleSessionName`."""
    caller = call.caller
    role_arn = str(call.args.get("RoleArn", ""))
    external_id = call.args.get("ExternalId")
    source_identity = call.args.get("SourceIdentity")
    policy = inline_policy(call.args)
    arns = policy_arns(call.args)
    tags = session_tags(call.args, caller.session if caller.kind == "assumed_role" else None)
    if caller.is_root:
        raise AccessDenied("Roles may not be assumed by root accounts.",
                           account_id=caller.account_id)

    def denied(action_name: str) -> AccessDenied:
        # The same explanation whether the role is missing or its trust policy refuses: the
        # caller learns nothing about another account's role.
        return AccessDenied(
            f"User: {caller.arn} is not authorized to perform: {action_name} on resource: "
            f"{role_arn}", account_id=caller.account_id,
            explanation=authz.refusal(
                authz.principal_of(call.state, caller), action_name, role_arn,
                "No such role, or its trust policy does not allow the caller."))

    if not authz.session_token_allows(caller, "sts:AssumeRole"):  # a federated user
        raise denied("sts:AssumeRole")
    state, role = role_named(call, role_arn, denied, "sts:AssumeRole")
    context: dict[str, ContextInput] = {}
    if external_id is not None:
        context["sts:ExternalId"] = str(external_id)
    if source_identity is not None:
        context["sts:SourceIdentity"] = str(source_identity)
    if caller.session is not None:
        context["aws:TokenIssueTime"] = caller.session.issued.isoformat().replace("+00:00", "Z")
    check_trust(call, state, role, principal=authz.principal_of(call.state, caller),
                caller_policies=_caller_policies(call), action="sts:AssumeRole",
                context=context, tags=tags, denied=denied)

    seconds = int(call.args.get("DurationSeconds", DEFAULT_SECONDS))
    if caller.kind == "assumed_role" and seconds > CHAINING_MAX_SECONDS:
        raise ValidationError("The requested DurationSeconds exceeds the 1 hour session limit "
                              "for roles assumed by role chaining.",
                              account_id=caller.account_id)
    if seconds > role.max_session_duration:
        raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set "
                              "for this role.", account_id=caller.account_id)
    return await issue_role_session(call, RoleSessionRequest(
        role=role, role_account=state.account_id,
        session_name=str(call.args.get("RoleSessionName", "")), caller_arn=caller.arn,
        seconds=seconds,
        source_identity=str(source_identity) if source_identity is not None else None,
        policy=policy, policy_arns=arns, tags=tags), denied, "sts:AssumeRole")
