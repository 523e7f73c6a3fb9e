"""The expiry that applies to a long-term key, and how key-age events change the state.

A key's expiry is the earliest of its own (`iamlog keys set-expiry`) and creation + maximum age
(the user's tag `iamlog:AccessKeyMaxAgeDays`, else the account's); its rotation falls due at
80 % of the allowed age. The deciders are in `domain.iam.key_ages`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from domain.errors import ValidationError
from domain.iam.pmap import updated
from domain.iam.state import ROOT, AccountState, Key
from events.schemas import Event
from events.schemas.key_age import (
    AccessKeyExpired,
    AccessKeyExpirySet,
    AccessKeyRotationDue,
    AccessKeyRotationStarted,
    AccountKeyMaxAgeSet,
)

MAX_AGE_TAG = "iamlog:AccessKeyMaxAgeDays"
ROTATION_DUE = 0.8  # of the allowed age
MAX_AGE_DAYS = 36_500

def tag_days(value: str) -> int:
    """The days a `iamlog:AccessKeyMaxAgeDays` tag value names, or `ValidationError`."""
    if not value.isdigit() or not 1 <= int(value) <= MAX_AGE_DAYS:
        raise ValidationError(f"The tag {MAX_AGE_TAG} must be a whole number of days from 1 "
                              f"to {MAX_AGE_DAYS}.")
    return int(value)


def max_age_days(state: AccountState, owner: str) -> int | None:
    """The maximum key age for `owner` (a user name, or ROOT): the user's tag, else the
    account's."""
    user = state.users.get(owner.lower()) if owner != ROOT else None
    for key, value in user.tags if user is not None else ():
        if key.lower() == MAX_AGE_TAG.lower():
            return tag_days(value)
    return state.key_max_age_days


def schedule(state: AccountState, key: Key) -> tuple[datetime | None, datetime | None,
                                                     int | None]:
    """(expiry that applies, rotation due instant, maximum age in days) of a key."""
    days = max_age_days(state, key.owner)
    candidates = [key.explicit_expires_at]
    if days is not None and key.created_at is not None:
        candidates.append(key.created_at + timedelta(days=days))
    present = [moment for moment in candidates if moment is not None]
    expires = min(present) if present else None
    due = (key.created_at + (expires - key.created_at) * ROTATION_DUE
           if expires is not None and key.created_at is not None else None)
    return expires, due, days


def _key_changed(state: AccountState, key: Key) -> dict[str, Any]:
    return {"keys": updated(state.keys, key.key_id, key)}


def _expiry_evolved(state: AccountState, event: AccessKeyExpirySet) -> dict[str, Any]:
    key = state.keys[event.access_key_id]
    _, old_due, _ = schedule(state, key)
    return _key_changed(state, replace(
        key, explicit_expires_at=event.explicit_expires_at, expires_at=event.expires_at,
        max_age_days=event.max_age_days,
        rotation_noted=key.rotation_noted and old_due == event.rotation_due_at))


HANDLERS: dict[type[Event], Callable[[AccountState, Any], dict[str, Any]]] = {
    AccessKeyExpirySet: _expiry_evolved,
    AccessKeyRotationDue: lambda state, event: _key_changed(
        state, replace(state.keys[event.access_key_id], rotation_noted=True)),
    AccessKeyExpired: lambda state, event: _key_changed(
        state, replace(state.keys[event.access_key_id], status="Expired")),
    AccessKeyRotationStarted: lambda _state, _event: {},
    AccountKeyMaxAgeSet: lambda _state, event: {"key_max_age_days": event.max_age_days},
}
