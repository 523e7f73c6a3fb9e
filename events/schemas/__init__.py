"""Versioned event models, one module per entity; `EVENT_MODELS` maps type names to models."""

from __future__ import annotations

from events.schemas.access_key import (
    AccessKeyDeleted,
    AccessKeyDisabled,
    AccessKeyEnabled,
    AccessKeyIssued,
    AccessKeyUsed,
)
from events.schemas.account import AccountCreated
from events.schemas.base import Event
from events.schemas.group import GroupCreated, GroupDeleted, GroupMemberAdded, GroupMemberRemoved
from events.schemas.inline_policy import (
    InlinePolicyDeleted,
    InlinePolicyPut,
    PermissionsBoundaryDeleted,
    PermissionsBoundaryPut,
)
from events.schemas.policy import (
    PolicyAttached,
    PolicyCreated,
    PolicyDefaultVersionSet,
    PolicyDeleted,
    PolicyDetached,
    PolicyVersionCreated,
    PolicyVersionDeleted,
)
from events.schemas.role import (
    RoleBoundaryDeleted,
    RoleBoundaryPut,
    RoleCreated,
    RoleDeleted,
    RoleTagged,
    RoleTrustPolicyUpdated,
    RoleUntagged,
    RoleUpdated,
)
from events.schemas.session import RoleAssumed, SessionIssued
from events.schemas.tags import Tag
from events.schemas.user import UserCreated, UserDeleted, UserTagged, UserUntagged, UserUpdated

EVENT_MODELS: dict[str, type[Event]] = {
    model.event_type: model
    for model in (
        AccountCreated,
        UserCreated,
        UserDeleted,
        UserUpdated,
        UserTagged,
        UserUntagged,
        AccessKeyIssued,
        AccessKeyDisabled,
        AccessKeyEnabled,
        AccessKeyDeleted,
        AccessKeyUsed,
        GroupCreated,
        GroupDeleted,
        GroupMemberAdded,
        GroupMemberRemoved,
        PolicyCreated,
        PolicyVersionCreated,
        PolicyVersionDeleted,
        PolicyDefaultVersionSet,
        PolicyDeleted,
        PolicyAttached,
        PolicyDetached,
        InlinePolicyPut,
        InlinePolicyDeleted,
        PermissionsBoundaryPut,
        PermissionsBoundaryDeleted,
        SessionIssued,
        RoleAssumed,
        RoleCreated,
        RoleDeleted,
        RoleUpdated,
        RoleTrustPolicyUpdated,
        RoleTagged,
        RoleUntagged,
        RoleBoundaryPut,
        RoleBoundaryDeleted,
    )
}

__all__ = [
    "EVENT_MODELS",
    "AccessKeyDeleted",
    "AccessKeyDisabled",
    "AccessKeyEnabled",
    "AccessKeyIssued",
    "AccessKeyUsed",
    "AccountCreated",
    "Event",
    "GroupCreated",
    "GroupDeleted",
    "GroupMemberAdded",
    "GroupMemberRemoved",
    "InlinePolicyDeleted",
    "InlinePolicyPut",
    "PermissionsBoundaryDeleted",
    "PermissionsBoundaryPut",
    "PolicyAttached",
    "PolicyCreated",
    "PolicyDefaultVersionSet",
    "PolicyDeleted",
    "PolicyDetached",
    "PolicyVersionCreated",
    "PolicyVersionDeleted",
    "RoleAssumed",
    "RoleBoundaryDeleted",
    "RoleBoundaryPut",
    "RoleCreated",
    "RoleDeleted",
    "RoleTagged",
    "RoleTrustPolicyUpdated",
    "RoleUntagged",
    "RoleUpdated",
    "SessionIssued",
    "Tag",
    "UserCreated",
    "UserDeleted",
    "UserTagged",
    "UserUntagged",
    "UserUpdated",
]
