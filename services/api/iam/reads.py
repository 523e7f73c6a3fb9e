"""IAM actions answered from the Postgres read models, read-your-writes.

Before reading, a handler waits (briefly) until the read models have projected every event of
the caller's account that this replica has seen — so a client that got a success reply sees
its write.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

from domain.errors import NoSuchEntity
from domain.ids import root_arn
from services.api.iam import arns
from services.api.iam.registry import Call, Result, action
from services.api.iam.users import require_user_caller
from services.command_client import ServiceUnavailable
from services.projector import queries as q

_FRESHNESS_SECONDS = 2.0


# Account → the newest version the read models were seen to hold. Versions only grow, so a read
# whose wanted version is already covered needs no extra round trip.
_PROJECTED: dict[str, int] = {}


async def fresh(call: Call) -> Any:
    """The read-model pool, once it has caught up with this replica's view of the account."""
    pool = await call.runtime.pool()
    wanted = call.runtime.index.version(call.account_id)
    if _PROJECTED.get(call.account_id, -1) >= wanted:
        return pool
    deadline = time.monotonic() + _FRESHNESS_SECONDS
    while True:
        seen = await pool.fetchval(
            "SELECT version FROM iamlog_rm.accounts WHERE account_id = $1", call.account_id)
        if (seen or 0) >= wanted:
            _PROJECTED[call.account_id] = max(_PROJECTED.get(call.account_id, 0), seen or 0)
            return pool
        if time.monotonic() > deadline:
            raise ServiceUnavailable("The read models are behind; retry shortly.")
        await asyncio.sleep(0.01)


def _page(result_key: str, page: q.Page) -> Result:
    result: Result = {result_key: page.items, "IsTruncated": page.is_truncated}
    if page.marker is not None:
        result["Marker"] = page.marker
    return result


def _paging(call: Call) -> dict[str, Any]:
    return {"marker": call.args.get("Marker"), "max_items": call.args.get("MaxItems")}


def _found(item: Any, message: str) -> Any:
    if item is None:
        raise NoSuchEntity(message)
    return item


def _document(text: str) -> str:
    # IAM returns policy documents URL-encoded (RFC 3986); SDKs decode them.
    return urllib.parse.quote(text, safe="")


def _user_name(call: Call) -> str:
    return str(call.args["UserName"])


def _no_user(call: Call) -> str:
    return f"The user with name {call.args.get('UserName')} cannot be found."


@action("iam", "GetUser")
async def get_user(call: Call) -> Result:
    """A user, or the caller itself without `UserName`."""
    if "UserName" not in call.args and call.caller.is_root:
        call.authorize("iam:GetUser", root_arn(call.account_id))
        return {"User": {"UserId": call.account_id, "Arn": root_arn(call.account_id),
                         "Path": "/", "UserName": call.account_id,
                         "CreateDate": await _account_created(call)}}
    if "UserName" not in call.args:
        require_user_caller(call)
    name = str(call.args.get("UserName") or call.caller.user_name)
    call.authorize("iam:GetUser", arns.user(call, name))
    user = await q.get_user(await fresh(call), call.account_id, name)
    return {"User": _found(user, f"The user with name {name} cannot be found.")}


async def _account_created(call: Call) -> Any:
    pool = await fresh(call)
    return await pool.fetchval(
        "SELECT created_at FROM iamlog_rm.accounts WHERE account_id = $1", call.account_id)


@action("iam", "ListUsers")
async def list_users(call: Call) -> Result:
    """Users of the account, by name, paginated."""
    call.authorize("iam:ListUsers", f"arn:aws:iam::{call.account_id}:user/")
    page = await q.list_users(await fresh(call), call.account_id,
                              path_prefix=call.args.get("PathPrefix"), **_paging(call))
    return _page("Users", page)


@action("iam", "ListAccessKeys")
async def list_access_keys(call: Call) -> Result:
    """Keys of `UserName`, or of the caller."""
    if "UserName" not in call.args:
        require_user_caller(call)
    name = call.args.get("UserName", call.caller.user_name)
    call.authorize("iam:ListAccessKeys",
                   arns.user(call, name) if name is not None else call.caller.arn)
    page = await q.list_access_keys(await fresh(call), call.account_id, name, **_paging(call))
    return _page("AccessKeyMetadata", _found(page, _no_user(call)))


@action("iam", "GetAccessKeyLastUsed")
async def get_access_key_last_used(call: Call) -> Result:
    """When and where a key was last used (`N/A` if never)."""
    key_id = str(call.args["AccessKeyId"])
    record = call.runtime.index.keys.get(key_id)
    if record is None or record.account_id != call.account_id:
        raise NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")
    owner = arns.user(call, record.user_name) if record.user_name else root_arn(call.account_id)
    call.authorize("iam:GetAccessKeyLastUsed", owner)
    found = await q.get_access_key_last_used(await fresh(call), call.account_id, key_id)
    return dict(_found(found, f"The Access Key with id {key_id} cannot be found."))


@action("iam", "ListUserTags")
async def list_user_tags(call: Call) -> Result:
    """A user's tags."""
    call.authorize("iam:ListUserTags", arns.user(call, _user_name(call)))
    page = await q.list_user_tags(await fresh(call), call.account_id, _user_name(call),
                                  **_paging(call))
    return _page("Tags", _found(page, _no_user(call)))


@action("iam", "GetGroup")
async def get_group(call: Call) -> Result:
    """A group and its members."""
    name = str(call.args["GroupName"])
    call.authorize("iam:GetGroup", arns.group(call, name))
    found = await q.get_group(await fresh(call), call.account_id, name, **_paging(call))
    group, members = _found(found, f"The group with name {name} cannot be found.")
    return {"Group": group, **_page("Users", members)}


