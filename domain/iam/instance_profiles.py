"""Instance profile rules: create, delete, add and remove the (single) role, tag, untag.

Taking the role out of a profile ends the sessions of every workload bound to it: the event
lists them, so every reader of the log refuses them from then on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from domain import ids
from domain.commands import (
    AddRoleToInstanceProfile,
    CreateInstanceProfile,
    DeleteInstanceProfile,
    RemoveRoleFromInstanceProfile,
    TagInstanceProfile,
    UntagInstanceProfile,
)
from domain.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from domain.iam import lookup, tags
from domain.iam.state import AccountState, Context, InstanceProfile, Workload
from events.schemas import (
    Event,
    InstanceProfileCreated,
    InstanceProfileDeleted,
    InstanceProfileRoleAdded,
    InstanceProfileRoleRemoved,
    InstanceProfileTagged,
    InstanceProfileUntagged,
)
from events.schemas.tags import Tag

MAX_INSTANCE_PROFILES = 1000
ROLES_PER_PROFILE = 1
NAME_MAX = 128


def instance_profile_arn(account: str, name: str, path: str = "/") -> str:
    """`arn:aws:iam::<account>:instance-profile<path><name>`."""
    return f"arn:aws:iam::{account}:instance-profile{path}{name}"


def find(state: AccountState, name: str) -> InstanceProfile:
    """The instance profile called `name` (ignoring case)."""
    ids.entity_name(name, "instanceProfileName", NAME_MAX)
    found = state.instance_profiles.get(name.lower())
    if found is None:
        raise NoSuchEntity(f"Instance Profile {name} cannot be found.",
                           account_id=state.account_id, entity=name)
    return found


def _ids(state: AccountState, profile: InstanceProfile) -> dict[str, str]:
    return {"account_id": state.account_id, "profile_name": profile.name,
            "profile_id": profile.profile_id, "arn": profile.arn}


def created(state: AccountState, name: str, path: str, ctx: Context,
            added: tuple[Tag, ...] = ()) -> InstanceProfileCreated:
    """The event of a new instance profile `name` (validated; name unused; quota kept)."""
    ids.entity_name(name, "instanceProfileName", NAME_MAX)
    ids.entity_path(path)
    if name.lower() in state.instance_profiles:
        raise EntityAlreadyExists(f"Instance Profile {name} already exists.",
                                  account_id=state.account_id, entity=name)
    if len(state.instance_profiles) >= MAX_INSTANCE_PROFILES:
        raise LimitExceeded("Cannot exceed quota for InstanceProfilesPerAccount: "
                            f"{MAX_INSTANCE_PROFILES}.", account_id=state.account_id)
    return InstanceProfileCreated(
        account_id=state.account_id, profile_name=name,
        profile_id=ids.unique_id("AIPA", ctx.ids.random_bytes(11)),
        arn=instance_profile_arn(state.account_id, name, path), path=path, tags=added,
        created_at=ctx.now)


def create(state: AccountState, command: CreateInstanceProfile, ctx: Context) -> list[Event]:
    """CreateInstanceProfile: a new name (ignoring case), a valid path, valid tags."""
    added = tuple(tags.check_tags(command.tags)) if command.tags else ()
    return [created(state, command.instance_profile_name, command.path, ctx, added)]


def delete(state: AccountState, command: DeleteInstanceProfile) -> list[Event]:
    """DeleteInstanceProfile: refused while it holds a role or workloads are bound to it."""
    profile = find(state, command.instance_profile_name)
    if profile.role is not None:
        raise DeleteConflict("Cannot delete entity, must remove roles from instance profile "
                             "first.", account_id=state.account_id, entity=profile.name)
    if profile.workload_count:
        raise DeleteConflict("Cannot delete entity, must unbind its workloads first.",
                             account_id=state.account_id, entity=profile.name)
    return [InstanceProfileDeleted(**_ids(state, profile))]


def role_added(state: AccountState, profile: InstanceProfile, role_name: str
               ) -> InstanceProfileRoleAdded:
    """The event of `role_name` put into `profile` (the role must exist; one role at most)."""
    role = lookup.role(state, role_name)
    if profile.role is not None:
        raise LimitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: "
                            f"{ROLES_PER_PROFILE}", account_id=state.account_id,
                            entity=profile.name)
    return InstanceProfileRoleAdded(**_ids(state, profile), role_name=role.name,
                                    role_id=role.role_id, role_arn=role.arn)


def add_role(state: AccountState, command: AddRoleToInstanceProfile) -> list[Event]:
    """AddRoleToInstanceProfile."""
    profile = find(state, command.instance_profile_name)
    return [role_added(state, profile, command.role_name)]


def live_sessions(workloads: Iterable[Workload], now: datetime) -> tuple[str, ...]:
    """Ids of the unexpired sessions of `workloads`."""
    return tuple(session_id for workload in workloads
                 for session_id, expires_at in workload.sessions if expires_at > now)


def bound_to(state: AccountState, profile: InstanceProfile) -> list[Workload]:
    """The workloads bound to `profile` (a scan: only rare commands need them)."""
    key = profile.name.lower()
    if not profile.workload_count:
        return []
    return [workload for workload in state.workloads.values() if workload.profile == key]


def remove_role(state: AccountState, command: RemoveRoleFromInstanceProfile,
                ctx: Context) -> list[Event]:
    """RemoveRoleFromInstanceProfile: the role must be the profile's; its sessions end."""
    profile = find(state, command.instance_profile_name)
    role = lookup.role(state, command.role_name)
    if profile.role != role.name.lower():
        raise NoSuchEntity(f"The role with name {command.role_name} cannot be found in "
                           f"instance profile {profile.name}.", account_id=state.account_id,
                           entity=command.role_name)
    return [InstanceProfileRoleRemoved(
        **_ids(state, profile), role_name=role.name, role_id=role.role_id, role_arn=role.arn,
        revoked_session_ids=live_sessions(bound_to(state, profile), ctx.now),
        removed_at=ctx.now)]


def tag(state: AccountState, command: TagInstanceProfile) -> list[Event]:
    """TagInstanceProfile: valid, case-insensitively unique keys; at most 50 tags in all."""
    profile = find(state, command.instance_profile_name)
    added = tags.check_tags(command.tags)
    tags.check_total(tags.merged(profile.tags, added))
    return [InstanceProfileTagged(**_ids(state, profile), tags=tuple(added))]


def untag(state: AccountState, command: UntagInstanceProfile) -> list[Event]:
    """UntagInstanceProfile: keys it does not have are ignored; nothing removed, no event."""
    profile = find(state, command.instance_profile_name)
    removed = tags.removed_keys(profile.tags, command.tag_keys)
    if not removed:
        return []
    return [InstanceProfileUntagged(**_ids(state, profile), tag_keys=removed)]
