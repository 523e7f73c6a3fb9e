"""Long-term keys age too: deciding key expiries, the account's maximum key age, the rotation
reminder at 80 % of the allowed age, `Expired` at the expiry, and the safe rotation dance.

Whenever the expiry that applies to a key changes — its own is set, the user's tag or the
account's maximum changes, a key is issued under a maximum — the decision records it
(`iamlog.access_key.expiry_set`), so the read model and the scheduler need no rules of their
own (`domain.iam.key_schedule` computes it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from domain.commands import (
    ExpireAccessKey,
    MarkAccessKeyRotationDue,
    RotateAccessKey,
    SetAccessKeyExpiry,
    SetAccountKeyMaxAge,
)
from domain.errors import LimitExceeded, NoSuchEntity, ValidationError
from domain.iam import keys, lookup
from domain.iam.evolve import fold
from domain.iam.key_schedule import MAX_AGE_DAYS, max_age_days, schedule
from domain.iam.state import ROOT, AccountState, Context, Key, keys_of
from events.schemas import AccessKeyIssued, Event
from events.schemas.key_age import (
    AccessKeyExpired,
    AccessKeyExpirySet,
    AccessKeyRotationDue,
    AccessKeyRotationStarted,
    AccountKeyMaxAgeSet,
)

Decider = Callable[[AccountState, Any, Context], list[Event]]


def _expiry_set(state: AccountState, key: Key) -> AccessKeyExpirySet:
    expires, due, days = schedule(state, key)
    return AccessKeyExpirySet(**keys.key_fields(state, key),
                              explicit_expires_at=key.explicit_expires_at, expires_at=expires,
                              max_age_days=days, rotation_due_at=due)


def rescheduled(state: AccountState, key_ids: Iterable[str]) -> list[Event]:
    """An `expiry_set` for each key (not expired) whose expiry or maximum age changed."""
    changed: list[Event] = []
    for key_id in key_ids:
        key = state.keys.get(key_id)
        if key is None or key.status == "Expired":
            continue
        expires, _, days = schedule(state, key)
        if (expires, days) != (key.expires_at, key.max_age_days):
            changed.append(_expiry_set(state, key))
    return changed


def with_key_ages(decider: Decider, affected: Callable[[AccountState, Any], Iterable[str]],
                  ) -> Decider:
    """`decider`, followed by the expiry changes its events cause to the `affected` keys."""
    def decide(state: AccountState, command: Any, ctx: Context) -> list[Event]:
        events = decider(state, command, ctx)
        if not events:
            return events
        after = fold(state, events)
        return events + rescheduled(after, affected(after, command))
    return decide


def owner_keys(state: AccountState, command: Any) -> list[str]:
    """The keys of the user a command names (root for None); a malformed maximum-age tag is
    refused here even when the user has no key yet."""
    name = getattr(command, "user_name", None)
    max_age_days(state, name or ROOT)
    return [key.key_id for key in keys_of(state, name)]


def all_keys(state: AccountState, _command: Any) -> list[str]:
    """Every key of the account."""
    return list(state.keys)


def _key(state: AccountState, key_id: str) -> Key:
    key = state.keys.get(key_id)
    if key is None:
        raise NoSuchEntity(f"The Access Key with id {key_id[:32]} cannot be found.",
                           account_id=state.account_id, entity=key_id[:32])
    return key


def set_expiry(state: AccountState, command: SetAccessKeyExpiry) -> list[Event]:
    """Set (or clear, with None) a key's own expiry; an expired key is past that."""
    key = _key(state, command.access_key_id)
    if key.status == "Expired":
        raise ValidationError(f"The Access Key {key.key_id} has expired; delete it.",
                              account_id=state.account_id, entity=key.key_id)
    if key.explicit_expires_at == command.expires_at:
        return []
    return [_expiry_set(state, replace(key, explicit_expires_at=command.expires_at))]


def set_account_max_age(state: AccountState, command: SetAccountKeyMaxAge) -> list[Event]:
    """Set (or clear) the account's maximum key age (users with the tag keep theirs)."""
    if command.max_age_days is not None and not 1 <= command.max_age_days <= MAX_AGE_DAYS:
        raise ValidationError(f"The maximum key age must be 1 to {MAX_AGE_DAYS} days.",
                              account_id=state.account_id)
    if command.max_age_days == state.key_max_age_days:
        return []
    return [AccountKeyMaxAgeSet(account_id=state.account_id, max_age_days=command.max_age_days)]


def mark_rotation_due(state: AccountState, command: MarkAccessKeyRotationDue) -> list[Event]:
    """The rotation reminder, once per key and expiry, from 80 % of its allowed age on."""
    key = state.keys.get(command.access_key_id)
    if key is None or key.status == "Expired" or key.rotation_noted:
        return []
    expires, due, _ = schedule(state, key)
    if expires is None or due is None:
        return []
    if command.at < due:
        raise ValidationError(f"Rotation of {key.key_id} is due at {due.isoformat()}, not yet.",
                              account_id=state.account_id, entity=key.key_id)
    return [AccessKeyRotationDue(**keys.key_fields(state, key), rotation_due_at=due,
                                 expires_at=expires)]


def expire_key(state: AccountState, command: ExpireAccessKey) -> list[Event]:
    """Set a key `Expired` once its expiry has passed (a second time: nothing)."""
    key = state.keys.get(command.access_key_id)
    if key is None or key.status == "Expired":
        return []
    expires, _, _ = schedule(state, key)
    if expires is None:
        return []
    if command.at < expires:
        raise ValidationError(f"The Access Key {key.key_id} expires at {expires.isoformat()}, "
                              "not yet.", account_id=state.account_id, entity=key.key_id)
    return [AccessKeyExpired(**keys.key_fields(state, key), expires_at=expires)]


def rotate(state: AccountState, command: RotateAccessKey, ctx: Context) -> list[Event]:
    """Issue the user's second key and schedule the old one's disabling and deletion."""
    if not 0 <= command.disable_after_seconds <= command.delete_after_seconds:
        raise ValidationError("The grace period must be at least 0 seconds and at most the "
                              "time until the old key is deleted.", account_id=state.account_id)
    owner = lookup.user(state, command.user_name).name if command.user_name else None
    current = keys_of(state, owner)
    if len(current) != 1 or current[0].status != "Active":
        raise LimitExceeded("Rotation needs exactly one key, and it Active; the user has "
                            f"{len(current)}.", account_id=state.account_id, entity=owner)
    old = current[0]
    issued: AccessKeyIssued = keys.issue_key(state, owner, ctx)
    return [issued, AccessKeyRotationStarted(
        **keys.key_fields(state, old), new_access_key_id=issued.access_key_id,
        disable_at=ctx.now + timedelta(seconds=command.disable_after_seconds),
        delete_at=ctx.now + timedelta(seconds=command.delete_after_seconds))]
