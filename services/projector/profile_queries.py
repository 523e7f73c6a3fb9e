"""Reads of the instance profile and workload read models (schema `iamlog_rm`), in the manner
of `services.projector.queries`: AWS field names, `None` for a missing entity, `Page`s."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.projector.queries import (
    _ROLE_COLUMNS,
    Db,
    Item,
    Page,
    S,
    _paged,
    _prefix,
    _role,
)

_PROFILE_COLUMNS = (f"p.profile_name, p.profile_id, p.path, p.arn, p.created_at,"
                    f" p.name_key AS sort_key FROM {S}.instance_profiles p")


def _profile(row: asyncpg.Record) -> Item:
    return {"Path": row["path"], "InstanceProfileName": row["profile_name"],
            "InstanceProfileId": row["profile_id"], "Arn": row["arn"],
            "CreateDate": row["created_at"], "Roles": []}


async def _with_roles(db: Db, page: Page) -> Page:
    """Fill each profile's `Roles` (one query for the whole page)."""
    by_id = {item["InstanceProfileId"]: item for item in page.items}
    if by_id:
        rows = await db.fetch(
            f"SELECT ipr.profile_id, {_ROLE_COLUMNS}"
            f" JOIN {S}.instance_profile_roles ipr ON ipr.role_id = r.role_id"
            " WHERE ipr.profile_id = ANY($1::text[])", list(by_id))
        for row in rows:
            by_id[row["profile_id"]]["Roles"].append(_role(row))
    return page


async def get_instance_profile(db: Db, account_id: str, name: str) -> Item | None:
    """GetInstanceProfile: the profile, its role and its tags."""
    page = await _paged(db, f"SELECT {_PROFILE_COLUMNS} WHERE p.account_id = $1"
                            " AND p.name_key = $2", [account_id, name.lower()], "p.name_key",
                        marker=None, max_items=1, convert=_profile)
    if not page.items:
        return None
    item: Item = (await _with_roles(db, page)).items[0]
    tags = await db.fetch(f"SELECT tag_key, tag_value FROM {S}.instance_profile_tags"
                          " WHERE profile_id = $1 ORDER BY key_lower", item["InstanceProfileId"])
    if tags:
        item["Tags"] = [{"Key": t["tag_key"], "Value": t["tag_value"]} for t in tags]
    return item


async def list_instance_profiles(db: Db, account_id: str, *, path_prefix: str | None = None,
                                 marker: str | None = None, max_items: int | None = None
                                 ) -> Page:
    """ListInstanceProfiles under a path prefix, each with its role."""
    return await _with_roles(db, await _paged(
        db, f"SELECT {_PROFILE_COLUMNS} WHERE p.account_id = $1 AND p.path LIKE $2",
        [account_id, _prefix(path_prefix)], "p.name_key", marker=marker, max_items=max_items,
        convert=_profile))


async def list_instance_profiles_for_role(db: Db, account_id: str, role_name: str, *,
                                          marker: str | None = None,
                                          max_items: int | None = None) -> Page | None:
    """ListInstanceProfilesForRole; None if the role does not exist."""
    role_id = await db.fetchval(f"SELECT role_id FROM {S}.roles WHERE account_id = $1"
                                " AND name_key = $2", account_id, role_name.lower())
    if role_id is None:
        return None
    return await _with_roles(db, await _paged(
        db, f"SELECT {_PROFILE_COLUMNS} JOIN {S}.instance_profile_roles ipr"
            " ON ipr.profile_id = p.profile_id WHERE ipr.role_id = $1",
        [role_id], "p.name_key", marker=marker, max_items=max_items, convert=_profile))


async def list_instance_profile_tags(db: Db, account_id: str, name: str, *,
                                     marker: str | None = None, max_items: int | None = None
                                     ) -> Page | None:
    """ListInstanceProfileTags, ordered by key; None if the profile does not exist."""
    profile_id = await db.fetchval(f"SELECT profile_id FROM {S}.instance_profiles"
                                   " WHERE account_id = $1 AND name_key = $2",
                                   account_id, name.lower())
    if profile_id is None:
        return None
    return await _paged(db, f"SELECT tag_key, tag_value, key_lower AS sort_key"
                            f" FROM {S}.instance_profile_tags WHERE profile_id = $1",
                        [profile_id], "key_lower", marker=marker, max_items=max_items, convert=
                        lambda r: {"Key": r["tag_key"], "Value": r["tag_value"]})


async def list_workloads(db: Db, account_id: str) -> list[dict[str, Any]]:
    """The account's workload bindings with their profiles, by workload name."""
    rows = await db.fetch(
        f"SELECT w.workload, p.profile_name, w.bound_at FROM {S}.workloads w"
        f" JOIN {S}.instance_profiles p ON p.profile_id = w.profile_id"
        " WHERE w.account_id = $1 ORDER BY w.name_key", account_id)
    return [{"Workload": r["workload"], "Profile": r["profile_name"],
             "BoundAt": r["bound_at"].isoformat()} for r in rows]
