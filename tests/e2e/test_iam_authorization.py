"""Every IAM call is authorized through domain/policy, as AWS does it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import Account, Server, client, create_account
from tests.e2e.test_iam_users_keys import error_code

SELF_KEYS = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "iam:CreateAccessKey",
    "Resource": "arn:aws:iam::*:user/${aws:username}"}]})


def user_client(server: Server, iam: Any, name: str) -> Any:
    """A boto3 IAM client signed with a fresh key of user `name`."""
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"])


def test_user_may_create_keys_only_for_itself(server: Server, iam: Any) -> None:
    """`iam:CreateAccessKey` on user/${aws:username}: own keys yes, another user's no."""
    iam.create_user(UserName="dana")
    iam.create_user(UserName="erin")
    iam.put_user_policy(UserName="dana", PolicyName="self-keys", PolicyDocument=SELF_KEYS)
    dana = user_client(server, iam, "dana")
    assert "dana" == dana.create_access_key()["AccessKey"]["UserName"]
    with pytest.raises(ClientError) as denied:
        dana.create_access_key(UserName="erin")
    assert ("AccessDenied", 403) == error_code(denied)
    assert [] == iam.list_access_keys(UserName="erin")["AccessKeyMetadata"]


def test_other_account_root_cannot_touch_this_account(server: Server, iam: Any,
                                                      account: Account) -> None:
    """Another account's root user acts in its own account only."""
    iam.create_user(UserName="frank")
    other = create_account(server)
    intruder = client(server, "iam", other.access_key_id, other.secret_access_key)
    with pytest.raises(ClientError) as missing:
        intruder.delete_user(UserName="frank")
    assert ("NoSuchEntity", 404) == error_code(missing)
    assert "frank" == iam.get_user(UserName="frank")["User"]["UserName"]


def test_group_policy_grants_and_detach_revokes(server: Server, iam: Any,
                                                account: Account) -> None:
    """A managed policy attached to the user's group allows; detaching it denies again."""
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"}]})
    arn = iam.create_policy(PolicyName="creators", PolicyDocument=document)["Policy"]["Arn"]
    assert f"arn:aws:iam::{account.account_id}:policy/creators" == arn
    iam.create_group(GroupName="ops")
    iam.create_user(UserName="gina")
    iam.add_user_to_group(GroupName="ops", UserName="gina")
    iam.attach_group_policy(GroupName="ops", PolicyArn=arn)
    gina = user_client(server, iam, "gina")
    assert "made-by-gina" == gina.create_user(UserName="made-by-gina")["User"]["UserName"]
    with pytest.raises(ClientError) as conflict:
        iam.delete_policy(PolicyArn=arn)
    assert ("DeleteConflict", 409) == error_code(conflict)
    iam.detach_group_policy(GroupName="ops", PolicyArn=arn)
    with pytest.raises(ClientError) as denied:
        gina.create_user(UserName="second")
    assert ("AccessDenied", 403) == error_code(denied)


def test_policy_errors(iam: Any) -> None:
    """Malformed documents, duplicate names and version limits get AWS's codes."""
    with pytest.raises(ClientError) as malformed:
        iam.create_policy(PolicyName="bad", PolicyDocument='{"Version": "2012-10-17"}')
    assert ("MalformedPolicyDocument", 400) == error_code(malformed)
    good = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    arn = iam.create_policy(PolicyName="p", PolicyDocument=good)["Policy"]["Arn"]
    with pytest.raises(ClientError) as exists:
        iam.create_policy(PolicyName="P", PolicyDocument=good)
    assert ("EntityAlreadyExists", 409) == error_code(exists)
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=good)
    with pytest.raises(ClientError) as limit:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=good)
    assert ("LimitExceeded", 409) == error_code(limit)
