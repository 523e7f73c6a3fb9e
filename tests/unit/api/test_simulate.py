"""Simulation answers from `domain.policy` decisions, without a server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.policy import (
    Effect,
    MatchedStatement,
    PolicyKind,
    PolicySource,
    Principal,
    PrincipalPolicies,
    compile_policy,
    parse_policy,
)
from services.api.iam.simulate import (
    InvalidInput,
    Simulation,
    _context,
    _statement,
    simulate,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ACCOUNT = "123456789012"


def compiled(policy_id: str, *statements: dict[str, Any]) -> Any:
    """A compiled managed-policy document of `statements`."""
    text = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    return compile_policy(parse_policy(text, PolicyKind.MANAGED), policy_id)


def run(policies: PrincipalPolicies, actions: list[str], resources: list[str] | None = None,
        context: dict[str, str | list[str]] | None = None) -> list[dict[str, Any]]:
    """The evaluation results of a user `sim` with `policies`."""
    principal = Principal.user(ACCOUNT, "sim", "AIDAEXAMPLE")
    return list(simulate(Simulation(principal, policies, None, actions, resources or ["*"],
                                    context or {}), NOW))


def test_deny_lists_only_the_denying_statement() -> None:
    """An explicit deny reports the Deny statement, not the Allow it overrides."""
    allow = compiled("PolicyInputList.1", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    deny = compiled("PolicyInputList.2", {"Effect": "Deny", "Action": "s3:Delete*",
                                          "Resource": "*"})
    [result] = run(PrincipalPolicies(identity=(allow, deny)), ["s3:DeleteObject"])
    assert "explicitDeny" == result["EvalDecision"]
    assert [{"SourcePolicyId": "PolicyInputList.2", "SourcePolicyType": "none"}] == result[
        "MatchedStatements"]


def test_boundary_denies_and_reports_its_detail() -> None:
    """Allowed by identity but outside the boundary: implicitDeny, not allowed by boundary."""
    allow = compiled("PolicyInputList.1", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    boundary = compiled("PermissionsBoundaryPolicyInputList.1",
                        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"})
    get, put = run(PrincipalPolicies(identity=(allow,), boundary=boundary),
                   ["s3:GetObject", "s3:PutObject"])
    assert ("allowed", {"AllowedByPermissionsBoundary": True}) == (
        get["EvalDecision"], get["PermissionsBoundaryDecisionDetail"])
    assert ("implicitDeny", {"AllowedByPermissionsBoundary": False}) == (
        put["EvalDecision"], put["PermissionsBoundaryDecisionDetail"])


def test_missing_context_goes_per_resource_for_an_arn() -> None:
    """Keys a condition needs but the context lacks: top level for `*`, per resource else."""
    policy = compiled("PolicyInputList.1", {
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringEquals": {"s3:prefix": "home/"}}})
    star, arn = run(PrincipalPolicies(identity=(policy,)), ["s3:GetObject"],
                    ["*", "arn:aws:s3:::b"])
    assert ["s3:prefix"] == star["MissingContextValues"]
    assert [] == arn["MissingContextValues"]
    assert ["s3:prefix"] == arn["ResourceSpecificResults"][0]["MissingContextValues"]
    [given] = run(PrincipalPolicies(identity=(policy,)), ["s3:GetObject"],
                  context={"s3:prefix": "home/"})
    assert ("allowed", []) == (given["EvalDecision"], given["MissingContextValues"])


@pytest.mark.parametrize(("policy_id", "expected"), [
    ("user/sim/inline", {"SourcePolicyId": "inline", "SourcePolicyType": "user"}),
    ("group/ops/shared", {"SourcePolicyId": "shared", "SourcePolicyType": "group"}),
    (f"arn:aws:iam::{ACCOUNT}:policy/team/mine",
     {"SourcePolicyId": "mine", "SourcePolicyType": "user-managed"}),
    ("arn:aws:iam::aws:policy/ReadOnlyAccess",
     {"SourcePolicyId": "ReadOnlyAccess", "SourcePolicyType": "aws-managed"}),
])
def test_statement_names_its_policy(policy_id: str, expected: dict[str, str]) -> None:
    """Policy ids of `domain.authorization` become AWS's SourcePolicyId and type."""
    matched = MatchedStatement(policy_id, PolicySource.IDENTITY, 0, None, Effect.ALLOW)
    assert expected == _statement(matched)


def test_context_entries_keep_lists_and_refuse_many_scalars() -> None:
    """List types stay lists; a scalar type with several values is InvalidInput."""
    assert {"aws:SourceIp": "10.0.0.1", "s3:tags": ["a", "b"]} == _context([
        {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.0.0.1"],
         "ContextKeyType": "ip"},
        {"ContextKeyName": "s3:tags", "ContextKeyValues": ["a", "b"],
         "ContextKeyType": "stringList"}])
    with pytest.raises(InvalidInput):
        _context([{"ContextKeyName": "k", "ContextKeyValues": ["a", "b"],
                   "ContextKeyType": "string"}])


def test_resource_policy_naming_the_caller_allows() -> None:
    """A resource policy that names the simulated user allows without identity policies."""
    text = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "Grant", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/sim"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]})
    resource = compile_policy(parse_policy(text, PolicyKind.RESOURCE), "ResourcePolicy")
    principal = Principal.user(ACCOUNT, "sim", "AIDAEXAMPLE")
    [result] = simulate(Simulation(principal, PrincipalPolicies(), resource, ["s3:GetObject"],
                                   ["arn:aws:s3:::b/k"], {}), NOW)
    assert "allowed" == result["EvalDecision"]
    assert [{"SourcePolicyId": "ResourcePolicy", "SourcePolicyType": "resource"}] == result[
        "MatchedStatements"]
