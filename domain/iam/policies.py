"""Customer-managed policy rules: versions (≤ 5, default never deleted), attachment (≤ 10 per
user or group), deletion (only when attached nowhere and down to its default version)."""

from __future__ import annotations

import re
from typing import Literal

from domain import ids
from domain.commands import (
    AttachGroupPolicy,
    AttachUserPolicy,
    CreatePolicy,
    CreatePolicyVersion,
    DeletePolicy,
    DeletePolicyVersion,
    DetachGroupPolicy,
    DetachUserPolicy,
    SetDefaultPolicyVersion,
)
from domain.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from domain.iam import lookup
from domain.iam.state import AccountState, Context, Group, ManagedPolicy, Role, User
from domain.policy import PolicyKind, parse_policy
from events.schemas import (
    Event,
    PolicyAttached,
    PolicyCreated,
    PolicyDefaultVersionSet,
    PolicyDeleted,
    PolicyDetached,
    PolicyVersionCreated,
    PolicyVersionDeleted,
)

MAX_POLICIES = 1500
MAX_VERSIONS = 5
MAX_ATTACHED = 10
DESCRIPTION_MAX = 1000
_VERSION_ID = re.compile(r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?")


def create_policy(state: AccountState, command: CreatePolicy, ctx: Context) -> list[Event]:
    """CreatePolicy: a new name (ignoring case), a valid managed-policy document."""
    name = ids.entity_name(command.policy_name, "policyName", ids.POLICY_NAME_MAX)
    path = ids.entity_path(command.path)
    if command.description is not None and len(command.description) > DESCRIPTION_MAX:
        raise ValidationError("1 validation error detected: Value at 'description' failed to "
                              "satisfy constraint: Member must have length less than or equal "
                              f"to {DESCRIPTION_MAX}")
    parse_policy(command.policy_document, PolicyKind.MANAGED)
    if name.lower() in state.policies:
        raise EntityAlreadyExists(f"A policy called {name} already exists. Duplicate names are "
                                  "not allowed.", account_id=state.account_id, entity=name)
    if len(state.policies) >= MAX_POLICIES:
        raise LimitExceeded(f"Cannot exceed quota for PoliciesPerAccount: {MAX_POLICIES}.",
                            account_id=state.account_id)
    return [PolicyCreated(
        account_id=state.account_id,
        policy_name=name,
        policy_id=ids.unique_id("ANPA", ctx.ids.random_bytes(11)),
        path=path,
        arn=ids.policy_arn(state.account_id, name, path),
        description=command.description,
        document=command.policy_document,
        created_at=ctx.now,
    )]


def create_version(state: AccountState, command: CreatePolicyVersion,
                   ctx: Context) -> list[Event]:
    """CreatePolicyVersion: at most 5 versions; the new one is `v<n>`, n never reused."""
    policy = lookup.policy(state, command.policy_arn)
    parse_policy(command.policy_document, PolicyKind.MANAGED)
    if len(policy.versions) >= MAX_VERSIONS:
        raise LimitExceeded(f"A managed policy can have up to {MAX_VERSIONS} versions. Before "
                            "you create a new version, you must delete an existing version.",
                            account_id=state.account_id, entity=policy.arn)
    return [PolicyVersionCreated(
        account_id=state.account_id, policy_arn=policy.arn, policy_id=policy.policy_id,
        version_id=f"v{policy.next_version}", document=command.policy_document,
        set_as_default=command.set_as_default, created_at=ctx.now,
    )]


def delete_version(state: AccountState, command: DeletePolicyVersion) -> list[Event]:
    """DeletePolicyVersion: never the default version."""
    policy = lookup.policy(state, command.policy_arn)
    version_id = _version(state, policy, command.version_id)
    if version_id == policy.default_version:
        raise DeleteConflict("Cannot delete the default version of a policy.",
                             account_id=state.account_id, entity=policy.arn)
    return [PolicyVersionDeleted(account_id=state.account_id, policy_arn=policy.arn,
                                 policy_id=policy.policy_id, version_id=version_id)]


def set_default(state: AccountState, command: SetDefaultPolicyVersion) -> list[Event]:
    """SetDefaultPolicyVersion: the default already is a success that changes nothing."""
    policy = lookup.policy(state, command.policy_arn)
    version_id = _version(state, policy, command.version_id)
    if version_id == policy.default_version:
        return []
    return [PolicyDefaultVersionSet(account_id=state.account_id, policy_arn=policy.arn,
                                    policy_id=policy.policy_id, version_id=version_id,
                                    previous_version_id=policy.default_version)]


def delete_policy(state: AccountState, command: DeletePolicy) -> list[Event]:
    """DeletePolicy: refused while attached, used as a boundary, or with non-default versions."""
    policy = lookup.policy(state, command.policy_arn)
    if policy.attachment_count or policy.boundary_count:
        raise DeleteConflict("Cannot delete a policy attached to entities.",
                             account_id=state.account_id, entity=policy.arn)
    if len(policy.versions) > 1:
        raise DeleteConflict("This policy has more than one version. Before you delete a "
                             "policy, you must delete the policy's versions. The default "
                             "version is deleted with the policy.",
                             account_id=state.account_id, entity=policy.arn)
    return [PolicyDeleted(account_id=state.account_id, policy_name=policy.name,
                          policy_id=policy.policy_id, arn=policy.arn)]


def attach_user(state: AccountState, command: AttachUserPolicy) -> list[Event]:
    """AttachUserPolicy: at most 10; attaching again changes nothing."""
    user = lookup.user(state, command.user_name)
    return attach(state, "user", user, lookup.policy(state, command.policy_arn))


def attach_group(state: AccountState, command: AttachGroupPolicy) -> list[Event]:
    """AttachGroupPolicy: at most 10; attaching again changes nothing."""
    group = lookup.group(state, command.group_name)
    return attach(state, "group", group, lookup.policy(state, command.policy_arn))


def detach_user(state: AccountState, command: DetachUserPolicy) -> list[Event]:
    """DetachUserPolicy: the policy must be attached to the user."""
    user = lookup.user(state, command.user_name)
    return detach(state, "user", user, command.policy_arn)


def detach_group(state: AccountState, command: DetachGroupPolicy) -> list[Event]:
    """DetachGroupPolicy: the policy must be attached to the group."""
    group = lookup.group(state, command.group_name)
    return detach(state, "group", group, command.policy_arn)


Kind = Literal["user", "group", "role"]
Entity = User | Group | Role
_QUOTAS = {"user": "PoliciesPerUser", "group": "PoliciesPerGroup", "role": "PoliciesPerRole"}


def entity_id(entity: Entity) -> str:
    """The unique id (AIDA…, AGPA…, AROA…) of a user, group or role."""
    if isinstance(entity, User):
        return entity.user_id
    return entity.group_id if isinstance(entity, Group) else entity.role_id


def _entity_fields(kind: Kind, entity: Entity) -> dict[str, str]:
    entity_id_ = entity_id(entity)
    return {"entity_type": kind, "entity_name": entity.name, "entity_id": entity_id_,
            "entity_arn": entity.arn}


def attach(state: AccountState, kind: Kind, entity: Entity,
           policy: ManagedPolicy) -> list[Event]:
    """Attach `policy` to `entity` (at most 10); attaching again changes nothing."""
    if policy.arn in entity.attached:
        return []
    if len(entity.attached) >= MAX_ATTACHED:
        quota = _QUOTAS[kind]
        raise LimitExceeded(f"Cannot exceed quota for {quota}: {MAX_ATTACHED}",
                            account_id=state.account_id, entity=entity.name)
    return [PolicyAttached(account_id=state.account_id, policy_arn=policy.arn,
                           policy_id=policy.policy_id, **_entity_fields(kind, entity))]


def detach(state: AccountState, kind: Kind, entity: Entity, arn: str) -> list[Event]:
    """Detach `arn` from `entity`: it must be attached."""
    policy = lookup.policy(state, arn)
    if policy.arn not in entity.attached:
        raise NoSuchEntity(f"Policy {arn} was not found.", account_id=state.account_id,
                           entity=arn)
    return [PolicyDetached(account_id=state.account_id, policy_arn=policy.arn,
                           policy_id=policy.policy_id, **_entity_fields(kind, entity))]


def _version(state: AccountState, policy: ManagedPolicy, version_id: str) -> str:
    if not _VERSION_ID.fullmatch(version_id):
        raise ValidationError("1 validation error detected: Value at 'versionId' failed to "
                              "satisfy constraint: Member must satisfy regular expression "
                              r"pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?")
    if version_id not in policy.versions:
        raise NoSuchEntity(f"Policy {policy.arn} version {version_id} does not exist or is not "
                           "attachable.", account_id=state.account_id, entity=policy.arn)
    return version_id
