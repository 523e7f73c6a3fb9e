"""The account aggregate: IAM users, access keys, groups and policies, decided as AWS IAM does.

`decide(state, command, ctx)` returns the events a command causes or raises a `DomainError`;
`evolve(state, event)` folds one event into the state. Both are pure: time, randomness and the
current master key version come in through `Context`. The rules live in `domain.iam`, one
module per entity; this module dispatches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain import ids
from domain.commands import (
    AddRoleToInstanceProfile,
    AddUserToGroup,
    AssumeRole,
    AttachGroupPolicy,
    AttachRolePolicy,
    AttachUserPolicy,
    BindWorkload,
    Command,
    CreateAccessKey,
    CreateAccount,
    CreateGroup,
    CreateInstanceProfile,
    CreateOpenIDConnectProvider,
    CreatePolicy,
    CreatePolicyVersion,
    CreateRole,
    CreateUser,
    DeleteAccessKey,
    DeleteGroup,
    DeleteGroupPolicy,
    DeleteInstanceProfile,
    DeleteOpenIDConnectProvider,
    DeletePolicy,
    DeletePolicyVersion,
    DeleteRole,
    DeleteRolePermissionsBoundary,
    DeleteRolePolicy,
    DeleteUser,
    DeleteUserPermissionsBoundary,
    DeleteUserPolicy,
    DetachGroupPolicy,
    DetachRolePolicy,
    DetachUserPolicy,
    ExpireAccessKey,
    ExpireSession,
    ExpireSessions,
    IssueSessionToken,
    MarkAccessKeyRotationDue,
    PutGroupPolicy,
    PutRolePermissionsBoundary,
    PutRolePolicy,
    PutUserPermissionsBoundary,
    PutUserPolicy,
    RecordAccessKeyUse,
    RemoveRoleFromInstanceProfile,
    RemoveUserFromGroup,
    RenewWorkloadSession,
    RevokeRoleSessions,
    RevokeSession,
    RotateAccessKey,
    SetAccessKeyExpiry,
    SetAccountKeyMaxAge,
    SetDefaultPolicyVersion,
    TagInstanceProfile,
    TagRole,
    TagUser,
    UnbindWorkload,
    UntagInstanceProfile,
    UntagRole,
    UntagUser,
    UpdateAccessKey,
    UpdateAssumeRolePolicy,
    UpdateOpenIDConnectProvider,
    UpdateRole,
    UpdateUser,
)
from domain.errors import EntityAlreadyExists, InvalidAction, NoSuchEntity, ValidationError
from domain.iam import (
    groups,
    inline,
    instance_profiles,
    key_ages,
    keys,
    oidc,
    policies,
    roles,
    sessions,
    users,
    workloads,
)
from domain.iam.evolve import evolve, fold
from domain.iam.keys import MAX_KEYS_PER_USER
from domain.iam.state import (
    AccountState,
    Context,
    Group,
    InlinePolicy,
    Key,
    ManagedPolicy,
    PolicyVersion,
    User,
    keys_of,
)
from domain.iam.users import MAX_USERS
from events.schemas import AccountCreated, Event

Decider = Callable[[AccountState, Any, Context], list[Event]]


def decide(state: AccountState, command: Command, ctx: Context) -> list[Event]:
    """Return the events `command` causes in `state`, or raise a `DomainError`."""
    if isinstance(command, CreateAccount):
        return _create_account(state, ctx)
    if not state.exists:
        raise NoSuchEntity(f"The account {state.account_id} does not exist.",
                           account_id=state.account_id)
    decider = _DECIDERS.get(type(command))
    if decider is None:  # pragma: no cover - every member of Command has a decider
        raise InvalidAction(f"Unknown command {type(command).__name__}.")
    return decider(state, command, ctx)


def _create_account(state: AccountState, ctx: Context) -> list[Event]:
    ids.account_id(state.account_id)
    if state.exists:
        raise EntityAlreadyExists(f"Account {state.account_id} already exists.",
                                  account_id=state.account_id)
    created = AccountCreated(account_id=state.account_id, created_at=ctx.now)
    return [created, keys.issue_key(evolve(state, created), None, ctx)]


def _without_ctx(rule: Callable[[AccountState, Any], list[Event]]) -> Decider:
    return lambda state, command, _ctx: rule(state, command)


_DECIDERS: dict[type[Any], Decider] = {
    CreateUser: users.create_user,
    UpdateUser: _without_ctx(users.update_user),
    TagUser: key_ages.with_key_ages(_without_ctx(users.tag_user), key_ages.owner_keys),
    UntagUser: key_ages.with_key_ages(_without_ctx(users.untag_user), key_ages.owner_keys),
    DeleteUser: _without_ctx(users.delete_user),
    CreateAccessKey: key_ages.with_key_ages(
        lambda state, command, ctx: [keys.issue_key(state, command.user_name, ctx)],
        key_ages.owner_keys),
    UpdateAccessKey: _without_ctx(keys.update_key),
    DeleteAccessKey: _without_ctx(keys.delete_key),
    RecordAccessKeyUse: _without_ctx(keys.record_use),
    IssueSessionToken: _without_ctx(sessions.issue_session_token),
    AssumeRole: _without_ctx(sessions.assume_role),
    ExpireSession: _without_ctx(sessions.expire_session),
    ExpireSessions: _without_ctx(sessions.expire_sessions),
    RevokeSession: sessions.revoke_session,
    RevokeRoleSessions: sessions.revoke_role_sessions,
    CreateOpenIDConnectProvider: oidc.create_provider,
    UpdateOpenIDConnectProvider: _without_ctx(oidc.update_provider),
    DeleteOpenIDConnectProvider: _without_ctx(oidc.delete_provider),
    SetAccessKeyExpiry: _without_ctx(key_ages.set_expiry),
    SetAccountKeyMaxAge: key_ages.with_key_ages(_without_ctx(key_ages.set_account_max_age),
                                                key_ages.all_keys),
    MarkAccessKeyRotationDue: _without_ctx(key_ages.mark_rotation_due),
    ExpireAccessKey: _without_ctx(key_ages.expire_key),
    RotateAccessKey: key_ages.with_key_ages(key_ages.rotate, key_ages.owner_keys),
    CreateGroup: groups.create_group,
    DeleteGroup: _without_ctx(groups.delete_group),
    AddUserToGroup: _without_ctx(groups.add_member),
    RemoveUserFromGroup: _without_ctx(groups.remove_member),
    CreatePolicy: policies.create_policy,
    CreatePolicyVersion: policies.create_version,
    DeletePolicyVersion: _without_ctx(policies.delete_version),
    SetDefaultPolicyVersion: _without_ctx(policies.set_default),
    DeletePolicy: _without_ctx(policies.delete_policy),
    AttachUserPolicy: _without_ctx(policies.attach_user),
    DetachUserPolicy: _without_ctx(policies.detach_user),
    AttachGroupPolicy: _without_ctx(policies.attach_group),
    DetachGroupPolicy: _without_ctx(policies.detach_group),
    PutUserPolicy: _without_ctx(inline.put_user_policy),
    DeleteUserPolicy: _without_ctx(inline.delete_user_policy),
    PutGroupPolicy: _without_ctx(inline.put_group_policy),
    DeleteGroupPolicy: _without_ctx(inline.delete_group_policy),
    PutUserPermissionsBoundary: _without_ctx(inline.put_boundary),
    DeleteUserPermissionsBoundary: _without_ctx(inline.delete_boundary),
    CreateRole: roles.create_role,
    UpdateRole: _without_ctx(roles.update_role),
    UpdateAssumeRolePolicy: _without_ctx(roles.update_trust_policy),
    TagRole: _without_ctx(roles.tag_role),
    UntagRole: _without_ctx(roles.untag_role),
    AttachRolePolicy: _without_ctx(roles.attach),
    DetachRolePolicy: _without_ctx(roles.detach),
    PutRolePolicy: _without_ctx(roles.put_policy),
    DeleteRolePolicy: _without_ctx(roles.delete_policy),
    PutRolePermissionsBoundary: _without_ctx(roles.put_boundary),
    DeleteRolePermissionsBoundary: _without_ctx(roles.delete_boundary),
    DeleteRole: _without_ctx(roles.delete_role),
    CreateInstanceProfile: instance_profiles.create,
    DeleteInstanceProfile: _without_ctx(instance_profiles.delete),
    AddRoleToInstanceProfile: _without_ctx(instance_profiles.add_role),
    RemoveRoleFromInstanceProfile: instance_profiles.remove_role,
    TagInstanceProfile: _without_ctx(instance_profiles.tag),
    UntagInstanceProfile: _without_ctx(instance_profiles.untag),
    BindWorkload: workloads.bind,
    UnbindWorkload: workloads.unbind,
    RenewWorkloadSession: _without_ctx(workloads.renew),
}

__all__ = [
    "MAX_KEYS_PER_USER",
    "MAX_USERS",
    "AccountState",
    "Context",
    "Group",
    "InlinePolicy",
    "Key",
    "ManagedPolicy",
    "PolicyVersion",
    "User",
    "ValidationError",
    "decide",
    "evolve",
    "fold",
    "keys_of",
]
