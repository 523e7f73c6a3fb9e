"""GetFederationToken: credentials of a federated user acting for the calling IAM user (or
root), recorded as `iamlog.session.issued` with `session_kind` `federated_user`.

The federated user's permissions are the calling user's identity policies (and boundary; root:
everything) intersected with the session policies, which iamlog requires (AWS would hand out
credentials allowed nothing). Its credentials call no IAM action, and in STS only
GetCallerIdentity (`services.api.authz`). Session tags (`Tags`, needing `sts:TagSession` too)
are the federated user's `aws:PrincipalTag`s.
"""

from __future__ import annotations

from domain import ids
from domain.commands import IssueSessionToken
from domain.errors import ValidationError
from services.api.authz import AccessDenied
from services.api.iam.registry import Call, Result, action
from services.api.sts.session_policies import (
    PACKED_MAX_PERCENT,
    PackedPolicyTooLarge,
    inline_policy,
    packed_policy_size,
    policy_arns,
)
from services.api.sts.session_tags import session_tags
from services.api.sts.session_token import user_session_window
from services.credentials.session_tokens import tokens_for


@action("sts", "GetFederationToken")
async def get_federation_token(call: Call) -> Result:
    """Issue credentials of federated user `Name` (2–32 `[\\w+=,.@-]`, and `DurationSeconds`
    900–129,600: checked by the protocol)."""
    caller = call.caller
    name = str(call.args.get("Name", ""))
    policy = inline_policy(call.args)
    arns = policy_arns(call.args)
    if policy is None and not arns:
        raise ValidationError("GetFederationToken requires a session policy: give Policy or "
                              "PolicyArns (without one the federated user could do nothing).",
                              account_id=caller.account_id)
    if caller.session is not None:
        raise AccessDenied("Cannot call GetFederationToken with session credentials",
                           account_id=caller.account_id)
    tags = session_tags(call.args)
    packed = packed_policy_size(policy, arns, tags.packed_chars)
    if packed > PACKED_MAX_PERCENT:
        raise PackedPolicyTooLarge.of(packed, caller.account_id)
    federated_arn = ids.federated_user_arn(caller.account_id, name)
    call.authorize("sts:GetFederationToken", federated_arn)
    if tags:
        call.authorize("sts:TagSession", federated_arn)
    issued_at, expires_at = user_session_window(call)
    session = tokens_for(call.runtime.master_keys).issue(
        account_id=caller.account_id, arn=federated_arn, kind="federated_user",
        name=caller.user_name, principal_id=caller.user_id, session_name=name,
        issued_at=issued_at, expires_at=expires_at, policy=policy, policy_arns=arns,
        tags=tags.tags)
    claims = session.claims
    await call.send(IssueSessionToken(
        session_id=claims.session_id, user_name=caller.user_name, user_id=caller.user_id,
        federated_name=name, session_key_id=claims.access_key_id,
        source_key_id=caller.access_key_id, issued_at=issued_at, expires_at=expires_at))
    return {
        "Credentials": {
            "AccessKeyId": claims.access_key_id,
            "SecretAccessKey": session.secret_access_key,
            "SessionToken": session.token,
            "Expiration": expires_at,
        },
        "FederatedUser": {"FederatedUserId": f"{caller.account_id}:{name}",
                          "Arn": federated_arn},
        "PackedPolicySize": packed,
    }
