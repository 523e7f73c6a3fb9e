"""Condition blocks compiled into predicates over a `RequestContext`.

Semantics (AWS IAM user guide, "Condition element"):

* values of one key OR together; keys and operators AND together;
* a negated operator (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, …) is true when the
  request's value matches none of the values (NOR);
* a missing key makes a positive operator false and a negated one true; `…IfExists` makes
  either true; `Null: true` is true exactly when the key is missing;
* `ForAnyValue:` is true if some value of the request's set satisfies the operator (false on
  an empty set); `ForAllValues:` if every value does (true on an empty set).
"""

from __future__ import annotations

import ipaddress
import operator as op
from collections.abc import Callable

from domain.policy.context import TIME_KEYS, RequestContext
from domain.policy.document import ConditionClause
from domain.policy.grammar import decode_base64, parse_network, parse_number
from domain.policy.matching import ArnMatcher, compile_alternatives, glob_regex, template_matcher
from domain.policy.operators import Family, Operator, SetQualifier, parse_operator
from domain.policy.timeparse import parse_instant
from domain.policy.variables import has_variables, parse_template, resolve_text

OneValue = Callable[[str, RequestContext], bool]

_MEMO_LIMIT = 4_096
_ORDER: dict[str, Callable[[float, float], bool]] = {
    "Equals": op.eq, "LessThan": op.lt, "LessThanEquals": op.le,
    "GreaterThan": op.gt, "GreaterThanEquals": op.ge,
}


class CompiledCondition:
    """One operator on one key, ready to test requests."""

    __slots__ = ("_derived", "_memo", "_negated", "_null", "_one", "_qualifier", "_when_missing",
                 "key", "operator")

    def __init__(self, clause: ConditionClause, *, variables: bool) -> None:
        parsed = parse_operator(clause.operator)
        if parsed is None:  # parse_policy refuses these; a hand-built clause may not
            raise ValueError(f"unknown condition operator {clause.operator}")
        self.operator = clause.operator
        self.key = clause.key.lower()
        self._derived = self.key in TIME_KEYS
        self._negated = parsed.negated
        self._qualifier = parsed.qualifier
        self._null = clause.values[0].lower() == "true" if parsed.family is Family.NULL else None
        self._one = _one_value(parsed, clause.values, variables=variables)
        # Without policy variables the outcome depends only on the key's values: remember it.
        substitutes = variables and parsed.family in (Family.STRING, Family.ARN) and any(
            "${" in value for value in clause.values)
        self._memo: dict[tuple[str, ...] | None, bool] | None = None if substitutes else {}
        self._when_missing = (
            parsed.qualifier is SetQualifier.FOR_ALL_VALUES  # vacuously true on an empty set
            or parsed.if_exists
            or (parsed.negated and parsed.qualifier is None))

    def test(self, request: RequestContext) -> bool:
        """True if the request satisfies this condition."""
        values = request.lookup(self.key) if self._derived else request.values.get(self.key)
        memo = self._memo
        if memo is None:
            return self._test(values, request)
        known = memo.get(values)
        if known is None:
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            known = memo[values] = self._test(values, request)
        return known

    def _test(self, values: tuple[str, ...] | None, request: RequestContext) -> bool:
        if self._null is not None:
            return (not values) is self._null
        if not values:
            return self._when_missing
        if self._qualifier is None and len(values) == 1:  # the common case, without a generator
            return self._one(values[0], request) is not self._negated
        if self._qualifier is SetQualifier.FOR_ALL_VALUES:
            return all(self._one(value, request) is not self._negated for value in values)
        if self._qualifier is SetQualifier.FOR_ANY_VALUE:
            return any(self._one(value, request) is not self._negated for value in values)
        return any(self._one(value, request) for value in values) is not self._negated


_INTERNED: dict[tuple[str, str, tuple[str, ...], bool], CompiledCondition] = {}
_INTERN_LIMIT = 20_000


def compile_condition(clause: ConditionClause, *, variables: bool) -> CompiledCondition:
    """The compiled condition, shared by every statement holding the same clause."""
    key = (clause.operator, clause.key.lower(), clause.values, variables)
    found = _INTERNED.get(key)
    if found is None:
        if len(_INTERNED) >= _INTERN_LIMIT:
            _INTERNED.clear()
        found = _INTERNED[key] = CompiledCondition(clause, variables=variables)
    return found


def _one_value(  # noqa: PLR0911 - one return per operator family reads best
        parsed: Operator, values: tuple[str, ...], *, variables: bool) -> OneValue:
    """The positive test of one request value against all the policy's values."""
    family = parsed.family
    if family is Family.STRING:
        return _string(parsed.comparison, values, variables=variables)
    if family is Family.ARN:
        matcher = ArnMatcher(parse_template(value, enabled=variables) for value in values)
        return matcher.matches
    if family is Family.NUMERIC:
        return _ordered(_ORDER[parsed.comparison], values, "number", parse_number)
    if family is Family.DATE:
        return _ordered(_ORDER[parsed.comparison], values, "date", parse_instant)
    if family is Family.BOOL:
        accepted = frozenset(value.lower() for value in values)
        return lambda value, _request: value.lower() in accepted
    if family is Family.BINARY:
        blobs = frozenset(decode_base64(value) for value in values)
        return lambda value, request: request.parsed("b64", value, decode_base64) in blobs
    if family is Family.IP:
        return _ip(values)
    return _present  # Null: `test` looks only at whether the key has values


def _string(comparison: str, values: tuple[str, ...], *, variables: bool) -> OneValue:
    templates = [parse_template(value, enabled=variables) for value in values]
    plain = [t[0] for t in templates if not has_variables(t) and isinstance(t[0], str)]
    dynamic = [t for t in templates if has_variables(t)]
    if comparison == "Like":
        exact = frozenset(v for v in plain if "*" not in v and "?" not in v)
        wild = [glob_regex(v) for v in plain if v not in exact]
        regex = compile_alternatives(wild) if wild else None
        matchers = tuple(template_matcher([template], arn=False) for template in dynamic)

        def like(value: str, request: RequestContext) -> bool:
            if value in exact or (regex is not None and regex.fullmatch(value)):
                return True
            return any(matcher.matches(value, request) for matcher in matchers)

        return like
    fold = comparison == "EqualsIgnoreCase"
    accepted = frozenset(v.lower() if fold else v for v in plain)

    def equals(value: str, request: RequestContext) -> bool:
        probe = value.lower() if fold else value
        if probe in accepted:
            return True
        for template in dynamic:
            text = resolve_text(template, request)
            if text is not None and (text.lower() if fold else text) == probe:
                return True
        return False

    return equals


def _present(_value: str, _request: RequestContext) -> bool:
    return True


def _ordered(compare: Callable[[float, float], bool], values: tuple[str, ...], kind: str,
             parse: Callable[[str], float | None]) -> OneValue:
    bounds = tuple(bound for bound in map(parse, values) if bound is not None)

    def test(value: str, request: RequestContext) -> bool:
        parsed = request.parsed(kind, value, parse)
        return parsed is not None and any(compare(parsed, bound) for bound in bounds)

    return test


def _ip(values: tuple[str, ...]) -> OneValue:
    networks = tuple(network for network in map(parse_network, values) if network is not None)

    def test(value: str, request: RequestContext) -> bool:
        address = request.parsed("ip", value, _address)
        return address is not None and any(address in network for network in networks)

    return test


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
