"""Decisions that explain themselves: effect, deciding step and the statements that matched."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.policy.context import RequestContext
from domain.policy.document import Effect


class DecisionEffect(StrEnum):
    """The outcome of a decision."""

    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"

    @property
    def eval_decision(self) -> str:
        """The spelling of `SimulatePrincipalPolicy`'s `EvalDecision` field."""
        return self.value[0].lower() + self.value[1:] if self.value != "Allow" else "allowed"


class Step(StrEnum):
    """The step of AWS's evaluation order that decided."""

    ROOT_USER = "RootUser"
    EXPLICIT_DENY = "ExplicitDeny"
    RESOURCE_POLICY = "ResourcePolicy"
    IDENTITY_POLICY = "IdentityPolicy"
    PERMISSIONS_BOUNDARY = "PermissionsBoundary"
    SESSION_POLICY = "SessionPolicy"
    CROSS_ACCOUNT = "CrossAccount"


class PolicySource(StrEnum):
    """The role a policy played in a decision."""

    IDENTITY = "IdentityPolicy"
    RESOURCE = "ResourcePolicy"
    BOUNDARY = "PermissionsBoundaryPolicy"
    SESSION = "SessionPolicy"


@dataclass(frozen=True, slots=True)
class MatchedStatement:
    """A statement that applied to the request (action, resource, principal, conditions)."""

    policy_id: str
    source: PolicySource
    index: int
    sid: str | None
    effect: Effect

    @property
    def label(self) -> str:
        """`policy-id:Sid`, or `policy-id:#index` for a statement without a Sid."""
        return f"{self.policy_id}:{self.sid or f'#{self.index}'}"


_DENIED_BECAUSE = {
    Step.IDENTITY_POLICY: "because no identity-based policy allows the {action} action",
    Step.RESOURCE_POLICY: "because no resource-based policy allows the {action} action",
    Step.CROSS_ACCOUNT: "because no resource-based policy allows the {action} action",
    Step.PERMISSIONS_BOUNDARY: "because no permissions boundary allows the {action} action",
    Step.SESSION_POLICY: "because no session policy allows the {action} action",
}
_DENY_SOURCE = {
    PolicySource.IDENTITY: "an identity-based policy",
    PolicySource.RESOURCE: "a resource-based policy",
    PolicySource.BOUNDARY: "a permissions boundary",
    PolicySource.SESSION: "a session policy",
}


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to "may this principal do this action on this resource?"."""

    effect: DecisionEffect
    step: Step
    request: RequestContext
    matched: tuple[MatchedStatement, ...] = ()

    @property
    def allowed(self) -> bool:
        """True for `Allow`."""
        return self.effect is DecisionEffect.ALLOW

    @property
    def denying_statements(self) -> tuple[MatchedStatement, ...]:
        """The matched `Deny` statements (those behind an explicit deny)."""
        return tuple(m for m in self.matched if m.effect is Effect.DENY)

    @property
    def allowing_statements(self) -> tuple[MatchedStatement, ...]:
        """The matched `Allow` statements."""
        return tuple(m for m in self.matched if m.effect is Effect.ALLOW)

    def access_denied_message(self) -> str:
        """AWS's `AccessDenied` message for this decision (for a denial)."""
        request = self.request
        head = (f"User: {request.principal.arn} is not authorized to perform: {request.action} "
                f"on resource: {request.resource}")
        reason = self._reason()
        return f"{head} {reason}" if reason else head

    def _reason(self) -> str:
        if self.effect is DecisionEffect.EXPLICIT_DENY:
            source = self.denying_statements[0].source if self.denying_statements else None
            where = _DENY_SOURCE.get(source, "a policy") if source else "a policy"
            return f"with an explicit deny in {where}"
        because = _DENIED_BECAUSE.get(self.step)
        return because.format(action=self.request.action) if because else ""

    def as_dict(self) -> dict[str, Any]:
        """The decision in the shape of AWS's decoded authorization message (JSON-ready)."""
        request = self.request
        conditions = [{"key": key, "values": {"items": [{"value": v} for v in values]}}
                      for key, values in sorted(request.values.items())]
        failures = [] if self.allowed else [self._reason() or self.step.value]
        return {
            "allowed": self.allowed,
            "explicitDeny": self.effect is DecisionEffect.EXPLICIT_DENY,
            "evalDecision": self.effect.eval_decision,
            "decidingStep": self.step.value,
            "failures": {"items": failures},
            "matchedStatements": {"items": [
                {"statementId": m.sid or "", "statementIndex": m.index, "effect": m.effect.value,
                 "sourcePolicyId": m.policy_id, "sourcePolicyType": m.source.value}
                for m in self.matched]},
            "context": {
                "principal": {"id": request.principal.user_id or "",
                              "name": request.principal.username or "",
                              "arn": request.principal.arn},
                "action": request.action,
                "resource": request.resource,
                "conditions": {"items": conditions},
            },
        }

    def explain(self) -> str:
        """A human-readable account of the decision, one line per matched statement."""
        lines = [f"{self.effect.value} at step {self.step.value} for {self.request.action} on "
                 f"{self.request.resource} by {self.request.principal.arn}"]
        lines.extend(f"  {m.effect.value:<5} {m.source.value} {m.label}" for m in self.matched)
        return "\n".join(lines)
