"""Access key events. None of them holds a secret: only the salt and the master key version
from which the api derives the secret (ARCHITECTURE.md §5)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from events.schemas.base import Event


class _KeyEvent(Event):
    access_key_id: str = Field(pattern=r"^AKIA[A-Z2-7]{16}$")
    # None: the key belongs to the account's root user.
    user_name: str | None
    owner_arn: str

    def subject(self) -> str:
        """The ARN of the key's owner (a user, or the account root)."""
        return self.owner_arn


class AccessKeyIssued(_KeyEvent):
    """A long-term access key was created; its secret was shown once, to the caller."""

    event_type: ClassVar[str] = "iamlog.access_key.issued"
    # v2 added master_key_version (v1 keys were all derived from master key 1).
    version: ClassVar[int] = 2

    salt: str = Field(pattern=r"^[0-9a-f]{32}$")
    master_key_version: int = Field(ge=1)
    created_at: datetime


class AccessKeyDisabled(_KeyEvent):
    """An access key was set to Inactive."""

    event_type: ClassVar[str] = "iamlog.access_key.disabled"
    version: ClassVar[int] = 1


class AccessKeyEnabled(_KeyEvent):
    """An access key was set to Active again."""

    event_type: ClassVar[str] = "iamlog.access_key.enabled"
    version: ClassVar[int] = 1


class AccessKeyDeleted(_KeyEvent):
    """An access key was deleted; it never authenticates again."""

    event_type: ClassVar[str] = "iamlog.access_key.deleted"
    version: ClassVar[int] = 1


class AccessKeyUsed(_KeyEvent):
    """A key authenticated a request; recorded at most once per key per 15 minutes."""

    event_type: ClassVar[str] = "iamlog.access_key.used"
    version: ClassVar[int] = 1

    service: str
    region: str
    used_at: datetime
