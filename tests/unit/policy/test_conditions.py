"""Every condition operator family, IfExists, Null, set operators and missing keys."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from domain.policy import PrincipalPolicies, evaluate
from domain.policy.conditions import CompiledCondition
from domain.policy.context import ContextInput
from domain.policy.document import ConditionClause

from .builders import allow, compiled, request


def holds(operator: str, key: str, values: str | list[str],
          context: Mapping[str, ContextInput], *, now: datetime | None = None) -> bool:
    """Whether one condition holds for a request carrying `context`."""
    listed = (values,) if isinstance(values, str) else tuple(values)
    condition = CompiledCondition(ConditionClause(operator=operator, key=key, values=listed),
                                  variables=True)
    return condition.test(request(context=context, **({"now": now} if now else {})))


CASES: list[tuple[str, str, str | list[str], dict[str, ContextInput], bool]] = [
    # String
    ("StringEquals", "s3:prefix", "home/", {"s3:prefix": "home/"}, True),
    ("StringEquals", "s3:prefix", "home/", {"s3:prefix": "Home/"}, False),
    ("StringEquals", "s3:prefix", ["a", "home/"], {"s3:prefix": "home/"}, True),
    ("StringEquals", "s3:prefix", "home/*", {"s3:prefix": "home/x"}, False),
    ("StringNotEquals", "s3:prefix", ["a", "b"], {"s3:prefix": "c"}, True),
    ("StringNotEquals", "s3:prefix", ["a", "b"], {"s3:prefix": "b"}, False),
    ("StringEqualsIgnoreCase", "s3:prefix", "HOME/", {"s3:prefix": "home/"}, True),
    ("StringEqualsIgnoreCase", "s3:prefix", "HOME/", {"s3:prefix": "work/"}, False),
    ("StringNotEqualsIgnoreCase", "s3:prefix", "HOME/", {"s3:prefix": "home/"}, False),
    ("StringNotEqualsIgnoreCase", "s3:prefix", "HOME/", {"s3:prefix": "work/"}, True),
    ("StringLike", "s3:prefix", "home/*", {"s3:prefix": "home/a/b"}, True),
    ("StringLike", "s3:prefix", "home/*", {"s3:prefix": "work/a"}, False),
    ("StringLike", "s3:prefix", "h?me", {"s3:prefix": "home"}, True),
    ("StringLike", "s3:prefix", "h?me", {"s3:prefix": "hoome"}, False),
    ("StringLike", "s3:prefix", "Home*", {"s3:prefix": "home"}, False),
    ("StringNotLike", "s3:prefix", ["home/*", "tmp/*"], {"s3:prefix": "etc/x"}, True),
    ("StringNotLike", "s3:prefix", ["home/*", "tmp/*"], {"s3:prefix": "tmp/x"}, False),
    # keys compare case-insensitively
    ("StringEquals", "AWS:SOURCEVPC", "vpc-1", {"aws:SourceVpc": "vpc-1"}, True),
    # Numeric
    ("NumericEquals", "s3:max-keys", "10", {"s3:max-keys": "10"}, True),
    ("NumericEquals", "s3:max-keys", "10", {"s3:max-keys": "10.0"}, True),
    ("NumericEquals", "s3:max-keys", "10", {"s3:max-keys": 11}, False),
    ("NumericNotEquals", "s3:max-keys", "10", {"s3:max-keys": 11}, True),
    ("NumericNotEquals", "s3:max-keys", "10", {"s3:max-keys": 10}, False),
    ("NumericLessThan", "s3:max-keys", "10", {"s3:max-keys": 9}, True),
    ("NumericLessThan", "s3:max-keys", "10", {"s3:max-keys": 10}, False),
    ("NumericLessThanEquals", "s3:max-keys", "10", {"s3:max-keys": 10}, True),
    ("NumericLessThanEquals", "s3:max-keys", "10", {"s3:max-keys": 11}, False),
    ("NumericGreaterThan", "s3:max-keys", "10", {"s3:max-keys": 11}, True),
    ("NumericGreaterThan", "s3:max-keys", "10", {"s3:max-keys": 10}, False),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", {"s3:max-keys": 10}, True),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", {"s3:max-keys": 9.5}, False),
    ("NumericEquals", "s3:max-keys", "10", {"s3:max-keys": "ten"}, False),
    # Date (ISO 8601 or epoch seconds on either side)
    ("DateEquals", "aws:TokenIssueTime", "2026-01-01T00:00:00Z",
     {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}, True),
    ("DateEquals", "aws:TokenIssueTime", "2026-01-01T00:00:00Z",
     {"aws:TokenIssueTime": "1767225600"}, True),
    ("DateNotEquals", "aws:TokenIssueTime", "2026-01-01",
     {"aws:TokenIssueTime": "2026-01-02T00:00:00Z"}, True),
    ("DateNotEquals", "aws:TokenIssueTime", "2026-01-01",
     {"aws:TokenIssueTime": "2026-01-01T00:00:00+00:00"}, False),
    ("DateLessThan", "aws:TokenIssueTime", "2026-01-01T00:00:00Z",
     {"aws:TokenIssueTime": "2025-12-31T23:59:59Z"}, True),
    ("DateLessThan", "aws:TokenIssueTime", "2026-01-01T00:00:00Z",
     {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}, False),
    ("DateLessThanEquals", "aws:TokenIssueTime", "2026-01-01T00:00:00Z",
     {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}, True),
    ("DateGreaterThan", "aws:TokenIssueTime", "2026-01-01T00:00:00Z",
     {"aws:TokenIssueTime": "2026-01-01T01:00:00+01:00"}, False),
    ("DateGreaterThan", "aws:TokenIssueTime", "2026-01-01T00:00:00Z",
     {"aws:TokenIssueTime": datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)}, True),
    ("DateGreaterThanEquals", "aws:TokenIssueTime", "1767225600",
     {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}, True),
    ("DateGreaterThanEquals", "aws:TokenIssueTime", "1767225600",
     {"aws:TokenIssueTime": "2025-06-01T00:00:00Z"}, False),
    # Bool
    ("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": True}, True),
    ("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": "TRUE"}, True),
    ("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": False}, False),
    ("Bool", "aws:SecureTransport", "false", {"aws:SecureTransport": "false"}, True),
    # Binary
    ("BinaryEquals", "s3:x-amz-meta", "QUJD", {"s3:x-amz-meta": b"ABC"}, True),
    ("BinaryEquals", "s3:x-amz-meta", "QUJD", {"s3:x-amz-meta": "QUJD"}, True),
    ("BinaryEquals", "s3:x-amz-meta", "QUJD", {"s3:x-amz-meta": b"ABD"}, False),
    # IP addresses, v4 and v6
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "203.0.113.7"}, True),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "203.0.114.7"}, False),
    ("IpAddress", "aws:SourceIp", "203.0.113.7", {"aws:SourceIp": "203.0.113.7"}, True),
    ("IpAddress", "aws:SourceIp", "2001:db8::/32", {"aws:SourceIp": "2001:db8:1::5"}, True),
    ("IpAddress", "aws:SourceIp", "2001:db8::/32", {"aws:SourceIp": "2001:db9::5"}, False),
    ("IpAddress", "aws:SourceIp", "2001:db8::/32", {"aws:SourceIp": "203.0.113.7"}, False),
    ("IpAddress", "aws:SourceIp", "10.0.0.0/8", {"aws:SourceIp": "not-an-ip"}, False),
    ("NotIpAddress", "aws:SourceIp", ["10.0.0.0/8", "192.168.0.0/16"],
     {"aws:SourceIp": "203.0.113.7"}, True),
    ("NotIpAddress", "aws:SourceIp", ["10.0.0.0/8", "192.168.0.0/16"],
     {"aws:SourceIp": "192.168.1.1"}, False),
    # ARN operators: per-segment wildcards; ArnEquals behaves like ArnLike
    ("ArnLike", "aws:SourceArn", "arn:aws:sns:*:111122223333:*",
     {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic"}, True),
    ("ArnLike", "aws:SourceArn", "arn:aws:sns:*:111122223333:*",
     {"aws:SourceArn": "arn:aws:sns:us-east-1:444455556666:topic"}, False),
    ("ArnEquals", "aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic",
     {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic"}, True),
    ("ArnEquals", "aws:SourceArn", "arn:aws:sns:*:111122223333:topic",
     {"aws:SourceArn": "arn:aws:sns:eu-west-1:111122223333:topic"}, True),
    ("ArnNotEquals", "aws:SourceArn", "arn:aws:sns:*:111122223333:topic",
     {"aws:SourceArn": "arn:aws:sns:eu-west-1:111122223333:other"}, True),
    ("ArnNotLike", "aws:SourceArn", "arn:aws:sns:*:111122223333:*",
     {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic"}, False),
    ("ArnLike", "aws:SourceArn", "arn:aws:s3:::b/*", {"aws:SourceArn": "arn:aws:s3:::b/x/y"},
     True),
    # Null
    ("Null", "aws:TokenIssueTime", "true", {}, True),
    ("Null", "aws:TokenIssueTime", "true", {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}, False),
    ("Null", "aws:TokenIssueTime", "false", {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}, True),
    ("Null", "aws:TokenIssueTime", "false", {}, False),
    ("Null", "aws:TagKeys", "true", {"aws:TagKeys": []}, True),
]


@pytest.mark.parametrize(("operator", "key", "values", "context", "expected"), CASES)
def test_operator(operator: str, key: str, values: str | list[str],
                  context: dict[str, ContextInput], expected: bool) -> None:
    """Each operator compares the request's value as AWS does."""
    assert expected is holds(operator, key, values, context)


