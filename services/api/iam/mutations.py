"""IAM actions that change state and answer nothing but success: one table row each.

Each row names the action, the resource its authorization is checked on, and the command it
sends; the handler authorizes first, so a refused call never reaches the log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain import commands as c
from domain.commands import Command
from events.schemas.tags import Tag
from services.api.iam import arns
from services.api.iam.registry import Call, Handler, Result, action

Target = Callable[[Call], str]
Build = Callable[[dict[str, Any]], Command]


def _user(call: Call) -> str:
    return arns.user(call, call.args["UserName"])


def _group(call: Call) -> str:
    return arns.group(call, call.args["GroupName"])


def _policy(call: Call) -> str:
    return str(call.args["PolicyArn"])


def _tags(args: dict[str, Any]) -> tuple[Tag, ...]:
    return tuple(Tag(key=tag["Key"], value=tag["Value"]) for tag in args.get("Tags", []))


MUTATIONS: dict[str, tuple[Target, Build]] = {
    "UpdateUser": (_user, lambda a: c.UpdateUser(
        user_name=a["UserName"], new_user_name=a.get("NewUserName"), new_path=a.get("NewPath"))),
    "TagUser": (_user, lambda a: c.TagUser(user_name=a["UserName"], tags=_tags(a))),
    "UntagUser": (_user, lambda a: c.UntagUser(user_name=a["UserName"],
                                               tag_keys=tuple(a["TagKeys"]))),
    "DeleteGroup": (_group, lambda a: c.DeleteGroup(group_name=a["GroupName"])),
    "AddUserToGroup": (_group, lambda a: c.AddUserToGroup(group_name=a["GroupName"],
                                                          user_name=a["UserName"])),
    "RemoveUserFromGroup": (_group, lambda a: c.RemoveUserFromGroup(
        group_name=a["GroupName"], user_name=a["UserName"])),
    "DeletePolicyVersion": (_policy, lambda a: c.DeletePolicyVersion(
        policy_arn=a["PolicyArn"], version_id=a["VersionId"])),
    "SetDefaultPolicyVersion": (_policy, lambda a: c.SetDefaultPolicyVersion(
        policy_arn=a["PolicyArn"], version_id=a["VersionId"])),
    "DeletePolicy": (_policy, lambda a: c.DeletePolicy(policy_arn=a["PolicyArn"])),
    "AttachUserPolicy": (_user, lambda a: c.AttachUserPolicy(user_name=a["UserName"],
                                                             policy_arn=a["PolicyArn"])),
    "DetachUserPolicy": (_user, lambda a: c.DetachUserPolicy(user_name=a["UserName"],
                                                             policy_arn=a["PolicyArn"])),
    "AttachGroupPolicy": (_group, lambda a: c.AttachGroupPolicy(group_name=a["GroupName"],
                                                                policy_arn=a["PolicyArn"])),
    "DetachGroupPolicy": (_group, lambda a: c.DetachGroupPolicy(group_name=a["GroupName"],
                                                                policy_arn=a["PolicyArn"])),
    "PutUserPolicy": (_user, lambda a: c.PutUserPolicy(
        user_name=a["UserName"], policy_name=a["PolicyName"],
        policy_document=a["PolicyDocument"])),
    "DeleteUserPolicy": (_user, lambda a: c.DeleteUserPolicy(user_name=a["UserName"],
                                                             policy_name=a["PolicyName"])),
    "PutGroupPolicy": (_group, lambda a: c.PutGroupPolicy(
        group_name=a["GroupName"], policy_name=a["PolicyName"],
        policy_document=a["PolicyDocument"])),
    "DeleteGroupPolicy": (_group, lambda a: c.DeleteGroupPolicy(group_name=a["GroupName"],
                                                                policy_name=a["PolicyName"])),
    "PutUserPermissionsBoundary": (_user, lambda a: c.PutUserPermissionsBoundary(
        user_name=a["UserName"], permissions_boundary=a["PermissionsBoundary"])),
    "DeleteUserPermissionsBoundary": (_user, lambda a: c.DeleteUserPermissionsBoundary(
        user_name=a["UserName"])),
}


def _mutation(name: str, target: Target, build: Build) -> Handler:
    async def handle(call: Call) -> Result:
        call.authorize(f"iam:{name}", target(call))
        await call.send(build(call.args))
        return {}
    handle.__doc__ = f"IAM {name}: authorize, send the command, answer success."
    return handle


for _name, (_target, _build) in MUTATIONS.items():
    action("iam", _name)(_mutation(_name, _target, _build))
