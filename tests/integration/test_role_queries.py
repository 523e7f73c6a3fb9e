"""`services.projector.queries` for roles, over rows the live projector wrote."""

from __future__ import annotations

import asyncpg

from domain.commands import (
    AttachRolePolicy,
    CreateAccount,
    CreatePolicy,
    CreateRole,
    PutRolePermissionsBoundary,
    PutRolePolicy,
    TagRole,
    UpdateAssumeRolePolicy,
    UpdateRole,
)
from events.schemas import Tag
from services.command_client import CommandClient
from services.projector import queries as q
from tests.integration.test_queries import DOC, project

TRUST = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action":'
         ' "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}]}')


async def test_role_queries_answer_from_projected_rows(  # type: ignore[no-untyped-def]
    spawn, client: CommandClient, db: asyncpg.Connection, account_id: str
) -> None:
    """GetRole, ListRoles, tags, attached and inline policies, boundary usage, summary."""
    spawn("processor", "projector")
    arn = f"arn:aws:iam::{account_id}:policy/Read"
    await project(client, db, account_id, [
        CreateAccount(),
        CreatePolicy(policy_name="Read", policy_document=DOC),
        *[CreateRole(role_name=name, path="/svc/" if name != "zed" else "/",
                     assume_role_policy_document=TRUST) for name in ("ann", "Ben", "zed")],
        UpdateRole(role_name="ann", description="first", max_session_duration=7200),
        UpdateAssumeRolePolicy(role_name="ann", policy_document=TRUST.replace("ec2", "ecs")),
        TagRole(role_name="ann", tags=(Tag(key="b", value="2"), Tag(key="a", value="1"))),
        AttachRolePolicy(role_name="ann", policy_arn=arn),
        PutRolePolicy(role_name="ann", policy_name="Own", policy_document=DOC),
        PutRolePermissionsBoundary(role_name="Ben", permissions_boundary=arn),
    ])

    role = await q.get_role(db, account_id, "ANN")
    assert role is not None
    assert ("ann", "/svc/", "first", 7200, TRUST.replace("ec2", "ecs"),
            [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]) == (
        role["RoleName"], role["Path"], role["Description"], role["MaxSessionDuration"],
        role["AssumeRolePolicyDocument"], role["Tags"])
    assert role["RoleId"].startswith("AROA")
    assert f"arn:aws:iam::{account_id}:role/svc/ann" == role["Arn"]
    ben = await q.get_role(db, account_id, "ben")
    assert ben is not None
    assert arn == ben["PermissionsBoundary"]["PermissionsBoundaryArn"]
    assert await q.get_role(db, account_id, "nobody") is None

    first = await q.list_roles(db, account_id, path_prefix="/svc/", max_items=1)
    rest = await q.list_roles(db, account_id, path_prefix="/svc/", marker=first.marker)
    assert (["ann"], True, ["Ben"], False) == (
        [r["RoleName"] for r in first.items], first.is_truncated,
        [r["RoleName"] for r in rest.items], rest.is_truncated)

    tags = await q.list_role_tags(db, account_id, "ann")
    attached = await q.list_attached_role_policies(db, account_id, "ann")
    names = await q.list_role_policies(db, account_id, "ann")
    inline = await q.get_role_policy(db, account_id, "ann", "own")
    assert tags is not None
    assert attached is not None
    assert names is not None
    assert (["a", "b"], [{"PolicyName": "Read", "PolicyArn": arn}], ["Own"],
            {"RoleName": "ann", "PolicyName": "Own", "PolicyDocument": DOC}) == (
        [t["Key"] for t in tags.items], attached.items, names.items, inline)
    assert await q.list_role_policies(db, account_id, "nobody") is None

    policy = await q.get_policy(db, account_id, arn)
    assert policy is not None
    assert (1, 1) == (policy["AttachmentCount"], policy["PermissionsBoundaryUsageCount"])
    summary = await q.get_account_summary(db, account_id)
    assert (3, 1000) == (summary["Roles"], summary["RolesQuota"])