@action("iam", "ListGroups")
async def list_groups(call: Call) -> Result:
    """Groups of the account."""
    call.authorize("iam:ListGroups", f"arn:aws:iam::{call.account_id}:group/")
    page = await q.list_groups(await fresh(call), call.account_id,
                               path_prefix=call.args.get("PathPrefix"), **_paging(call))
    return _page("Groups", page)


@action("iam", "ListGroupsForUser")
async def list_groups_for_user(call: Call) -> Result:
    """Groups a user belongs to."""
    call.authorize("iam:ListGroupsForUser", arns.user(call, _user_name(call)))
    page = await q.list_groups_for_user(await fresh(call), call.account_id, _user_name(call),
                                        **_paging(call))
    return _page("Groups", _found(page, _no_user(call)))


def _no_policy(call: Call) -> str:
    return f"Policy {call.args.get('PolicyArn')} does not exist or is not attachable."


@action("iam", "GetPolicy")
async def get_policy(call: Call) -> Result:
    """A managed policy."""
    call.authorize("iam:GetPolicy", call.args["PolicyArn"])
    found = await q.get_policy(await fresh(call), call.account_id, call.args["PolicyArn"])
    return {"Policy": _found(found, _no_policy(call))}


@action("iam", "GetPolicyVersion")
async def get_policy_version(call: Call) -> Result:
    """One version of a managed policy, its document URL-encoded as IAM sends it."""
    call.authorize("iam:GetPolicyVersion", call.args["PolicyArn"])
    found = await q.get_policy_version(await fresh(call), call.account_id,
                                       call.args["PolicyArn"], call.args["VersionId"])
    version = dict(_found(found, f"Policy {call.args['PolicyArn']} version "
                                 f"{call.args['VersionId']} does not exist."))
    if "Document" in version:
        version["Document"] = _document(version["Document"])
    return {"PolicyVersion": version}


@action("iam", "ListPolicies")
async def list_policies(call: Call) -> Result:
    """Managed policies of the account (AWS-managed ones are not served here)."""
    call.authorize("iam:ListPolicies", f"arn:aws:iam::{call.account_id}:policy/")
    page = await q.list_policies(await fresh(call), call.account_id,
                                 scope=call.args.get("Scope", "All"),
                                 only_attached=bool(call.args.get("OnlyAttached", False)),
                                 path_prefix=call.args.get("PathPrefix"), **_paging(call))
    return _page("Policies", page)


@action("iam", "ListPolicyVersions")
async def list_policy_versions(call: Call) -> Result:
    """Versions of a managed policy."""
    call.authorize("iam:ListPolicyVersions", call.args["PolicyArn"])
    page = await q.list_policy_versions(await fresh(call), call.account_id,
                                        call.args["PolicyArn"], **_paging(call))
    return _page("Versions", _found(page, _no_policy(call)))


Lister = Callable[..., Awaitable[q.Page | None]]


def _listing(name: str, key: str, kind: str, *, arg: str, result_key: str, lister: Lister,
             **extra: str) -> None:
    async def handle(call: Call) -> Result:
        target = str(call.args[arg])
        resource = arns.user(call, target) if kind == "user" else arns.group(call, target)
        call.authorize(f"iam:{name}", resource)
        options = {option: call.args.get(param) for option, param in extra.items()}
        page = await lister(await fresh(call), call.account_id, target, **options,
                            **_paging(call))
        return _page(result_key, _found(page, f"The {kind} with name {target} cannot be "
                                              "found."))
    handle.__doc__ = f"IAM {name}: {key} of a {kind}."
    action("iam", name)(handle)


_listing("ListAttachedUserPolicies", "attached policies", "user", arg="UserName",
         result_key="AttachedPolicies", lister=q.list_attached_user_policies,
         path_prefix="PathPrefix")
_listing("ListAttachedGroupPolicies", "attached policies", "group", arg="GroupName",
         result_key="AttachedPolicies", lister=q.list_attached_group_policies,
         path_prefix="PathPrefix")
_listing("ListUserPolicies", "inline policy names", "user", arg="UserName",
         result_key="PolicyNames", lister=q.list_user_policies)
_listing("ListGroupPolicies", "inline policy names", "group", arg="GroupName",
         result_key="PolicyNames", lister=q.list_group_policies)


@action("iam", "GetUserPolicy")
async def get_user_policy(call: Call) -> Result:
    """An inline policy of a user."""
    call.authorize("iam:GetUserPolicy", arns.user(call, _user_name(call)))
    found = await q.get_user_policy(await fresh(call), call.account_id, _user_name(call),
                                    call.args["PolicyName"])
    item = dict(_found(found, f"The user policy with name {call.args['PolicyName']} "
                              "cannot be found."))
    item["PolicyDocument"] = _document(item["PolicyDocument"])
    return item


@action("iam", "GetGroupPolicy")
async def get_group_policy(call: Call) -> Result:
    """An inline policy of a group."""
    call.authorize("iam:GetGroupPolicy", arns.group(call, call.args["GroupName"]))
    found = await q.get_group_policy(await fresh(call), call.account_id,
                                     call.args["GroupName"], call.args["PolicyName"])
    item = dict(_found(found, f"The group policy with name {call.args['PolicyName']} "
                              "cannot be found."))
    item["PolicyDocument"] = _document(item["PolicyDocument"])
    return item


@action("iam", "GetAccountSummary")
async def get_account_summary(call: Call) -> Result:
    """Entity counts and quotas of the account."""
    call.authorize("iam:GetAccountSummary", "*")
    return {"SummaryMap": await q.get_account_summary(await fresh(call), call.account_id)}
