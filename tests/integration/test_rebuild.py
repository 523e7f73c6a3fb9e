"""`projections rebuild` gives exactly the rows the live projection gave."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg

from domain.commands import (
    AddUserToGroup,
    AssumeRole,
    AttachGroupPolicy,
    AttachRolePolicy,
    AttachUserPolicy,
    Command,
    CreateAccessKey,
    CreateAccount,
    CreateGroup,
    CreatePolicy,
    CreatePolicyVersion,
    CreateRole,
    CreateUser,
    DeleteAccessKey,
    DeleteGroup,
    DeleteGroupPolicy,
    DeletePolicy,
    DeletePolicyVersion,
    DeleteRole,
    DeleteRolePermissionsBoundary,
    DeleteRolePolicy,
    DeleteUser,
    DeleteUserPermissionsBoundary,
    DeleteUserPolicy,
    DetachGroupPolicy,
    DetachRolePolicy,
    DetachUserPolicy,
    ExpireAccessKey,
    ExpireSession,
    IssueSessionToken,
    MarkAccessKeyRotationDue,
    PutGroupPolicy,
    PutRolePermissionsBoundary,
    PutRolePolicy,
    PutUserPermissionsBoundary,
    PutUserPolicy,
    RecordAccessKeyUse,
    RemoveUserFromGroup,
    RevokeSession,
    RotateAccessKey,
    SetAccessKeyExpiry,
    SetAccountKeyMaxAge,
    SetDefaultPolicyVersion,
    TagRole,
    TagUser,
    UntagRole,
    UntagUser,
    UpdateAccessKey,
    UpdateAssumeRolePolicy,
    UpdateRole,
    UpdateUser,
)
from events.schemas import EVENT_MODELS, Tag
from services.command_client import CommandClient
from services.projector.rebuild import rebuild
from services.settings import Settings
from tests.integration.harness import eventually
from tests.unit.oidc_samples import oidc_commands
from tests.unit.profile_samples import profile_commands

TABLES = {
    "accounts": "account_id",
    "users": "account_id, name_key",
    "access_keys": "access_key_id",
    "user_tags": "user_id, key_lower",
    "groups": "group_id",
    "group_members": "group_id, user_id",
    "policies": "policy_id",
    "policy_versions": "policy_id, version_id",
    "policy_defaults": "policy_id",
    "policy_attachments": "policy_id, entity_type, entity_id",
    "inline_policies": "entity_type, entity_id, name_key",
    "user_boundaries": "user_id",
    "roles": "role_id",
    "role_settings": "role_id",
    "role_trust_policies": "role_id",
    "role_tags": "role_id, key_lower",
    "role_boundaries": "role_id",
    "instance_profiles": "profile_id",
    "instance_profile_roles": "profile_id",
    "instance_profile_tags": "profile_id, key_lower",
    "workloads": "account_id, name_key",
    "sessions": "session_id",
    "access_key_schedule": "access_key_id",
    "access_key_rotations": "access_key_id",
}
TRUST = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action":'
         ' "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}]}')
DOC = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",'
       ' "Resource": "*"}]}')


async def snapshot(db: asyncpg.Connection) -> dict[str, list[tuple[object, ...]]]:
    """Every read-model row, ordered."""
    return {table: [tuple(row) for row in await db.fetch(
        f"SELECT * FROM iamlog_rm.{table} ORDER BY {order}")]  # noqa: S608 - fixed names
        for table, order in TABLES.items()}


def entity_commands(account: str) -> list[Command]:
    """Commands touching every group, policy, inline, boundary, tag and rename event."""
    read = f"arn:aws:iam::{account}:policy/team/Read"
    spare = f"arn:aws:iam::{account}:policy/Spare"
    return [
        TagUser(user_name="ann", tags=(Tag(key="team", value="a"), Tag(key="cost", value="1"))),
        UntagUser(user_name="ann", tag_keys=("COST",)),
        UpdateUser(user_name="ben", new_user_name="benedict", new_path="/moved/"),
        CreateGroup(group_name="ops", path="/team/"),
        CreateGroup(group_name="tmp"),
        AddUserToGroup(group_name="ops", user_name="ann"),
        AddUserToGroup(group_name="ops", user_name="benedict"),
        AddUserToGroup(group_name="tmp", user_name="ann"),
        RemoveUserFromGroup(group_name="tmp", user_name="ann"),
        DeleteGroup(group_name="tmp"),
        CreatePolicy(policy_name="Read", path="/team/", policy_document=DOC, description="r"),
        CreatePolicy(policy_name="Spare", policy_document=DOC),
        CreatePolicyVersion(policy_arn=read, policy_document=DOC.replace("s3:*", "s3:Get*")),
        CreatePolicyVersion(policy_arn=read, policy_document=DOC, set_as_default=True),
        SetDefaultPolicyVersion(policy_arn=read, version_id="v2"),
        DeletePolicyVersion(policy_arn=read, version_id="v1"),
        AttachUserPolicy(user_name="ann", policy_arn=read),
        AttachUserPolicy(user_name="ann", policy_arn=spare),
        DetachUserPolicy(user_name="ann", policy_arn=spare),
        AttachGroupPolicy(group_name="ops", policy_arn=read),
        AttachGroupPolicy(group_name="ops", policy_arn=spare),
        DetachGroupPolicy(group_name="ops", policy_arn=spare),
        PutUserPolicy(user_name="ann", policy_name="own", policy_document=DOC),
        PutUserPolicy(user_name="ann", policy_name="gone", policy_document=DOC),
        DeleteUserPolicy(user_name="ann", policy_name="gone"),
        PutGroupPolicy(group_name="ops", policy_name="g", policy_document=DOC),
        PutGroupPolicy(group_name="ops", policy_name="h", policy_document=DOC),
        DeleteGroupPolicy(group_name="ops", policy_name="h"),
        PutUserPermissionsBoundary(user_name="benedict", permissions_boundary=spare),
        DeleteUserPermissionsBoundary(user_name="benedict"),
        PutUserPermissionsBoundary(user_name="ann", permissions_boundary=read),
        CreatePolicy(policy_name="Doomed", policy_document=DOC),
        DeletePolicy(policy_arn=f"arn:aws:iam::{account}:policy/Doomed"),
        *role_commands(account),
        *oidc_commands(account),
    ]


def role_commands(account: str) -> list[Command]:
    """Commands touching every role event, and attachments and inline policies of roles."""
    read = f"arn:aws:iam::{account}:policy/team/Read"
    spare = f"arn:aws:iam::{account}:policy/Spare"
    return [
        CreateRole(role_name="deployer", path="/team/", assume_role_policy_document=TRUST,
                   description="deploys", tags=(Tag(key="a", value="1"),
                                                Tag(key="b", value="2"))),
        CreateRole(role_name="temp", assume_role_policy_document=TRUST,
                   tags=(Tag(key="t", value="1"),)),
        UpdateRole(role_name="deployer", max_session_duration=7200),
        UpdateAssumeRolePolicy(role_name="deployer",
                               policy_document=TRUST.replace("ec2", "lambda")),
        TagRole(role_name="deployer", tags=(Tag(key="A", value="3"),)),
        UntagRole(role_name="deployer", tag_keys=("b",)),
        AttachRolePolicy(role_name="deployer", policy_arn=read),
        AttachRolePolicy(role_name="deployer", policy_arn=spare),
        DetachRolePolicy(role_name="deployer", policy_arn=spare),
        PutRolePolicy(role_name="deployer", policy_name="own", policy_document=DOC),
        PutRolePolicy(role_name="deployer", policy_name="gone", policy_document=DOC),
        DeleteRolePolicy(role_name="deployer", policy_name="gone"),
        PutRolePermissionsBoundary(role_name="deployer", permissions_boundary=spare),
        DeleteRolePermissionsBoundary(role_name="deployer"),
        PutRolePermissionsBoundary(role_name="deployer", permissions_boundary=read),
        PutRolePermissionsBoundary(role_name="temp", permissions_boundary=read),
        DeleteRole(role_name="temp"),
    ]


async def test_rebuild_equals_live_projection(  # type: ignore[no-untyped-def]
    settings: Settings, spawn, client: CommandClient, db: asyncpg.Connection, account_id: str
) -> None:
    """A scenario touching every event type, projected live, then replayed from scratch."""
    spawn("processor", "projector")
    other = str(int(account_id) // 10 * 10 + (int(account_id) % 10 + 1) % 10).zfill(12)
    version = 0
    seen: set[str] = set()
    role_ids: dict[str, str] = {}
    for account in (account_id, other):
        async def send(command: Command, account: str = account) -> int:
            reply = await client.send(account, command)
            assert reply.ok, reply.error_message
            seen.update(event.type for event in reply.events)
            role_ids.update({event.data["role_name"]: event.data["role_id"]
                             for event in reply.events if event.type == "iamlog.role.created"})
            return reply.version

        await send(CreateAccount())
        for name in ("ann", "ben", "cid"):
            await send(CreateUser(user_name=name, path="/team/"))
        key = (await client.send(account, CreateAccessKey(user_name="ann"))).events[0].data
        await send(CreateAccessKey(user_name="ben"))
        used = datetime.now(UTC)
        await send(RecordAccessKeyUse(access_key_id=key["access_key_id"], service="iam",
                                      region="us-east-1", at=used))
        await send(RecordAccessKeyUse(access_key_id=key["access_key_id"], service="sts",
                                      region="eu-west-1", at=used + timedelta(minutes=20)))
        await send(UpdateAccessKey(access_key_id=key["access_key_id"], status="Inactive",
                                   user_name="ann"))
        await send(UpdateAccessKey(access_key_id=key["access_key_id"], status="Active",
                                   user_name="ann"))
        await send(SetAccessKeyExpiry(access_key_id=key["access_key_id"],
                                      expires_at=used + timedelta(days=10)))
        await send(MarkAccessKeyRotationDue(access_key_id=key["access_key_id"],
                                            at=used + timedelta(days=8)))
        await send(ExpireAccessKey(access_key_id=key["access_key_id"],
                                   at=used + timedelta(days=10)))
        await send(SetAccountKeyMaxAge(max_age_days=90))
        await send(RotateAccessKey(user_name="ben", disable_after_seconds=60,
                                   delete_after_seconds=120))
        await send(DeleteAccessKey(access_key_id=key["access_key_id"], user_name="ann"))
        await send(IssueSessionToken(
            session_id=f"{int(account):030x}01", user_name=None, user_id=account,
            session_key_id="ASIA" + "A" * 16, source_key_id=key["access_key_id"],
            issued_at=used, expires_at=used + timedelta(hours=1)))
        await send(TagUser(user_name="cid", tags=(Tag(key="x", value="y"),)))
        await send(DeleteUser(user_name="cid"))
        for command in entity_commands(account):
            version = await send(command)
        version = await send(AssumeRole(
            session_id=f"{int(account):030x}02", role_name="deployer",
            role_id=role_ids["deployer"], caller_arn=f"arn:aws:iam::{account}:user/ann",
            role_session_name="rebuild", session_key_id="ASIA" + "B" * 16,
            issued_at=used, expires_at=used + timedelta(hours=1)))
        for command in profile_commands("deployer", used, keep=True,
                                        offset=int(account) * 10):
            version = await send(command)
        await send(ExpireSession(session_id=f"{int(account):030x}01",
                                 at=used + timedelta(hours=1)))
        version = await send(RevokeSession(session_id=f"{int(account):030x}02"))

    async def versions() -> list[int]:
        return [row["version"] for row in await db.fetch("SELECT version FROM iamlog_rm.accounts")]

    await eventually(versions, lambda v: v == [version, version])
    live = await snapshot(db)
    assert set(EVENT_MODELS) == seen
    assert (2, 4, 2, 2, 4, 4) == (
        len(live["accounts"]), len(live["users"]), len(live["groups"]),
        len(live["user_tags"]), len(live["policies"]), len(live["group_members"]))
    assert {"benedict"} <= {row[1] for row in live["users"]}
    # per account: root's and ben's two keys under the 90-day maximum; ben's old key rotating
    assert (6, 2) == (len(live["access_key_schedule"]), len(live["access_key_rotations"]))
    assert (2, 2, 2, 2) == (len(live["roles"]), len(live["role_tags"]),
                            len(live["role_boundaries"]), len(live["role_trust_policies"]))
    assert (2, 2, 2, 2) == (len(live["instance_profiles"]), len(live["instance_profile_roles"]),
                            len(live["instance_profile_tags"]), len(live["workloads"]))
    # per account: a token session expired, a role session revoked; workload sessions: one
    # renewed then revoked with its binding, its successor too, one revoked with the role, one
    # active (its renewal due in [0.45, 0.55] of its lifetime)
    assert Counter({("expired", "session_token"): 2, ("revoked", "assumed_role"): 2,
                    ("revoked", "workload"): 6, ("active", "workload"): 2}) == Counter(
        (row[12], row[2]) for row in live["sessions"])
    for row in live["sessions"]:
        issued, expires, renew_at = row[8], row[9], row[10]
        assert (renew_at is not None) == (row[12] == "active" and row[2] == "workload")
        if renew_at is not None:
            assert 0.45 <= (renew_at - issued) / (expires - issued) <= 0.55
    progress: list[tuple[int, int]] = []
    result = await rebuild(settings, lambda done, total: progress.append((done, total)))
    assert 2 * version == result.events
    assert progress[-1][0] == progress[-1][1] >= result.events
    assert live == await snapshot(db)
