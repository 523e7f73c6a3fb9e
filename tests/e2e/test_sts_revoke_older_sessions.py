"""AWS's "revoke active sessions": an inline deny on `aws:TokenIssueTime` older than a moment,
as the IAM console writes it (policy `AWSRevokeOlderSponsorSessions`), with real boto3."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import Server, client
from tests.e2e.test_iam_users_keys import error_code
from tests.e2e.test_sts_assume_role import _clients, _role, _trust, _user

SECONDS = 900


def _revoke_older_than(moment: datetime) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Action": ["*"], "Resource": ["*"],
        "Condition": {"DateLessThan": {
            "aws:TokenIssueTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}}}]})


def _issued(answer: dict[str, Any]) -> datetime:
    expiration: datetime = answer["Credentials"]["Expiration"]
    return expiration - timedelta(seconds=SECONDS)


def test_deny_on_token_issue_time_refuses_older_sessions_only(server: Server, iam: Any) -> None:
    """Sessions issued before the moment are refused every call but GetCallerIdentity; sessions
    issued at or after it, and the role's long-term trust, keep working."""
    user, sts = _user(server, iam, "sponsor")
    role = _role(iam, "revocable", _trust(user["Arn"]))
    old = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="old", DurationSeconds=SECONDS)
    # Issue times have one-second precision: assume again until the clock has moved on.
    new = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="new", DurationSeconds=SECONDS)
    for _ in range(400):
        if _issued(new) > _issued(old):
            break
        new = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="new",
                              DurationSeconds=SECONDS)
    assert _issued(new) > _issued(old)
    old_sts, old_iam = _clients(server, old["Credentials"])
    new_sts, new_iam = _clients(server, new["Credentials"])
    assert "revocable" in {r["RoleName"] for r in old_iam.list_roles()["Roles"]}

    iam.put_role_policy(RoleName="revocable", PolicyName="AWSRevokeOlderSponsorSessions",
                        PolicyDocument=_revoke_older_than(_issued(new)))

    with pytest.raises(ClientError) as denied:
        old_iam.list_roles()
    assert ("AccessDenied", 403) == error_code(denied)
    assert "is not authorized to perform: iam:ListRoles" in str(denied.value)
    with pytest.raises(ClientError) as chained:
        old_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="chain")
    assert ("AccessDenied", 403) == error_code(chained)
    # GetCallerIdentity works even under the deny, as in AWS
    assert old["AssumedRoleUser"]["Arn"] == old_sts.get_caller_identity()["Arn"]
    # the session issued at the moment, and one issued after it, are not affected
    assert "revocable" in {r["RoleName"] for r in new_iam.list_roles()["Roles"]}
    after = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="after",
                            DurationSeconds=SECONDS)
    _, after_iam = _clients(server, after["Credentials"])
    assert "revocable" in {r["RoleName"] for r in after_iam.list_roles()["Roles"]}
    assert new["AssumedRoleUser"]["Arn"] == new_sts.get_caller_identity()["Arn"]


def test_deny_on_token_issue_time_spares_long_term_keys(server: Server, iam: Any) -> None:
    """A long-term key has no `aws:TokenIssueTime`: the same deny on a user refuses its older
    GetSessionToken session and leaves its long-term key working."""
    user, user_sts = _user(server, iam, "keeper")
    role = _role(iam, "kept", _trust(user["Arn"]))
    session = user_sts.get_session_token(DurationSeconds=SECONDS)["Credentials"]
    session_sts = client(server, "sts", session["AccessKeyId"], session["SecretAccessKey"],
                         session["SessionToken"])
    assert session_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="before")
    issued = session["Expiration"] - timedelta(seconds=SECONDS)
    iam.put_user_policy(UserName="keeper", PolicyName="AWSRevokeOlderSponsorSessions",
                        PolicyDocument=_revoke_older_than(issued + timedelta(seconds=1)))
    with pytest.raises(ClientError) as denied:
        session_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="after")
    assert ("AccessDenied", 403) == error_code(denied)
    assert user_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="long-term")