POSITIVE = ["StringEquals", "StringEqualsIgnoreCase", "StringLike", "NumericEquals",
            "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan",
            "NumericGreaterThanEquals", "DateEquals", "DateLessThan", "DateLessThanEquals",
            "DateGreaterThan", "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress",
            "ArnEquals", "ArnLike"]
NEGATED = ["StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals",
           "DateNotEquals", "NotIpAddress", "ArnNotEquals", "ArnNotLike"]
SAMPLE = {"String": "x", "Numeric": "1", "Date": "2026-01-01", "Bool": "true", "Binary": "QUJD",
          "IpAddress": "10.0.0.0/8", "NotIpAddress": "10.0.0.0/8", "Arn": "arn:aws:s3:::b"}


def _sample(operator: str) -> str:
    return next(value for prefix, value in SAMPLE.items() if operator.startswith(prefix))


@pytest.mark.parametrize("operator", POSITIVE)
def test_missing_key_makes_positive_operator_false(operator: str) -> None:
    """A positive operator on an absent key is false; with IfExists it is true."""
    assert False is holds(operator, "test:absent", _sample(operator), {})
    assert True is holds(f"{operator}IfExists", "test:absent", _sample(operator), {})


@pytest.mark.parametrize("operator", NEGATED)
def test_missing_key_makes_negated_operator_true(operator: str) -> None:
    """A negated operator on an absent key is true, with or without IfExists."""
    assert True is holds(operator, "test:absent", _sample(operator), {})
    assert True is holds(f"{operator}IfExists", "test:absent", _sample(operator), {})


