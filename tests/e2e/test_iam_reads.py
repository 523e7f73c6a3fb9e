"""Read operations through boto3 and the AWS CLI: shapes parse, pagination, last use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import Account, Server, client
from tests.e2e.test_iam_users_keys import error_code

POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]}


def test_reads_return_what_was_written(iam: Any, account: Account) -> None:
    """Users, groups, policies, tags, versions and summaries read back as written."""
    for name in ("u1", "u2", "u3"):
        iam.create_user(UserName=name, Path="/p/")
    page = iam.list_users(MaxItems=2)
    assert (["u1", "u2"], True) == ([u["UserName"] for u in page["Users"]], page["IsTruncated"])
    rest = iam.list_users(Marker=page["Marker"])
    assert ["u3"] == [u["UserName"] for u in rest["Users"]]
    keys = sorted(iam.create_access_key(UserName="u3")["AccessKey"]["AccessKeyId"]
                  for _ in range(2))
    first = iam.list_access_keys(UserName="u3", MaxItems=1)
    second = iam.list_access_keys(UserName="u3", MaxItems=1, Marker=first["Marker"])
    assert (True, False) == (first["IsTruncated"], second["IsTruncated"])
    assert keys == [k["AccessKeyId"] for k in
                    first["AccessKeyMetadata"] + second["AccessKeyMetadata"]]
    assert [] == iam.list_access_keys(UserName="u2")["AccessKeyMetadata"]
    for key in keys:
        iam.delete_access_key(UserName="u3", AccessKeyId=key)
    iam.tag_user(UserName="u1", Tags=[{"Key": "team", "Value": "blue"}])
    assert [{"Key": "team", "Value": "blue"}] == iam.list_user_tags(UserName="u1")["Tags"]
    iam.create_group(GroupName="g")
    iam.add_user_to_group(GroupName="g", UserName="u1")
    assert ["u1"] == [u["UserName"] for u in iam.get_group(GroupName="g")["Users"]]
    assert ["g"] == [g["GroupName"] for g in iam.list_groups_for_user(UserName="u1")["Groups"]]
    arn = iam.create_policy(PolicyName="getters", PolicyDocument=json.dumps(POLICY))[
        "Policy"]["Arn"]
    iam.attach_user_policy(UserName="u1", PolicyArn=arn)
    assert [arn] == [p["PolicyArn"] for p in
                     iam.list_attached_user_policies(UserName="u1")["AttachedPolicies"]]
    assert 1 == iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert POLICY == version["Document"]  # botocore URL-decodes and parses the document
    iam.put_user_policy(UserName="u2", PolicyName="inline", PolicyDocument=json.dumps(POLICY))
    assert ["inline"] == iam.list_user_policies(UserName="u2")["PolicyNames"]
    assert POLICY == iam.get_user_policy(UserName="u2", PolicyName="inline")["PolicyDocument"]
    summary = iam.get_account_summary()["SummaryMap"]
    assert (3, 1, 1) == (summary["Users"], summary["Groups"], summary["Policies"])
    with pytest.raises(ClientError) as missing:
        iam.get_group(GroupName="nope")
    assert ("NoSuchEntity", 404) == error_code(missing)
    with pytest.raises(ClientError) as conflict:
        iam.delete_user(UserName="u1")
    assert ("DeleteConflict", 409) == error_code(conflict)


def test_access_key_last_used_is_recorded(server: Server, iam: Any) -> None:
    """A key that signed a request reports when and for which service."""
    iam.create_user(UserName="worker")
    key = iam.create_access_key(UserName="worker")["AccessKey"]
    before = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert ("N/A", "N/A") == (before["ServiceName"], before["Region"])
    assert "LastUsedDate" not in before
    worker = client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError):
        worker.list_users()  # authenticated (then denied): a use all the same
    deadline = time.monotonic() + 10
    while True:
        used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
        if "LastUsedDate" in used or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert ("iam", "us-east-1") == (used["ServiceName"], used["Region"])
    assert "LastUsedDate" in used


def test_aws_cli_manages_users_and_keys(server: Server, account: Account,
                                        tmp_path: Path) -> None:
    """The real AWS CLI creates, lists and deletes with the account's root key."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": account.access_key_id,
           "AWS_SECRET_ACCESS_KEY": account.secret_access_key, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    aws = [sys.executable, "-m", "awscli", "iam", "--endpoint-url", server.url, "--output", "json"]

    def run(*args: str) -> Any:
        done = subprocess.run([*aws, *args], env=env, capture_output=True, text=True,
                              timeout=60, check=False)
        assert 0 == done.returncode, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    assert "cli-user" == run("create-user", "--user-name", "cli-user")["User"]["UserName"]
    key = run("create-access-key", "--user-name", "cli-user")["AccessKey"]
    listed = run("list-access-keys", "--user-name", "cli-user")["AccessKeyMetadata"]
    assert [(key["AccessKeyId"], "Active")] == [(k["AccessKeyId"], k["Status"]) for k in listed]
    run("delete-access-key", "--user-name", "cli-user", "--access-key-id", key["AccessKeyId"])
    run("delete-user", "--user-name", "cli-user")
    refused = subprocess.run([*aws, "get-user", "--user-name", "cli-user"], env=env,
                             capture_output=True, text=True, timeout=60, check=False)
    assert 0 != refused.returncode
    assert "NoSuchEntity" in refused.stderr
