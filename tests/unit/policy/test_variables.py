"""Policy variables: substitution, defaults, escapes, missing values, Version 2008-10-17."""

from __future__ import annotations

import pytest

from domain.policy import Principal, PrincipalPolicies, evaluate

from .builders import ACCOUNT, ALICE, allow, compiled, request

HOME = "arn:aws:s3:::home/${aws:username}/*"


def allowed(statement: dict[str, object], resource: str, *, principal: Principal = ALICE,
            context: dict[str, str] | None = None, version: str = "2012-10-17") -> bool:
    """Whether a policy of one statement allows s3:GetObject on `resource`."""
    policies = PrincipalPolicies(identity=(compiled(statement, version=version),))
    return evaluate(request(resource=resource, principal=principal, context=context),
                    policies).allowed


def test_username_in_resource() -> None:
    """`${aws:username}` lets each user reach only their own prefix."""
    assert allowed(allow("s3:GetObject", HOME), "arn:aws:s3:::home/alice/notes.txt")
    assert not allowed(allow("s3:GetObject", HOME), "arn:aws:s3:::home/bob/notes.txt")


def test_variable_value_matches_literally() -> None:
    """A substituted value's `*` or `?` is text, not a wildcard."""
    statement = allow("s3:GetObject", "arn:aws:s3:::b/${aws:PrincipalTag/team}/x")
    star = Principal.user(ACCOUNT, "eve", "AIDAEVE", tags={"team": "*"})
    assert allowed(statement, "arn:aws:s3:::b/*/x", principal=star)
    assert not allowed(statement, "arn:aws:s3:::b/data/x", principal=star)


@pytest.mark.parametrize(("variable", "value"), [
    ("aws:userid", "AIDAALICE0000000000"),
    ("aws:PrincipalAccount", ACCOUNT),
    ("aws:PrincipalTag/team", "data"),
    ("aws:principaltag/TEAM", "data"),
    ("aws:SourceIp", "10.0.0.1"),
    ("aws:CurrentTime", "2026-03-01T12:00:00Z"),
])
def test_global_keys_as_variables(variable: str, value: str) -> None:
    """Derived and request keys substitute into resources, whatever their case."""
    statement = allow("s3:GetObject", f"arn:aws:s3:::b/${{{variable}}}")
    context = {"aws:SourceIp": "10.0.0.1"}
    assert allowed(statement, f"arn:aws:s3:::b/{value}", context=context)
    assert not allowed(statement, "arn:aws:s3:::b/other", context=context)


def test_variable_in_account_segment() -> None:
    """A variable may fill a segment other than the resource part."""
    statement = allow("s3:GetObject", "arn:aws:sqs:*:${aws:PrincipalAccount}:*")
    assert allowed(statement, f"arn:aws:sqs:us-east-1:{ACCOUNT}:q")
    assert not allowed(statement, "arn:aws:sqs:us-east-1:444455556666:q")


def test_missing_variable_matches_nothing() -> None:
    """A variable with no value (a role session has no aws:username) matches no resource."""
    session = Principal.assumed_role(ACCOUNT, "r", "s", "AROAR")
    assert not allowed(allow("s3:GetObject", HOME), "arn:aws:s3:::home//notes.txt",
                       principal=session)
    assert not allowed(allow("s3:GetObject", ["arn:aws:s3:::home/${aws:username}"]),
                       "arn:aws:s3:::home/${aws:username}", principal=session)


def test_missing_variable_spoils_only_its_own_pattern() -> None:
    """Other resources of the same statement still match."""
    session = Principal.assumed_role(ACCOUNT, "r", "s", "AROAR")
    statement = allow("s3:GetObject", [HOME, "arn:aws:s3:::shared/*"])
    assert allowed(statement, "arn:aws:s3:::shared/x", principal=session)


def test_default_value() -> None:
    """`${key, 'default'}` uses the default when the key is absent."""
    statement = allow("s3:GetObject", "arn:aws:s3:::b/${aws:PrincipalTag/dept, 'none'}/*")
    tagged = Principal.user(ACCOUNT, "t", "AIDAT", tags={"dept": "eng"})
    assert allowed(statement, "arn:aws:s3:::b/none/x")
    assert not allowed(statement, "arn:aws:s3:::b/eng/x")
    assert allowed(statement, "arn:aws:s3:::b/eng/x", principal=tagged)


@pytest.mark.parametrize(("escape", "literal"), [("${*}", "*"), ("${?}", "?"), ("${$}", "$")])
def test_escapes_are_literal_characters(escape: str, literal: str) -> None:
    """`${*}`, `${?}` and `${$}` stand for the character itself, never a wildcard."""
    statement = allow("s3:GetObject", f"arn:aws:s3:::b/a{escape}b")
    assert allowed(statement, f"arn:aws:s3:::b/a{literal}b")
    assert not allowed(statement, "arn:aws:s3:::b/axb")


def test_version_2008_takes_variables_literally() -> None:
    """Under Version 2008-10-17, `${aws:username}` is just text."""
    assert allowed(allow("s3:GetObject", HOME), "arn:aws:s3:::home/${aws:username}/x",
                   version="2008-10-17")
    assert not allowed(allow("s3:GetObject", HOME), "arn:aws:s3:::home/alice/x",
                       version="2008-10-17")


def test_variables_in_string_conditions() -> None:
    """String operators substitute variables too; StringLike keeps wildcards around them."""
    equals = allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": "${aws:username}"}})
    like = allow("s3:GetObject", Condition={"StringLike": {"s3:prefix": "home/${aws:username}/*"}})
    assert allowed(equals, "*", context={"s3:prefix": "alice"})
    assert not allowed(equals, "*", context={"s3:prefix": "bob"})
    assert allowed(like, "*", context={"s3:prefix": "home/alice/docs"})
    assert not allowed(like, "*", context={"s3:prefix": "home/bob/docs"})


def test_variables_in_arn_conditions() -> None:
    """ARN operators substitute variables."""
    statement = allow("s3:GetObject", Condition={
        "ArnLike": {"aws:SourceArn": "arn:aws:iam::${aws:PrincipalAccount}:role/*"}})
    assert allowed(statement, "*", context={"aws:SourceArn": f"arn:aws:iam::{ACCOUNT}:role/x"})
    assert not allowed(statement, "*",
                       context={"aws:SourceArn": "arn:aws:iam::444455556666:role/x"})


def test_variable_with_no_value_fails_equals_but_not_its_negation() -> None:
    """An unresolvable value matches nothing, so StringNotEquals against it holds."""
    equals = allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": "${aws:username}"}})
    not_equals = allow("s3:GetObject",
                       Condition={"StringNotEquals": {"s3:prefix": "${aws:username}"}})
    session = Principal.assumed_role(ACCOUNT, "r", "s", "AROAR")
    assert not allowed(equals, "*", principal=session, context={"s3:prefix": ""})
    assert allowed(not_equals, "*", principal=session, context={"s3:prefix": ""})
