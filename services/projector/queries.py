"""Reads of the IAM read models for the api's Query handlers (schema `iamlog_rm`).

Every function takes an `asyncpg` connection or pool and an account id and returns plain dicts
keyed by AWS's field names (`UserName`, `CreateDate`, …) or a `Page` of them. `None` means the
named entity (or the parent of a listing) does not exist: the caller answers `NoSuchEntity`.

Listings are ordered by name (lower-cased, as names are unique ignoring case) and paginated
with an opaque `Marker` (base64url of the last returned sort key) and `MaxItems` (1–1000,
default 100), as IAM's `IsTruncated`/`Marker` pagination expects.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeAlias

import asyncpg

from domain.errors import ValidationError
from domain.iam.groups import MAX_GROUPS, MAX_GROUPS_PER_USER
from domain.iam.instance_profiles import MAX_INSTANCE_PROFILES
from domain.iam.keys import MAX_KEYS_PER_USER
from domain.iam.policies import MAX_ATTACHED, MAX_POLICIES, MAX_VERSIONS
from domain.iam.roles import MAX_ROLES
from domain.iam.users import MAX_USERS
from domain.policy import PolicyKind

S = "iamlog_rm"
DEFAULT_MAX_ITEMS = 100
Db: TypeAlias = asyncpg.Connection | asyncpg.Pool
Item = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing: `Marker` is set when `IsTruncated`."""

    items: list[Any] = field(default_factory=list)
    is_truncated: bool = False
    marker: str | None = None


