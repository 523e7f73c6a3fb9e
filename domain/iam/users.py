"""User rules: create, update (rename, move), tag, untag, delete."""

from __future__ import annotations

from domain import ids
from domain.commands import CreateUser, DeleteUser, TagUser, UntagUser, UpdateUser
from domain.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded
from domain.iam import lookup, tags
from domain.iam.state import AccountState, Context
from events.schemas import Event, UserCreated, UserDeleted, UserTagged, UserUntagged, UserUpdated

MAX_USERS = 5000


def create_user(state: AccountState, command: CreateUser, ctx: Context) -> list[Event]:
    """CreateUser: a new name (ignoring case) within the account's quota."""
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


def update_user(state: AccountState, command: UpdateUser) -> list[Event]:
    """UpdateUser: a new name must be free (a change of case alone is allowed)."""
    user = lookup.user(state, command.user_name)
    name = ids.entity_name(command.new_user_name, "newUserName") \
        if command.new_user_name is not None else user.name
    path = ids.entity_path(command.new_path) if command.new_path is not None else user.path
    if name.lower() != user.name.lower() and name.lower() in state.users:
        raise EntityAlreadyExists(f"User with name {name} already exists.",
                                  account_id=state.account_id, entity=name)
    if (name, path) == (user.name, user.path):
        return []
    return [UserUpdated(account_id=state.account_id, user_name=user.name, user_id=user.user_id,
                        new_user_name=name, new_path=path,
                        arn=ids.user_arn(state.account_id, name, path))]


def tag_user(state: AccountState, command: TagUser) -> list[Event]:
    """TagUser: valid, case-insensitively unique keys; at most 50 tags in all."""
    user = lookup.user(state, command.user_name)
    added = tags.check_tags(command.tags)
    tags.check_total(tags.merged(user.tags, added))
    return [UserTagged(account_id=state.account_id, user_name=user.name, user_id=user.user_id,
                       arn=user.arn, tags=tuple(added))]


def untag_user(state: AccountState, command: UntagUser) -> list[Event]:
    """UntagUser: keys the user does not have are ignored; nothing removed, no event."""
    user = lookup.user(state, command.user_name)
    removed = tags.removed_keys(user.tags, command.tag_keys)
    if not removed:
        return []
    return [UserUntagged(account_id=state.account_id, user_name=user.name,
                         user_id=user.user_id, arn=user.arn, tag_keys=removed)]


def delete_user(state: AccountState, command: DeleteUser) -> list[Event]:
    """DeleteUser: refused while keys, inline or attached policies or group memberships remain.

    Tags and the permissions boundary go with the user, as in AWS.
    """
    user = lookup.user(state, command.user_name)
    for remaining, what in ((user.key_ids, "delete access keys"),
                            (user.inline_policies, "delete policies"),
                            (user.attached, "detach all policies"),
                            (user.groups, "remove user from all groups")):
        if remaining:
            raise DeleteConflict(f"Cannot delete entity, must {what} first.",
                                 account_id=state.account_id, entity=user.name)
    return [UserDeleted(account_id=state.account_id, user_name=user.name,
                        user_id=user.user_id, arn=user.arn)]
