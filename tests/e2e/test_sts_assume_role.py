"""STS AssumeRole with real boto3: trust policies, two accounts, ExternalId, session policies,
durations, chaining, and the `iamlog.role.assumed` event."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from events.topics import Topics
from tests.e2e.conftest import Account, Server, client, create_account
from tests.e2e.leaks import assert_nowhere
from tests.e2e.test_iam_users_keys import error_code
from tests.integration.harness import read_topic

LIST_USERS = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["iam:ListUsers", "iam:ListRoles"], "Resource": "*"}]})
ASSUME_ANY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})


def _trust(*principals: str, external_id: str | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": list(principals)},
                                 "Action": "sts:AssumeRole"}
    if external_id is not None:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _user(server: Server, iam: Any, name: str, policy: str | None = None) -> tuple[dict[str, Any],
                                                                                  Any]:
    user = iam.create_user(UserName=name)["User"]
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return user, client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"])


def _role(iam: Any, name: str, trust: str, **extra: Any) -> dict[str, Any]:
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, **extra)["Role"]
    iam.put_role_policy(RoleName=name, PolicyName="list", PolicyDocument=LIST_USERS)
    return role


def _clients(server: Server, creds: dict[str, Any]) -> tuple[Any, Any]:
    args = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    return client(server, "sts", *args), client(server, "iam", *args)


def _code(call: Any, **kwargs: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return error_code(raised)


def test_same_account_assume_role_acts_as_the_role(server: Server, iam: Any,
                                                   account: Account) -> None:
    """A trusted user gets ASIA credentials of the role; they may do what the role allows."""
    user, sts = _user(server, iam, "ann")
    role = _role(iam, "reader", _trust(user["Arn"]))
    answer = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ann@work")
    creds = answer["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    arn = f"arn:aws:sts::{account.account_id}:assumed-role/reader/ann@work"
    assert (arn, f"{role['RoleId']}:ann@work") == (
        answer["AssumedRoleUser"]["Arn"], answer["AssumedRoleUser"]["AssumedRoleId"])
    assert "PackedPolicySize" not in answer
    session_sts, session_iam = _clients(server, creds)
    identity = session_sts.get_caller_identity()
    assert (arn, f"{role['RoleId']}:ann@work", account.account_id) == (
        identity["Arn"], identity["UserId"], identity["Account"])
    assert "ann" in {u["UserName"] for u in session_iam.list_users()["Users"]}
    assert ("AccessDenied", 403) == _code(session_iam.list_groups)
    assert ("AccessDenied", 403) == _code(session_iam.create_user, UserName="mallory")
    # without UserName an assumed-role session has no user of its own
    assert ("ValidationError", 400) == _code(session_iam.list_access_keys)


def test_session_policy_narrows_the_role(server: Server, iam: Any) -> None:
    """A session policy intersects: what only the role allows is denied to the session."""
    user, sts = _user(server, iam, "ben")
    role = _role(iam, "narrow", _trust(user["Arn"]))
    only_roles = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["iam:ListRoles", "iam:ListGroups"], "Resource": "*"}]})
    answer = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="narrow",
                             Policy=only_roles)
    assert 0 < answer["PackedPolicySize"] <= 100
    _, session_iam = _clients(server, answer["Credentials"])
    assert "narrow" in {r["RoleName"] for r in session_iam.list_roles()["Roles"]}
    assert ("AccessDenied", 403) == _code(session_iam.list_users)  # role yes, session no
    assert ("AccessDenied", 403) == _code(session_iam.list_groups)  # session yes, role no
    # a managed policy as the session policy works the same way
    managed = iam.create_policy(PolicyName="users-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers",
                                                "Resource": "*"}]}))["Policy"]
    by_arn = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="by-arn",
                             PolicyArns=[{"arn": managed["Arn"]}])
    _, arn_iam = _clients(server, by_arn["Credentials"])
    assert [] != arn_iam.list_users()["Users"]
    assert ("AccessDenied", 403) == _code(arn_iam.list_roles)


def test_refusals_and_limits(server: Server, iam: Any, account: Account) -> None:
    """Root, untrusted callers and missing roles: AccessDenied; durations: ValidationError."""
    user, sts = _user(server, iam, "cid")
    _, stranger = _user(server, iam, "dan", ASSUME_ANY)
    role = _role(iam, "limited", _trust(user["Arn"], f"arn:aws:iam::{account.account_id}:root"),
                 MaxSessionDuration=7200)
    root_sts = client(server, "sts", account.access_key_id, account.secret_access_key)
    assert ("AccessDenied", 403) == _code(root_sts.assume_role, RoleArn=role["Arn"],
                                          RoleSessionName="root")
    missing = f"arn:aws:iam::{account.account_id}:role/nope"
    assert ("AccessDenied", 403) == _code(sts.assume_role, RoleArn=missing,
                                          RoleSessionName="x1")
    other = _role(iam, "other", _trust(f"arn:aws:iam::{account.account_id}:user/nobody"))
    assert ("AccessDenied", 403) == _code(sts.assume_role, RoleArn=other["Arn"],
                                          RoleSessionName="x1")
    assert ("AccessDenied", 403) == _code(stranger.assume_role, RoleArn=other["Arn"],
                                          RoleSessionName="x1")
    with pytest.raises(ClientError) as too_long:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="long", DurationSeconds=7201)
    assert ("ValidationError", 400) == error_code(too_long)
    assert "exceeds the MaxSessionDuration set for this role" in str(too_long.value)
    key = iam.create_access_key(UserName="cid")["AccessKey"]
    raw = boto3.client("sts", endpoint_url=server.url, region_name="us-east-1",
                       aws_access_key_id=key["AccessKeyId"],
                       aws_secret_access_key=key["SecretAccessKey"],
                       config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    for bad in ({"RoleSessionName": "x"}, {"RoleSessionName": "bad name"},
                {"RoleSessionName": "y" * 65},
                {"RoleSessionName": "short", "DurationSeconds": 899}):
        assert ("ValidationError", 400) == _code(raw.assume_role, RoleArn=role["Arn"], **bad)
    long = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="long", DurationSeconds=7200)
    # chaining: the role session may assume the role again, for one hour at most
    # (the trust policy names the account: the role's own policy must allow sts:AssumeRole)
    chained_sts, _ = _clients(server, long["Credentials"])
    assert ("AccessDenied", 403) == _code(chained_sts.assume_role, RoleArn=role["Arn"],
                                          RoleSessionName="chain")
    iam.put_role_policy(RoleName="limited", PolicyName="assume", PolicyDocument=ASSUME_ANY)
    with pytest.raises(ClientError) as chaining:
        chained_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="chain",
                                DurationSeconds=7200)
    assert ("ValidationError", 400) == error_code(chaining)
    assert "1 hour session limit for roles assumed by role chaining" in str(chaining.value)
    chained = chained_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="chain",
                                      DurationSeconds=3600)
    assert chained["AssumedRoleUser"]["Arn"].endswith(":assumed-role/limited/chain")


def test_cross_account_needs_trust_external_id_and_own_policy(server: Server, iam: Any,
                                                              account: Account) -> None:
    """Another account's user needs the trust policy (with its ExternalId) and its own
    identity policy allowing sts:AssumeRole on the role."""
    home = create_account(server)
    home_iam = client(server, "iam", home.access_key_id, home.secret_access_key)
    _, eve_sts = _user(server, home_iam, "eve")
    role = _role(iam, "partner", _trust(f"arn:aws:iam::{home.account_id}:root",
                                        external_id="shared-secret-id"))
    # no identity policy of her own yet: denied even with the right ExternalId
    assert ("AccessDenied", 403) == _code(eve_sts.assume_role, RoleArn=role["Arn"],
                                          RoleSessionName="eve", ExternalId="shared-secret-id")
    home_iam.put_user_policy(UserName="eve", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Resource": role["Arn"]}]}))
    assert ("AccessDenied", 403) == _code(eve_sts.assume_role, RoleArn=role["Arn"],
                                          RoleSessionName="eve")
    assert ("AccessDenied", 403) == _code(eve_sts.assume_role, RoleArn=role["Arn"],
                                          RoleSessionName="eve", ExternalId="wrong-id")
    answer = eve_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="eve",
                                 ExternalId="shared-secret-id")
    session_sts, session_iam = _clients(server, answer["Credentials"])
    identity = session_sts.get_caller_identity()
    assert (account.account_id,
            f"arn:aws:sts::{account.account_id}:assumed-role/partner/eve") == (
        identity["Account"], identity["Arn"])
    assert "partner" in {r["RoleName"] for r in session_iam.list_roles()["Roles"]}
    # a role without ExternalId in its trust policy, same rule for the identity policy
    open_role = _role(iam, "open", _trust(f"arn:aws:iam::{home.account_id}:root"))
    assert ("AccessDenied", 403) == _code(eve_sts.assume_role, RoleArn=open_role["Arn"],
                                          RoleSessionName="eve")
    home_iam.put_user_policy(UserName="eve", PolicyName="assume", PolicyDocument=ASSUME_ANY)
    assert eve_sts.assume_role(RoleArn=open_role["Arn"], RoleSessionName="eve")["Credentials"]


async def test_role_assumed_event_without_token_or_secret(server: Server, iam: Any) -> None:
    """`iamlog.role.assumed` names session, role and caller; no token or secret anywhere."""
    user, sts = _user(server, iam, "audit")
    role = _role(iam, "audited", _trust(user["Arn"]))
    answer = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="audit",
                             SourceIdentity="auditor")
    creds = answer["Credentials"]
    _clients(server, creds)[0].get_caller_identity()
    topics = Topics.for_prefix(server.settings.topic_prefix)
    events = await read_topic(server.settings, topics.events)
    assumed = [json.loads(r.value) for r in events
               if dict(r.headers).get("ce_type") == b"iamlog.role.assumed"]
    mine = [e for e in assumed if e["session_key_id"] == creds["AccessKeyId"]]
    assert 1 == len(mine)
    assert (role["Arn"], user["Arn"], "audit", "auditor") == (
        mine[0]["role_arn"], mine[0]["caller_arn"], mine[0]["role_session_name"],
        mine[0]["source_identity"])
    await assert_nowhere(server, creds["SessionToken"], creds["SecretAccessKey"])
