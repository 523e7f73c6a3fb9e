"""IAM instance profiles: create, the mutations, and the reads (from the read models)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain import commands as c
from domain.commands import Command
from domain.iam.instance_profiles import instance_profile_arn
from events.schemas.tags import Tag
from services.api.iam.reads import _document, _found, _page, _paging, fresh
from services.api.iam.registry import Call, Result, action
from services.api.iam.roles import target as role_target
from services.projector import profile_queries as q
from services.projector.queries import Page

Build = Callable[[dict[str, Any]], Command]


def target(call: Call) -> str:
    """The ARN of the instance profile the call names (its real path when it exists)."""
    name = str(call.args["InstanceProfileName"])
    state = call.state
    known = state.instance_profiles.get(name.lower()) if state is not None else None
    return known.arn if known is not None else instance_profile_arn(call.account_id, name)


def _tags(args: dict[str, Any]) -> tuple[Tag, ...]:
    return tuple(Tag(key=tag["Key"], value=tag["Value"]) for tag in args.get("Tags", []))


def _encoded(profile: dict[str, Any]) -> dict[str, Any]:
    return {**profile, "Roles": [
        {**role, "AssumeRolePolicyDocument": _document(role["AssumeRolePolicyDocument"])}
        for role in profile["Roles"]]}


@action("iam", "CreateInstanceProfile")
async def create_instance_profile(call: Call) -> Result:
    """Create an instance profile (holding no role yet)."""
    path = call.args.get("Path", "/")
    arn = instance_profile_arn(call.account_id, call.args["InstanceProfileName"], path)
    call.authorize("iam:CreateInstanceProfile", arn)
    if call.args.get("Tags"):
        call.authorize("iam:TagInstanceProfile", arn)
    reply = await call.send(c.CreateInstanceProfile(
        instance_profile_name=call.args["InstanceProfileName"], path=path,
        tags=_tags(call.args)))
    data = reply.events[0].data
    result: Result = {"Path": data["path"], "InstanceProfileName": data["profile_name"],
                      "InstanceProfileId": data["profile_id"], "Arn": data["arn"],
                      "CreateDate": data["created_at"], "Roles": []}
    if data["tags"]:
        result["Tags"] = [{"Key": t["key"], "Value": t["value"]} for t in data["tags"]]
    return {"InstanceProfile": result}


_MUTATIONS: dict[str, Build] = {
    "DeleteInstanceProfile": lambda a: c.DeleteInstanceProfile(
        instance_profile_name=a["InstanceProfileName"]),
    "AddRoleToInstanceProfile": lambda a: c.AddRoleToInstanceProfile(
        instance_profile_name=a["InstanceProfileName"], role_name=a["RoleName"]),
    "RemoveRoleFromInstanceProfile": lambda a: c.RemoveRoleFromInstanceProfile(
        instance_profile_name=a["InstanceProfileName"], role_name=a["RoleName"]),
    "TagInstanceProfile": lambda a: c.TagInstanceProfile(
        instance_profile_name=a["InstanceProfileName"], tags=_tags(a)),
    "UntagInstanceProfile": lambda a: c.UntagInstanceProfile(
        instance_profile_name=a["InstanceProfileName"], tag_keys=tuple(a["TagKeys"])),
}


def _mutation(name: str, build: Build) -> None:
    async def handle(call: Call) -> Result:
        call.authorize(f"iam:{name}", target(call))
        if name == "AddRoleToInstanceProfile":
            # Whoever puts a role into a profile hands that role to its workloads (AWS asks
            # for iam:PassRole on the role too).
            call.authorize("iam:PassRole", role_target(call))
        await call.send(build(call.args))
        return {}
    handle.__doc__ = f"IAM {name}: authorize on the profile, send the command, answer success."
    action("iam", name)(handle)


for _name, _build in _MUTATIONS.items():
    _mutation(_name, _build)


def _no_profile(call: Call) -> str:
    return f"Instance Profile {call.args.get('InstanceProfileName')} cannot be found."


@action("iam", "GetInstanceProfile")
async def get_instance_profile(call: Call) -> Result:
    """An instance profile with its role (trust policy URL-encoded) and tags."""
    call.authorize("iam:GetInstanceProfile", target(call))
    found = await q.get_instance_profile(await fresh(call), call.account_id,
                                         call.args["InstanceProfileName"])
    return {"InstanceProfile": _encoded(_found(found, _no_profile(call)))}


@action("iam", "ListInstanceProfiles")
async def list_instance_profiles(call: Call) -> Result:
    """Instance profiles of the account, by name, paginated."""
    call.authorize("iam:ListInstanceProfiles",
                   f"arn:aws:iam::{call.account_id}:instance-profile/")
    page = await q.list_instance_profiles(await fresh(call), call.account_id,
                                          path_prefix=call.args.get("PathPrefix"),
                                          **_paging(call))
    return _page("InstanceProfiles", Page([_encoded(p) for p in page.items],
                                            page.is_truncated, page.marker))


@action("iam", "ListInstanceProfilesForRole")
async def list_instance_profiles_for_role(call: Call) -> Result:
    """The instance profiles holding a role."""
    call.authorize("iam:ListInstanceProfilesForRole", role_target(call))
    page = _found(await q.list_instance_profiles_for_role(
        await fresh(call), call.account_id, call.args["RoleName"], **_paging(call)),
        f"The role with name {call.args.get('RoleName')} cannot be found.")
    return _page("InstanceProfiles", Page([_encoded(p) for p in page.items],
                                            page.is_truncated, page.marker))


@action("iam", "ListInstanceProfileTags")
async def list_instance_profile_tags(call: Call) -> Result:
    """An instance profile's tags."""
    call.authorize("iam:ListInstanceProfileTags", target(call))
    page = await q.list_instance_profile_tags(await fresh(call), call.account_id,
                                              call.args["InstanceProfileName"], **_paging(call))
    return _page("Tags", _found(page, _no_profile(call)))
