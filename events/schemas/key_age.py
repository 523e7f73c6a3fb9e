"""Events of long-term key ages: expiries (per key, or from a maximum age per user or account),
the rotation reminder at 80 % of the allowed age, expiry itself, and the rotation dance."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from events.schemas.access_key import _KeyEvent
from events.schemas.base import Event


class AccessKeyExpirySet(_KeyEvent):
    """A key's expiry changed: its own (`iamlog keys set-expiry`), or the maximum age that
    applies to it (user tag `iamlog:AccessKeyMaxAgeDays`, or the account's)."""

    event_type: ClassVar[str] = "iamlog.access_key.expiry_set"
    version: ClassVar[int] = 1

    # The key's own expiry (None: none set); the one that applies is the earliest of it and
    # creation + maximum age.
    explicit_expires_at: datetime | None
    expires_at: datetime | None
    max_age_days: int | None = Field(default=None, ge=1)
    # 80 % of the allowed age: when `iamlog.access_key.rotation_due` is emitted.
    rotation_due_at: datetime | None


class AccessKeyRotationDue(_KeyEvent):
    """A key reached 80 % of its allowed age: rotate it before it expires."""

    event_type: ClassVar[str] = "iamlog.access_key.rotation_due"
    version: ClassVar[int] = 1

    rotation_due_at: datetime
    expires_at: datetime


class AccessKeyExpired(_KeyEvent):
    """A key reached its expiry: its status is `Expired`; it authenticates no more and counts
    toward the two-key limit until deleted."""

    event_type: ClassVar[str] = "iamlog.access_key.expired"
    version: ClassVar[int] = 1

    expires_at: datetime


class AccessKeyRotationStarted(_KeyEvent):
    """`iamlog keys rotate`: a second key was issued (the `issued` event before this one); the
    old key (this event's key) is disabled at `disable_at` and deleted at `delete_at` by the
    scheduler, each its own event."""

    event_type: ClassVar[str] = "iamlog.access_key.rotation_started"
    version: ClassVar[int] = 1

    new_access_key_id: str = Field(pattern=r"^AKIA[A-Z2-7]{16}$")
    disable_at: datetime
    delete_at: datetime


class AccountKeyMaxAgeSet(Event):
    """The account's maximum access key age changed (None: no maximum)."""

    event_type: ClassVar[str] = "iamlog.account.key_max_age_set"
    version: ClassVar[int] = 1

    max_age_days: int | None = Field(ge=1)
