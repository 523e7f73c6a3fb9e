"""Role rules: create (trust policy, session duration), update, tag, policies, boundary, delete."""

from __future__ import annotations

from domain import ids
from domain.commands import (
    AttachRolePolicy,
    CreateRole,
    DeleteRole,
    DeleteRolePermissionsBoundary,
    DeleteRolePolicy,
    DetachRolePolicy,
    PutRolePermissionsBoundary,
    PutRolePolicy,
    TagRole,
    UntagRole,
    UpdateAssumeRolePolicy,
    UpdateRole,
)
from domain.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, ValidationError
from domain.iam import inline, lookup, policies, tags
from domain.iam.state import AccountState, Context
from domain.policy import PolicyKind, parse_policy
from events.schemas import (
    Event,
    RoleBoundaryDeleted,
    RoleBoundaryPut,
    RoleCreated,
    RoleDeleted,
    RoleTagged,
    RoleTrustPolicyUpdated,
    RoleUntagged,
    RoleUpdated,
)

MAX_ROLES = 1000
MIN_SESSION_DURATION, MAX_SESSION_DURATION = 3600, 43_200
DESCRIPTION_MAX = 1000


def _duration(seconds: int) -> int:
    if seconds < MIN_SESSION_DURATION or seconds > MAX_SESSION_DURATION:
        bound = ("greater than or equal to", MIN_SESSION_DURATION) \
            if seconds < MIN_SESSION_DURATION else ("less than or equal to", MAX_SESSION_DURATION)
        raise ValidationError(f"1 validation error detected: Value '{seconds}' at "
                              "'maxSessionDuration' failed to satisfy constraint: Member must "
                              f"have value {bound[0]} {bound[1]}")
    return seconds


def _description(text: str | None) -> str | None:
    if text is not None and len(text) > DESCRIPTION_MAX:
        raise ValidationError("1 validation error detected: Value at 'description' failed to "
                              "satisfy constraint: Member must have length less than or equal "
                              f"to {DESCRIPTION_MAX}")
    return text


def create_role(state: AccountState, command: CreateRole, ctx: Context) -> list[Event]:
    """CreateRole: a new name (ignoring case), a valid trust policy, 3,600–43,200 s sessions;
    a permissions boundary given here is a second event, as PutRolePermissionsBoundary's."""
    name = ids.entity_name(command.role_name, "roleName")
    path = ids.entity_path(command.path)
    description = _description(command.description)
    duration = _duration(command.max_session_duration)
    parse_policy(command.assume_role_policy_document, PolicyKind.TRUST)
    added = tags.check_tags(command.tags) if command.tags else []
    if name.lower() in state.roles:
        raise EntityAlreadyExists(f"Role with name {name} already exists.",
                                  account_id=state.account_id, entity=name)
    boundary = lookup.policy(state, command.permissions_boundary, "permissionsBoundary") \
        if command.permissions_boundary is not None else None
    if len(state.roles) >= MAX_ROLES:
        raise LimitExceeded(f"Cannot exceed quota for RolesPerAccount: {MAX_ROLES}.",
                            account_id=state.account_id)
    created = RoleCreated(
        account_id=state.account_id,
        role_name=name,
        role_id=ids.unique_id("AROA", ctx.ids.random_bytes(11)),
        arn=ids.role_arn(state.account_id, name, path),
        path=path,
        trust_policy=command.assume_role_policy_document,
        description=description,
        max_session_duration=duration,
        tags=tuple(added),
        created_at=ctx.now,
    )
    if boundary is None:
        return [created]
    return [created, RoleBoundaryPut(account_id=state.account_id, role_name=name,
                                     role_id=created.role_id, arn=created.arn,
                                     policy_arn=boundary.arn, policy_id=boundary.policy_id)]


def update_role(state: AccountState, command: UpdateRole) -> list[Event]:
    """UpdateRole: what is not given stays; nothing changed, no event."""
    role = lookup.role(state, command.role_name)
    description = _description(command.description) \
        if command.description is not None else role.description
    duration = _duration(command.max_session_duration) \
        if command.max_session_duration is not None else role.max_session_duration
    if (description, duration) == (role.description, role.max_session_duration):
        return []
    return [RoleUpdated(account_id=state.account_id, role_name=role.name, role_id=role.role_id,
                        arn=role.arn, description=description, max_session_duration=duration)]


