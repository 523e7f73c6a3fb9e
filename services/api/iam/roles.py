"""IAM roles: CreateRole, the role mutations, and the reads of roles and their policies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain import commands as c
from domain.commands import Command
from domain.ids import role_arn
from events.schemas.tags import Tag
from services.api.iam.reads import _document, _found, _page, _paging, fresh
from services.api.iam.registry import Call, Result, action
from services.projector import queries as q

Build = Callable[[dict[str, Any]], Command]


def target(call: Call, name: str | None = None) -> str:
    """The ARN of the role the call names (its real path when it exists, else `/`)."""
    role_name = str(name if name is not None else call.args["RoleName"])
    state = call.state
    known = state.roles.get(role_name.lower()) if state is not None else None
    return known.arn if known is not None else role_arn(call.account_id, role_name)


def _tags(args: dict[str, Any]) -> tuple[Tag, ...]:
    return tuple(Tag(key=tag["Key"], value=tag["Value"]) for tag in args.get("Tags", []))


def role_result(data: dict[str, Any]) -> Result:
    """IAM's `Role` structure from a `role.created` event's data."""
    result: Result = {
        "Path": data["path"], "RoleName": data["role_name"], "RoleId": data["role_id"],
        "Arn": data["arn"], "CreateDate": data["created_at"],
        "AssumeRolePolicyDocument": _document(data["trust_policy"]),
        "MaxSessionDuration": data["max_session_duration"],
    }
    if data.get("description") is not None:
        result["Description"] = data["description"]
    if data.get("tags"):
        result["Tags"] = [{"Key": t["key"], "Value": t["value"]} for t in data["tags"]]
    return result


@action("iam", "CreateRole")
async def create_role(call: Call) -> Result:
    """Create a role with its trust policy."""
    path = call.args.get("Path", "/")
    call.authorize("iam:CreateRole", role_arn(call.account_id, call.args["RoleName"], path))
    if call.args.get("Tags"):
        call.authorize("iam:TagRole", role_arn(call.account_id, call.args["RoleName"], path))
    if call.args.get("PermissionsBoundary"):
        call.authorize("iam:PutRolePermissionsBoundary",
                       role_arn(call.account_id, call.args["RoleName"], path))
    reply = await call.send(c.CreateRole(
        role_name=call.args["RoleName"], path=path,
        assume_role_policy_document=call.args["AssumeRolePolicyDocument"],
        description=call.args.get("Description"),
        max_session_duration=int(call.args.get("MaxSessionDuration", 3600)),
        tags=_tags(call.args), permissions_boundary=call.args.get("PermissionsBoundary")))
    result = role_result(reply.events[0].data)
    if len(reply.events) > 1:
        result["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
            "PermissionsBoundaryArn": reply.events[1].data["policy_arn"]}
    return {"Role": result}


_MUTATIONS: dict[str, Build] = {
    "UpdateRole": lambda a: c.UpdateRole(
        role_name=a["RoleName"], description=a.get("Description"),
        max_session_duration=a.get("MaxSessionDuration")),
    "UpdateAssumeRolePolicy": lambda a: c.UpdateAssumeRolePolicy(
        role_name=a["RoleName"], policy_document=a["PolicyDocument"]),
    "DeleteRole": lambda a: c.DeleteRole(role_name=a["RoleName"]),
    "TagRole": lambda a: c.TagRole(role_name=a["RoleName"], tags=_tags(a)),
    "UntagRole": lambda a: c.UntagRole(role_name=a["RoleName"], tag_keys=tuple(a["TagKeys"])),
    "AttachRolePolicy": lambda a: c.AttachRolePolicy(role_name=a["RoleName"],
                                                     policy_arn=a["PolicyArn"]),
    "DetachRolePolicy": lambda a: c.DetachRolePolicy(role_name=a["RoleName"],
                                                     policy_arn=a["PolicyArn"]),
    "PutRolePolicy": lambda a: c.PutRolePolicy(
        role_name=a["RoleName"], policy_name=a["PolicyName"],
        policy_document=a["PolicyDocument"]),
    "DeleteRolePolicy": lambda a: c.DeleteRolePolicy(role_name=a["RoleName"],
                                                     policy_name=a["PolicyName"]),
    "PutRolePermissionsBoundary": lambda a: c.PutRolePermissionsBoundary(
        role_name=a["RoleName"], permissions_boundary=a["PermissionsBoundary"]),
    "DeleteRolePermissionsBoundary": lambda a: c.DeleteRolePermissionsBoundary(
        role_name=a["RoleName"]),
}


def _mutation(name: str, build: Build) -> None:
    async def handle(call: Call) -> Result:
        call.authorize(f"iam:{name}", target(call))
        await call.send(build(call.args))
        return {}
    handle.__doc__ = f"IAM {name}: authorize on the role, send the command, answer success."
    action("iam", name)(handle)


for _name, _build in _MUTATIONS.items():
    _mutation(_name, _build)


def _no_role(call: Call) -> str:
    return f"The role with name {call.args.get('RoleName')} cannot be found."


def _encoded(role: dict[str, Any]) -> dict[str, Any]:
    return {**role, "AssumeRolePolicyDocument": _document(role["AssumeRolePolicyDocument"])}


@action("iam", "GetRole")
async def get_role(call: Call) -> Result:
    """A role, its trust policy URL-encoded as IAM sends it."""
    call.authorize("iam:GetRole", target(call))
    role = _found(await q.get_role(await fresh(call), call.account_id, call.args["RoleName"]),
                  _no_role(call))
    return {"Role": {**_encoded(role), "RoleLastUsed": {}}}


@action("iam", "ListRoles")
async def list_roles(call: Call) -> Result:
    """Roles of the account, by name, paginated."""
    call.authorize("iam:ListRoles", f"arn:aws:iam::{call.account_id}:role/")
    page = await q.list_roles(await fresh(call), call.account_id,
                              path_prefix=call.args.get("PathPrefix"), **_paging(call))
    return _page("Roles", q.Page([_encoded(role) for role in page.items], page.is_truncated,
                                 page.marker))


@action("iam", "ListRoleTags")
async def list_role_tags(call: Call) -> Result:
    """A role's tags."""
    call.authorize("iam:ListRoleTags", target(call))
    page = await q.list_role_tags(await fresh(call), call.account_id, call.args["RoleName"],
                                  **_paging(call))
    return _page("Tags", _found(page, _no_role(call)))


