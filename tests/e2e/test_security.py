"""Privilege escalation, account isolation and token tampering: every attempt is refused and
changes nothing."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from services.bench.mixed import Principal
from tests.e2e.conftest import Account, Server, client, create_account
from tests.e2e.signing import signed_query
from tests.e2e.test_iam_users_keys import error_code
from tests.e2e.test_sts_assume_role import _clients, _code, _role, _trust, _user

SELF_ONLY_POLICIES = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["iam:PutUserPolicy", "iam:GetUserPolicy"],
    "Resource": "arn:aws:iam::*:user/${aws:username}"}]})
ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "*", "Resource": "*"}]})
SELF_KEYS = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["iam:CreateAccessKey", "iam:UpdateAccessKey",
                                  "iam:DeleteAccessKey", "iam:ListAccessKeys"],
    "Resource": "arn:aws:iam::*:user/${aws:username}"}]})


def _user_iam(server: Server, iam: Any, name: str, policy: str) -> Any:
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"])


def test_key_rights_on_itself_reach_no_other_user(server: Server, iam: Any) -> None:
    """A user allowed key calls on itself cannot create, disable, delete or list another's."""
    iam.create_user(UserName="victim")
    victim_key = iam.create_access_key(UserName="victim")["AccessKey"]["AccessKeyId"]
    mallory = _user_iam(server, iam, "mallory", SELF_KEYS)
    assert "mallory" == mallory.create_access_key()["AccessKey"]["UserName"]
    attempts = [
        (mallory.create_access_key, {"UserName": "victim"}),
        (mallory.update_access_key, {"UserName": "victim", "AccessKeyId": victim_key,
                                     "Status": "Inactive"}),
        (mallory.delete_access_key, {"UserName": "victim", "AccessKeyId": victim_key}),
        (mallory.list_access_keys, {"UserName": "victim"}),
        # Naming the victim's key without its user: still the victim's key, still refused.
        (mallory.update_access_key, {"AccessKeyId": victim_key, "Status": "Inactive"}),
        (mallory.create_user, {"UserName": "sidekick"}),
    ]
    for call, kwargs in attempts:
        assert _code(call, **kwargs) in {("AccessDenied", 403), ("NoSuchEntity", 404)}, kwargs
    keys = iam.list_access_keys(UserName="victim")["AccessKeyMetadata"]
    assert [(victim_key, "Active")] == [(k["AccessKeyId"], k["Status"]) for k in keys]
    assert {"victim", "mallory"} == {u["UserName"] for u in iam.list_users()["Users"]}


def test_inline_policy_rights_on_itself_grant_nothing_on_others(server: Server, iam: Any,
                                                                account: Account) -> None:
    """A user allowed PutUserPolicy on itself only cannot write others' policies, attach an
    admin policy, create policy versions, or join an admin group."""
    admin_arn = iam.create_policy(PolicyName="Admin", PolicyDocument=ADMIN)["Policy"]["Arn"]
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=admin_arn)
    iam.create_user(UserName="other")
    eve = _user_iam(server, iam, "eve", SELF_ONLY_POLICIES)
    attempts = [
        (eve.put_user_policy, {"UserName": "other", "PolicyName": "x", "PolicyDocument": ADMIN}),
        (eve.attach_user_policy, {"UserName": "eve", "PolicyArn": admin_arn}),
        (eve.attach_user_policy, {"UserName": "other", "PolicyArn": admin_arn}),
        (eve.add_user_to_group, {"GroupName": "admins", "UserName": "eve"}),
        (eve.create_policy_version, {"PolicyArn": admin_arn, "PolicyDocument": ADMIN,
                                     "SetAsDefault": True}),
        (eve.put_user_permissions_boundary, {"UserName": "eve", "PermissionsBoundary": admin_arn}),
        (eve.create_access_key, {"UserName": "other"}),
    ]
    for call, kwargs in attempts:
        assert ("AccessDenied", 403) == _code(call, **kwargs), kwargs
    assert [] == iam.list_user_policies(UserName="other")["PolicyNames"]
    assert [] == iam.list_attached_user_policies(UserName="eve")["AttachedPolicies"]
    assert [] == iam.get_group(GroupName="admins")["Users"]
    assert 1 == len(iam.list_policy_versions(PolicyArn=admin_arn)["Versions"])
    # What it may do stays within itself (AWS semantics: a self-grant is its own business).
    eve.put_user_policy(UserName="eve", PolicyName="more", PolicyDocument=ADMIN)
    assert ["more", "p"] == sorted(iam.list_user_policies(UserName="eve")["PolicyNames"])
    assert account.account_id not in json.dumps(iam.list_user_policies(UserName="other"))


