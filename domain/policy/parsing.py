"""`parse_policy`: JSON text → validated `PolicyDocument`, or AWS's refusal."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, NoReturn

from domain.policy import grammar
from domain.policy.document import (
    VERSION_2008,
    VERSION_2012,
    ConditionClause,
    Effect,
    PolicyDocument,
    PrincipalElement,
    Statement,
)
from domain.policy.errors import MalformedPolicyDocument, PolicyLimitExceeded
from domain.policy.kinds import PolicyKind
from domain.policy.operators import parse_operator

_TOP_LEVEL = frozenset({"Version", "Id", "Statement"})
_STATEMENT_FIELDS = frozenset({"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource",
                               "Principal", "NotPrincipal", "Condition"})
_PRINCIPAL_TYPES = {"AWS": "aws", "Federated": "federated", "Service": "service",
                    "CanonicalUser": "canonical_user"}


def parse_policy(text: str | Mapping[str, Any], kind: PolicyKind) -> PolicyDocument:
    """Parse and validate a policy document of the given kind.

    Raises:
        PolicyLimitExceeded: the text, whitespace aside, is longer than the kind allows.
        MalformedPolicyDocument: anything IAM would refuse; the message says what.
    """
    raw = text if isinstance(text, str) else json.dumps(text)
    size = policy_size(raw)
    if size > kind.size_limit:
        raise PolicyLimitExceeded(f"Cannot exceed quota for {kind.quota_name}: {kind.size_limit}",
                                  size=size, limit=kind.size_limit)
    try:
        data = json.loads(raw, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise MalformedPolicyDocument(_json_message(exc)) from exc
    if not isinstance(data, dict):
        _fail("Syntax errors in policy.")
    return _document(data, kind)


def policy_size(text: str) -> int:
    """Characters counted against IAM's size quotas: every one but whitespace."""
    return len(text) - sum(1 for char in text if char.isspace())


