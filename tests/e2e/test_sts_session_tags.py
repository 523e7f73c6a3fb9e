"""Session tags and TransitiveTagKeys on AssumeRole with real boto3: `sts:TagSession` in the
trust policy, `aws:RequestTag`/`aws:TagKeys` in its evaluation, `aws:PrincipalTag` in the
session's, transitive tags along a role chain, the limits, and PackedPolicySize."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from events.topics import Topics
from tests.e2e.conftest import Server, client
from tests.e2e.test_iam_users_keys import error_code
from tests.e2e.test_sts_assume_role import _clients
from tests.integration.harness import read_topic

ASSUME = {"Effect": "Allow", "Action": "sts:AssumeRole"}


def _trust(principal: str | list[str], *statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {**statement, "Principal": {"AWS": principal}} for statement in statements]})


def _tag_rule(action: str, key: str, value: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": "*",
            "Condition": {"StringEquals": {f"aws:PrincipalTag/{key}": value}}}


# the role's permissions depend on the session's principal tags
BY_TAGS = json.dumps({"Version": "2012-10-17", "Statement": [
    _tag_rule("iam:ListUsers", "team", "blue"),
    _tag_rule("iam:ListRoles", "project", "apollo"),
    {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"},
]})


def _tags(**pairs: str) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in pairs.items()]


def _code(call: Any, **kwargs: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return error_code(raised)


def _user(server: Server, iam: Any, name: str) -> tuple[dict[str, Any], Any, Any]:
    user = iam.create_user(UserName=name)["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    raw = boto3.client("sts", endpoint_url=server.url, region_name="us-east-1",
                       aws_access_key_id=key["AccessKeyId"],
                       aws_secret_access_key=key["SecretAccessKey"],
                       config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    return user, client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"]), raw


def _role(iam: Any, name: str, trust: str, tags: list[dict[str, str]] | None = None
          ) -> dict[str, Any]:
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, Tags=tags or [])
    iam.put_role_policy(RoleName=name, PolicyName="by-tags", PolicyDocument=BY_TAGS)
    return dict(role["Role"])


async def _assumed(server: Server) -> int:
    records = await read_topic(server.settings,
                               Topics.for_prefix(server.settings.topic_prefix).events)
    return sum(1 for r in records if dict(r.headers).get("ce_type") == b"iamlog.role.assumed")


async def test_tags_need_tag_session_and_become_principal_tags(server: Server,
                                                               iam: Any) -> None:
    """Tags need `sts:TagSession` (conditions on `aws:RequestTag`/`aws:TagKeys` hold); the
    session's policies see them as `aws:PrincipalTag`, overriding the role's own tags."""
    user, sts, _ = _user(server, iam, "tia")
    plain = _role(iam, "untaggable", _trust(user["Arn"], ASSUME))
    before = await _assumed(server)
    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn=plain["Arn"], RoleSessionName="s1", Tags=_tags(team="blue"))
    assert ("AccessDenied", 403) == error_code(refused)
    assert "is not authorized to perform: sts:TagSession" in str(refused.value)
    tag_blue_only = {"Effect": "Allow", "Action": "sts:TagSession", "Condition": {
        "StringEquals": {"aws:RequestTag/team": "blue"},
        "ForAllValues:StringEqualsIgnoreCase": {"aws:TagKeys": ["team", "project"]}}}
    role = _role(iam, "tagged", _trust(user["Arn"], ASSUME, tag_blue_only),
                 tags=_tags(project="apollo"))
    assert ("AccessDenied", 403) == _code(sts.assume_role, RoleArn=role["Arn"],
                                          RoleSessionName="s1", Tags=_tags(team="red"))
    assert ("AccessDenied", 403) == _code(sts.assume_role, RoleArn=role["Arn"],
                                          RoleSessionName="s1",
                                          Tags=_tags(team="blue", extra="x"))
    assert before == await _assumed(server)  # refusals record nothing

    answer = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", Tags=_tags(team="blue"))
    assert 0 < answer["PackedPolicySize"] <= 100  # tags alone are packed too
    _, session_iam = _clients(server, answer["Credentials"])
    assert [] != session_iam.list_users()["Users"]  # PrincipalTag/team = blue (session)
    assert [] != session_iam.list_roles()["Roles"]  # PrincipalTag/project = apollo (role)
    # without tags the role's own tag still applies, the session's team does not
    untagged = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s2")
    _, untagged_iam = _clients(server, untagged["Credentials"])
    assert ("AccessDenied", 403) == _code(untagged_iam.list_users)
    assert [] != untagged_iam.list_roles()["Roles"]
    # a session tag overrides the role's tag of the same key (ignoring case)
    override = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s3",
                               Tags=_tags(team="blue", Project="gemini"))
    _, override_iam = _clients(server, override["Credentials"])
    assert ("AccessDenied", 403) == _code(override_iam.list_roles)


def test_transitive_tags_pass_along_a_role_chain(server: Server, iam: Any) -> None:
    """Transitive tags reach the chained session and cannot be set again there; the others
    do not pass on."""
    user, sts, _ = _user(server, iam, "tom")
    first = _role(iam, "first", _trust(user["Arn"], {**ASSUME, "Action": [
        "sts:AssumeRole", "sts:TagSession"]}))
    second_arn = first["Arn"].replace(":role/first", ":role/second")
    second = _role(iam, "second", _trust([first["Arn"], second_arn], {**ASSUME, "Action": [
        "sts:AssumeRole", "sts:TagSession"]}))
    answer = sts.assume_role(RoleArn=first["Arn"], RoleSessionName="hop1",
                             Tags=_tags(team="blue", project="apollo"),
                             TransitiveTagKeys=["team"])
    first_sts, _ = _clients(server, answer["Credentials"])
    assert ("ValidationError", 400) == _code(first_sts.assume_role, RoleArn=second["Arn"],
                                             RoleSessionName="hop2", Tags=_tags(TEAM="red"))
    chained = first_sts.assume_role(RoleArn=second["Arn"], RoleSessionName="hop2")
    chained_sts, chained_iam = _clients(server, chained["Credentials"])
    assert [] != chained_iam.list_users()["Users"]  # team=blue came along
    assert ("AccessDenied", 403) == _code(chained_iam.list_roles)  # project did not
    # and on to a third hop: inherited transitive tags stay transitive
    third = chained_sts.assume_role(RoleArn=second["Arn"], RoleSessionName="hop3",
                                    Tags=_tags(project="apollo"))
    _, third_iam = _clients(server, third["Credentials"])
    assert ([] != third_iam.list_users()["Users"], [] != third_iam.list_roles()["Roles"]) == (
        True, True)


async def test_tag_limits(server: Server, iam: Any) -> None:
    """At most 50 tags, key 1–128, value 0–256, keys unique ignoring case, transitive keys
    among the tags, packed size ≤ 100 %: each a 400 that records nothing."""
    user, _, raw = _user(server, iam, "tess")
    role = _role(iam, "limits", _trust(user["Arn"], {**ASSUME, "Action": [
        "sts:AssumeRole", "sts:TagSession"]}))
    before = await _assumed(server)
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    big = [{"Key": f"k{i}", "Value": "v" * 256} for i in range(9)]
    for kwargs, expected in [
        ({"Tags": many}, "ValidationError"),
        ({"Tags": _tags(**{"k" * 129: "v"})}, "ValidationError"),
        ({"Tags": [{"Key": "", "Value": "v"}]}, "ValidationError"),
        ({"Tags": _tags(k="v" * 257)}, "ValidationError"),
        ({"Tags": [{"Key": "Team", "Value": "a"}, {"Key": "team", "Value": "b"}]},
         "ValidationError"),
        ({"Tags": _tags(team="a"), "TransitiveTagKeys": ["other"]}, "ValidationError"),
        ({"TransitiveTagKeys": [f"k{i}" for i in range(51)]}, "ValidationError"),
        ({"Tags": big}, "PackedPolicyTooLarge"),
    ]:
        assert (expected, 400) == _code(raw.assume_role, RoleArn=role["Arn"],
                                        RoleSessionName="lim", **kwargs), kwargs
    assert before == await _assumed(server)
    fifty = [{"Key": f"k{i}", "Value": ""} for i in range(50)]
    answer = raw.assume_role(RoleArn=role["Arn"], RoleSessionName="lim", Tags=fifty,
                             TransitiveTagKeys=["k0", "K1"])
    assert 0 < answer["PackedPolicySize"] <= 100
