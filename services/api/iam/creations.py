"""IAM actions that create an entity and describe it in their answer."""

from __future__ import annotations

from typing import Any

from domain import commands as c
from services.api.iam import arns
from services.api.iam.registry import Call, Result, action


def group_result(data: dict[str, Any]) -> Result:
    """IAM's `Group` structure from a group event's data."""
    return {"Path": data["path"], "GroupName": data["group_name"], "GroupId": data["group_id"],
            "Arn": data["arn"], "CreateDate": data["created_at"]}


def policy_result(data: dict[str, Any]) -> Result:
    """IAM's `Policy` structure from a `policy.created` event's data."""
    result: Result = {
        "PolicyName": data["policy_name"], "PolicyId": data["policy_id"], "Arn": data["arn"],
        "Path": data["path"], "DefaultVersionId": "v1", "AttachmentCount": 0,
        "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
        "CreateDate": data["created_at"], "UpdateDate": data["created_at"],
    }
    if data.get("description"):
        result["Description"] = data["description"]
    return result


@action("iam", "CreateGroup")
async def create_group(call: Call) -> Result:
    """Create a group."""
    path = call.args.get("Path", "/")
    call.authorize("iam:CreateGroup", arns.group(call, call.args["GroupName"], path))
    reply = await call.send(c.CreateGroup(group_name=call.args["GroupName"], path=path))
    return {"Group": group_result(reply.events[0].data)}


@action("iam", "CreatePolicy")
async def create_policy(call: Call) -> Result:
    """Create a customer-managed policy (its first version, v1, is the default)."""
    path = call.args.get("Path", "/")
    call.authorize("iam:CreatePolicy", arns.policy(call, call.args["PolicyName"], path))
    reply = await call.send(c.CreatePolicy(
        policy_name=call.args["PolicyName"], policy_document=call.args["PolicyDocument"],
        path=path, description=call.args.get("Description")))
    return {"Policy": policy_result(reply.events[0].data)}


@action("iam", "CreatePolicyVersion")
async def create_policy_version(call: Call) -> Result:
    """Add a version (at most 5), optionally as the default."""
    call.authorize("iam:CreatePolicyVersion", call.args["PolicyArn"])
    reply = await call.send(c.CreatePolicyVersion(
        policy_arn=call.args["PolicyArn"], policy_document=call.args["PolicyDocument"],
        set_as_default=bool(call.args.get("SetAsDefault", False))))
    data = next(e.data for e in reply.events if e.type == "iamlog.policy.version_created")
    return {"PolicyVersion": {"VersionId": data["version_id"],
                              "IsDefaultVersion": data["set_as_default"],
                              "CreateDate": data["created_at"]}}