def test_if_exists_still_tests_a_present_key() -> None:
    """IfExists changes only the absent case."""
    assert False is holds("StringEqualsIfExists", "s3:prefix", "a", {"s3:prefix": "b"})
    assert True is holds("StringEqualsIfExists", "s3:prefix", "a", {"s3:prefix": "a"})


SETS: list[tuple[str, list[str], list[str] | None, bool]] = [
    # ForAllValues: every request value is among the policy's (true for an empty set)
    ("ForAllValues:StringEquals", ["a", "b"], ["a"], True),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "b"], True),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "c"], False),
    ("ForAllValues:StringEquals", ["a", "b"], [], True),
    ("ForAllValues:StringEquals", ["a", "b"], None, True),
    ("ForAllValues:StringLike", ["team-*"], ["team-a", "team-b"], True),
    ("ForAllValues:StringNotEquals", ["secret"], ["a", "b"], True),
    ("ForAllValues:StringNotEquals", ["secret"], ["a", "secret"], False),
    # ForAnyValue: at least one request value is (false for an empty set)
    ("ForAnyValue:StringEquals", ["a", "b"], ["c", "b"], True),
    ("ForAnyValue:StringEquals", ["a", "b"], ["c", "d"], False),
    ("ForAnyValue:StringEquals", ["a", "b"], [], False),
    ("ForAnyValue:StringEquals", ["a", "b"], None, False),
    ("ForAnyValue:StringNotEquals", ["a"], ["a", "b"], True),
    ("ForAnyValue:StringNotEquals", ["a"], ["a"], False),
    ("ForAnyValue:StringNotEquals", ["a"], None, False),
    ("ForAnyValue:StringEqualsIfExists", ["a"], None, True),
    ("ForAnyValue:NumericGreaterThan", ["5"], ["1", "9"], True),
    # without a set operator, a multivalued key matches if any of its values does
    ("StringEquals", ["a"], ["b", "a"], True),
    ("StringNotEquals", ["a"], ["b", "a"], False),
]


