"""Fold a batch of events into the net row changes it makes to the read models.

A batch is reduced in memory first, so each table gets one delete and one upsert statement per
batch however many events it held (never one round trip per event).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from events.cloudevents import RecordedEvent
from events.schemas import (
    AccessKeyDeleted,
    AccessKeyDisabled,
    AccessKeyEnabled,
    AccessKeyIssued,
    AccountCreated,
    Event,
    UserCreated,
    UserDeleted,
)

UserKey = tuple[str, str]  # (account id, lower-cased name)


@dataclass(slots=True)
class AccountRow:
    """A row of `accounts` (or only a version bump when `created_at` is None)."""

    account_id: str
    root_arn: str | None
    created_at: datetime | None
    version: int


@dataclass(slots=True)
class UserRow:
    """A row of `users`."""

    account_id: str
    name_key: str
    user_name: str
    user_id: str
    path: str
    arn: str
    created_at: datetime


@dataclass(slots=True)
class KeyRow:
    """A row of `access_keys` (status-only when `created_at` is None: the row predates us)."""

    access_key_id: str
    account_id: str
    user_name: str | None
    owner_arn: str
    status: str
    created_at: datetime | None


@dataclass(slots=True)
class Changes:
    """The net effect of a batch on each table."""

    accounts: dict[str, AccountRow] = field(default_factory=dict)
    user_upserts: dict[UserKey, UserRow] = field(default_factory=dict)
    user_deletes: set[UserKey] = field(default_factory=set)
    key_upserts: dict[str, KeyRow] = field(default_factory=dict)
    key_deletes: set[str] = field(default_factory=set)
    events: int = 0

    def add(self, recorded: RecordedEvent) -> None:
        """Fold one event in; later events of the batch override earlier ones."""
        event = recorded.event
        self.events += 1
        self._bump(event.account_id, recorded.meta.sequence)
        # A dict lookup by exact type: this runs once per event on the projector's hot path.
        _HANDLERS[type(event)](self, event)

    def _account_created(self, event: AccountCreated) -> None:
        account = self.accounts[event.account_id]
        account.root_arn = f"arn:aws:iam::{event.account_id}:root"
        account.created_at = event.created_at

    def _user_created(self, event: UserCreated) -> None:
        key = (event.account_id, event.user_name.lower())
        self.user_deletes.discard(key)
        self.user_upserts[key] = UserRow(
            event.account_id, key[1], event.user_name, event.user_id, event.path,
            event.arn, event.created_at,
        )

    def _user_deleted(self, event: UserDeleted) -> None:
        key = (event.account_id, event.user_name.lower())
        self.user_upserts.pop(key, None)
        self.user_deletes.add(key)

    def _key_issued(self, event: AccessKeyIssued) -> None:
        self.key_deletes.discard(event.access_key_id)
        self.key_upserts[event.access_key_id] = KeyRow(
            event.access_key_id, event.account_id, event.user_name, event.owner_arn,
            "Active", event.created_at,
        )

    def _key_status(self, event: AccessKeyDisabled | AccessKeyEnabled) -> None:
        status = "Inactive" if isinstance(event, AccessKeyDisabled) else "Active"
        key_row = self.key_upserts.get(event.access_key_id)
        if key_row is None:
            key_row = KeyRow(event.access_key_id, event.account_id, event.user_name,
                             event.owner_arn, status, None)
            self.key_upserts[event.access_key_id] = key_row
        key_row.status = status

    def _key_deleted(self, event: AccessKeyDeleted) -> None:
        self.key_upserts.pop(event.access_key_id, None)
        self.key_deletes.add(event.access_key_id)

    def _bump(self, account_id: str, sequence: int) -> None:
        row = self.accounts.get(account_id)
        if row is None:
            self.accounts[account_id] = AccountRow(account_id, None, None, sequence)
        else:
            row.version = max(row.version, sequence)


_HANDLERS: dict[type[Event], Callable[[Changes, Any], None]] = {
    AccountCreated: Changes._account_created,
    UserCreated: Changes._user_created,
    UserDeleted: Changes._user_deleted,
    AccessKeyIssued: Changes._key_issued,
    AccessKeyDisabled: Changes._key_status,
    AccessKeyEnabled: Changes._key_status,
    AccessKeyDeleted: Changes._key_deleted,
}