@action("iam", "ListAttachedRolePolicies")
async def list_attached_role_policies(call: Call) -> Result:
    """Managed policies attached to a role."""
    call.authorize("iam:ListAttachedRolePolicies", target(call))
    page = await q.list_attached_role_policies(
        await fresh(call), call.account_id, call.args["RoleName"],
        path_prefix=call.args.get("PathPrefix"), **_paging(call))
    return _page("AttachedPolicies", _found(page, _no_role(call)))


@action("iam", "ListRolePolicies")
async def list_role_policies(call: Call) -> Result:
    """Names of a role's inline policies."""
    call.authorize("iam:ListRolePolicies", target(call))
    page = await q.list_role_policies(await fresh(call), call.account_id,
                                      call.args["RoleName"], **_paging(call))
    return _page("PolicyNames", _found(page, _no_role(call)))


@action("iam", "GetRolePolicy")
async def get_role_policy(call: Call) -> Result:
    """An inline policy of a role, its document URL-encoded as IAM sends it."""
    call.authorize("iam:GetRolePolicy", target(call))
    found = await q.get_role_policy(await fresh(call), call.account_id, call.args["RoleName"],
                                    call.args["PolicyName"])
    item = dict(_found(found, f"The role policy with name {call.args['PolicyName']} "
                              "cannot be found."))
    item["PolicyDocument"] = _document(item["PolicyDocument"])
    return item
