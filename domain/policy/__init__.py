"""The IAM policy language and AWS's evaluation logic, as pure code.

Parse once, compile once (cached by digest), evaluate many times::

    from domain.policy import (PolicyKind, Principal, PrincipalPolicies, RequestContext,
                               compile_policy, evaluate, parse_policy)

    document = parse_policy(text, PolicyKind.MANAGED)          # MalformedPolicyDocument,
    policy = compile_policy(document, policy_id="ANPA…")       # PolicyLimitExceeded
    request = RequestContext(
        action="s3:GetObject", resource="arn:aws:s3:::bucket/key",
        principal=Principal.user("123456789012", "alice", "AIDA…"),
        now=now, context={"aws:SourceIp": "10.0.0.1"})
    decision = evaluate(request, PrincipalPolicies(identity=(policy,)), resource_policy=None)
    decision.allowed, decision.effect, decision.step, decision.matched

Public API:

* `parse_policy(text: str | Mapping[str, Any], kind: PolicyKind) -> PolicyDocument` —
  validation with AWS's messages (`MalformedPolicyDocument`, 400); size quota per `PolicyKind`,
  whitespace not counted (`PolicyLimitExceeded`, code `LimitExceeded`, 409).
  `policy_size(text) -> int` is what the quotas count.
* `compile_policy(document: PolicyDocument, policy_id: str) -> CompiledPolicy` — matchers and
  condition tests prepared once; documents with the same `digest` share one compiled body.
* `evaluate(request: RequestContext, principal: PrincipalPolicies = NO_POLICIES,
  resource_policy: CompiledPolicy | None = None) -> Decision` — AWS's evaluation order
  (`domain.policy.evaluator`). `PrincipalPolicies(identity=(…), boundary=None, session=None)`
  holds the caller's compiled policies; build one per principal and reuse it.
* `evaluate_trust(request, trust_policy, caller_policies=NO_POLICIES, *, tagging=False)
  -> Decision` — `sts:AssumeRole*` (and `sts:TagSession` with `tagging`) against a role's trust
  policy; `web_identity_keys(host, claims)` and `session_tag_keys(tags)` build its keys.
* `Principal.root(account)`, `.user(account, name, user_id, path=, tags=)`,
  `.assumed_role(account, role, session, role_id, path=, tags=)`, `.federated_user(account,
  name)`, `.web_identity(provider)`, `.service(name)`, `.anonymous()` — the caller.
* `RequestContext(action=, resource=, principal=, now=, context=None, resource_account=None)`
  — one request; `lookup(key)`, `value_of(key)`, `with_action(action)`.
* `Decision` — `effect` (`Allow` / `ExplicitDeny` / `ImplicitDeny`, `.eval_decision` in
  SimulatePrincipalPolicy's spelling), `step` (the evaluation `Step` that decided), `matched`
  (`MatchedStatement`: policy id, `PolicySource`, statement index, Sid, effect), `allowed`,
  `explain()`, `access_denied_message()`, `as_dict()` (the decoded authorization message).

Nothing here does I/O or reads a clock: the time is `RequestContext.now`.
"""

from domain.policy.compiled import CompiledPolicy, compile_policy
from domain.policy.context import Principal, PrincipalType, RequestContext
from domain.policy.decision import (
    Decision,
    DecisionEffect,
    MatchedStatement,
    PolicySource,
    Step,
)
from domain.policy.document import Effect, PolicyDocument, Statement
from domain.policy.errors import MalformedPolicyDocument, PolicyLimitExceeded
from domain.policy.evaluator import NO_POLICIES, PrincipalPolicies, evaluate
from domain.policy.kinds import PolicyKind
from domain.policy.parsing import parse_policy, policy_size
from domain.policy.trust import evaluate_trust, session_tag_keys, web_identity_keys

__all__ = [
    "NO_POLICIES",
    "CompiledPolicy",
    "Decision",
    "DecisionEffect",
    "Effect",
    "MalformedPolicyDocument",
    "MatchedStatement",
    "PolicyDocument",
    "PolicyKind",
    "PolicyLimitExceeded",
    "PolicySource",
    "Principal",
    "PrincipalPolicies",
    "PrincipalType",
    "RequestContext",
    "Statement",
    "Step",
    "compile_policy",
    "evaluate",
    "evaluate_trust",
    "parse_policy",
    "policy_size",
    "session_tag_keys",
    "web_identity_keys",
]