def encode_marker(sort_key: str) -> str:
    """The opaque marker that resumes a listing after `sort_key`."""
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def decode_marker(marker: str | None) -> str:
    """The sort key a marker resumes after ("" for none); a forged marker is a ValidationError."""
    if not marker:
        return ""
    try:
        return base64.urlsafe_b64decode(marker + "=" * (-len(marker) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValidationError("Invalid Marker.") from exc


async def _paged(db: Db, sql: str, args: Sequence[Any], sort: str, *, marker: str | None,
                 max_items: int | None, convert: Callable[[asyncpg.Record], Any]) -> Page:
    """Run `sql` (a SELECT … WHERE … without ORDER BY) one page at a time, by column `sort`."""
    limit = min(max(max_items or DEFAULT_MAX_ITEMS, 1), 1000)
    n = len(args)
    rows = await db.fetch(f"{sql} AND {sort} > ${n + 1} ORDER BY {sort} LIMIT ${n + 2}",
                          *args, decode_marker(marker), limit + 1)
    truncated = len(rows) > limit
    rows = rows[:limit]
    return Page([convert(row) for row in rows], truncated,
                encode_marker(rows[-1]["sort_key"]) if truncated else None)


def _prefix(path_prefix: str | None) -> str:
    return (path_prefix or "/").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# --- users and access keys ----------------------------------------------------------------

_USER_COLUMNS = (f"u.user_name, u.user_id, u.path, u.arn, u.created_at, b.policy_arn AS boundary,"
                 f" u.name_key AS sort_key FROM {S}.users u"
                 f" LEFT JOIN {S}.user_boundaries b ON b.user_id = u.user_id")


def _user(row: asyncpg.Record) -> Item:
    item: Item = {"UserName": row["user_name"], "UserId": row["user_id"], "Path": row["path"],
                  "Arn": row["arn"], "CreateDate": row["created_at"]}
    if row["boundary"] is not None:
        item["PermissionsBoundary"] = {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                       "PermissionsBoundaryArn": row["boundary"]}
    return item


async def get_user(db: Db, account_id: str, user_name: str) -> Item | None:
    """GetUser: the user with its boundary and tags."""
    row = await db.fetchrow(f"SELECT {_USER_COLUMNS} WHERE u.account_id = $1 AND u.name_key = $2",
                            account_id, user_name.lower())
    if row is None:
        return None
    item = _user(row)
    tags = await db.fetch(f"SELECT tag_key, tag_value FROM {S}.user_tags WHERE user_id = $1"
                          " ORDER BY key_lower", row["user_id"])
    if tags:
        item["Tags"] = [{"Key": t["tag_key"], "Value": t["tag_value"]} for t in tags]
    return item


async def list_users(db: Db, account_id: str, *, path_prefix: str | None = None,
                     marker: str | None = None, max_items: int | None = None) -> Page:
    """ListUsers under a path prefix."""
    return await _paged(db, f"SELECT {_USER_COLUMNS} WHERE u.account_id = $1 AND u.path LIKE $2",
                        [account_id, _prefix(path_prefix)], "u.name_key",
                        marker=marker, max_items=max_items, convert=_user)


async def _user_id(db: Db, account_id: str, user_name: str) -> str | None:
    value = await db.fetchval(f"SELECT user_id FROM {S}.users WHERE account_id = $1"
                              " AND name_key = $2", account_id, user_name.lower())
    return str(value) if value is not None else None


async def list_access_keys(db: Db, account_id: str, user_name: str | None, *,
                           marker: str | None = None, max_items: int | None = None
                           ) -> Page | None:
    """ListAccessKeys of a user (None: the root user's); None if the user does not exist."""
    def convert(r: asyncpg.Record) -> Item:
        return {**({"UserName": r["user_name"]} if r["user_name"] else {}),
                "AccessKeyId": r["access_key_id"], "Status": r["status"],
                "CreateDate": r["created_at"]}

    if user_name is None:
        return await _paged(
            db, f"SELECT user_name, access_key_id, status, created_at, access_key_id AS sort_key"
                f" FROM {S}.access_keys WHERE account_id = $1 AND user_name IS NULL",
            [account_id], "access_key_id", marker=marker, max_items=max_items,
            convert=convert)
    # One round trip: the user row, joined with its keys (none: one row of NULLs; no user: no row).
    limit = min(max(max_items or DEFAULT_MAX_ITEMS, 1), 1000)
    rows = await db.fetch(
        f"SELECT k.user_name, k.access_key_id, k.status, k.created_at"
        f" FROM {S}.users AS u LEFT JOIN {S}.access_keys AS k"
        f" ON k.account_id = u.account_id AND k.user_name = u.user_name AND k.access_key_id > $3"
        f" WHERE u.account_id = $1 AND u.name_key = $2 ORDER BY k.access_key_id LIMIT $4",
        account_id, user_name.lower(), decode_marker(marker), limit + 1)
    if not rows:
        return None
    keys = [row for row in rows if row["access_key_id"] is not None]
    truncated = len(keys) > limit
    keys = keys[:limit]
    return Page([convert(row) for row in keys], truncated,
                encode_marker(keys[-1]["access_key_id"]) if truncated else None)


async def get_access_key_last_used(db: Db, account_id: str, access_key_id: str) -> Item | None:
    """GetAccessKeyLastUsed: `N/A` service and region and no date for an unused key."""
    row = await db.fetchrow(
        f"SELECT user_name, last_used_date, last_used_service, last_used_region"
        f" FROM {S}.access_keys WHERE account_id = $1 AND access_key_id = $2",
        account_id, access_key_id)
    if row is None:
        return None
    last: Item = {"ServiceName": row["last_used_service"] or "N/A",
                  "Region": row["last_used_region"] or "N/A"}
    if row["last_used_date"] is not None:
        last["LastUsedDate"] = row["last_used_date"]
    return {**({"UserName": row["user_name"]} if row["user_name"] else {}),
            "AccessKeyLastUsed": last}


async def list_user_tags(db: Db, account_id: str, user_name: str, *, marker: str | None = None,
                         max_items: int | None = None) -> Page | None:
    """ListUserTags, ordered by key."""
    user_id = await _user_id(db, account_id, user_name)
    if user_id is None:
        return None
    return await _paged(db, f"SELECT tag_key, tag_value, key_lower AS sort_key"
                            f" FROM {S}.user_tags WHERE user_id = $1",
                        [user_id], "key_lower", marker=marker, max_items=max_items, convert=
                        lambda r: {"Key": r["tag_key"], "Value": r["tag_value"]})


# --- groups -------------------------------------------------------------------------------

_GROUP_COLUMNS = "group_name, group_id, path, arn, created_at, name_key AS sort_key"


def _group(row: asyncpg.Record) -> Item:
    return {"GroupName": row["group_name"], "GroupId": row["group_id"], "Path": row["path"],
            "Arn": row["arn"], "CreateDate": row["created_at"]}


async def get_group(db: Db, account_id: str, group_name: str, *, marker: str | None = None,
                    max_items: int | None = None) -> tuple[Item, Page] | None:
    """GetGroup: the group and a page of its members (`Users`)."""
    row = await db.fetchrow(f"SELECT {_GROUP_COLUMNS} FROM {S}.groups WHERE account_id = $1"
                            " AND name_key = $2", account_id, group_name.lower())
    if row is None:
        return None
    users = await _paged(
        db, f"SELECT {_USER_COLUMNS} JOIN {S}.group_members m ON m.user_id = u.user_id"
            " WHERE m.group_id = $1", [row["group_id"]], "u.name_key",
            marker=marker, max_items=max_items, convert=_user)
    return _group(row), users


async def list_groups(db: Db, account_id: str, *, path_prefix: str | None = None,
                      marker: str | None = None, max_items: int | None = None) -> Page:
    """ListGroups under a path prefix."""
    return await _paged(db, f"SELECT {_GROUP_COLUMNS} FROM {S}.groups WHERE account_id = $1"
                            " AND path LIKE $2", [account_id, _prefix(path_prefix)],
                        "name_key", marker=marker, max_items=max_items, convert=_group)


async def list_groups_for_user(db: Db, account_id: str, user_name: str, *,
                               marker: str | None = None, max_items: int | None = None
                               ) -> Page | None:
    """ListGroupsForUser."""
    user_id = await _user_id(db, account_id, user_name)
    if user_id is None:
        return None
    return await _paged(
        db, f"SELECT g.group_name, g.group_id, g.path, g.arn, g.created_at,"
            f" g.name_key AS sort_key FROM {S}.groups g JOIN {S}.group_members m"
            " ON m.group_id = g.group_id WHERE m.user_id = $1",
        [user_id], "g.name_key", marker=marker, max_items=max_items, convert=_group)


# --- managed policies ---------------------------------------------------------------------

_POLICY_COLUMNS = (
    f"p.policy_name, p.policy_id, p.arn, p.path, p.description, p.created_at,"
    f" d.version_id AS default_version,"
    f" (SELECT count(*) FROM {S}.policy_attachments a WHERE a.policy_id = p.policy_id)"
    f" AS attachments,"
    f" (SELECT count(*) FROM {S}.user_boundaries b WHERE b.policy_id = p.policy_id)"
    f" + (SELECT count(*) FROM {S}.role_boundaries b WHERE b.policy_id = p.policy_id)"
    f" AS boundaries,"
    f" (SELECT max(v.created_at) FROM {S}.policy_versions v WHERE v.policy_id = p.policy_id)"
    f" AS updated_at, p.name_key AS sort_key"
    f" FROM {S}.policies p JOIN {S}.policy_defaults d ON d.policy_id = p.policy_id")


def _policy(row: asyncpg.Record) -> Item:
    item: Item = {"PolicyName": row["policy_name"], "PolicyId": row["policy_id"],
                  "Arn": row["arn"], "Path": row["path"],
                  "DefaultVersionId": row["default_version"],
                  "AttachmentCount": row["attachments"],
                  "PermissionsBoundaryUsageCount": row["boundaries"], "IsAttachable": True,
                  "CreateDate": row["created_at"], "UpdateDate": row["updated_at"]}
    if row["description"] is not None:
        item["Description"] = row["description"]
    return item


async def get_policy(db: Db, account_id: str, policy_arn: str) -> Item | None:
    """GetPolicy (customer-managed policies of this account only)."""
    row = await db.fetchrow(f"SELECT {_POLICY_COLUMNS} WHERE p.account_id = $1 AND p.arn = $2",
                            account_id, policy_arn)
    return _policy(row) if row is not None else None


async def _policy_id(db: Db, account_id: str, policy_arn: str) -> str | None:
    value = await db.fetchval(f"SELECT policy_id FROM {S}.policies WHERE account_id = $1"
                              " AND arn = $2", account_id, policy_arn)
    return str(value) if value is not None else None


def _version(row: asyncpg.Record, with_document: bool) -> Item:
    item: Item = {"VersionId": row["version_id"], "IsDefaultVersion": row["is_default"],
                  "CreateDate": row["created_at"]}
    if with_document:
        item["Document"] = row["document"]
    return item


_VERSION_COLUMNS = (f"v.version_id, v.document, v.created_at, d.version_id = v.version_id"
                    f" AS is_default, lpad(substr(v.version_id, 2), 12, '0') AS sort_key"
                    f" FROM {S}.policy_versions v JOIN {S}.policy_defaults d"
                    " ON d.policy_id = v.policy_id")


async def get_policy_version(db: Db, account_id: str, policy_arn: str,
                             version_id: str) -> Item | None:
    """GetPolicyVersion: the document as it was submitted."""
    policy_id = await _policy_id(db, account_id, policy_arn)
    if policy_id is None:
        return None
    row = await db.fetchrow(f"SELECT {_VERSION_COLUMNS} WHERE v.policy_id = $1"
                            " AND v.version_id = $2", policy_id, version_id)
    return _version(row, with_document=True) if row is not None else None


async def list_policy_versions(db: Db, account_id: str, policy_arn: str, *,
                               marker: str | None = None, max_items: int | None = None
                               ) -> Page | None:
    """ListPolicyVersions, oldest first, without documents."""
    policy_id = await _policy_id(db, account_id, policy_arn)
    if policy_id is None:
        return None
    return await _paged(db, f"SELECT {_VERSION_COLUMNS} WHERE v.policy_id = $1", [policy_id],
                        "lpad(substr(v.version_id, 2), 12, '0')",
                        marker=marker, max_items=max_items, convert=
                        lambda r: _version(r, with_document=False))


async def list_policies(db: Db, account_id: str, *, scope: Literal["All", "AWS", "Local"] = "All",
                        only_attached: bool = False, path_prefix: str | None = None,
                        marker: str | None = None, max_items: int | None = None) -> Page:
    """ListPolicies: only customer-managed (`Local`) policies exist; `AWS` lists none."""
    if scope == "AWS":
        return Page()
    attached = (f" AND EXISTS (SELECT 1 FROM {S}.policy_attachments a"
                " WHERE a.policy_id = p.policy_id)") if only_attached else ""
    return await _paged(db, f"SELECT {_POLICY_COLUMNS} WHERE p.account_id = $1"
                            f" AND p.path LIKE $2{attached}",
                        [account_id, _prefix(path_prefix)], "p.name_key",
                        marker=marker, max_items=max_items, convert=_policy)


Kind = Literal["user", "group", "role"]


async def _entity_id(db: Db, account_id: str, kind: Kind, name: str) -> str | None:
    if kind == "user":
        return await _user_id(db, account_id, name)
    value = await db.fetchval(f"SELECT {kind}_id FROM {S}.{kind}s WHERE account_id = $1"
                              " AND name_key = $2", account_id, name.lower())
    return str(value) if value is not None else None


async def _attached(db: Db, account_id: str, kind: Kind, name: str, *,
                    path_prefix: str | None, marker: str | None,
                    max_items: int | None) -> Page | None:
    entity_id = await _entity_id(db, account_id, kind, name)
    if entity_id is None:
        return None
    return await _paged(
        db, f"SELECT p.policy_name, p.arn, p.name_key AS sort_key FROM {S}.policies p"
            f" JOIN {S}.policy_attachments a ON a.policy_id = p.policy_id"
            " WHERE a.entity_type = $1 AND a.entity_id = $2 AND p.path LIKE $3",
        [kind, entity_id, _prefix(path_prefix)], "p.name_key",
        marker=marker, max_items=max_items, convert=
        lambda r: {"PolicyName": r["policy_name"], "PolicyArn": r["arn"]})


async def list_attached_user_policies(db: Db, account_id: str, user_name: str, *,
                                      path_prefix: str | None = None, marker: str | None = None,
                                      max_items: int | None = None) -> Page | None:
    """ListAttachedUserPolicies (`PolicyName`, `PolicyArn`)."""
    return await _attached(db, account_id, "user", user_name, path_prefix=path_prefix,
                           marker=marker, max_items=max_items)


async def list_attached_group_policies(db: Db, account_id: str, group_name: str, *,
                                       path_prefix: str | None = None,
                                       marker: str | None = None,
                                       max_items: int | None = None) -> Page | None:
    """ListAttachedGroupPolicies (`PolicyName`, `PolicyArn`)."""
    return await _attached(db, account_id, "group", group_name, path_prefix=path_prefix,
                           marker=marker, max_items=max_items)


# --- inline policies ----------------------------------------------------------------------


async def _inline(db: Db, account_id: str, kind: Kind, name: str,
                  policy_name: str) -> Item | None:
    entity_id = await _entity_id(db, account_id, kind, name)
    if entity_id is None:
        return None
    row = await db.fetchrow(f"SELECT policy_name, document FROM {S}.inline_policies"
                            " WHERE entity_type = $1 AND entity_id = $2 AND name_key = $3",
                            kind, entity_id, policy_name.lower())
    if row is None:
        return None
    owner = await db.fetchval(f"SELECT {kind}_name FROM {S}.{kind}s WHERE {kind}_id = $1",
                              entity_id)
    field_name = f"{kind.capitalize()}Name"
    return {field_name: owner, "PolicyName": row["policy_name"],
            "PolicyDocument": row["document"]}


async def get_user_policy(db: Db, account_id: str, user_name: str,
                          policy_name: str) -> Item | None:
    """GetUserPolicy; None if the user or the policy does not exist."""
    return await _inline(db, account_id, "user", user_name, policy_name)


async def get_group_policy(db: Db, account_id: str, group_name: str,
                           policy_name: str) -> Item | None:
    """GetGroupPolicy; None if the group or the policy does not exist."""
    return await _inline(db, account_id, "group", group_name, policy_name)


async def _inline_names(db: Db, account_id: str, kind: Kind, name: str,
                        *, marker: str | None, max_items: int | None) -> Page | None:
    entity_id = await _entity_id(db, account_id, kind, name)
    if entity_id is None:
        return None
    return await _paged(db, f"SELECT policy_name, name_key AS sort_key FROM {S}.inline_policies"
                            " WHERE entity_type = $1 AND entity_id = $2",
                        [kind, entity_id], "name_key", marker=marker, max_items=max_items, convert=
                        lambda r: r["policy_name"])


async def list_user_policies(db: Db, account_id: str, user_name: str, *,
                             marker: str | None = None, max_items: int | None = None
                             ) -> Page | None:
    """ListUserPolicies: the names of the user's inline policies."""
    return await _inline_names(db, account_id, "user", user_name, marker=marker,
                               max_items=max_items)


async def list_group_policies(db: Db, account_id: str, group_name: str, *,
                              marker: str | None = None, max_items: int | None = None
                              ) -> Page | None:
    """ListGroupPolicies: the names of the group's inline policies."""
    return await _inline_names(db, account_id, "group", group_name, marker=marker,
                               max_items=max_items)


# --- roles --------------------------------------------------------------------------------

_ROLE_COLUMNS = (
    f"r.role_name, r.role_id, r.path, r.arn, r.created_at, s.description,"
    f" s.max_session_duration, t.document AS trust_policy, b.policy_arn AS boundary,"
    f" r.name_key AS sort_key FROM {S}.roles r"
    f" JOIN {S}.role_settings s ON s.role_id = r.role_id"
    f" JOIN {S}.role_trust_policies t ON t.role_id = r.role_id"
    f" LEFT JOIN {S}.role_boundaries b ON b.role_id = r.role_id")


def _role(row: asyncpg.Record) -> Item:
    item: Item = {"Path": row["path"], "RoleName": row["role_name"], "RoleId": row["role_id"],
                  "Arn": row["arn"], "CreateDate": row["created_at"],
                  "AssumeRolePolicyDocument": row["trust_policy"],
                  "MaxSessionDuration": row["max_session_duration"]}
    if row["description"] is not None:
        item["Description"] = row["description"]
    if row["boundary"] is not None:
        item["PermissionsBoundary"] = {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                       "PermissionsBoundaryArn": row["boundary"]}
    return item


async def get_role(db: Db, account_id: str, role_name: str) -> Item | None:
    """GetRole: the role with its trust policy (as submitted), boundary and tags."""
    row = await db.fetchrow(f"SELECT {_ROLE_COLUMNS} WHERE r.account_id = $1 AND r.name_key = $2",
                            account_id, role_name.lower())
    if row is None:
        return None
    item = _role(row)
    tags = await db.fetch(f"SELECT tag_key, tag_value FROM {S}.role_tags WHERE role_id = $1"
                          " ORDER BY key_lower", row["role_id"])
    if tags:
        item["Tags"] = [{"Key": t["tag_key"], "Value": t["tag_value"]} for t in tags]
    return item


async def list_roles(db: Db, account_id: str, *, path_prefix: str | None = None,
                     marker: str | None = None, max_items: int | None = None) -> Page:
    """ListRoles under a path prefix (without tags, as IAM lists them)."""
    return await _paged(db, f"SELECT {_ROLE_COLUMNS} WHERE r.account_id = $1 AND r.path LIKE $2",
                        [account_id, _prefix(path_prefix)], "r.name_key",
                        marker=marker, max_items=max_items, convert=_role)


async def list_role_tags(db: Db, account_id: str, role_name: str, *, marker: str | None = None,
                         max_items: int | None = None) -> Page | None:
    """ListRoleTags, ordered by key."""
    role_id = await _entity_id(db, account_id, "role", role_name)
    if role_id is None:
        return None
    return await _paged(db, f"SELECT tag_key, tag_value, key_lower AS sort_key"
                            f" FROM {S}.role_tags WHERE role_id = $1",
                        [role_id], "key_lower", marker=marker, max_items=max_items, convert=
                        lambda r: {"Key": r["tag_key"], "Value": r["tag_value"]})


async def list_attached_role_policies(db: Db, account_id: str, role_name: str, *,
                                      path_prefix: str | None = None, marker: str | None = None,
                                      max_items: int | None = None) -> Page | None:
    """ListAttachedRolePolicies (`PolicyName`, `PolicyArn`)."""
    return await _attached(db, account_id, "role", role_name, path_prefix=path_prefix,
                           marker=marker, max_items=max_items)


async def get_role_policy(db: Db, account_id: str, role_name: str,
                          policy_name: str) -> Item | None:
    """GetRolePolicy; None if the role or the policy does not exist."""
    return await _inline(db, account_id, "role", role_name, policy_name)


async def list_role_policies(db: Db, account_id: str, role_name: str, *,
                             marker: str | None = None, max_items: int | None = None
                             ) -> Page | None:
    """ListRolePolicies: the names of the role's inline policies."""
    return await _inline_names(db, account_id, "role", role_name, marker=marker,
                               max_items=max_items)

# --- account summary and credential report ------------------------------------------------


async def get_account_summary(db: Db, account_id: str) -> dict[str, int]:
    """GetAccountSummary: the SummaryMap entries iamlog can compute (no MFA or certificates)."""
    row = await db.fetchrow(
        f"SELECT (SELECT count(*) FROM {S}.users WHERE account_id = $1) AS users,"
        f" (SELECT count(*) FROM {S}.groups WHERE account_id = $1) AS groups,"
        f" (SELECT count(*) FROM {S}.policies WHERE account_id = $1) AS policies,"
        f" (SELECT count(*) FROM {S}.roles WHERE account_id = $1) AS roles,"
        f" (SELECT count(*) FROM {S}.instance_profiles WHERE account_id = $1)"
        "  AS instance_profiles,"
        f" (SELECT count(*) FROM {S}.policy_versions v WHERE v.account_id = $1 AND EXISTS"
        f"  (SELECT 1 FROM {S}.policy_attachments a WHERE a.policy_id = v.policy_id))"
        f"  AS versions_in_use,"
        f" (SELECT count(*) FROM {S}.access_keys WHERE account_id = $1"
        "   AND user_name IS NULL) AS root_keys", account_id)
    assert row is not None
    return {
        "Users": row["users"], "UsersQuota": MAX_USERS,
        "Groups": row["groups"], "GroupsQuota": MAX_GROUPS,
        "Policies": row["policies"], "PoliciesQuota": MAX_POLICIES,
        "Roles": row["roles"], "RolesQuota": MAX_ROLES,
        "InstanceProfiles": row["instance_profiles"],
        "InstanceProfilesQuota": MAX_INSTANCE_PROFILES,
        "AttachedPoliciesPerRoleQuota": MAX_ATTACHED,
        "RolePolicySizeQuota": PolicyKind.ROLE_INLINE.size_limit,
        "PolicyVersionsInUse": row["versions_in_use"], "PolicyVersionsInUseQuota": 10_000,
        "VersionsPerPolicyQuota": MAX_VERSIONS,
        "AttachedPoliciesPerUserQuota": MAX_ATTACHED,
        "AttachedPoliciesPerGroupQuota": MAX_ATTACHED,
        "GroupsPerUserQuota": MAX_GROUPS_PER_USER,
        "AccessKeysPerUserQuota": MAX_KEYS_PER_USER,
        "PolicySizeQuota": PolicyKind.MANAGED.size_limit,
        "UserPolicySizeQuota": PolicyKind.USER_INLINE.size_limit,
        "GroupPolicySizeQuota": PolicyKind.GROUP_INLINE.size_limit,
        "AccountAccessKeysPresent": 1 if row["root_keys"] else 0,
        "AccountMFAEnabled": 0,
        "AccountSigningCertificatesPresent": 0,
        "MFADevices": 0,
        "MFADevicesInUse": 0,
    }


CREDENTIAL_REPORT_COLUMNS = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used",
    "password_last_changed", "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
)


def _time(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment is not None else "N/A"


def _report_row(user: str, arn: str, created: datetime, keys: list[asyncpg.Record], *,
                root: bool) -> dict[str, str]:
    row = {"user": user, "arn": arn, "user_creation_time": _time(created),
           "password_enabled": "not_supported" if root else "false",
           "password_last_used": "N/A" if not root else "no_information",
           "password_last_changed": "not_supported" if root else "N/A",
           "password_next_rotation": "not_supported" if root else "N/A",
           "mfa_active": "false"}
    for n in (1, 2):
        key = keys[n - 1] if len(keys) >= n else None
        row[f"access_key_{n}_active"] = "true" if key and key["status"] == "Active" else "false"
        row[f"access_key_{n}_last_rotated"] = _time(key["created_at"] if key else None)
        row[f"access_key_{n}_last_used_date"] = _time(key["last_used_date"] if key else None)
        row[f"access_key_{n}_last_used_region"] = (key and key["last_used_region"]) or "N/A"
        row[f"access_key_{n}_last_used_service"] = (key and key["last_used_service"]) or "N/A"
        row[f"cert_{n}_active"] = "false"
        row[f"cert_{n}_last_rotated"] = "N/A"
    return {column: row[column] for column in CREDENTIAL_REPORT_COLUMNS}


async def credential_report_rows(db: Db, account_id: str) -> list[dict[str, str]]:
    """The credential report's rows (columns `CREDENTIAL_REPORT_COLUMNS`): `<root_account>`
    first, then every user by name; keys oldest first, `N/A` where there is nothing."""
    account = await db.fetchrow(f"SELECT root_arn, created_at FROM {S}.accounts"
                                " WHERE account_id = $1", account_id)
    if account is None:
        return []
    users = await db.fetch(f"SELECT user_name, arn, created_at FROM {S}.users"
                           " WHERE account_id = $1 ORDER BY name_key", account_id)
    keys = await db.fetch(f"SELECT user_name, status, created_at, last_used_date,"
                          " last_used_region, last_used_service FROM"
                          f" {S}.access_keys WHERE account_id = $1"
                          " ORDER BY created_at, access_key_id", account_id)
    by_owner: dict[str | None, list[asyncpg.Record]] = {}
    for key in keys:
        by_owner.setdefault(key["user_name"], []).append(key)
    rows = [_report_row("<root_account>", account["root_arn"], account["created_at"],
                        by_owner.get(None, []), root=True)]
    rows += [_report_row(u["user_name"], u["arn"], u["created_at"],
                         by_owner.get(u["user_name"], []), root=False) for u in users]
    return rows
