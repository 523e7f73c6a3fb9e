"""Customer-managed policy events. Policy documents are not secrets: they travel as given."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from events.schemas.base import Event

VERSION_ID = r"^v[1-9][0-9]*$"
EntityType = Literal["user", "group", "role"]


class PolicyCreated(Event):
    """A managed policy was created with its first version, `v1`, as the default."""

    event_type: ClassVar[str] = "iamlog.policy.created"
    version: ClassVar[int] = 1

    policy_name: str
    policy_id: str
    path: str
    arn: str
    description: str | None
    document: str
    created_at: datetime

    def subject(self) -> str:
        """The policy's ARN."""
        return self.arn


class _PolicyEvent(Event):
    policy_arn: str
    policy_id: str

    def subject(self) -> str:
        """The policy's ARN."""
        return self.policy_arn


class PolicyVersionCreated(_PolicyEvent):
    """A new version of a managed policy, made the default when `set_as_default`."""

    event_type: ClassVar[str] = "iamlog.policy.version_created"
    version: ClassVar[int] = 1

    version_id: str = Field(pattern=VERSION_ID)
    document: str
    set_as_default: bool
    created_at: datetime


class PolicyVersionDeleted(_PolicyEvent):
    """A non-default version of a managed policy was deleted."""

    event_type: ClassVar[str] = "iamlog.policy.version_deleted"
    version: ClassVar[int] = 1

    version_id: str = Field(pattern=VERSION_ID)


class PolicyDefaultVersionSet(_PolicyEvent):
    """Another version of a managed policy became its default."""

    event_type: ClassVar[str] = "iamlog.policy.default_version_set"
    version: ClassVar[int] = 1

    version_id: str = Field(pattern=VERSION_ID)
    previous_version_id: str = Field(pattern=VERSION_ID)


class PolicyDeleted(Event):
    """A managed policy (and its default version) was deleted."""

    event_type: ClassVar[str] = "iamlog.policy.deleted"
    version: ClassVar[int] = 1

    policy_name: str
    policy_id: str
    arn: str

    def subject(self) -> str:
        """The policy's ARN."""
        return self.arn


class _Attachment(_PolicyEvent):
    entity_type: EntityType
    entity_name: str
    entity_id: str
    entity_arn: str

    def subject(self) -> str:
        """The ARN of the user, group or role whose permissions changed."""
        return self.entity_arn


class PolicyAttached(_Attachment):
    """A managed policy was attached to a user, a group or a role."""

    event_type: ClassVar[str] = "iamlog.policy.attached"
    version: ClassVar[int] = 1


class PolicyDetached(_Attachment):
    """A managed policy was detached from a user, a group or a role."""

    event_type: ClassVar[str] = "iamlog.policy.detached"
    version: ClassVar[int] = 1
