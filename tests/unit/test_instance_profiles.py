"""Instance profiles: given events, when a command, then events (or AWS's refusal)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from domain.commands import (
    AddRoleToInstanceProfile,
    BindWorkload,
    Command,
    CreateInstanceProfile,
    CreateRole,
    DeleteInstanceProfile,
    DeleteRole,
    RemoveRoleFromInstanceProfile,
    RenewWorkloadSession,
    TagInstanceProfile,
    UntagInstanceProfile,
)
from domain.errors import (
    DeleteConflict,
    DomainError,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from events.schemas import (
    Event,
    InstanceProfileCreated,
    InstanceProfileDeleted,
    InstanceProfileRoleAdded,
    InstanceProfileRoleRemoved,
    InstanceProfileTagged,
    InstanceProfileUntagged,
    RoleDeleted,
    Tag,
)
from tests.unit.iam_history import history, state_after, when
from tests.unit.profile_samples import DIGEST, session
from tests.unit.samples import ACCOUNT, NOW

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})


def with_profile(*more: Command) -> list[Event]:
    """The history plus role `Web` and instance profile `WebProfile` (path `/apps/`)."""
    return history(CreateRole(role_name="Web", assume_role_policy_document=TRUST),
                   CreateRole(role_name="Other", assume_role_policy_document=TRUST),
                   CreateInstanceProfile(instance_profile_name="WebProfile", path="/apps/"),
                   *more)


def bind(workload: str, n: int, profile: str = "WebProfile") -> BindWorkload:
    """Bind `workload` with made-up session number `n`."""
    return BindWorkload(workload=workload, profile_name=profile, bearer_sha256=DIGEST,
                        session_id=f"{n:032x}", **session(n, NOW))  # type: ignore[arg-type]


def test_create_records_aipa_id_arn_path_and_tags() -> None:
    """CreateInstanceProfile records an `AIPA…` id, the ARN with the path, and the tags."""
    (event,) = when(history(), CreateInstanceProfile(
        instance_profile_name="WebProfile", path="/apps/", tags=(Tag(key="t", value="1"),)))

    assert isinstance(event, InstanceProfileCreated)
    assert re.fullmatch(r"AIPA[A-Z2-7]{17}", event.profile_id)
    assert (f"arn:aws:iam::{ACCOUNT}:instance-profile/apps/WebProfile", "/apps/",
            (Tag(key="t", value="1"),), NOW) == (event.arn, event.path, event.tags,
                                                 event.created_at)


def test_names_are_unique_ignoring_case() -> None:
    """A second profile `WEBPROFILE` is `EntityAlreadyExists`."""
    with pytest.raises(EntityAlreadyExists, match="Instance Profile WEBPROFILE already exists"):
        when(with_profile(), CreateInstanceProfile(instance_profile_name="WEBPROFILE"))


@pytest.mark.parametrize(("command", "error"), [
    (CreateInstanceProfile(instance_profile_name="x" * 129), ValidationError),
    (CreateInstanceProfile(instance_profile_name="bad name"), ValidationError),
    (CreateInstanceProfile(instance_profile_name="p", path="apps"), ValidationError),
    (AddRoleToInstanceProfile(instance_profile_name="Nope", role_name="Web"), NoSuchEntity),
    (AddRoleToInstanceProfile(instance_profile_name="WebProfile", role_name="Nope"),
     NoSuchEntity),
    (RemoveRoleFromInstanceProfile(instance_profile_name="WebProfile", role_name="Web"),
     NoSuchEntity),
    (DeleteInstanceProfile(instance_profile_name="Nope"), NoSuchEntity),
    (TagInstanceProfile(instance_profile_name="WebProfile", tags=(Tag(key="aws:x", value=""),)),
     DomainError),
])
def test_bad_input_is_refused(command: Command, error: type[DomainError]) -> None:
    """Malformed names and paths, unknown profiles and roles, reserved tag keys: refused."""
    with pytest.raises(error):
        when(with_profile(), command)


def test_add_role_records_the_role_and_links_it_both_ways() -> None:
    """AddRoleToInstanceProfile names the role; the state links profile and role."""
    added = when(with_profile(), AddRoleToInstanceProfile(instance_profile_name="webprofile",
                                                          role_name="web"))

    assert isinstance(added[0], InstanceProfileRoleAdded)
    assert ("WebProfile", "Web", f"arn:aws:iam::{ACCOUNT}:role/Web") == (
        added[0].profile_name, added[0].role_name, added[0].role_arn)
    state = state_after([*with_profile(), *added])
    assert ("web", ("webprofile",)) == (state.instance_profiles["webprofile"].role,
                                        state.roles["web"].instance_profiles)


@pytest.mark.parametrize("role", ["Web", "Other"])
def test_a_profile_holds_one_role_at_most(role: str) -> None:
    """A second role (or the same one again) is `LimitExceeded`."""
    given = with_profile(AddRoleToInstanceProfile(instance_profile_name="WebProfile",
                                                  role_name="Web"))
    with pytest.raises(LimitExceeded, match="InstanceSessionsPerInstanceProfile: 1"):
        when(given, AddRoleToInstanceProfile(instance_profile_name="WebProfile",
                                             role_name=role))


def test_delete_role_is_a_conflict_while_in_a_profile() -> None:
    """DeleteRole refuses a role held by an instance profile; after removal it succeeds."""
    given = with_profile(AddRoleToInstanceProfile(instance_profile_name="WebProfile",
                                                  role_name="Web"))
    with pytest.raises(DeleteConflict, match="remove roles from instance profile"):
        when(given, DeleteRole(role_name="Web"))
    removed = given + when(given, RemoveRoleFromInstanceProfile(
        instance_profile_name="WebProfile", role_name="Web"))

    assert [RoleDeleted] == [type(e) for e in when(removed, DeleteRole(role_name="Web"))]


def test_delete_profile_is_a_conflict_while_it_holds_a_role_or_workloads() -> None:
    """DeleteInstanceProfile: `DeleteConflict` with a role; with bound workloads too."""
    given = with_profile(AddRoleToInstanceProfile(instance_profile_name="WebProfile",
                                                  role_name="Web"), bind("api", 1))
    with pytest.raises(DeleteConflict, match="must remove roles"):
        when(given, DeleteInstanceProfile(instance_profile_name="WebProfile"))
    given += when(given, RemoveRoleFromInstanceProfile(instance_profile_name="WebProfile",
                                                       role_name="Web"))
    with pytest.raises(DeleteConflict, match="unbind"):
        when(given, DeleteInstanceProfile(instance_profile_name="WebProfile"))

    assert [InstanceProfileDeleted] == [type(e) for e in when(
        with_profile(), DeleteInstanceProfile(instance_profile_name="webprofile"))]
    assert "webprofile" not in state_after(with_profile(DeleteInstanceProfile(
        instance_profile_name="WebProfile"))).instance_profiles


def test_remove_role_revokes_the_unexpired_sessions_of_every_bound_workload() -> None:
    """RemoveRoleFromInstanceProfile lists the live sessions (old and current) of its
    workloads, and renewals stop."""
    given = with_profile(
        AddRoleToInstanceProfile(instance_profile_name="WebProfile", role_name="Web"),
        bind("api", 1), bind("batch", 2),
        RenewWorkloadSession(workload="api", old_session_id=f"{1:032x}",
                             new_session_id=f"{3:032x}",
                             **session(3, NOW + timedelta(minutes=30))),  # type: ignore[arg-type]
    )
    (removed,) = when(given, RemoveRoleFromInstanceProfile(instance_profile_name="WebProfile",
                                                           role_name="Web"))

    assert isinstance(removed, InstanceProfileRoleRemoved)
    assert {f"{n:032x}" for n in (1, 2, 3)} == set(removed.revoked_session_ids)
    with pytest.raises(NoSuchEntity, match="holds no role"):
        when([*given, removed], RenewWorkloadSession(
            workload="api", old_session_id=f"{3:032x}", new_session_id=f"{4:032x}",
            **session(4, NOW)))  # type: ignore[arg-type]


def test_tag_and_untag() -> None:
    """Tags merge ignoring case; untagging absent keys is no event."""
    given = with_profile(TagInstanceProfile(instance_profile_name="WebProfile",
                                            tags=(Tag(key="a", value="1"),)))
    tagged = when(given, TagInstanceProfile(instance_profile_name="WebProfile",
                                            tags=(Tag(key="A", value="2"),)))
    untagged = when(given, UntagInstanceProfile(instance_profile_name="WebProfile",
                                                tag_keys=("A", "zz")))

    assert isinstance(tagged[0], InstanceProfileTagged)
    assert (("A", "2"),) == state_after([*given, *tagged]).instance_profiles["webprofile"].tags
    assert isinstance(untagged[0], InstanceProfileUntagged)
    assert ("a",) == untagged[0].tag_keys
    assert [] == when(given, UntagInstanceProfile(instance_profile_name="WebProfile",
                                                  tag_keys=("zz",)))
