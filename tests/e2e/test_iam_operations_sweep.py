"""Every remaining IAM operation once through boto3: its success shape parses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import Account
from tests.e2e.test_iam_users_keys import error_code

ALLOW = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


def test_operation_sweep(iam: Any, account: Account) -> None:
    """Users, groups, versions, boundaries and inline group policies, created and undone."""
    iam.create_user(UserName="ivy")
    iam.update_user(UserName="ivy", NewUserName="ivy2", NewPath="/moved/")
    assert "/moved/" == iam.get_user(UserName="ivy2")["User"]["Path"]
    iam.tag_user(UserName="ivy2", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.untag_user(UserName="ivy2", TagKeys=["a"])
    assert ["b"] == [t["Key"] for t in iam.list_user_tags(UserName="ivy2")["Tags"]]

    iam.create_group(GroupName="crew")
    assert ["crew"] == [g["GroupName"] for g in iam.list_groups()["Groups"]]
    iam.add_user_to_group(GroupName="crew", UserName="ivy2")
    iam.put_group_policy(GroupName="crew", PolicyName="s3", PolicyDocument=json.dumps(ALLOW))
    assert ["s3"] == iam.list_group_policies(GroupName="crew")["PolicyNames"]
    assert ALLOW == iam.get_group_policy(GroupName="crew", PolicyName="s3")["PolicyDocument"]

    arn = iam.create_policy(PolicyName="managed", PolicyDocument=json.dumps(ALLOW))[
        "Policy"]["Arn"]
    assert [arn] == [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]]
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(ALLOW))[
        "PolicyVersion"]["VersionId"]
    iam.set_default_policy_version(PolicyArn=arn, VersionId=v2)
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert {("v1", False), (v2, True)} == {(v["VersionId"], v["IsDefaultVersion"])
                                          for v in versions}
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    iam.attach_group_policy(GroupName="crew", PolicyArn=arn)
    assert [arn] == [p["PolicyArn"] for p in
                     iam.list_attached_group_policies(GroupName="crew")["AttachedPolicies"]]
    iam.attach_user_policy(UserName="ivy2", PolicyArn=arn)
    iam.detach_user_policy(UserName="ivy2", PolicyArn=arn)
    iam.put_user_permissions_boundary(UserName="ivy2", PermissionsBoundary=arn)
    assert arn == iam.get_user(UserName="ivy2")["User"]["PermissionsBoundary"][
        "PermissionsBoundaryArn"]
    iam.delete_user_permissions_boundary(UserName="ivy2")
    iam.put_user_policy(UserName="ivy2", PolicyName="own", PolicyDocument=json.dumps(ALLOW))
    iam.delete_user_policy(UserName="ivy2", PolicyName="own")

    with pytest.raises(ClientError) as members:
        iam.delete_group(GroupName="crew")
    assert ("DeleteConflict", 409) == error_code(members)
    iam.remove_user_from_group(GroupName="crew", UserName="ivy2")
    iam.detach_group_policy(GroupName="crew", PolicyArn=arn)
    iam.delete_group_policy(GroupName="crew", PolicyName="s3")
    iam.delete_group(GroupName="crew")
    iam.delete_policy(PolicyArn=arn)
    iam.delete_user(UserName="ivy2")
    assert [] == iam.list_users()["Users"]
    assert [] == iam.list_groups()["Groups"]
