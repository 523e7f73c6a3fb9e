"""boto3's IAM client against a real server: roles, their trust and permission policies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import Account
from tests.e2e.test_iam_users_keys import error_code

TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
    "Action": "sts:AssumeRole"}]}
ALLOW = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


def refused(call: Any, **kwargs: Any) -> tuple[str, int]:
    """The AWS error code and HTTP status `call(**kwargs)` is refused with."""
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return error_code(exc)


def test_create_get_list_update(iam: Any, account: Account) -> None:
    """CreateRole's shape parses; refusals for bad input; GetRole, ListRoles pages, updates."""
    role = iam.create_role(RoleName="deployer", Path="/app/",
                           AssumeRolePolicyDocument=json.dumps(TRUST), Description="deploys",
                           MaxSessionDuration=7200, Tags=[{"Key": "team", "Value": "ops"}])["Role"]
    assert ("deployer", "/app/", f"arn:aws:iam::{account.account_id}:role/app/deployer",
            TRUST, 7200, "deploys") == (
        role["RoleName"], role["Path"], role["Arn"], role["AssumeRolePolicyDocument"],
        role["MaxSessionDuration"], role["Description"])
    assert role["RoleId"].startswith("AROA")

    no_principal = json.dumps(ALLOW)
    assert ("MalformedPolicyDocument", 400) == refused(
        iam.create_role, RoleName="bad", AssumeRolePolicyDocument=no_principal)
    assert ("ValidationError", 400) == refused(
        iam.create_role, RoleName="long", AssumeRolePolicyDocument=json.dumps(TRUST),
        MaxSessionDuration=43_201)
    assert ("EntityAlreadyExists", 409) == refused(
        iam.create_role, RoleName="DEPLOYER", AssumeRolePolicyDocument=json.dumps(TRUST))

    got = iam.get_role(RoleName="deployer")["Role"]
    assert (role["RoleId"], TRUST, [{"Key": "team", "Value": "ops"}]) == (
        got["RoleId"], got["AssumeRolePolicyDocument"], got["Tags"])

    for name in ("b-role", "c-role"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    first = iam.list_roles(MaxItems=2)
    rest = iam.list_roles(Marker=first["Marker"])
    assert (["b-role", "c-role"], True, ["deployer"]) == (
        [r["RoleName"] for r in first["Roles"]], first["IsTruncated"],
        [r["RoleName"] for r in rest["Roles"]])
    assert ["deployer"] == [r["RoleName"] for r in iam.list_roles(PathPrefix="/app/")["Roles"]]
    names = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate(
        PaginationConfig={"PageSize": 1}) for r in page["Roles"]]
    assert ["b-role", "c-role", "deployer"] == names

    iam.update_role(RoleName="deployer", Description="ships", MaxSessionDuration=3600)
    got = iam.get_role(RoleName="deployer")["Role"]
    assert ("ships", 3600) == (got["Description"], got["MaxSessionDuration"])
    assert ("ValidationError", 400) == refused(iam.update_role, RoleName="deployer",
                                               MaxSessionDuration=50_000)

    ecs = {**TRUST, "Statement": [{**TRUST["Statement"][0],
                                   "Principal": {"Service": "ecs.amazonaws.com"}}]}
    iam.update_assume_role_policy(RoleName="deployer", PolicyDocument=json.dumps(ecs))
    assert ecs == iam.get_role(RoleName="deployer")["Role"]["AssumeRolePolicyDocument"]
    assert ("MalformedPolicyDocument", 400) == refused(
        iam.update_assume_role_policy, RoleName="deployer", PolicyDocument=no_principal)


def test_policies_boundary_tags_and_delete(iam: Any, account: Account) -> None:
    """Attach/detach, inline policies, boundary, tags; DeleteConflict, then delete, then gone."""
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=json.dumps(TRUST))
    arn = iam.create_policy(PolicyName="s3", PolicyDocument=json.dumps(ALLOW))["Policy"]["Arn"]

    iam.attach_role_policy(RoleName="worker", PolicyArn=arn)
    assert [{"PolicyName": "s3", "PolicyArn": arn}] == iam.list_attached_role_policies(
        RoleName="worker")["AttachedPolicies"]
    assert 1 == iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"]
    assert ("DeleteConflict", 409) == refused(iam.delete_role, RoleName="worker")
    iam.detach_role_policy(RoleName="worker", PolicyArn=arn)
    assert [] == iam.list_attached_role_policies(RoleName="worker")["AttachedPolicies"]
    assert ("NoSuchEntity", 404) == refused(iam.detach_role_policy, RoleName="worker",
                                            PolicyArn=arn)

    iam.put_role_policy(RoleName="worker", PolicyName="own", PolicyDocument=json.dumps(ALLOW))
    assert ["own"] == iam.list_role_policies(RoleName="worker")["PolicyNames"]
    inline = iam.get_role_policy(RoleName="worker", PolicyName="own")
    assert ("worker", "own", ALLOW) == (inline["RoleName"], inline["PolicyName"],
                                        inline["PolicyDocument"])
    assert ("DeleteConflict", 409) == refused(iam.delete_role, RoleName="worker")
    iam.delete_role_policy(RoleName="worker", PolicyName="own")
    assert ("NoSuchEntity", 404) == refused(iam.get_role_policy, RoleName="worker",
                                            PolicyName="own")

    bounded = iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=json.dumps(TRUST),
                              PermissionsBoundary=arn)["Role"]
    assert arn == bounded["PermissionsBoundary"]["PermissionsBoundaryArn"]
    assert arn == iam.get_role(RoleName="bounded")["Role"]["PermissionsBoundary"][
        "PermissionsBoundaryArn"]
    iam.delete_role(RoleName="bounded")
    iam.put_role_permissions_boundary(RoleName="worker", PermissionsBoundary=arn)
    assert arn == iam.get_role(RoleName="worker")["Role"]["PermissionsBoundary"][
        "PermissionsBoundaryArn"]
    assert 1 == iam.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"]
    iam.delete_role_permissions_boundary(RoleName="worker")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="worker")["Role"]

    iam.tag_role(RoleName="worker", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.untag_role(RoleName="worker", TagKeys=["A"])
    assert [{"Key": "b", "Value": "2"}] == iam.list_role_tags(RoleName="worker")["Tags"]

    summary = iam.get_account_summary()["SummaryMap"]
    assert (1, 1000) == (summary["Roles"], summary["RolesQuota"])

    iam.delete_role(RoleName="worker")
    assert ("NoSuchEntity", 404) == refused(iam.get_role, RoleName="worker")
    assert ("NoSuchEntity", 404) == refused(iam.delete_role, RoleName="worker")
    assert ("NoSuchEntity", 404) == refused(iam.list_role_tags, RoleName="worker")
    assert [] == iam.list_roles()["Roles"]
    iam.delete_policy(PolicyArn=arn)
