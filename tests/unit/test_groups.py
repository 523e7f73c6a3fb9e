"""Groups: given events, when a command, then events (or AWS's refusal)."""

from __future__ import annotations

import re

import pytest

from domain.commands import (
    AddUserToGroup,
    AttachGroupPolicy,
    CreateGroup,
    CreateUser,
    DeleteGroup,
    DeleteUser,
    PutGroupPolicy,
    RemoveUserFromGroup,
    UpdateUser,
)
from domain.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from events.schemas import GroupCreated, GroupDeleted, GroupMemberAdded, GroupMemberRemoved
from tests.unit.iam_history import POLICY_ARN, document, history, state_after, when
from tests.unit.samples import ACCOUNT, NOW


def test_create_group_has_an_agpa_id_path_and_arn() -> None:
    """CreateGroup records an `AGPA…` id and the ARN with the path."""
    (event,) = when(history(), CreateGroup(group_name="Dev", path="/eng/"))

    assert isinstance(event, GroupCreated)
    assert re.fullmatch(r"AGPA[A-Z2-7]{17}", event.group_id)
    assert (f"arn:aws:iam::{ACCOUNT}:group/eng/Dev", "/eng/", NOW) == (
        event.arn, event.path, event.created_at)


def test_group_names_are_unique_ignoring_case() -> None:
    """A second group `OPS` beside `Ops` is `EntityAlreadyExists`."""
    with pytest.raises(EntityAlreadyExists, match="Group with name OPS already exists"):
        when(history(), CreateGroup(group_name="OPS"))


def test_invalid_group_name_is_a_validation_error() -> None:
    """A group name with a slash is refused."""
    with pytest.raises(ValidationError):
        when(history(), CreateGroup(group_name="a/b"))


def test_add_and_remove_member() -> None:
    """AddUserToGroup then RemoveUserFromGroup, each one event; the state follows."""
    given = history(AddUserToGroup(group_name="ops", user_name="alice"))
    state = state_after(given)
    (removed,) = when(given, RemoveUserFromGroup(group_name="Ops", user_name="Alice"))

    assert (("ops",), 1) == (state.users["alice"].groups, state.groups["ops"].member_count)
    assert isinstance(given[-1], GroupMemberAdded)
    assert ("Ops", "Alice") == (given[-1].group_name, given[-1].user_name)
    assert isinstance(removed, GroupMemberRemoved)
    assert ((), 0) == (state_after([*given, removed]).users["alice"].groups,
                       state_after([*given, removed]).groups["ops"].member_count)


def test_adding_a_member_twice_changes_nothing() -> None:
    """AWS answers success and records nothing new."""
    assert [] == when(history(AddUserToGroup(group_name="Ops", user_name="Alice")),
                      AddUserToGroup(group_name="Ops", user_name="Alice"))


def test_removing_a_non_member_is_no_such_entity() -> None:
    """A user not in the group cannot be removed from it."""
    with pytest.raises(NoSuchEntity):
        when(history(), RemoveUserFromGroup(group_name="Ops", user_name="Alice"))


def test_unknown_group_is_no_such_entity() -> None:
    """Naming a missing group is `NoSuchEntity` with AWS's message."""
    with pytest.raises(NoSuchEntity, match="The group with name Dev cannot be found"):
        when(history(), AddUserToGroup(group_name="Dev", user_name="Alice"))


def test_a_user_joins_at_most_ten_groups() -> None:
    """The eleventh group is `LimitExceeded` (GroupsPerUser)."""
    commands = [c for i in range(10) for c in (
        CreateGroup(group_name=f"g{i}"), AddUserToGroup(group_name=f"g{i}", user_name="Alice"))]

    with pytest.raises(LimitExceeded, match="GroupsPerUser: 10"):
        when(history(*commands), AddUserToGroup(group_name="Ops", user_name="Alice"))


def test_delete_empty_group() -> None:
    """A group without members or policies is deleted."""
    (event,) = when(history(), DeleteGroup(group_name="ops"))

    assert isinstance(event, GroupDeleted)
    assert "ops" not in state_after([*history(), event]).groups


@pytest.mark.parametrize(("command", "message"), [
    (AddUserToGroup(group_name="Ops", user_name="Alice"), "must remove users from group first"),
    (PutGroupPolicy(group_name="Ops", policy_name="p", policy_document=document()),
     "must delete policies first"),
    (AttachGroupPolicy(group_name="Ops", policy_arn=POLICY_ARN), "must detach all policies"),
], ids=["member", "inline", "attached"])
def test_delete_group_with_dependents_is_a_conflict(command: object, message: str) -> None:
    """Members, inline and attached policies each block DeleteGroup."""
    with pytest.raises(DeleteConflict, match=message):
        when(history(command), DeleteGroup(group_name="Ops"))  # type: ignore[arg-type]


def test_group_membership_blocks_delete_user() -> None:
    """A user still in a group cannot be deleted."""
    with pytest.raises(DeleteConflict, match="remove user from all groups"):
        when(history(AddUserToGroup(group_name="Ops", user_name="Alice")),
             DeleteUser(user_name="Alice"))


def test_a_renamed_user_keeps_its_groups() -> None:
    """Membership survives UpdateUser (it is kept on the user)."""
    state = state_after(history(AddUserToGroup(group_name="Ops", user_name="Alice"),
                                UpdateUser(user_name="Alice", new_user_name="Alicia"),
                                CreateUser(user_name="Alice")))

    assert (("ops",), ()) == (state.users["alicia"].groups, state.users["alice"].groups)