@pytest.mark.parametrize(("operator", "values", "request_values", "expected"), SETS)
def test_set_operators(operator: str, values: list[str], request_values: list[str] | None,
                       expected: bool) -> None:
    """ForAllValues/ForAnyValue apply the operator to each value of a multivalued key."""
    context: dict[str, ContextInput] = {}
    if request_values is not None:
        context["aws:TagKeys"] = request_values
    assert expected is holds(operator, "aws:TagKeys", values, context)


def test_current_time_comes_from_the_request() -> None:
    """aws:CurrentTime and aws:EpochTime are the request's `now`, not the machine clock."""
    before = datetime(2025, 12, 31, tzinfo=UTC)
    after = datetime(2026, 1, 2, tzinfo=UTC)
    assert True is holds("DateLessThan", "aws:CurrentTime", "2026-01-01T00:00:00Z", {},
                         now=before)
    assert False is holds("DateLessThan", "aws:CurrentTime", "2026-01-01T00:00:00Z", {},
                          now=after)
    assert True is holds("NumericGreaterThan", "aws:EpochTime", "1767225600", {}, now=after)


def test_keys_and_operators_and_together_values_or_together() -> None:
    """Within a statement: operators AND, keys AND, values OR."""
    principal = PrincipalPolicies(identity=(compiled(allow("s3:GetObject", Condition={
        "StringEquals": {"s3:prefix": ["a", "b"], "aws:RequestedRegion": "us-east-1"},
        "Bool": {"aws:SecureTransport": "true"}})),))
    good = {"s3:prefix": "b", "aws:RequestedRegion": "us-east-1", "aws:SecureTransport": True}
    assert evaluate(request(context=good), principal).allowed
    for key, wrong in (("s3:prefix", "c"), ("aws:RequestedRegion", "eu-west-1"),
                       ("aws:SecureTransport", False)):
        assert not evaluate(request(context={**good, key: wrong}), principal).allowed


def test_revocation_by_token_issue_time() -> None:
    """AWS's session revocation: deny every session issued before a moment."""
    principal = PrincipalPolicies(identity=(
        compiled(allow(), {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {
            "DateLessThan": {"aws:TokenIssueTime": "2026-03-01T00:00:00Z"}}}),))
    old = request(context={"aws:TokenIssueTime": "2026-02-28T23:00:00Z"})
    new = request(context={"aws:TokenIssueTime": "2026-03-01T01:00:00Z"})
    long_term = request()
    assert "ExplicitDeny" == evaluate(old, principal).effect
    assert "Allow" == evaluate(new, principal).effect
    assert "Allow" == evaluate(long_term, principal).effect
