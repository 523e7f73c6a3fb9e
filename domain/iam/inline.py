"""Inline policies of users and groups, and users' permissions boundaries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from domain import ids
from domain.commands import (
    DeleteGroupPolicy,
    DeleteUserPermissionsBoundary,
    DeleteUserPolicy,
    PutGroupPolicy,
    PutUserPermissionsBoundary,
    PutUserPolicy,
)
from domain.errors import LimitExceeded, NoSuchEntity
from domain.iam import lookup
from domain.iam.policies import entity_id
from domain.iam.state import AccountState, Group, InlinePolicy, Role, User
from domain.policy import PolicyKind, parse_policy, policy_size
from events.schemas import (
    Event,
    InlinePolicyDeleted,
    InlinePolicyPut,
    PermissionsBoundaryDeleted,
    PermissionsBoundaryPut,
)

Kind = Literal["user", "group", "role"]
Entity = User | Group | Role
_KINDS = {"user": PolicyKind.USER_INLINE, "group": PolicyKind.GROUP_INLINE,
          "role": PolicyKind.ROLE_INLINE}


def put_user_policy(state: AccountState, command: PutUserPolicy) -> list[Event]:
    """PutUserPolicy: a valid document; all of a user's inline policies ≤ 2,048 characters."""
    user = lookup.user(state, command.user_name)
    return put(state, "user", user, command.policy_name, command.policy_document)


def put_group_policy(state: AccountState, command: PutGroupPolicy) -> list[Event]:
    """PutGroupPolicy: a valid document; all of a group's inline policies ≤ 5,120 characters."""
    group = lookup.group(state, command.group_name)
    return put(state, "group", group, command.policy_name, command.policy_document)


def delete_user_policy(state: AccountState, command: DeleteUserPolicy) -> list[Event]:
    """DeleteUserPolicy: the user must have the policy."""
    user = lookup.user(state, command.user_name)
    return delete(state, "user", user, command.policy_name)


def delete_group_policy(state: AccountState, command: DeleteGroupPolicy) -> list[Event]:
    """DeleteGroupPolicy: the group must have the policy."""
    group = lookup.group(state, command.group_name)
    return delete(state, "group", group, command.policy_name)


def put_boundary(state: AccountState, command: PutUserPermissionsBoundary) -> list[Event]:
    """PutUserPermissionsBoundary: a customer-managed policy of this account; the same again
    changes nothing."""
    user = lookup.user(state, command.user_name)
    policy = lookup.policy(state, command.permissions_boundary, "permissionsBoundary")
    if user.boundary == policy.arn:
        return []
    return [PermissionsBoundaryPut(account_id=state.account_id, user_name=user.name,
                                   user_id=user.user_id, arn=user.arn, policy_arn=policy.arn,
                                   policy_id=policy.policy_id)]


def delete_boundary(state: AccountState, command: DeleteUserPermissionsBoundary) -> list[Event]:
    """DeleteUserPermissionsBoundary: a user without a boundary is left as it is."""
    user = lookup.user(state, command.user_name)
    if user.boundary is None:
        return []
    return [PermissionsBoundaryDeleted(account_id=state.account_id, user_name=user.name,
                                       user_id=user.user_id, arn=user.arn,
                                       policy_arn=user.boundary)]


def _fields(kind: Kind, entity: Entity, policy_name: str) -> dict[str, str]:
    return {"entity_type": kind, "entity_name": entity.name, "entity_id": entity_id(entity),
            "entity_arn": entity.arn, "policy_name": policy_name}


def put(state: AccountState, kind: Kind, entity: Entity, name: str,
        document: str) -> list[Event]:
    """Add or replace inline policy `name` of `entity`; the same document again is no event."""
    ids.entity_name(name, "policyName", ids.POLICY_NAME_MAX)
    policy_kind = _KINDS[kind]
    parse_policy(document, policy_kind)
    current = entity.inline_policies.get(name.lower())
    if current is not None and (current.name, current.document) == (name, document):
        return []
    _check_aggregate(state, kind, entity, name, document)
    return [InlinePolicyPut(account_id=state.account_id, **_fields(kind, entity, name),
                            document=document)]


def _check_aggregate(state: AccountState, kind: Kind, entity: Entity, name: str,
                     document: str) -> None:
    # AWS limits the total size of an identity's inline policies, not each one alone.
    policy_kind = _KINDS[kind]
    others: Mapping[str, InlinePolicy] = entity.inline_policies
    total = policy_size(document) + sum(policy_size(p.document) for key, p in others.items()
                                        if key != name.lower())
    if total > policy_kind.size_limit:
        raise LimitExceeded(f"Maximum policy size of {policy_kind.size_limit} bytes exceeded "
                            f"for {kind} {entity.name}", account_id=state.account_id,
                            entity=entity.name)


def delete(state: AccountState, kind: Kind, entity: Entity, name: str) -> list[Event]:
    """Remove inline policy `name` from `entity`: it must be there."""
    ids.entity_name(name, "policyName", ids.POLICY_NAME_MAX)
    current = entity.inline_policies.get(name.lower())
    if current is None:
        raise NoSuchEntity(f"The {kind} policy with name {name} cannot be found.",
                           account_id=state.account_id, entity=name)
    return [InlinePolicyDeleted(account_id=state.account_id,
                                **_fields(kind, entity, current.name))]
