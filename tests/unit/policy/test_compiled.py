"""Compilation happens once: evaluation parses nothing and compiles no regex."""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

import pytest

from domain.policy import (
    PolicyKind,
    Principal,
    PrincipalPolicies,
    compile_policy,
    evaluate,
    parse_policy,
)
from domain.policy.compiled import compiled_body_count

from .builders import ALICE, allow, compiled, deny, document, request

RICH = [
    allow(["s3:Get*", "s3:List?ucket"], ["arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::c/*"],
          Condition={"StringLike": {"s3:prefix": "home/${aws:username}/*"},
                     "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
    deny("s3:Delete*", "*", Condition={
        "DateLessThan": {"aws:TokenIssueTime": "2026-01-01"},
        "ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:${aws:userid}"}}),
    {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*",
     "Condition": {"NumericLessThan": {"s3:max-keys": 100}, "Bool": {"aws:SecureTransport": True},
                   "ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": ["A"]},
                   "BinaryEqualsIfExists": {"s3:blob": "QUJD"}, "Null": {"aws:x": "true"}}},
]


def test_same_document_compiles_once() -> None:
    """Policies with the same content share one compiled body, whatever their ids."""
    text = document(allow("s3:GetObject", "arn:aws:s3:::shared-compile-test/*"))
    before = compiled_body_count()
    first = compile_policy(parse_policy(text, PolicyKind.MANAGED), "ANPA1")
    second = compile_policy(parse_policy(" " + text + "\n", PolicyKind.MANAGED), "ANPA2")
    assert first.body is second.body
    assert before + 1 == compiled_body_count()
    assert ("ANPA1", "ANPA2") == (first.policy_id, second.policy_id)


def test_explanations_keep_each_policy_id() -> None:
    """A shared body still reports the id of the policy that matched."""
    statement = allow("s3:GetObject")
    decision = evaluate(request(), PrincipalPolicies(identity=(
        compiled(statement, policy_id="first"), compiled(statement, policy_id="second"))))
    assert ["first:#0", "second:#0"] == [m.label for m in decision.matched]


def _refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise AssertionError("evaluation must not parse or compile")


@pytest.mark.parametrize("action", ["s3:GetObject", "s3:DeleteObject", "sqs:SendMessage",
                                    "iam:CreateUser"])
def test_evaluation_compiles_no_regex_and_parses_no_json(monkeypatch: pytest.MonkeyPatch,
                                                         action: str) -> None:
    """With re compilation and json parsing disabled, decisions still come out right."""
    principal = PrincipalPolicies(identity=(compiled(*RICH, policy_id="rich"),))
    fresh = [request(action, resource, context={
        "s3:prefix": "home/alice/x", "aws:SourceIp": ip, "aws:TokenIssueTime": "2025-06-01",
        "aws:SourceArn": "arn:aws:sns:us-east-1:1:AIDAALICE0000000000", "s3:max-keys": 5,
        "aws:SecureTransport": True, "aws:TagKeys": ["a"], "s3:blob": b"ABC"})
        for resource in ("arn:aws:s3:::b/alice/k", "arn:aws:s3:::c/k", "arn:aws:s3:::secret/k")
        for ip in ("10.1.1.1", "192.0.2.1")]
    expected = [evaluate(r, principal).effect for r in fresh]
    monkeypatch.setattr(re, "_compile", _refuse)
    monkeypatch.setattr(json, "loads", _refuse)
    again = [evaluate(request(r.action, r.resource, context=r.context), principal).effect
             for r in fresh]
    assert expected == again


def test_rich_policy_decisions() -> None:
    """The rich policy used above decides as its statements say."""
    principal = PrincipalPolicies(identity=(compiled(*RICH, policy_id="rich"),))
    context: dict[str, Any] = {"s3:prefix": "home/alice/x", "aws:SourceIp": "10.1.1.1",
                               "aws:SecureTransport": True, "s3:max-keys": 5,
                               "aws:TagKeys": ["a"]}
    assert evaluate(request("s3:GetObject", "arn:aws:s3:::b/alice/k", context=context),
                    principal).allowed
    assert not evaluate(request("iam:CreateUser", "*", context=context), principal).allowed
    deleted = evaluate(request("s3:DeleteObject", "arn:aws:s3:::b/alice/k", context={
        **context, "aws:TokenIssueTime": "2025-06-01",
        "aws:SourceArn": "arn:aws:sns:us-east-1:1:AIDAALICE0000000000"}), principal)
    assert "ExplicitDeny" == deleted.effect


def test_remembered_condition_outcomes_follow_the_values() -> None:
    """A shared condition answers each request by its own values, in any order."""
    principal = PrincipalPolicies(identity=(compiled(allow("s3:GetObject", Condition={
        "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),))
    answers = [evaluate(request(context={"aws:SourceIp": ip}), principal).allowed
               for ip in ("10.0.0.1", "192.0.2.1", "10.0.0.1", "192.0.2.1")]
    assert [True, False, True, False] == answers


def test_conditions_with_variables_are_not_remembered_across_callers() -> None:
    """Equal request values give different answers when a policy variable differs."""
    bob = Principal.user("111122223333", "bob", "AIDABOB")
    principal = PrincipalPolicies(identity=(compiled(allow("s3:GetObject", Condition={
        "StringEquals": {"s3:prefix": "${aws:username}"}})),))
    same_value = {"s3:prefix": "alice"}
    assert evaluate(request(context=same_value), principal).allowed
    assert not evaluate(request(context=same_value, principal=bob), principal).allowed
    assert evaluate(request(context=same_value), principal).allowed


def test_remembered_statement_selection_still_substitutes_variables() -> None:
    """One principal's statement memo per (action, resource) keeps variables per request."""
    bob = Principal.user("111122223333", "bob", "AIDABOB")
    principal = PrincipalPolicies(identity=(compiled(
        allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"),
        {"Effect": "Allow", "Action": "s3:PutObject",
         "NotResource": "arn:aws:s3:::home/${aws:username}/*"}),))
    alices = "arn:aws:s3:::home/alice/k"
    decisions = [evaluate(request(action, alices, principal=who), principal).allowed
                 for action in ("s3:GetObject", "s3:PutObject") for who in (ALICE, bob, ALICE)]
    assert [True, False, True, False, True, False] == decisions
