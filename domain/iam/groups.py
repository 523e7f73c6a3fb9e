"""Group rules: create, delete (only when empty of members and policies), membership."""

from __future__ import annotations

from domain import ids
from domain.commands import AddUserToGroup, CreateGroup, DeleteGroup, RemoveUserFromGroup
from domain.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from domain.iam import lookup
from domain.iam.state import AccountState, Context
from events.schemas import Event, GroupCreated, GroupDeleted, GroupMemberAdded, GroupMemberRemoved

MAX_GROUPS = 300
MAX_GROUPS_PER_USER = 10


def create_group(state: AccountState, command: CreateGroup, ctx: Context) -> list[Event]:
    """CreateGroup: a new name (ignoring case) within the account's quota."""
    name = ids.entity_name(command.group_name, "groupName", ids.POLICY_NAME_MAX)
    path = ids.entity_path(command.path)
    if name.lower() in state.groups:
        raise EntityAlreadyExists(f"Group with name {name} already exists.",
                                  account_id=state.account_id, entity=name)
    if len(state.groups) >= MAX_GROUPS:
        raise LimitExceeded(f"Cannot exceed quota for GroupsPerAccount: {MAX_GROUPS}.",
                            account_id=state.account_id)
    return [GroupCreated(
        account_id=state.account_id,
        group_name=name,
        group_id=ids.unique_id("AGPA", ctx.ids.random_bytes(11)),
        path=path,
        arn=ids.group_arn(state.account_id, name, path),
        created_at=ctx.now,
    )]


def delete_group(state: AccountState, command: DeleteGroup) -> list[Event]:
    """DeleteGroup: refused while members, inline or attached policies remain."""
    group = lookup.group(state, command.group_name)
    for remaining, what in ((group.member_count, "remove users from group"),
                            (len(group.inline_policies), "delete policies"),
                            (len(group.attached), "detach all policies")):
        if remaining:
            raise DeleteConflict(f"Cannot delete entity, must {what} first.",
                                 account_id=state.account_id, entity=group.name)
    return [GroupDeleted(account_id=state.account_id, group_name=group.name,
                         group_id=group.group_id, arn=group.arn)]


def add_member(state: AccountState, command: AddUserToGroup) -> list[Event]:
    """AddUserToGroup: at most 10 groups per user; adding a member again changes nothing."""
    group = lookup.group(state, command.group_name)
    user = lookup.user(state, command.user_name)
    if group.name.lower() in user.groups:
        return []
    if len(user.groups) >= MAX_GROUPS_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}",
                            account_id=state.account_id, entity=user.name)
    return [GroupMemberAdded(account_id=state.account_id, group_name=group.name,
                             group_id=group.group_id, arn=group.arn, user_name=user.name,
                             user_id=user.user_id)]


def remove_member(state: AccountState, command: RemoveUserFromGroup) -> list[Event]:
    """RemoveUserFromGroup: the user must be a member."""
    group = lookup.group(state, command.group_name)
    user = lookup.user(state, command.user_name)
    if group.name.lower() not in user.groups:
        raise NoSuchEntity(f"The user with name {user.name} cannot be found in group "
                           f"{group.name}.", account_id=state.account_id, entity=user.name)
    return [GroupMemberRemoved(account_id=state.account_id, group_name=group.name,
                               group_id=group.group_id, arn=group.arn, user_name=user.name,
                               user_id=user.user_id)]
