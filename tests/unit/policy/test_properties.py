"""Property tests: the compiled evaluator against a simple reference, and AWS's invariants."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.policy import PolicyKind, PrincipalPolicies, compile_policy, evaluate, parse_policy
from domain.policy.compiled import CompiledStatement
from domain.policy.document import Effect, Statement

from . import reference
from .builders import ALICE, request

ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "ec2:RunInstances",
           "ec2:DescribeInstances", "iam:CreateUser"]
# `*` is repeated so that generated statements often apply and conditions decide
ACTION_PATTERNS = ["*", "*", "*", "s3:*", "s3:Get*", "s3:?utObject", "S3:getobject",
                   "ec2:*Instances", "ec2:Describe*", "iam:*User", "s3:ListBucket",
                   "ec2:RunInstances", "iam:?"]
RESOURCES = ["arn:aws:s3:::b/x", "arn:aws:s3:::b/alice/y", "arn:aws:s3:::c/x",
             "arn:aws:s3:::b", "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
             "arn:aws:ec2:eu-west-1:111122223333:volume/v-1", "*"]
RESOURCE_PATTERNS = ["*", "*", "*", "arn:aws:s3:::b/*", "arn:aws:s3:::*/x", "arn:aws:s3:::b/?",
                     "arn:aws:s3:::b*", "arn:aws:ec2:*:111122223333:instance/*",
                     "arn:aws:ec2:us-*:*:*", "arn:aws:s3:::b/${aws:username}/*",
                     "arn:aws:ec2:*:*:volume/v-?"]
CONDITIONS: list[tuple[str, str, Any]] = [
    ("StringEquals", "test:k", ["a", "b"]), ("StringNotEquals", "test:k", "a"),
    ("StringLike", "test:k", "a*"), ("StringEqualsIfExists", "test:k", "b"),
    ("NumericLessThan", "test:n", "5"), ("NumericLessThanIfExists", "test:n", 3),
    ("Bool", "test:b", True), ("BoolIfExists", "test:b", "false"),
]
CONTEXT_VALUES = {"test:k": ["a", "b", "ab", "c"], "test:n": ["1", "4", "5", "9"],
                  "test:b": ["true", "false"]}

SETTINGS = settings(max_examples=80, deadline=None)


@st.composite
def statements(draw: st.DrawFn, effect: str | None = None) -> dict[str, Any]:
    """A random identity statement over the small alphabets above."""
    chosen_effect = effect or draw(st.sampled_from(["Allow", "Deny"]))
    action_element = draw(st.sampled_from(["Action", "NotAction"]))
    resource_element = draw(st.sampled_from(["Resource", "Resource", "NotResource"]))
    statement: dict[str, Any] = {
        "Effect": chosen_effect,
        action_element: draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=2)),
        resource_element: draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1,
                                        max_size=2)),
    }
    conditions = draw(st.lists(st.sampled_from(CONDITIONS), max_size=2,
                               unique_by=lambda c: c[0]))
    if conditions:
        statement["Condition"] = {op: {key: value} for op, key, value in conditions}
    return statement


policies = st.lists(st.lists(statements(), min_size=1, max_size=4), min_size=1, max_size=3)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str]]:
    """A random action, resource and request context."""
    context = {key: draw(st.sampled_from(values)) for key, values in CONTEXT_VALUES.items()
               if draw(st.booleans())}
    return draw(st.sampled_from(ACTIONS)), draw(st.sampled_from(RESOURCES)), context


def principal_of(raw: list[list[dict[str, Any]]],
                 boundary: list[dict[str, Any]] | None = None) -> PrincipalPolicies:
    """Compile generated policies into alice's policies."""
    def one(statements_: list[dict[str, Any]], policy_id: str) -> Any:
        text = json.dumps({"Version": "2012-10-17", "Statement": statements_})
        return compile_policy(parse_policy(text, PolicyKind.MANAGED), policy_id)

    return PrincipalPolicies(identity=tuple(one(p, f"p{i}") for i, p in enumerate(raw)),
                             boundary=one(boundary, "boundary") if boundary else None)


def decide(raw: list[list[dict[str, Any]]], req: tuple[str, str, dict[str, str]],
           boundary: list[dict[str, Any]] | None = None) -> str:
    """The compiled evaluator's effect."""
    action, resource, context = req
    return evaluate(request(action, resource, context=context), principal_of(raw, boundary)).effect


@settings(max_examples=200, deadline=None)
@given(policies, st.none() | st.lists(statements(), min_size=1, max_size=3),
       st.lists(requests(), min_size=1, max_size=4))
def test_compiled_evaluator_agrees_with_reference(
        raw: list[list[dict[str, Any]]], boundary: list[dict[str, Any]] | None,
        reqs: list[tuple[str, str, dict[str, str]]]) -> None:
    """The fast evaluator (memos warm across requests) decides as the naive reference."""
    principal = principal_of(raw, boundary)
    for action, resource, context in reqs:
        expected = reference.decide(raw, boundary, action=action, resource=resource,
                                    context=context, username=ALICE.username or "")
        actual = evaluate(request(action, resource, context=context), principal).effect
        assert expected == actual


@SETTINGS
@given(policies, requests(), st.integers(min_value=0, max_value=2))
def test_matching_explicit_deny_always_wins(raw: list[list[dict[str, Any]]],
                                            req: tuple[str, str, dict[str, str]],
                                            where: int) -> None:
    """A Deny statement naming the request's action and resource makes it an explicit deny."""
    action, resource, _ = req
    raw[where % len(raw)].append({"Effect": "Deny", "Action": action, "Resource": resource})
    assert "ExplicitDeny" == decide(raw, req)


@SETTINGS
@given(policies, requests(), statements(effect="Allow"), st.integers(min_value=0, max_value=2))
def test_adding_an_allow_never_turns_allow_into_deny(raw: list[list[dict[str, Any]]],
                                                     req: tuple[str, str, dict[str, str]],
                                                     extra: dict[str, Any], where: int) -> None:
    """Decisions are monotonic in Allow statements."""
    before = decide(raw, req)
    raw[where % len(raw)].append(extra)
    after = decide(raw, req)
    if before == "Allow":
        assert "Allow" == after
    if before == "ExplicitDeny":
        assert "ExplicitDeny" == after


@SETTINGS
@given(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3),
       st.sampled_from([*ACTIONS, "S3:GETOBJECT", "ec2:describeinstances", "sqs:Send"]))
def test_not_action_is_the_complement_of_action(patterns: list[str], action: str) -> None:
    """`NotAction: X` covers exactly the actions `Action: X` does not."""
    plain = CompiledStatement(Statement(sid=None, effect=Effect.ALLOW, actions=tuple(patterns)),
                              0, variables=True)
    negated = CompiledStatement(Statement(sid=None, effect=Effect.ALLOW, actions=tuple(patterns),
                                          not_action=True), 0, variables=True)
    key = action.lower()
    assert plain.covers_action(key) is not negated.covers_action(key)
    assert any(reference.glob(p.lower(), key) for p in patterns) is plain.covers_action(key)


@SETTINGS
@given(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=3),
       st.sampled_from(RESOURCES))
def test_not_resource_is_the_complement_of_resource(patterns: list[str], resource: str) -> None:
    """`NotResource: X` covers exactly the resources `Resource: X` does not."""
    with_resource = principal_of([[{"Effect": "Allow", "Action": "*", "Resource": patterns}]])
    with_not = principal_of([[{"Effect": "Allow", "Action": "*", "NotResource": patterns}]])
    req = request("s3:GetObject", resource)
    assert evaluate(req, with_resource).allowed is not evaluate(req, with_not).allowed
