"""`evolve`: fold one event into an account's state.

Runs once per event in every processor restore and api replica: dispatch is one dict lookup by
event type, and each handler replaces only the entries the event touches (`PMap`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any, Literal

from domain.iam import evolve_oidc, evolve_profiles, key_schedule, tags
from domain.iam.live_sessions import SESSION_HANDLERS
from domain.iam.pmap import PMap, updated
from domain.iam.state import (
    AccountState,
    Group,
    InlinePolicy,
    Key,
    ManagedPolicy,
    PolicyVersion,
    Role,
    User,
)
from events.schemas import (
    AccessKeyDeleted,
    AccessKeyDisabled,
    AccessKeyEnabled,
    AccessKeyIssued,
    AccessKeyUsed,
    AccountCreated,
    Event,
    GroupCreated,
    GroupDeleted,
    GroupMemberAdded,
    GroupMemberRemoved,
    InlinePolicyDeleted,
    InlinePolicyPut,
    PermissionsBoundaryDeleted,
    PermissionsBoundaryPut,
    PolicyAttached,
    PolicyCreated,
    PolicyDefaultVersionSet,
    PolicyDeleted,
    PolicyDetached,
    PolicyVersionCreated,
    PolicyVersionDeleted,
    RoleBoundaryDeleted,
    RoleBoundaryPut,
    RoleCreated,
    RoleDeleted,
    RoleTagged,
    RoleTrustPolicyUpdated,
    RoleUntagged,
    RoleUpdated,
    UserCreated,
    UserDeleted,
    UserTagged,
    UserUntagged,
    UserUpdated,
)

Changes = dict[str, Any]


def evolve(state: AccountState, event: Event) -> AccountState:
    """Fold one event into the state."""
    handler = _HANDLERS.get(type(event))
    changes = handler(state, event) if handler is not None else {}
    # The live sessions (`live_sessions`) change beside whatever else the event changes.
    sessions = SESSION_HANDLERS.get(type(event))
    if sessions is not None:
        changes = {**changes, **sessions(state, event)}
    return replace(state, version=state.version + 1, **changes)


def fold(state: AccountState, events: list[Event]) -> AccountState:
    """Apply `events` in order."""
    for event in events:
        state = evolve(state, event)
    return state


def policy_key(arn: str) -> str:
    """Where a customer-managed policy ARN is kept in `AccountState.policies`."""
    return arn.rsplit("/", 1)[-1].lower()


# --- helpers ------------------------------------------------------------------------------


def _set_user(state: AccountState, user: User) -> Changes:
    return {"users": updated(state.users, user.name.lower(), user)}


def _set_group(state: AccountState, group: Group) -> Changes:
    return {"groups": updated(state.groups, group.name.lower(), group)}


def _set_role(state: AccountState, role: Role) -> Changes:
    return {"roles": updated(state.roles, role.name.lower(), role)}


def _set_entity(state: AccountState, entity: User | Group | Role) -> Changes:
    if isinstance(entity, User):
        return _set_user(state, entity)
    return _set_group(state, entity) if isinstance(entity, Group) else _set_role(state, entity)


def _entity(state: AccountState, entity_type: str, name: str) -> User | Group | Role:
    entities: Mapping[str, User | Group | Role] = (
        state.users if entity_type == "user"
        else state.groups if entity_type == "group" else state.roles)
    return entities[name.lower()]


def _set_policy(state: AccountState, policy: ManagedPolicy) -> Changes:
    return {"policies": updated(state.policies, policy_key(policy.arn), policy)}


def _inline(current: Mapping[str, InlinePolicy], name: str,
            document: str | None) -> Mapping[str, InlinePolicy]:
    copy = dict(current)
    if document is None:
        copy.pop(name.lower(), None)
    else:
        copy[name.lower()] = InlinePolicy(name, document)
    return MappingProxyType(copy)


def _count_policy(state: AccountState, arn: str, field: str, delta: int) -> Changes:
    policy = state.policies.get(policy_key(arn))
    if policy is None:
        return {}
    return _set_policy(state, replace(policy, **{field: getattr(policy, field) + delta}))


# --- accounts and users -------------------------------------------------------------------


def _account_created(state: AccountState, event: AccountCreated) -> Changes:
    return {"exists": True}


def _user_created(state: AccountState, event: UserCreated) -> Changes:
    return _set_user(state, User(event.user_name, event.user_id, event.path, event.arn))


def _user_deleted(state: AccountState, event: UserDeleted) -> Changes:
    user = state.users.get(event.user_name.lower())
    changes: Changes = {"users": updated(state.users, event.user_name.lower(), None)}
    if user is not None and user.boundary is not None:
        changes.update(_count_policy(state, user.boundary, "boundary_count", -1))
    return changes


def _user_updated(state: AccountState, event: UserUpdated) -> Changes:
    user = state.users[event.user_name.lower()]
    renamed = replace(user, name=event.new_user_name, path=event.new_path, arn=event.arn)
    users = PMap.of(state.users).remove(user.name.lower()).set(renamed.name.lower(), renamed)
    keys = PMap.of(state.keys)
    for key_id in user.key_ids:
        keys = keys.set(key_id, replace(keys[key_id], owner=renamed.name))
    return {"users": users, "keys": keys}


def _user_tagged(state: AccountState, event: UserTagged) -> Changes:
    user = state.users[event.user_name.lower()]
    return _set_user(state, replace(user, tags=tags.merged(user.tags, event.tags)))


def _user_untagged(state: AccountState, event: UserUntagged) -> Changes:
    user = state.users[event.user_name.lower()]
    return _set_user(state, replace(user, tags=tags.without(user.tags, event.tag_keys)))


# --- access keys --------------------------------------------------------------------------


def _key_issued(state: AccountState, event: AccessKeyIssued) -> Changes:
    key = Key(event.access_key_id, event.user_name or "", "Active",
              created_at=event.created_at)
    changes: Changes = {"keys": updated(state.keys, key.key_id, key)}
    if event.user_name is None:
        changes["root_keys"] = (*state.root_keys, key.key_id)
    else:
        user = state.users[event.user_name.lower()]
        changes.update(_set_user(state, replace(user, key_ids=(*user.key_ids, key.key_id))))
    return changes


def _key_status(state: AccountState, event: AccessKeyDisabled | AccessKeyEnabled) -> Changes:
    status: Literal["Active", "Inactive"] = (
        "Inactive" if isinstance(event, AccessKeyDisabled) else "Active")
    key = replace(state.keys[event.access_key_id], status=status)
    return {"keys": updated(state.keys, key.key_id, key)}


def _key_deleted(state: AccountState, event: AccessKeyDeleted) -> Changes:
    key_id = event.access_key_id
    changes: Changes = {"keys": updated(state.keys, key_id, None)}
    if event.user_name is None:
        changes["root_keys"] = tuple(k for k in state.root_keys if k != key_id)
    else:
        user = state.users[event.user_name.lower()]
        changes.update(_set_user(state, replace(
            user, key_ids=tuple(k for k in user.key_ids if k != key_id))))
    return changes


def _key_used(state: AccountState, event: AccessKeyUsed) -> Changes:
    key = state.keys.get(event.access_key_id)
    if key is None or (key.last_used_at is not None and key.last_used_at >= event.used_at):
        return {}
    return {"keys": updated(state.keys, key.key_id, replace(key, last_used_at=event.used_at))}


# --- groups -------------------------------------------------------------------------------


def _group_created(state: AccountState, event: GroupCreated) -> Changes:
    return _set_group(state, Group(event.group_name, event.group_id, event.path, event.arn))


def _group_deleted(state: AccountState, event: GroupDeleted) -> Changes:
    return {"groups": updated(state.groups, event.group_name.lower(), None)}


def _member(state: AccountState, event: GroupMemberAdded | GroupMemberRemoved) -> Changes:
    added = isinstance(event, GroupMemberAdded)
    group = state.groups[event.group_name.lower()]
    user = state.users[event.user_name.lower()]
    key = group.name.lower()
    joined = (*user.groups, key) if added else tuple(g for g in user.groups if g != key)
    return {**_set_group(state, replace(group, member_count=group.member_count
                                        + (1 if added else -1))),
            **_set_user(state, replace(user, groups=joined))}


# --- managed policies ---------------------------------------------------------------------


def _policy_created(state: AccountState, event: PolicyCreated) -> Changes:
    first = PolicyVersion("v1", event.document, event.created_at)
    return _set_policy(state, ManagedPolicy(
        event.policy_name, event.policy_id, event.path, event.arn, event.description,
        MappingProxyType({"v1": first}), "v1", 2))


def _version_created(state: AccountState, event: PolicyVersionCreated) -> Changes:
    policy = state.policies[policy_key(event.policy_arn)]
    version = PolicyVersion(event.version_id, event.document, event.created_at)
    return _set_policy(state, replace(
        policy, versions=MappingProxyType({**policy.versions, event.version_id: version}),
        default_version=event.version_id if event.set_as_default else policy.default_version,
        next_version=max(policy.next_version, int(event.version_id[1:]) + 1)))


def _version_deleted(state: AccountState, event: PolicyVersionDeleted) -> Changes:
    policy = state.policies[policy_key(event.policy_arn)]
    versions = {k: v for k, v in policy.versions.items() if k != event.version_id}
    return _set_policy(state, replace(policy, versions=MappingProxyType(versions)))


def _default_set(state: AccountState, event: PolicyDefaultVersionSet) -> Changes:
    policy = state.policies[policy_key(event.policy_arn)]
    return _set_policy(state, replace(policy, default_version=event.version_id))


def _policy_deleted(state: AccountState, event: PolicyDeleted) -> Changes:
    return {"policies": updated(state.policies, policy_key(event.arn), None)}


def _attachment(state: AccountState, event: PolicyAttached | PolicyDetached) -> Changes:
    attached = isinstance(event, PolicyAttached)
    entity = _entity(state, event.entity_type, event.entity_name)
    arns = (*entity.attached, event.policy_arn) if attached else tuple(
        arn for arn in entity.attached if arn != event.policy_arn)
    changes = _count_policy(state, event.policy_arn, "attachment_count", 1 if attached else -1)
    changes.update(_set_entity(state, replace(entity, attached=arns)))
    return changes


# --- inline policies and boundaries -------------------------------------------------------


def _inline_policy(state: AccountState, event: InlinePolicyPut | InlinePolicyDeleted) -> Changes:
    document = event.document if isinstance(event, InlinePolicyPut) else None
    entity = _entity(state, event.entity_type, event.entity_name)
    return _set_entity(state, replace(entity, inline_policies=_inline(
        entity.inline_policies, event.policy_name, document)))


def _boundary_put(state: AccountState, event: PermissionsBoundaryPut) -> Changes:
    user = state.users[event.user_name.lower()]
    interim = state
    if user.boundary is not None:
        interim = replace(state, **_count_policy(state, user.boundary, "boundary_count", -1))
    changes: Changes = {"policies": interim.policies,
                        **_count_policy(interim, event.policy_arn, "boundary_count", 1)}
    changes.update(_set_user(state, replace(user, boundary=event.policy_arn)))
    return changes


def _boundary_deleted(state: AccountState, event: PermissionsBoundaryDeleted) -> Changes:
    user = state.users[event.user_name.lower()]
    changes = _count_policy(state, event.policy_arn, "boundary_count", -1)
    changes.update(_set_user(state, replace(user, boundary=None)))
    return changes



# --- roles --------------------------------------------------------------------------------


def _role_created(state: AccountState, event: RoleCreated) -> Changes:
    return _set_role(state, Role(
        event.role_name, event.role_id, event.path, event.arn, event.trust_policy,
        event.max_session_duration, event.description, tags=tags.merged((), event.tags)))


def _role_deleted(state: AccountState, event: RoleDeleted) -> Changes:
    role = state.roles.get(event.role_name.lower())
    changes: Changes = {"roles": updated(state.roles, event.role_name.lower(), None)}
    if role is not None and role.boundary is not None:
        changes.update(_count_policy(state, role.boundary, "boundary_count", -1))
    return changes


def _role_updated(state: AccountState, event: RoleUpdated) -> Changes:
    role = state.roles[event.role_name.lower()]
    return _set_role(state, replace(role, description=event.description,
                                    max_session_duration=event.max_session_duration))


def _role_trust(state: AccountState, event: RoleTrustPolicyUpdated) -> Changes:
    role = state.roles[event.role_name.lower()]
    return _set_role(state, replace(role, trust_policy=event.trust_policy))


def _role_tagged(state: AccountState, event: RoleTagged) -> Changes:
    role = state.roles[event.role_name.lower()]
    return _set_role(state, replace(role, tags=tags.merged(role.tags, event.tags)))


def _role_untagged(state: AccountState, event: RoleUntagged) -> Changes:
    role = state.roles[event.role_name.lower()]
    return _set_role(state, replace(role, tags=tags.without(role.tags, event.tag_keys)))


def _role_boundary_put(state: AccountState, event: RoleBoundaryPut) -> Changes:
    role = state.roles[event.role_name.lower()]
    interim = state
    if role.boundary is not None:
        interim = replace(state, **_count_policy(state, role.boundary, "boundary_count", -1))
    changes: Changes = {"policies": interim.policies,
                        **_count_policy(interim, event.policy_arn, "boundary_count", 1)}
    changes.update(_set_role(state, replace(role, boundary=event.policy_arn)))
    return changes


def _role_boundary_deleted(state: AccountState, event: RoleBoundaryDeleted) -> Changes:
    role = state.roles[event.role_name.lower()]
    changes = _count_policy(state, event.policy_arn, "boundary_count", -1)
    changes.update(_set_role(state, replace(role, boundary=None)))
    return changes

_HANDLERS: dict[type[Event], Callable[[AccountState, Any], Changes]] = {
    AccountCreated: _account_created,
    UserCreated: _user_created,
    UserDeleted: _user_deleted,
    UserUpdated: _user_updated,
    UserTagged: _user_tagged,
    UserUntagged: _user_untagged,
    AccessKeyIssued: _key_issued,
    AccessKeyDisabled: _key_status,
    AccessKeyEnabled: _key_status,
    AccessKeyDeleted: _key_deleted,
    AccessKeyUsed: _key_used,
    GroupCreated: _group_created,
    GroupDeleted: _group_deleted,
    GroupMemberAdded: _member,
    GroupMemberRemoved: _member,
    PolicyCreated: _policy_created,
    PolicyVersionCreated: _version_created,
    PolicyVersionDeleted: _version_deleted,
    PolicyDefaultVersionSet: _default_set,
    PolicyDeleted: _policy_deleted,
    PolicyAttached: _attachment,
    PolicyDetached: _attachment,
    InlinePolicyPut: _inline_policy,
    InlinePolicyDeleted: _inline_policy,
    PermissionsBoundaryPut: _boundary_put,
    PermissionsBoundaryDeleted: _boundary_deleted,
    RoleCreated: _role_created,
    RoleDeleted: _role_deleted,
    RoleUpdated: _role_updated,
    RoleTrustPolicyUpdated: _role_trust,
    RoleTagged: _role_tagged,
    RoleUntagged: _role_untagged,
    RoleBoundaryPut: _role_boundary_put,
    RoleBoundaryDeleted: _role_boundary_deleted,
    **evolve_profiles.HANDLERS,
    **evolve_oidc.HANDLERS,
    **key_schedule.HANDLERS,
}