class _DuplicateKeyError(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _no_constant(name: str) -> NoReturn:
    raise ValueError(name)


def _json_message(exc: BaseException) -> str:
    if isinstance(exc, _DuplicateKeyError):
        return f'Duplicate field "{exc.args[0]}" in policy.'
    return "Syntax errors in policy."


def _fail(message: str) -> NoReturn:
    raise MalformedPolicyDocument(message)


def _document(data: dict[str, Any], kind: PolicyKind) -> PolicyDocument:
    for name in data:
        if name not in _TOP_LEVEL:
            _fail(f'Policy contains unknown field "{name}".')
    version = data.get("Version", VERSION_2008)
    if version not in (VERSION_2012, VERSION_2008):
        _fail(f"Invalid policy version {json.dumps(version)}: use \"{VERSION_2012}\" "
              f"(or the legacy \"{VERSION_2008}\").")
    policy_id = data.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        _fail("Id must be a string.")
    if "Statement" not in data:
        _fail("Missing required field Statement.")
    raw_statements = data["Statement"]
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        _fail("Statement must be a JSON object or a list of JSON objects.")
    if not raw_statements:
        _fail("Policy document must contain at least one statement.")
    statements = tuple(_statement(raw, kind) for raw in raw_statements)
    sids = [statement.sid for statement in statements if statement.sid]
    if len(sids) != len(set(sids)):
        _fail("Statement IDs (SID) in a single policy must be unique.")
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return PolicyDocument(version=version, id=policy_id, statements=statements, kind=kind,
                          digest=hashlib.sha256(canonical.encode()).hexdigest())


def _statement(raw: object, kind: PolicyKind) -> Statement:
    if not isinstance(raw, dict):
        _fail("Each statement must be a JSON object.")
    for name in raw:
        if name not in _STATEMENT_FIELDS:
            _fail(f'Statement contains unknown field "{name}".')
    sid = _sid(raw.get("Sid"), kind)
    effect = _effect(raw)
    actions, not_action = _actions(raw, kind)
    resources, not_resource = _resources(raw, kind)
    principal, not_principal = _principal(raw, kind)
    conditions = _conditions(raw.get("Condition"))
    return Statement(sid=sid, effect=effect, actions=actions, not_action=not_action,
                     resources=resources, not_resource=not_resource, principal=principal,
                     not_principal=not_principal, conditions=conditions)


def _sid(value: object, kind: PolicyKind) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        _fail("Sid must be a string.")
    problem = grammar.check_sid(value) if kind is not PolicyKind.RESOURCE else None
    if problem:
        _fail(problem)
    return value or None


def _effect(raw: dict[str, Any]) -> Effect:
    if "Effect" not in raw:
        _fail("Missing required field Effect.")
    value = raw["Effect"]
    if value not in ("Allow", "Deny"):
        _fail(f"Invalid effect: {json.dumps(value)}. Effect must be \"Allow\" or \"Deny\".")
    return Effect(value)


def _either(raw: dict[str, Any], name: str) -> tuple[str | None, bool]:
    """Which of `name` / `Not<name>` the statement has (at most one)."""
    negated = f"Not{name}"
    if name in raw and negated in raw:
        _fail(f"Statement cannot contain both {name} and {negated}.")
    if negated in raw:
        return negated, True
    if name in raw:
        return name, False
    return None, False


def _strings(element: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    _fail(f"{element} must be a string or a list of strings.")


def _actions(raw: dict[str, Any], kind: PolicyKind) -> tuple[tuple[str, ...], bool]:
    element, negated = _either(raw, "Action")
    if element is None:
        _fail("Policy statement must contain actions.")
    actions = _strings(element, raw[element])
    if not actions:
        _fail("Policy statement must contain actions.")
    for action in actions:
        problem = grammar.check_action(action)
        if problem:
            _fail(problem)
        if kind is PolicyKind.TRUST and action != "*" and not action.lower().startswith("sts:"):
            _fail("AssumeRole policy may only specify STS AssumeRole actions.")
    return actions, negated


def _resources(raw: dict[str, Any], kind: PolicyKind) -> tuple[tuple[str, ...] | None, bool]:
    element, negated = _either(raw, "Resource")
    if kind is PolicyKind.TRUST:
        if element is not None:
            _fail(f"Has prohibited field {element}.")
        return None, False
    if element is None:
        _fail("Policy statement must contain resources.")
    resources = _strings(element, raw[element])
    if not resources:
        _fail("Policy statement must contain resources.")
    for resource in resources:
        problem = grammar.check_resource(resource)
        if problem:
            _fail(problem)
    return resources, negated


def _principal(raw: dict[str, Any], kind: PolicyKind) -> tuple[PrincipalElement | None, bool]:
    element, negated = _either(raw, "Principal")
    if not kind.has_principal:
        if element is not None:
            _fail("Policy document should not specify a principal.")
        return None, False
    if element is None:
        _fail("Missing required field Principal.")
    return _principal_element(raw[element]), negated


def _principal_element(value: object) -> PrincipalElement:
    if value == "*":
        return PrincipalElement(wildcard=True)
    if not isinstance(value, dict) or not value:
        _fail(f"Invalid principal in policy: {json.dumps(value)}")
    fields: dict[str, tuple[str, ...]] = {}
    for principal_type, names in value.items():
        if principal_type not in _PRINCIPAL_TYPES:
            _fail(f"Invalid principal in policy: {json.dumps(principal_type)}")
        listed = _strings(f"Principal {principal_type}", names)
        if not listed:
            _fail(f"Principal {principal_type} must name at least one principal.")
        for name in listed:
            problem = grammar.check_principal_value(principal_type, name)
            if problem:
                _fail(problem)
        fields[_PRINCIPAL_TYPES[principal_type]] = listed
    wildcard = "*" in fields.get("aws", ())
    return PrincipalElement(wildcard=wildcard, **fields)


def _conditions(value: object) -> tuple[ConditionClause, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        _fail("Condition must be a JSON object mapping operators to {key: values} objects.")
    clauses: list[ConditionClause] = []
    for operator_name, block in value.items():
        operator = parse_operator(operator_name)
        if operator is None:
            _fail(f"Invalid Condition type : {operator_name}.")
        if not isinstance(block, dict) or not block:
            _fail(f"Condition {operator_name} must map condition keys to values.")
        for key, raw_values in block.items():
            problem = grammar.check_condition_key(key)
            if problem:
                _fail(problem)
            values = _condition_values(operator_name, key, raw_values)
            for item in values:
                problem = grammar.check_condition_value(operator.family, operator_name, key, item)
                if problem:
                    _fail(problem)
            clauses.append(ConditionClause(operator=operator_name, key=key, values=values))
    return tuple(clauses)


def _condition_values(operator: str, key: str, value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        _fail(f"Condition {operator} on key {key} has no values.")
    texts: list[str] = []
    for item in items:
        if isinstance(item, bool):
            texts.append("true" if item else "false")
        elif isinstance(item, str | int | float):
            texts.append(str(item))
        else:
            _fail(f"Condition {operator} on key {key}: values must be strings, numbers or "
                  "booleans.")
    return tuple(texts)
