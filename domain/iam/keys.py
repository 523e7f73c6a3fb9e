"""Access key rules: issue (≤ 2 per user and for root), set status, delete, record use."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain import ids
from domain.commands import DeleteAccessKey, RecordAccessKeyUse, UpdateAccessKey
from domain.errors import LimitExceeded, NoSuchEntity, ValidationError
from domain.iam import lookup
from domain.iam.state import ROOT, AccountState, Context, Key, keys_of
from events.schemas import (
    AccessKeyDeleted,
    AccessKeyDisabled,
    AccessKeyEnabled,
    AccessKeyIssued,
    AccessKeyUsed,
    Event,
)

MAX_KEYS_PER_USER = 2
# GetAccessKeyLastUsed is documented as approximate; one event per key per window keeps the
# log from growing with every request.
LAST_USED_WINDOW = timedelta(minutes=15)
_NAME_MAX = 64


def issue_key(state: AccountState, user_name: str | None, ctx: Context) -> AccessKeyIssued:
    """CreateAccessKey for a user, or for root when `user_name` is None."""
    owner = lookup.user(state, user_name).name if user_name is not None else None
    if len(keys_of(state, owner)) >= MAX_KEYS_PER_USER:
        raise LimitExceeded(
            f"Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}",
            account_id=state.account_id, entity=owner,
        )
    return AccessKeyIssued(
        account_id=state.account_id,
        access_key_id=ids.access_key_id(ctx.ids.random_bytes(10)),
        user_name=owner,
        owner_arn=_owner_arn(state, owner),
        salt=ctx.ids.random_bytes(16).hex(),
        master_key_version=ctx.master_key_version,
        created_at=ctx.now,
    )


def update_key(state: AccountState, command: UpdateAccessKey) -> list[Event]:
    """UpdateAccessKey: the same status again is a success that changes nothing."""
    key = owned_key(state, command.access_key_id, command.user_name)
    if key.status == "Expired":
        raise ValidationError(f"The Access Key {key.key_id} has expired; it can only be "
                              "deleted.", account_id=state.account_id, entity=key.key_id)
    if key.status == command.status:
        return []
    model = AccessKeyEnabled if command.status == "Active" else AccessKeyDisabled
    return [model(**key_fields(state, key))]


def delete_key(state: AccountState, command: DeleteAccessKey) -> list[Event]:
    """DeleteAccessKey."""
    key = owned_key(state, command.access_key_id, command.user_name)
    return [AccessKeyDeleted(**key_fields(state, key))]


def record_use(state: AccountState, command: RecordAccessKeyUse) -> list[Event]:
    """Note a key's use, unless one was noted less than 15 minutes before `at`."""
    for field, value in (("serviceName", command.service), ("region", command.region)):
        if not 1 <= len(value) <= _NAME_MAX:
            raise ValidationError(f"1 validation error detected: Value at '{field}' failed to "
                                  f"satisfy constraint: Member must have length less than or "
                                  f"equal to {_NAME_MAX}")
    key = state.keys.get(command.access_key_id)
    if key is None:
        raise NoSuchEntity(f"The Access Key with id {command.access_key_id[:32]} cannot be "
                           "found.", account_id=state.account_id)
    if key.last_used_at is not None and command.at - key.last_used_at < LAST_USED_WINDOW:
        return []
    return [AccessKeyUsed(**key_fields(state, key), service=command.service,
                          region=command.region, used_at=command.at)]


def owned_key(state: AccountState, key_id: str, user_name: str | None) -> Key:
    """The key `key_id` if it belongs to `user_name` (root for None)."""
    owner = lookup.user(state, user_name).name if user_name is not None else ROOT
    key = state.keys.get(key_id)
    if key is None or key.owner != owner:
        raise NoSuchEntity(f"The Access Key with id {key_id[:32]} cannot be found.",
                           account_id=state.account_id, entity=key_id[:32])
    return key


def key_fields(state: AccountState, key: Key) -> dict[str, str | None]:
    """The fields every access key event carries."""
    owner = key.owner or None
    return {
        "account_id": state.account_id,
        "access_key_id": key.key_id,
        "user_name": owner,
        "owner_arn": _owner_arn(state, owner),
    }


def _owner_arn(state: AccountState, owner: str | None) -> str:
    if owner is None:
        return ids.root_arn(state.account_id)
    return state.users[owner.lower()].arn


def with_status(key: Key, disabled: bool) -> Key:
    """The key with its status set."""
    return replace(key, status="Inactive" if disabled else "Active")
