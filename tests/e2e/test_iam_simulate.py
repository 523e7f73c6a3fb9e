"""SimulatePrincipalPolicy and SimulateCustomPolicy through boto3, decided by domain/policy."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import Account, Server
from tests.e2e.test_iam_authorization import user_client
from tests.e2e.test_iam_users_keys import error_code


def document(*statements: dict[str, Any]) -> str:
    """A policy document of `statements`."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


S3_ALLOW = document({"Sid": "ReadBuckets", "Effect": "Allow", "Action": "s3:*",
                     "Resource": "*"})
S3_DENY = document({"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject",
                    "Resource": "*"})


def decisions(answer: dict[str, Any]) -> dict[str, str]:
    """`EvalActionName` → `EvalDecision` of a simulation answer."""
    return {r["EvalActionName"]: r["EvalDecision"] for r in answer["EvaluationResults"]}


def test_user_allow_deny_and_implicit(iam: Any, account: Account) -> None:
    """Inline Allow and Deny: allowed, explicitDeny, implicitDeny, with the deciding statements."""
    iam.create_user(UserName="sim")
    iam.put_user_policy(UserName="sim", PolicyName="s3-all", PolicyDocument=S3_ALLOW)
    iam.put_user_policy(UserName="sim", PolicyName="no-delete", PolicyDocument=S3_DENY)
    answer = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{account.account_id}:user/sim",
        ActionNames=["s3:GetObject", "s3:DeleteObject", "ec2:RunInstances"])
    assert {"s3:GetObject": "allowed", "s3:DeleteObject": "explicitDeny",
            "ec2:RunInstances": "implicitDeny"} == decisions(answer)
    by_action = {r["EvalActionName"]: r for r in answer["EvaluationResults"]}
    assert [{"SourcePolicyId": "s3-all", "SourcePolicyType": "user"}] == by_action[
        "s3:GetObject"]["MatchedStatements"]
    assert [{"SourcePolicyId": "no-delete", "SourcePolicyType": "user"}] == by_action[
        "s3:DeleteObject"]["MatchedStatements"]
    assert [] == by_action["ec2:RunInstances"]["MatchedStatements"]
    assert "*" == by_action["s3:GetObject"]["EvalResourceName"]
    assert answer["IsTruncated"] is False


def test_input_policies_resources_and_pages(iam: Any, account: Account) -> None:
    """PolicyInputList adds to the user's policies; every action × resource pair pages."""
    iam.create_user(UserName="plain")
    arn = f"arn:aws:iam::{account.account_id}:user/plain"
    extra = document({"Effect": "Allow", "Action": "s3:GetObject",
                      "Resource": "arn:aws:s3:::public/*"})
    resources = ["arn:aws:s3:::public/a", "arn:aws:s3:::private/b"]
    first = iam.simulate_principal_policy(PolicySourceArn=arn, PolicyInputList=[extra],
                                          ActionNames=["s3:GetObject", "s3:PutObject"],
                                          ResourceArns=resources, MaxItems=3)
    assert first["IsTruncated"] is True
    rest = iam.simulate_principal_policy(PolicySourceArn=arn, PolicyInputList=[extra],
                                         ActionNames=["s3:GetObject", "s3:PutObject"],
                                         ResourceArns=resources, Marker=first["Marker"])
    results = first["EvaluationResults"] + rest["EvaluationResults"]
    assert [("s3:GetObject", resources[0], "allowed"),
            ("s3:GetObject", resources[1], "implicitDeny"),
            ("s3:PutObject", resources[0], "implicitDeny"),
            ("s3:PutObject", resources[1], "implicitDeny")] == [
        (r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"]) for r in results]
    assert [{"SourcePolicyId": "PolicyInputList.1", "SourcePolicyType": "none"}] == results[0][
        "MatchedStatements"]


def test_boundary_input_limits(iam: Any, account: Account) -> None:
    """A boundary input caps the user's permissions and says so in its decision detail."""
    iam.create_user(UserName="bounded")
    iam.put_user_policy(UserName="bounded", PolicyName="s3-all", PolicyDocument=S3_ALLOW)
    boundary = document({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    answer = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{account.account_id}:user/bounded",
        PermissionsBoundaryPolicyInputList=[boundary],
        ActionNames=["s3:GetObject", "s3:PutObject"])
    assert {"s3:GetObject": "allowed", "s3:PutObject": "implicitDeny"} == decisions(answer)
    details = {r["EvalActionName"]: r["PermissionsBoundaryDecisionDetail"]
               for r in answer["EvaluationResults"]}
    assert {"s3:GetObject": {"AllowedByPermissionsBoundary": True},
            "s3:PutObject": {"AllowedByPermissionsBoundary": False}} == details


def test_custom_policy_condition_and_context(iam: Any) -> None:
    """A condition decides on ContextEntries; an absent key is listed as missing."""
    policy = document({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                       "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})
    def simulate(*entries: dict[str, Any]) -> dict[str, Any]:
        answer = iam.simulate_custom_policy(PolicyInputList=[policy],
                                            ActionNames=["s3:GetObject"],
                                            ContextEntries=list(entries))
        return dict(answer["EvaluationResults"][0])

    inside = simulate({"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"],
                       "ContextKeyType": "ip"})
    outside = simulate({"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["192.0.2.1"],
                        "ContextKeyType": "ip"})
    unknown = simulate()
    assert ("allowed", []) == (inside["EvalDecision"], inside["MissingContextValues"])
    assert "implicitDeny" == outside["EvalDecision"]
    assert ("implicitDeny", ["aws:SourceIp"]) == (unknown["EvalDecision"],
                                                  unknown["MissingContextValues"])


def test_malformed_input_and_unknown_user(iam: Any, account: Account) -> None:
    """A bad document is MalformedPolicyDocument; an unknown source user NoSuchEntity."""
    with pytest.raises(ClientError) as malformed:
        iam.simulate_custom_policy(PolicyInputList=['{"Version": "2012-10-17"'],
                                   ActionNames=["s3:GetObject"])
    assert ("MalformedPolicyDocument", 400) == error_code(malformed)
    with pytest.raises(ClientError) as missing:
        iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{account.account_id}:user/nobody",
            ActionNames=["s3:GetObject"])
    assert ("NoSuchEntity", 404) == error_code(missing)


def test_simulation_needs_permission(server: Server, iam: Any, account: Account) -> None:
    """A user without iam:SimulatePrincipalPolicy on the source is refused; with it, answered."""
    iam.create_user(UserName="curious")
    iam.create_user(UserName="target")
    curious = user_client(server, iam, "curious")
    target = f"arn:aws:iam::{account.account_id}:user/target"
    with pytest.raises(ClientError) as denied:
        curious.simulate_principal_policy(PolicySourceArn=target, ActionNames=["s3:GetObject"])
    assert ("AccessDenied", 403) == error_code(denied)
    assert "iam:SimulatePrincipalPolicy" in denied.value.response["Error"]["Message"]
    iam.put_user_policy(UserName="curious", PolicyName="simulate", PolicyDocument=document(
        {"Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy", "Resource": target}))
    answer = curious.simulate_principal_policy(PolicySourceArn=target,
                                               ActionNames=["s3:GetObject"])
    assert {"s3:GetObject": "implicitDeny"} == decisions(answer)
