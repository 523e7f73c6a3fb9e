"""The account aggregate: users and access keys, decided as AWS IAM does.

`decide(state, command, ctx)` returns the events a command causes or raises a `DomainError`;
`evolve(state, event)` folds one event into the state. Both are pure: time, randomness and the
current master key version come in through `Context`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from collections.abc import Mapping
from typing import Literal, TypeVar

from domain import ids
from domain.commands import (
    Command,
    CreateAccessKey,
    CreateAccount,
    CreateUser,
    DeleteAccessKey,
    DeleteUser,
    UpdateAccessKey,
)
from domain.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidAction,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
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

T = TypeVar("T")
MAX_KEYS_PER_USER = 2
MAX_USERS = 5000
_ROOT = ""  # key of the root user in the owner → keys index


@dataclass(frozen=True, slots=True)
class Context:
    """What `decide` needs from the outside world."""

    now: datetime
    ids: ids.IdSource
    master_key_version: int


@dataclass(frozen=True, slots=True)
class User:
    """An IAM user as the aggregate knows it."""

    name: str
    user_id: str
    path: str
    arn: str


@dataclass(frozen=True, slots=True)
class Key:
    """An access key as the aggregate knows it (never its secret)."""

    key_id: str
    owner: str  # user name, or "" for root
    status: Literal["Active", "Inactive"]


@dataclass(frozen=True, slots=True)
class AccountState:
    """Everything needed to decide commands for one account."""

    account_id: str
    exists: bool = False
    version: int = 0  # number of events applied: the next event's sequence
    users: Mapping[str, User] = field(default_factory=lambda: MappingProxyType({}))
    keys: Mapping[str, Key] = field(default_factory=lambda: MappingProxyType({}))


def _with(mapping: Mapping[str, T], key: str, value: T | None) -> Mapping[str, T]:
    updated = dict(mapping)
    if value is None:
        updated.pop(key, None)
    else:
        updated[key] = value
    return MappingProxyType(updated)


def decide(state: AccountState, command: Command, ctx: Context) -> list[Event]:
    """Return the events `command` causes in `state`, or raise a `DomainError`."""
    if isinstance(command, CreateAccount):
        return _create_account(state, ctx)
    if not state.exists:
        raise NoSuchEntity(f"The account {state.account_id} does not exist.",
                           account_id=state.account_id)
    match command:
        case CreateUser():
            return _create_user(state, command, ctx)
        case DeleteUser():
            return _delete_user(state, command)
        case CreateAccessKey():
            return [_issue_key(state, command.user_name, ctx)]
        case UpdateAccessKey():
            return _update_key(state, command)
        case DeleteAccessKey():
            key = _owned_key(state, command.access_key_id, command.user_name)
            return [AccessKeyDeleted(**_key_fields(state, key))]
    raise InvalidAction(f"Unknown command {type(command).__name__}.")  # pragma: no cover


def evolve(state: AccountState, event: Event) -> AccountState:
    """Fold one event into the state."""
    state = replace(state, version=state.version + 1)
    match event:
        case AccountCreated():
            return replace(state, exists=True)
        case UserCreated():
            user = User(event.user_name, event.user_id, event.path, event.arn)
            return replace(state, users=_with(state.users, event.user_name.lower(), user))
        case UserDeleted():
            return replace(state, users=_with(state.users, event.user_name.lower(), None))
        case AccessKeyIssued():
            key = Key(event.access_key_id, event.user_name or _ROOT, "Active")
            return replace(state, keys=_with(state.keys, key.key_id, key))
        case AccessKeyDisabled() | AccessKeyEnabled():
            status: Literal["Active", "Inactive"] = (
                "Inactive" if isinstance(event, AccessKeyDisabled) else "Active"
            )
            key = replace(state.keys[event.access_key_id], status=status)
            return replace(state, keys=_with(state.keys, key.key_id, key))
        case AccessKeyDeleted():
            return replace(state, keys=_with(state.keys, event.access_key_id, None))
    return state


def fold(state: AccountState, events: list[Event]) -> AccountState:
    """Apply `events` in order."""
    for event in events:
        state = evolve(state, event)
    return state


def keys_of(state: AccountState, owner: str | None) -> list[Key]:
    """The access keys of a user (or of root, for None), in no particular order."""
    wanted = owner or _ROOT
    return [key for key in state.keys.values() if key.owner == wanted]


def _create_account(state: AccountState, ctx: Context) -> list[Event]:
    ids.account_id(state.account_id)
    if state.exists:
        raise EntityAlreadyExists(f"Account {state.account_id} already exists.",
                                  account_id=state.account_id)
    created = AccountCreated(account_id=state.account_id, created_at=ctx.now)
    return [created, _issue_key(replace(state, exists=True), None, ctx)]


def _create_user(state: AccountState, command: CreateUser, ctx: Context) -> list[Event]:
    name = ids.entity_name(command.user_name)
    path = ids.entity_path(command.path)
    if name.lower() in state.users:
        raise EntityAlreadyExists(f"User with name {name} already exists.",
                                  account_id=state.account_id, entity=name)
    if len(state.users) >= MAX_USERS:
        raise LimitExceeded(f"Cannot exceed quota for UsersPerAccount: {MAX_USERS}.",
                            account_id=state.account_id)
    return [UserCreated(
        account_id=state.account_id,
        user_name=name,
        user_id=ids.unique_id("AIDA", ctx.ids.random_bytes(11)),
        path=path,
        arn=ids.user_arn(state.account_id, name, path),
        created_at=ctx.now,
    )]


def _delete_user(state: AccountState, command: DeleteUser) -> list[Event]:
    user = _user(state, command.user_name)
    if keys_of(state, user.name):
        raise DeleteConflict("Cannot delete entity, must delete access keys first.",
                             account_id=state.account_id, entity=user.name)
    return [UserDeleted(account_id=state.account_id, user_name=user.name,
                        user_id=user.user_id, arn=user.arn)]


def _issue_key(state: AccountState, user_name: str | None, ctx: Context) -> AccessKeyIssued:
    owner = _user(state, user_name).name if user_name is not None else None
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


def _update_key(state: AccountState, command: UpdateAccessKey) -> list[Event]:
    key = _owned_key(state, command.access_key_id, command.user_name)
    if key.status == command.status:
        return []  # AWS answers success and nothing changes
    model = AccessKeyEnabled if command.status == "Active" else AccessKeyDisabled
    return [model(**_key_fields(state, key))]


def _user(state: AccountState, name: str) -> User:
    ids.entity_name(name)
    user = state.users.get(name.lower())
    if user is None:
        raise NoSuchEntity(f"The user with name {name} cannot be found.",
                           account_id=state.account_id, entity=name)
    return user


def _owned_key(state: AccountState, key_id: str, user_name: str | None) -> Key:
    owner = _user(state, user_name).name if user_name is not None else _ROOT
    key = state.keys.get(key_id)
    if key is None or key.owner != owner:
        raise NoSuchEntity(f"The Access Key with id {key_id[:32]} cannot be found.",
                           account_id=state.account_id, entity=key_id[:32])
    return key


def _owner_arn(state: AccountState, owner: str | None) -> str:
    if owner is None:
        return ids.root_arn(state.account_id)
    return state.users[owner.lower()].arn


def _key_fields(state: AccountState, key: Key) -> dict[str, str | None]:
    owner = key.owner or None
    return {
        "account_id": state.account_id,
        "access_key_id": key.key_id,
        "user_name": owner,
        "owner_arn": _owner_arn(state, owner),
    }


__all__ = ["AccountState", "Context", "ValidationError", "decide", "evolve", "fold", "keys_of"]
