"""Trust policies: may this caller assume this role (and tag the session)?

A role's trust policy is its resource-based policy, evaluated with the role's ARN as the
resource. For `AssumeRoleWithWebIdentity` the caller is the identity provider's token bearer
and the token's claims are condition keys named `<provider host>:<claim>`
(`token.actions.githubusercontent.com:sub`); `sts:ExternalId`, `aws:RequestTag/…` and
`aws:TagKeys` come in the request context like any other key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from domain.policy.compiled import CompiledPolicy
from domain.policy.context import ContextInput, PrincipalType, RequestContext
from domain.policy.decision import Decision, DecisionEffect, Step
from domain.policy.evaluator import NO_POLICIES, PrincipalPolicies, evaluate

ASSUME_ACTIONS = frozenset({"sts:assumerole", "sts:assumerolewithwebidentity",
                            "sts:assumerolewithsaml"})
TAG_SESSION = "sts:TagSession"


def evaluate_trust(request: RequestContext, trust_policy: CompiledPolicy,
                   caller_policies: PrincipalPolicies = NO_POLICIES, *,
                   tagging: bool = False) -> Decision:
    """Decide an `sts:AssumeRole*` request against the role's trust policy.

    With `tagging`, the trust policy must also allow `sts:TagSession` (session tags passed);
    the first denial is returned. A root user may not assume roles at all.
    """
    if request.action_key not in ASSUME_ACTIONS:
        raise ValueError(f"{request.action} is not an AssumeRole action")
    if request.principal.type is PrincipalType.ACCOUNT:
        return Decision(DecisionEffect.IMPLICIT_DENY, Step.ROOT_USER, request)
    decision = evaluate(request, caller_policies, trust_policy)
    if not decision.allowed or not tagging:
        return decision
    tag_request = request.with_action(TAG_SESSION)
    tag_decision = evaluate(tag_request, caller_policies, trust_policy)
    return decision if tag_decision.allowed else tag_decision


def web_identity_keys(provider_host: str,
                      claims: Mapping[str, ContextInput]) -> dict[str, ContextInput]:
    """Condition keys for the claims of an OIDC token (`<host>:aud`, `<host>:sub`, …)."""
    return {f"{provider_host}:{claim}": value for claim, value in claims.items()}


def session_tag_keys(tags: Mapping[str, str]) -> dict[str, ContextInput]:
    """`aws:RequestTag/<key>` for each tag and `aws:TagKeys` for their keys."""
    keys: dict[str, ContextInput] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    tag_keys: Iterable[str] = tuple(tags)
    keys["aws:TagKeys"] = tag_keys
    return keys
