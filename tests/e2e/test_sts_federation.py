"""STS GetFederationToken with real boto3: the federated user, its limits and errors, what its
credentials may call, and the `iamlog.session.issued` event (no token or secret on the log)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from events.topics import Topics
from tests.e2e.conftest import Account, Server, client
from tests.e2e.leaks import assert_nowhere
from tests.e2e.test_iam_users_keys import error_code
from tests.integration.harness import read_topic

MAY_FEDERATE = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["sts:GetFederationToken", "iam:ListUsers",
                                  "sts:GetAccessKeyInfo"], "Resource": "*"}]})
SESSION = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["iam:ListUsers", "sts:GetAccessKeyInfo", "sts:AssumeRole"],
    "Resource": "*"}]})


def _key(iam: Any, name: str, policy: str | None = MAY_FEDERATE) -> tuple[str, str]:
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def _code(call: Any, **kwargs: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return error_code(raised)


async def _issued(server: Server) -> list[dict[str, Any]]:
    records = await read_topic(server.settings, Topics.for_prefix(
        server.settings.topic_prefix).events)
    return [json.loads(r.value) for r in records
            if dict(r.headers).get("ce_type") == b"iamlog.session.issued"]


async def test_federated_user_credentials(server: Server, iam: Any, account: Account) -> None:
    """A user with sts:GetFederationToken gets ASIA credentials of `federated-user/<Name>`;
    they answer GetCallerIdentity and are refused every IAM call and every other STS call."""
    sts = client(server, "sts", *_key(iam, "fran"))
    before = datetime.now(UTC)
    answer = sts.get_federation_token(Name="fran@partner", Policy=SESSION)
    creds = answer["Credentials"]
    arn = f"arn:aws:sts::{account.account_id}:federated-user/fran@partner"
    assert (arn, f"{account.account_id}:fran@partner") == (
        answer["FederatedUser"]["Arn"], answer["FederatedUser"]["FederatedUserId"])
    assert creds["AccessKeyId"].startswith("ASIA")
    assert 0 < answer["PackedPolicySize"] <= 100
    # default duration: 12 hours
    assert abs((creds["Expiration"] - before - timedelta(hours=12)).total_seconds()) < 30
    args = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    fed_sts, fed_iam = client(server, "sts", *args), client(server, "iam", *args)
    identity = fed_sts.get_caller_identity()
    assert (arn, f"{account.account_id}:fran@partner", account.account_id) == (
        identity["Arn"], identity["UserId"], identity["Account"])
    # both the user and the session policy allow these: still refused to a federated user
    with pytest.raises(ClientError) as denied:
        fed_iam.list_users()
    assert ("AccessDenied", 403) == error_code(denied)
    assert f"User: {arn} is not authorized to perform: iam:ListUsers" in str(denied.value)
    assert ("AccessDenied", 403) == _code(fed_sts.get_access_key_info,
                                          AccessKeyId=creds["AccessKeyId"])
    assert ("AccessDenied", 403) == _code(fed_sts.get_session_token)
    assert ("AccessDenied", 403) == _code(fed_sts.get_federation_token, Name="again",
                                          Policy=SESSION)
    role = iam.create_role(RoleName="open-to-all", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]
    assert ("AccessDenied", 403) == _code(fed_sts.assume_role, RoleArn=role["Arn"],
                                          RoleSessionName="fed")
    # the event: kind federated_user, the federated name and the user; no token, no secret
    mine = [e for e in await _issued(server) if e["session_key_id"] == creds["AccessKeyId"]]
    assert [("federated_user", arn, "fran", "fran@partner")] == [
        (e["session_kind"], e["principal_arn"], e["user_name"], e["federated_name"])
        for e in mine]
    await assert_nowhere(server, creds["SessionToken"], creds["SecretAccessKey"])
    # deleting the user ends its federated users' sessions
    iam.delete_user_policy(UserName="fran", PolicyName="p")
    for key in iam.list_access_keys(UserName="fran")["AccessKeyMetadata"]:
        iam.delete_access_key(UserName="fran", AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName="fran")
    assert ("InvalidClientTokenId", 403) == _code(fed_sts.get_caller_identity)


def test_managed_session_policy_and_root(server: Server, iam: Any, account: Account) -> None:
    """PolicyArns alone is a session policy; root's federated users get at most one hour."""
    managed = iam.create_policy(PolicyName="fed-read", PolicyDocument=SESSION)["Policy"]
    sts = client(server, "sts", *_key(iam, "gus"))
    by_arn = sts.get_federation_token(Name="gus", PolicyArns=[{"arn": managed["Arn"]}],
                                      DurationSeconds=900)
    assert by_arn["FederatedUser"]["Arn"].endswith(":federated-user/gus")
    root_sts = client(server, "sts", account.access_key_id, account.secret_access_key)
    before = datetime.now(UTC)
    root_fed = root_sts.get_federation_token(Name="root-fed", Policy=SESSION,
                                             DurationSeconds=7200)
    expires = root_fed["Credentials"]["Expiration"]
    assert abs((expires - before - timedelta(hours=1)).total_seconds()) < 30


