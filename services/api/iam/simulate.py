"""`SimulatePrincipalPolicy` and `SimulateCustomPolicy`, answered by `domain.policy`.

Every action of `ActionNames` is decided on every resource of `ResourceArns` (default `*`), one
`EvaluationResult` per pair, in that order; the list pages with `Marker`/`MaxItems`.

Choices where AWS leaves room:

* `PolicySourceArn` must name an IAM user of the caller's account (groups and roles are not
  simulated here: `InvalidInput`). Its policies are those authorization uses: inline, attached,
  its groups', and its permissions boundary — which `PermissionsBoundaryPolicyInputList`
  replaces, as AWS does. `CallerArn`, when given, must be a user of the account and is the
  simulated caller (its `aws:username`, tags …), with the source's policies.
* `SimulateCustomPolicy` has no identity behind it: the caller is an anonymous user of the
  account, so `${aws:username}` and friends come only from `ContextEntries`.
* `MatchedStatements`: the `Deny` statements for `explicitDeny`, the `Allow` statements for
  `allowed`, none for `implicitDeny` (AWS lists only the statements that decided).
  `SourcePolicyId` is the policy's name (`PolicyInputList.N`, `PermissionsBoundaryPolicyInputList.1`
  and `ResourcePolicy` for inputs); positions are omitted.
* `MissingContextValues` lists the condition keys of statements covering the action that the
  request does not supply; for a resource other than `*` they go in `ResourceSpecificResults`.
* Input documents are parsed as managed policies (their grammar and size quota): a bad one
  is `MalformedPolicyDocument`, as when it is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.authorization import policies_for, principal_for
from domain.errors import DomainError, NoSuchEntity
from domain.iam.state import AccountState
from domain.policy import (
    CompiledPolicy,
    Decision,
    DecisionEffect,
    Effect,
    MatchedStatement,
    PolicyKind,
    PolicySource,
    Principal,
    PrincipalPolicies,
    PrincipalType,
    RequestContext,
    compile_policy,
    evaluate,
    parse_policy,
)
from domain.policy.context import TIME_KEYS
from services.api.iam.registry import Call, Result, action

_DEFAULT_MAX_ITEMS = 100


class InvalidInput(DomainError):
    """A simulation input IAM cannot use (AWS's `InvalidInputException`)."""

    code = "InvalidInput"
    http_status = 400


@dataclass(frozen=True, slots=True)
class Simulation:
    """What to simulate: who, with which policies, on what, in which context."""

    principal: Principal
    policies: PrincipalPolicies
    resource_policy: CompiledPolicy | None
    actions: Sequence[str]
    resources: Sequence[str]
    context: dict[str, str | list[str]]


@action("iam", "SimulatePrincipalPolicy")
async def simulate_principal_policy(call: Call) -> Result:
    """A user's policies (plus inputs) decided for each action and resource."""
    source_arn = str(call.args["PolicySourceArn"])
    call.authorize("iam:SimulatePrincipalPolicy", source_arn)
    state = _state(call)
    source = _user_of(state, source_arn, "PolicySourceArn")
    caller_arn = call.args.get("CallerArn")
    caller = _user_of(state, str(caller_arn), "CallerArn") if caller_arn else source
    own = policies_for(state, source)
    boundary = _boundary(call.args) or own.boundary
    policies = PrincipalPolicies(identity=own.identity + _inputs(call.args), boundary=boundary)
    return _answer(call, Simulation(principal_for(state, caller), policies,
                                    _resource_policy(call.args), *_request_args(call.args)))


@action("iam", "SimulateCustomPolicy")
async def simulate_custom_policy(call: Call) -> Result:
    """The given policies decided for each action and resource."""
    call.authorize("iam:SimulateCustomPolicy", "*")
    principal = Principal(PrincipalType.USER, f"arn:aws:iam::{call.account_id}:user/",
                          call.account_id)
    caller_arn = call.args.get("CallerArn")
    if caller_arn:
        principal = principal_for(_state(call), _user_of(_state(call), str(caller_arn),
                                                         "CallerArn"))
    policies = PrincipalPolicies(identity=_inputs(call.args), boundary=_boundary(call.args))
    return _answer(call, Simulation(principal, policies, _resource_policy(call.args),
                                    *_request_args(call.args)))


def _state(call: Call) -> AccountState:
    state = call.state
    if state is None:  # authorization passed, so the account exists; be explicit anyway
        raise NoSuchEntity(f"The account {call.account_id} cannot be found.")
    return state


def _user_of(state: AccountState, arn: str, parameter: str) -> str:
    """The name of the user `arn` names in this account."""
    prefix = f"arn:aws:iam::{state.account_id}:"
    resource = arn[len(prefix):] if arn.startswith(prefix) else None
    if resource is None or not resource.startswith("user/"):
        if resource is not None and resource.split("/", 1)[0] in ("group", "role"):
            raise InvalidInput(f"{parameter} {arn}: only IAM users can be simulated here.")
        raise NoSuchEntity(f"The user with ARN {arn} cannot be found.")
    name = resource.rsplit("/", 1)[-1]
    user = state.users.get(name.lower())
    if user is None or user.arn != arn:
        raise NoSuchEntity(f"The user with name {name} cannot be found.")
    return user.name


def _compiled(text: str, policy_id: str, kind: PolicyKind = PolicyKind.MANAGED) -> CompiledPolicy:
    return compile_policy(parse_policy(text, kind), policy_id)


def _inputs(args: dict[str, Any]) -> tuple[CompiledPolicy, ...]:
    return tuple(_compiled(text, f"PolicyInputList.{n}")
                 for n, text in enumerate(args.get("PolicyInputList") or (), start=1))


def _boundary(args: dict[str, Any]) -> CompiledPolicy | None:
    given = args.get("PermissionsBoundaryPolicyInputList") or []
    if len(given) > 1:
        raise InvalidInput("You can input only one permissions boundary.")
    return _compiled(given[0], "PermissionsBoundaryPolicyInputList.1") if given else None


def _resource_policy(args: dict[str, Any]) -> CompiledPolicy | None:
    text = args.get("ResourcePolicy")
    return _compiled(text, "ResourcePolicy", PolicyKind.RESOURCE) if text else None


def _request_args(args: dict[str, Any]) -> tuple[list[str], list[str],
                                                  dict[str, str | list[str]]]:
    actions = [str(name) for name in args.get("ActionNames") or ()]
    if not actions:
        raise InvalidInput("ActionNames must name at least one action.")
    resources = [str(arn) for arn in args.get("ResourceArns") or ()] or ["*"]
    return actions, resources, _context(args.get("ContextEntries") or ())


def _context(entries: Iterable[dict[str, Any]]) -> dict[str, str | list[str]]:
    """`ContextEntries` as request context keys: list types stay lists."""
    context: dict[str, str | list[str]] = {}
    for entry in entries:
        name = entry.get("ContextKeyName")
        if not name:
            raise InvalidInput("Each context entry needs a ContextKeyName.")
        values = [str(value) for value in entry.get("ContextKeyValues") or ()]
        kind = str(entry.get("ContextKeyType") or "string")
        if not kind.endswith("List") and len(values) > 1:
            raise InvalidInput(f"Context key {name} of type {kind} takes a single value.")
        if values:
            context[str(name)] = values if kind.endswith("List") else values[0]
    return context


def _answer(call: Call, simulation: Simulation) -> Result:
    results = list(simulate(simulation, call.now))
    start = _start(call.args.get("Marker"), len(results))
    size = int(call.args.get("MaxItems") or _DEFAULT_MAX_ITEMS)
    page = results[start:start + size]
    answer: Result = {"EvaluationResults": page,
                      "IsTruncated": start + size < len(results)}
    if answer["IsTruncated"]:
        answer["Marker"] = str(start + size)
    return answer


def _start(marker: object, total: int) -> int:
    if marker is None:
        return 0
    text = str(marker)
    if not text.isdigit() or int(text) > total:
        raise InvalidInput("The Marker is not one this simulation returned.")
    return int(text)


def simulate(simulation: Simulation, now: datetime) -> Iterable[Result]:
    """One `EvaluationResult` per action and resource, actions first."""
    for action_name in simulation.actions:
        for resource in simulation.resources:
            request = RequestContext(action=action_name, resource=resource,
                                     principal=simulation.principal, now=now,
                                     context=simulation.context)
            decision = evaluate(request, simulation.policies, simulation.resource_policy)
            yield evaluation_result(decision, _missing_keys(simulation, request),
                                    has_boundary=simulation.policies.boundary is not None)


def evaluation_result(decision: Decision, missing: list[str], *, has_boundary: bool) -> Result:
    """A decision in the shape of AWS's `EvaluationResult`."""
    request = decision.request
    decided = (decision.denying_statements if decision.effect is DecisionEffect.EXPLICIT_DENY
               else decision.allowing_statements if decision.allowed else ())
    result: Result = {
        "EvalActionName": request.action,
        "EvalResourceName": request.resource,
        "EvalDecision": decision.effect.eval_decision,
        "MatchedStatements": [_statement(m) for m in decided],
    }
    if request.resource == "*":
        result["MissingContextValues"] = missing
    else:
        result["MissingContextValues"] = []
        result["EvalDecisionDetails"] = {}  # same account with a resource ARN: present, empty
        result["ResourceSpecificResults"] = [{
            "EvalResourceName": request.resource,
            "EvalResourceDecision": decision.effect.eval_decision,
            "MatchedStatements": result["MatchedStatements"],
            "MissingContextValues": missing,
        }]
    if has_boundary:
        bounded = [m for m in decision.matched if m.source is PolicySource.BOUNDARY]
        allowed = any(m.effect is Effect.ALLOW for m in bounded) and not any(
            m.effect is Effect.DENY for m in bounded)
        result["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": allowed}
    return result


def _statement(matched: MatchedStatement) -> Result:
    policy_id = matched.policy_id
    if policy_id.startswith(("user/", "group/")):
        kind, _, rest = policy_id.partition("/")
        return {"SourcePolicyId": rest.split("/", 1)[1], "SourcePolicyType": kind}
    if policy_id.startswith("arn:"):
        owner = "aws-managed" if policy_id.startswith("arn:aws:iam::aws:") else "user-managed"
        return {"SourcePolicyId": policy_id.rsplit("/", 1)[-1], "SourcePolicyType": owner}
    if matched.source is PolicySource.RESOURCE:
        return {"SourcePolicyId": policy_id, "SourcePolicyType": "resource"}
    return {"SourcePolicyId": policy_id, "SourcePolicyType": "none"}


def _missing_keys(simulation: Simulation, request: RequestContext) -> list[str]:
    """Condition keys that statements covering the action test and the request lacks."""
    policies = [*simulation.policies.identity, simulation.policies.boundary,
                simulation.resource_policy]
    missing: dict[str, str] = {}
    for policy in policies:
        if policy is None:
            continue
        for compiled in policy.body.for_action(request.action_key):
            for clause in policy.document.statements[compiled.index].conditions:
                key = clause.key.lower()
                if key not in TIME_KEYS and request.lookup(key) is None:
                    missing.setdefault(key, clause.key)
    return list(missing.values())