def test_session_cannot_widen_its_session_policy(server: Server, iam: Any) -> None:
    """A session limited to reads cannot write its role's policy, chain to a stronger role, or
    act outside its session policy — although the role itself could."""
    user, sts = _user(server, iam, "sam", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    role = _role(iam, "wide", _trust(user["Arn"]))
    iam.put_role_policy(RoleName="wide", PolicyName="all", PolicyDocument=ADMIN)
    strong = _role(iam, "strong", _trust(role["Arn"]))
    reads = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]})
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="narrowed",
                            Policy=reads)["Credentials"]
    session_sts, session_iam = _clients(server, creds)
    assert "wide" == session_iam.get_role(RoleName="wide")["Role"]["RoleName"]
    attempts = [
        (session_iam.put_role_policy, {"RoleName": "wide", "PolicyName": "x",
                                       "PolicyDocument": ADMIN}),
        (session_iam.create_user, {"UserName": "backdoor"}),
        (session_iam.create_access_key, {"UserName": "sam"}),
        (session_sts.assume_role, {"RoleArn": strong["Arn"], "RoleSessionName": "chain"}),
    ]
    for call, kwargs in attempts:
        assert ("AccessDenied", 403) == _code(call, **kwargs), kwargs
    assert ["all", "list"] == sorted(iam.list_role_policies(RoleName="wide")["PolicyNames"])
    assert {"sam"} == {u["UserName"] for u in iam.list_users()["Users"]}


def test_accounts_are_isolated(server: Server, iam: Any, account: Account) -> None:
    """Another account's users see, change and assume nothing here, even with an admin policy
    and a role that trusts only its own account."""
    role = iam.create_role(RoleName="internal", AssumeRolePolicyDocument=_trust(
        f"arn:aws:iam::{account.account_id}:root"))["Role"]
    iam.create_user(UserName="local")
    other = create_account(server)
    other_iam = client(server, "iam", other.access_key_id, other.secret_access_key)
    other_iam.create_user(UserName="outsider")
    other_iam.put_user_policy(UserName="outsider", PolicyName="all", PolicyDocument=ADMIN)
    key = other_iam.create_access_key(UserName="outsider")["AccessKey"]
    outsider_iam = client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    outsider_sts = client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    assert {"outsider"} == {u["UserName"] for u in outsider_iam.list_users()["Users"]}
    assert ("AccessDenied", 403) == _code(outsider_sts.assume_role, RoleArn=role["Arn"],
                                          RoleSessionName="intruder")
    assert ("NoSuchEntity", 404) == _code(outsider_iam.get_user, UserName="local")
    assert ("NoSuchEntity", 404) == _code(outsider_iam.delete_user, UserName="local")
    decision = httpx.post(f"{server.url}/v1/authorize", json={
        "principal": key["AccessKeyId"], "action": "iam:DeleteUser",
        "resource": f"arn:aws:iam::{account.account_id}:user/local"}).json()
    assert "Allow" != decision["decision"]
    assert {"local"} == {u["UserName"] for u in iam.list_users()["Users"]}


def _status_code(answer: httpx.Response) -> tuple[int, str]:
    found = re.search(r"<Code>([^<]*)</Code>", answer.text)
    return answer.status_code, found.group(1) if found else answer.text[:300]


def _flipped(token: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[index] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def test_every_flipped_byte_of_a_session_token_is_refused(server: Server, iam: Any) -> None:
    """Each single-bit change anywhere in a role session's token, and each truncation, is
    InvalidClientTokenId: nothing in the token is unauthenticated."""
    user, sts = _user(server, iam, "tina", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    role = _role(iam, "flip", _trust(user["Arn"]))
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="flipped")["Credentials"]
    token = creds["SessionToken"]
    size = len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    variants = [_flipped(token, index) for index in range(size)]
    variants += [token[:cut] for cut in range(0, len(token), max(1, len(token) // 16))]
    variants += [token + "A", token[::-1], "%" + token]
    with httpx.Client() as http:
        for variant in variants:
            who = Principal(creds["AccessKeyId"], creds["SecretAccessKey"], variant)
            answer = signed_query(http, server.url, "sts", "GetCallerIdentity", who)
            assert (403, "InvalidClientTokenId") == _status_code(answer), variant
        good = signed_query(http, server.url, "sts", "GetCallerIdentity",
                            Principal(creds["AccessKeyId"], creds["SecretAccessKey"], token))
    assert 200 == good.status_code


def test_unknown_principal_errors_do_not_name_other_accounts(server: Server, iam: Any,
                                                             account: Account) -> None:
    """/v1/authorize answers an unknown principal with NoSuchEntity (an unknown key id with
    InvalidClientTokenId), never with another account's data."""
    for principal, expected in (("arn:aws:iam::000000000000:root", (404, "NoSuchEntity")),
                                (f"arn:aws:iam::{account.account_id}:user/nobody",
                                 (404, "NoSuchEntity")),
                                ("AKIA" + "Z" * 16, (403, "InvalidClientTokenId"))):
        answer = httpx.post(f"{server.url}/v1/authorize", json={
            "principal": principal, "action": "iam:ListUsers", "resource": "*"})
        assert expected == (answer.status_code, answer.json()["code"]), principal
        assert set(answer.json()) == {"code", "message"}
    with pytest.raises(ClientError) as refused:
        client(server, "iam", "AKIA" + "Z" * 16, "x" * 40).list_users()
    assert ("InvalidClientTokenId", 403) == error_code(refused)