async def test_refusals_change_nothing(server: Server, iam: Any) -> None:
    """Each validation and refusal is reached with its AWS code, and appends no event."""
    key = _key(iam, "hal")
    sts = client(server, "sts", *key)
    raw = boto3.client("sts", endpoint_url=server.url, region_name="us-east-1",
                       aws_access_key_id=key[0], aws_secret_access_key=key[1],
                       config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    nobody = client(server, "sts", *_key(iam, "ida", policy=None))
    session = sts.get_session_token(DurationSeconds=900)["Credentials"]
    session_sts = client(server, "sts", session["AccessKeyId"], session["SecretAccessKey"],
                         session["SessionToken"])
    before = len(await _issued(server))
    too_many = [{"arn": f"arn:aws:iam::aws:policy/P{i}"} for i in range(11)]
    for call, kwargs, expected in [
        (raw.get_federation_token, {"Name": "x", "Policy": SESSION}, ("ValidationError", 400)),
        (raw.get_federation_token, {"Name": "bad name", "Policy": SESSION},
         ("ValidationError", 400)),
        (raw.get_federation_token, {"Name": "n" * 33, "Policy": SESSION},
         ("ValidationError", 400)),
        (raw.get_federation_token, {"Name": "hal", "Policy": SESSION, "DurationSeconds": 899},
         ("ValidationError", 400)),
        (raw.get_federation_token, {"Name": "hal", "Policy": SESSION,
                                    "DurationSeconds": 129_601}, ("ValidationError", 400)),
        (raw.get_federation_token, {"Name": "hal"}, ("ValidationError", 400)),
        (raw.get_federation_token, {"Name": "hal", "PolicyArns": too_many},
         ("ValidationError", 400)),
        (sts.get_federation_token, {"Name": "hal", "Policy": '{"Statement": []'},
         ("MalformedPolicyDocument", 400)),
        (nobody.get_federation_token, {"Name": "ida", "Policy": SESSION},
         ("AccessDenied", 403)),
        # session tags need sts:TagSession too
        (sts.get_federation_token, {"Name": "hal", "Policy": SESSION,
                                    "Tags": [{"Key": "team", "Value": "blue"}]},
         ("AccessDenied", 403)),
        (raw.get_federation_token, {"Name": "hal", "Policy": SESSION,
                                    "Tags": [{"Key": "k", "Value": "v" * 256}] * 1
                                    + [{"Key": f"k{i}", "Value": "v" * 256} for i in range(8)]},
         ("PackedPolicyTooLarge", 400)),
        (session_sts.get_federation_token, {"Name": "hal", "Policy": SESSION},
         ("AccessDenied", 403)),
    ]:
        assert expected == _code(call, **kwargs), kwargs
    assert before == len(await _issued(server))
    assert sts.get_federation_token(Name="hal", Policy=SESSION, DurationSeconds=129_600)
    assert before + 1 == len(await _issued(server))
    iam.put_user_policy(UserName="hal", PolicyName="tag", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:TagSession",
                                                "Resource": "*"}]}))
    tagged = sts.get_federation_token(Name="hal", Policy=SESSION,
                                      Tags=[{"Key": "team", "Value": "blue"}])
    assert 0 < tagged["PackedPolicySize"] <= 100
