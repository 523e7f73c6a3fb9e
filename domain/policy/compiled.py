"""Policies compiled once into matchers, cached by document digest.

Evaluation then does no parsing and compiles no regular expression: statements are found per
action through a memo (the set of actions a service sees is small), and only their resource,
principal and conditions are tested per request.
"""

from __future__ import annotations

from collections.abc import Callable
from threading import Lock

from domain.policy.conditions import CompiledCondition, compile_condition
from domain.policy.context import RequestContext
from domain.policy.decision import MatchedStatement, PolicySource
from domain.policy.document import Effect, PolicyDocument, Statement
from domain.policy.matching import ActionMatcher, ArnMatcher
from domain.policy.principals import PrincipalMatch, PrincipalMatcher
from domain.policy.variables import parse_template

_ACTION_MEMO_LIMIT = 4_096
_CACHE_LIMIT = 10_000


class CompiledStatement:
    """One statement with its matchers prepared."""

    __slots__ = ("_actions", "_not_action", "_not_principal", "_principals", "conditions", "deny",
                 "index", "not_resource", "resources", "sid")

    def __init__(self, statement: Statement, index: int, *, variables: bool) -> None:
        self.index = index
        self.sid = statement.sid
        self.deny = statement.effect is Effect.DENY
        self._actions = ActionMatcher(statement.actions)
        self._not_action = statement.not_action
        resources = None if statement.resources is None else ArnMatcher(
            parse_template(resource, enabled=variables) for resource in statement.resources)
        if resources is not None and resources.matches_everything and not statement.not_resource:
            resources = None  # `"Resource": "*"` needs no test
        self.resources = resources
        self.not_resource = statement.not_resource
        self._principals = None if statement.principal is None else PrincipalMatcher(
            statement.principal)
        self._not_principal = statement.not_principal
        self.conditions = tuple(compile_condition(clause, variables=variables)
                                for clause in statement.conditions)

    def covers_action(self, action_key: str) -> bool:
        """True if the statement's Action (or NotAction) element covers the action."""
        return self._actions.matches(action_key) is not self._not_action

    def principal_match(self, request: RequestContext) -> PrincipalMatch:
        """How the Principal element names the caller (`CALLER` where there is none)."""
        if self._principals is None:
            return PrincipalMatch.CALLER
        strength = self._principals.match(request.principal)
        if self._not_principal:
            return PrincipalMatch.CALLER if strength is PrincipalMatch.NONE else \
                PrincipalMatch.NONE
        return strength

    def resource_verdict(self, resource: str) -> bool | None:
        """Whether the Resource/NotResource element admits `resource`; None if variables decide."""
        if self.resources is None:
            return True
        static = self.resources.static_match(resource)
        return None if static is None else static is not self.not_resource

    def applies(self, request: RequestContext) -> bool:
        """True if resource and conditions hold (the action was checked by the caller)."""
        resources = self.resources
        if resources is not None and (
                resources.matches(request.resource, request) is self.not_resource):
            return False
        return not self.conditions or conditions_hold(self.conditions, request)


def conditions_hold(conditions: tuple[CompiledCondition, ...], request: RequestContext) -> bool:
    """Every condition holds; each distinct condition is tested once per request."""
    outcomes = request.outcomes
    for condition in conditions:
        outcome = outcomes.get(condition)
        if outcome is None:
            outcome = outcomes[condition] = condition.test(request)
        if not outcome:
            return False
    return True


class CompiledBody:
    """The compiled statements of one document, shared by every policy with its digest."""

    __slots__ = ("_by_action", "statements")

    def __init__(self, document: PolicyDocument) -> None:
        variables = document.variables_enabled
        self.statements = tuple(CompiledStatement(statement, index, variables=variables)
                                for index, statement in enumerate(document.statements))
        self._by_action: dict[str, tuple[CompiledStatement, ...]] = {}

    def for_action(self, action_key: str) -> tuple[CompiledStatement, ...]:
        """The statements whose Action/NotAction covers `action_key` (lower-case)."""
        found = self._by_action.get(action_key)
        if found is None:
            found = tuple(s for s in self.statements if s.covers_action(action_key))
            if len(self._by_action) >= _ACTION_MEMO_LIMIT:
                self._by_action.clear()
            self._by_action[action_key] = found
        return found


class CompiledPolicy:
    """A policy ready for evaluation: its id (for explanations), document and compiled body."""

    __slots__ = ("_labels", "body", "document", "policy_id")

    def __init__(self, document: PolicyDocument, policy_id: str, body: CompiledBody) -> None:
        self.document = document
        self.policy_id = policy_id
        self.body = body
        self._labels: dict[PolicySource, tuple[MatchedStatement, ...]] = {}

    def labels(self, source: PolicySource) -> tuple[MatchedStatement, ...]:
        """The explanation entry of each statement when this policy acts as `source`."""
        found = self._labels.get(source)
        if found is None:
            found = self._labels[source] = tuple(
                MatchedStatement(self.policy_id, source, s.index, s.sid,
                                 Effect.DENY if s.deny else Effect.ALLOW)
                for s in self.body.statements)
        return found

    def __repr__(self) -> str:
        return f"CompiledPolicy({self.policy_id!r}, digest={self.document.digest[:12]})"


class _BodyCache:
    """Compiled bodies by document digest, bounded (oldest dropped first)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._bodies: dict[str, CompiledBody] = {}
        self._lock = Lock()

    def get(self, digest: str, build: Callable[[], CompiledBody]) -> CompiledBody:
        body = self._bodies.get(digest)
        if body is not None:
            return body
        built = build()
        with self._lock:
            body = self._bodies.setdefault(digest, built)
            if len(self._bodies) > self._limit:
                del self._bodies[next(iter(self._bodies))]
        return body

    def __len__(self) -> int:
        return len(self._bodies)


_CACHE = _BodyCache(_CACHE_LIMIT)


def compile_policy(document: PolicyDocument, policy_id: str) -> CompiledPolicy:
    """Compile a parsed document; documents with the same digest share one compiled body."""
    return CompiledPolicy(document, policy_id,
                          _CACHE.get(document.digest, lambda: CompiledBody(document)))


def compiled_body_count() -> int:
    """How many compiled bodies the cache holds (for metrics and tests)."""
    return len(_CACHE)
