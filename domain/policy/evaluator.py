"""AWS's evaluation order over a principal's policies and a resource's policy.

1. The root user of an account may do everything in its own account; no policy applies.
2. An explicit `Deny` in any applicable policy (identity, resource, boundary, session) wins.
3. Same account, a resource-policy `Allow` that names the caller itself (user, role session,
   federated user, web identity, service, or `*`) is final. One that names the role behind a
   session stands in for the identity policies, boundary and session policies still apply.
   One that names only the account delegates to the account: the identity side must allow.
4. Identity-based policies (user + groups, or role) must allow.
5. A permissions boundary, when set, must allow.
6. Session policies, when present, must allow; a federated user has them by definition, so
   one without any is denied.
7. Otherwise: implicit deny.

Cross-account, the resource's policy must name the caller (or its account) *and* the caller's
own side (steps 4–6, everything for a root user) must allow.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.policy.compiled import CompiledPolicy, CompiledStatement, conditions_hold
from domain.policy.context import PrincipalType, RequestContext
from domain.policy.decision import Decision, DecisionEffect, MatchedStatement, PolicySource, Step
from domain.policy.principals import PrincipalMatch

_ALLOW = 1
_DENY = 2
_MEMO_LIMIT = 4_096

# a statement, its explanation entry, and whether its resource element still needs testing
_Entry = tuple[CompiledStatement, MatchedStatement, bool]


@dataclass(frozen=True, slots=True)
class PrincipalPolicies:
    """The caller's policies: identity (own + groups', or role's), boundary, session.

    `session` is None when the caller's credentials carry no session policy (as opposed to an
    empty tuple: session policies that allow nothing).
    """

    identity: tuple[CompiledPolicy, ...] = ()
    boundary: CompiledPolicy | None = None
    session: tuple[CompiledPolicy, ...] | None = None
    # The identity statements that may apply to an (action, resource) pair, across all identity
    # policies. A principal asks for the same pairs over and over, so this memo skips most
    # statements outright; build one PrincipalPolicies per principal and reuse it.
    _relevant: dict[tuple[str, str], tuple[_Entry, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def identity_statements(self, action_key: str, resource: str) -> tuple[_Entry, ...]:
        """Identity statements covering the action whose resource element may admit `resource`."""
        key = (action_key, resource)
        found = self._relevant.get(key)
        if found is None:
            entries: list[_Entry] = []
            for policy in self.identity:
                labels = policy.labels(PolicySource.IDENTITY)
                for statement in policy.body.for_action(action_key):
                    verdict = statement.resource_verdict(resource)
                    if verdict is not False:
                        entries.append((statement, labels[statement.index], verdict is None))
            found = tuple(entries)
            if len(self._relevant) >= _MEMO_LIMIT:
                self._relevant.clear()
            self._relevant[key] = found
        return found


NO_POLICIES = PrincipalPolicies()


def evaluate(request: RequestContext, principal: PrincipalPolicies = NO_POLICIES,
             resource_policy: CompiledPolicy | None = None) -> Decision:
    """Decide the request as AWS would, and say why."""
    caller = request.principal
    same_account = request.same_account
    if caller.type is PrincipalType.ACCOUNT and same_account:
        return Decision(DecisionEffect.ALLOW, Step.ROOT_USER, request)
    found: list[MatchedStatement] = []
    bits = _Bits()
    resource = request.resource
    # `CompiledStatement.applies`, inlined: this loop is the hot path of every decision
    for statement, label, check_resource in principal.identity_statements(request.action_key,
                                                                          resource):
        if check_resource and statement.resources.matches(  # type: ignore[union-attr]
                resource, request) is statement.not_resource:
            continue
        if statement.conditions and not conditions_hold(statement.conditions, request):
            continue
        found.append(label)
        bits.identity |= _DENY if statement.deny else _ALLOW
    if principal.boundary is not None:
        bits.boundary = _scan(principal.boundary, PolicySource.BOUNDARY, request, found)
    sessions = principal.session
    if sessions is None and caller.type is PrincipalType.FEDERATED_USER:
        sessions = ()
    if sessions is not None:
        bits.session = 0
        for policy in sessions:
            bits.session |= _scan(policy, PolicySource.SESSION, request, found)
    if resource_policy is not None:
        bits.grant, bits.resource = _scan_resource(resource_policy, request, found)
    if caller.type is PrincipalType.ACCOUNT:
        bits.identity |= _ALLOW  # a root user holds every permission of its own account
    return _decide(request, tuple(found), bits)


class _Bits:
    """What each kind of policy said: bit sets of `_ALLOW`/`_DENY`, and the resource grant."""

    __slots__ = ("boundary", "grant", "identity", "resource", "session")

    def __init__(self) -> None:
        self.identity = 0
        self.boundary = _ALLOW  # absent boundary / session policy: no limit
        self.session = _ALLOW
        self.resource = 0
        self.grant = PrincipalMatch.NONE


def _decide(request: RequestContext, matched: tuple[MatchedStatement, ...],
            bits: _Bits) -> Decision:
    if (bits.identity | bits.boundary | bits.session | bits.resource) & _DENY:
        return Decision(DecisionEffect.EXPLICIT_DENY, Step.EXPLICIT_DENY, request, matched)
    grant = bits.grant
    identity, allow_step = bits.identity, Step.IDENTITY_POLICY
    if not request.same_account:
        if grant is PrincipalMatch.NONE:
            return Decision(DecisionEffect.IMPLICIT_DENY, Step.CROSS_ACCOUNT, request, matched)
        allow_step = Step.CROSS_ACCOUNT
    elif grant is PrincipalMatch.CALLER:
        return Decision(DecisionEffect.ALLOW, Step.RESOURCE_POLICY, request, matched)
    elif request.principal.account is None:  # anonymous, web identity, service
        return Decision(DecisionEffect.IMPLICIT_DENY, Step.RESOURCE_POLICY, request, matched)
    elif grant is PrincipalMatch.ROLE:
        identity, allow_step = _ALLOW, Step.RESOURCE_POLICY
    failed = (Step.IDENTITY_POLICY if not identity & _ALLOW
              else Step.PERMISSIONS_BOUNDARY if not bits.boundary & _ALLOW
              else Step.SESSION_POLICY if not bits.session & _ALLOW
              else None)
    if failed is not None:
        return Decision(DecisionEffect.IMPLICIT_DENY, failed, request, matched)
    return Decision(DecisionEffect.ALLOW, allow_step, request, matched)


def _scan(policy: CompiledPolicy, source: PolicySource, request: RequestContext,
          found: list[MatchedStatement]) -> int:
    """Test a policy's statements for the request: a bit set of `_ALLOW` and `_DENY`."""
    result = 0
    for statement in policy.body.for_action(request.action_key):
        if statement.applies(request):
            found.append(policy.labels(source)[statement.index])
            result |= _DENY if statement.deny else _ALLOW
    return result


def _scan_resource(policy: CompiledPolicy, request: RequestContext,
                   found: list[MatchedStatement]) -> tuple[PrincipalMatch, int]:
    """Like `_scan`, also returning how strongly an allowing statement names the caller."""
    grant = PrincipalMatch.NONE
    result = 0
    for statement in policy.body.for_action(request.action_key):
        strength = statement.principal_match(request)
        if strength is PrincipalMatch.NONE or not statement.applies(request):
            continue
        found.append(policy.labels(PolicySource.RESOURCE)[statement.index])
        if statement.deny:
            result |= _DENY
        else:
            result |= _ALLOW
            grant = max(grant, strength)
    return grant, result