def update_trust_policy(state: AccountState, command: UpdateAssumeRolePolicy) -> list[Event]:
    """UpdateAssumeRolePolicy: a valid trust policy; the same text again is no event."""
    role = lookup.role(state, command.role_name)
    parse_policy(command.policy_document, PolicyKind.TRUST)
    if command.policy_document == role.trust_policy:
        return []
    return [RoleTrustPolicyUpdated(account_id=state.account_id, role_name=role.name,
                                   role_id=role.role_id, arn=role.arn,
                                   trust_policy=command.policy_document)]


def tag_role(state: AccountState, command: TagRole) -> list[Event]:
    """TagRole: valid, case-insensitively unique keys; at most 50 tags in all."""
    role = lookup.role(state, command.role_name)
    added = tags.check_tags(command.tags)
    tags.check_total(tags.merged(role.tags, added))
    return [RoleTagged(account_id=state.account_id, role_name=role.name, role_id=role.role_id,
                       arn=role.arn, tags=tuple(added))]


def untag_role(state: AccountState, command: UntagRole) -> list[Event]:
    """UntagRole: keys the role does not have are ignored; nothing removed, no event."""
    role = lookup.role(state, command.role_name)
    removed = tags.removed_keys(role.tags, command.tag_keys)
    if not removed:
        return []
    return [RoleUntagged(account_id=state.account_id, role_name=role.name,
                         role_id=role.role_id, arn=role.arn, tag_keys=removed)]


def attach(state: AccountState, command: AttachRolePolicy) -> list[Event]:
    """AttachRolePolicy: at most 10; attaching again changes nothing."""
    role = lookup.role(state, command.role_name)
    return policies.attach(state, "role", role, lookup.policy(state, command.policy_arn))


def detach(state: AccountState, command: DetachRolePolicy) -> list[Event]:
    """DetachRolePolicy: the policy must be attached to the role."""
    role = lookup.role(state, command.role_name)
    return policies.detach(state, "role", role, command.policy_arn)


def put_policy(state: AccountState, command: PutRolePolicy) -> list[Event]:
    """PutRolePolicy: a valid document; all of a role's inline policies ≤ 10,240 characters."""
    role = lookup.role(state, command.role_name)
    return inline.put(state, "role", role, command.policy_name, command.policy_document)


def delete_policy(state: AccountState, command: DeleteRolePolicy) -> list[Event]:
    """DeleteRolePolicy: the role must have the policy."""
    role = lookup.role(state, command.role_name)
    return inline.delete(state, "role", role, command.policy_name)


def put_boundary(state: AccountState, command: PutRolePermissionsBoundary) -> list[Event]:
    """PutRolePermissionsBoundary: a customer-managed policy of this account; the same again
    changes nothing."""
    role = lookup.role(state, command.role_name)
    policy = lookup.policy(state, command.permissions_boundary, "permissionsBoundary")
    if role.boundary == policy.arn:
        return []
    return [RoleBoundaryPut(account_id=state.account_id, role_name=role.name,
                            role_id=role.role_id, arn=role.arn, policy_arn=policy.arn,
                            policy_id=policy.policy_id)]


def delete_boundary(state: AccountState, command: DeleteRolePermissionsBoundary) -> list[Event]:
    """DeleteRolePermissionsBoundary: a role without a boundary is left as it is."""
    role = lookup.role(state, command.role_name)
    if role.boundary is None:
        return []
    return [RoleBoundaryDeleted(account_id=state.account_id, role_name=role.name,
                                role_id=role.role_id, arn=role.arn, policy_arn=role.boundary)]


def delete_role(state: AccountState, command: DeleteRole) -> list[Event]:
    """DeleteRole: refused while instance profiles, inline or attached policies remain.

    Tags, the trust policy and the permissions boundary go with the role, as in AWS.
    """
    role = lookup.role(state, command.role_name)
    for remaining, what in ((role.instance_profiles, "remove roles from instance profile"),
                            (role.inline_policies, "delete policies"),
                            (role.attached, "detach all policies")):
        if remaining:
            raise DeleteConflict(f"Cannot delete entity, must {what} first.",
                                 account_id=state.account_id, entity=role.name)
    return [RoleDeleted(account_id=state.account_id, role_name=role.name,
                        role_id=role.role_id, arn=role.arn)]
