"""`services.projector.queries` over rows the live projector wrote."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from domain.commands import (
    AddUserToGroup,
    AttachGroupPolicy,
    AttachUserPolicy,
    Command,
    CreateAccessKey,
    CreateAccount,
    CreateGroup,
    CreatePolicy,
    CreatePolicyVersion,
    CreateUser,
    PutGroupPolicy,
    PutUserPermissionsBoundary,
    PutUserPolicy,
    RecordAccessKeyUse,
    TagUser,
    UpdateAccessKey,
)
from events.schemas import Tag
from services.command_client import CommandClient
from services.projector import queries as q
from tests.integration.harness import eventually

DOC = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",'
       ' "Resource": "*"}]}')
USED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def project(client: CommandClient, db: asyncpg.Connection, account: str,
                  commands: list[Command]) -> dict[str, str]:
    """Send `commands`, wait until the read models hold their last event; the key ids issued."""
    keys: dict[str, str] = {}
    version = 0
    for command in commands:
        reply = await client.send(account, command)
        assert reply.ok, reply.error_message
        version = reply.version
        for event in reply.events:
            if event.type == "iamlog.access_key.issued":
                keys[event.data["user_name"] or "<root>"] = event.data["access_key_id"]

    async def projected() -> int | None:
        value = await db.fetchval("SELECT version FROM iamlog_rm.accounts WHERE account_id = $1",
                                  account)
        return int(value) if value is not None else None

    await eventually(projected, lambda v: v == version)
    return keys


async def test_queries_answer_from_projected_rows(  # type: ignore[no-untyped-def]
    spawn, client: CommandClient, db: asyncpg.Connection, account_id: str
) -> None:
    """Users, keys, tags, groups, policies, inline policies, summary and credential report."""
    spawn("processor", "projector")
    arn = f"arn:aws:iam::{account_id}:policy/team/Read"
    keys = await project(client, db, account_id, [
        CreateAccount(),
        *[CreateUser(user_name=name, path="/team/" if name != "zed" else "/")
          for name in ("ann", "Ben", "cid", "zed")],
        CreateAccessKey(user_name="ann"),
        CreateAccessKey(user_name="ann"),
        TagUser(user_name="ann", tags=(Tag(key="team", value="a"), Tag(key="Cost", value="1"))),
        CreateGroup(group_name="ops"),
        AddUserToGroup(group_name="ops", user_name="ann"),
        AddUserToGroup(group_name="ops", user_name="Ben"),
        CreatePolicy(policy_name="Read", path="/team/", policy_document=DOC, description="r"),
        CreatePolicy(policy_name="Idle", policy_document=DOC),
        CreatePolicyVersion(policy_arn=arn, policy_document=DOC, set_as_default=True),
        AttachUserPolicy(user_name="ann", policy_arn=arn),
        AttachGroupPolicy(group_name="ops", policy_arn=arn),
        PutUserPolicy(user_name="ann", policy_name="Own", policy_document=DOC),
        PutGroupPolicy(group_name="ops", policy_name="G", policy_document=DOC),
        PutUserPermissionsBoundary(user_name="Ben", permissions_boundary=arn),
    ])
    ann_key = keys["ann"]
    await project(client, db, account_id, [
        RecordAccessKeyUse(access_key_id=ann_key, service="iam", region="us-east-1", at=USED),
        UpdateAccessKey(access_key_id=ann_key, status="Inactive", user_name="ann"),
    ])

    ann = await q.get_user(db, account_id, "ANN")
    ben = await q.get_user(db, account_id, "ben")
    assert ann is not None
    assert ben is not None
    assert ("ann", "/team/", [{"Key": "Cost", "Value": "1"}, {"Key": "team", "Value": "a"}]) == (
        ann["UserName"], ann["Path"], ann["Tags"])
    assert {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
            "PermissionsBoundaryArn": arn} == ben["PermissionsBoundary"]
    assert await q.get_user(db, account_id, "nobody") is None

    first = await q.list_users(db, account_id, max_items=2)
    rest = await q.list_users(db, account_id, marker=first.marker, max_items=2)
    team = await q.list_users(db, account_id, path_prefix="/team/")
    assert (["ann", "Ben"], True, ["cid", "zed"], False) == (
        [u["UserName"] for u in first.items], first.is_truncated,
        [u["UserName"] for u in rest.items], rest.is_truncated)
    assert ["ann", "Ben", "cid"] == [u["UserName"] for u in team.items]

    listed = await q.list_access_keys(db, account_id, "ann")
    root = await q.list_access_keys(db, account_id, None)
    assert listed is not None
    assert root is not None
    assert {(ann_key, "Inactive")} <= {(k["AccessKeyId"], k["Status"]) for k in listed.items}
    assert (2, 1) == (len(listed.items), len(root.items))
    used = await q.get_access_key_last_used(db, account_id, ann_key)
    other = next(k["AccessKeyId"] for k in listed.items if k["AccessKeyId"] != ann_key)
    unused = await q.get_access_key_last_used(db, account_id, other)
    assert {"UserName": "ann", "AccessKeyLastUsed": {
        "LastUsedDate": USED, "ServiceName": "iam", "Region": "us-east-1"}} == used
    assert {"ServiceName": "N/A", "Region": "N/A"} == (unused or {})["AccessKeyLastUsed"]

    tags = await q.list_user_tags(db, account_id, "ann", max_items=1)
    assert tags is not None
    assert (["Cost"], True) == ([t["Key"] for t in tags.items],
                                                      tags.is_truncated)

    group = await q.get_group(db, account_id, "OPS")
    assert group is not None
    assert ("ops", ["ann", "Ben"]) == (group[0]["GroupName"],
                                       [u["UserName"] for u in group[1].items])
    groups = await q.list_groups_for_user(db, account_id, "ben")
    assert groups is not None
    assert ["ops"] == [g["GroupName"] for g in groups.items]
    assert ["ops"] == [g["GroupName"] for g in (await q.list_groups(db, account_id)).items]

    policy = await q.get_policy(db, account_id, arn)
    assert policy is not None
    assert ("Read", "v2", 2, 1, "r") == (policy["PolicyName"], policy["DefaultVersionId"],
                                         policy["AttachmentCount"],
                                         policy["PermissionsBoundaryUsageCount"],
                                         policy["Description"])
    version = await q.get_policy_version(db, account_id, arn, "v1")
    assert version is not None
    assert (DOC, False) == (version["Document"],
                                                    version["IsDefaultVersion"])
    versions = await q.list_policy_versions(db, account_id, arn)
    assert versions is not None
    assert [("v1", False), ("v2", True)] == [(v["VersionId"], v["IsDefaultVersion"])
                                             for v in versions.items]
    assert ["Idle", "Read"] == [p["PolicyName"] for p in (await q.list_policies(
        db, account_id, scope="Local")).items]
    assert ["Read"] == [p["PolicyName"] for p in (await q.list_policies(
        db, account_id, only_attached=True)).items]
    assert [] == (await q.list_policies(db, account_id, scope="AWS")).items
    attached = await q.list_attached_group_policies(db, account_id, "ops")
    assert attached is not None
    assert [{"PolicyName": "Read", "PolicyArn": arn}] == attached.items
    assert (await q.list_attached_user_policies(db, account_id, "cid")) == q.Page()

    inline = await q.get_user_policy(db, account_id, "ann", "own")
    assert {"UserName": "ann", "PolicyName": "Own", "PolicyDocument": DOC} == inline
    group_inline = await q.list_group_policies(db, account_id, "ops")
    assert group_inline is not None
    assert ["G"] == group_inline.items
    assert (await q.get_group_policy(db, account_id, "ops", "G") or {}).get("GroupName") == "ops"
    assert await q.list_user_policies(db, account_id, "nobody") is None

    summary = await q.get_account_summary(db, account_id)
    assert (4, 1, 2, 2, 1) == (summary["Users"], summary["Groups"], summary["Policies"],
                               summary["PolicyVersionsInUse"],
                               summary["AccountAccessKeysPresent"])

    report = await q.credential_report_rows(db, account_id)
    assert ["<root_account>", "ann", "Ben", "cid", "zed"] == [r["user"] for r in report]
    assert all(list(row) == list(q.CREDENTIAL_REPORT_COLUMNS) for row in report)
    ann_row = report[1]
    assert ({"true", "false"}, "N/A") == (
        {ann_row["access_key_1_active"], ann_row["access_key_2_active"]},
        report[2]["access_key_1_last_used_date"])
    assert "us-east-1" in {ann_row["access_key_1_last_used_region"],
                           ann_row["access_key_2_last_used_region"]}
