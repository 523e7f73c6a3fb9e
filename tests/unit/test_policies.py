"""Managed policies, versions, attachments, inline policies and boundaries: given events, when a
command, then events (or AWS's refusal)."""

from __future__ import annotations

import re

import pytest

from domain.commands import (
    AttachGroupPolicy,
    AttachUserPolicy,
    Command,
    CreatePolicy,
    CreatePolicyVersion,
    DeleteGroupPolicy,
    DeletePolicy,
    DeletePolicyVersion,
    DeleteUser,
    DeleteUserPermissionsBoundary,
    DeleteUserPolicy,
    DetachGroupPolicy,
    DetachUserPolicy,
    PutGroupPolicy,
    PutUserPermissionsBoundary,
    PutUserPolicy,
    SetDefaultPolicyVersion,
)
from domain.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from domain.policy import MalformedPolicyDocument
from events.schemas import (
    InlinePolicyDeleted,
    InlinePolicyPut,
    PermissionsBoundaryDeleted,
    PermissionsBoundaryPut,
    PolicyAttached,
    PolicyCreated,
    PolicyDefaultVersionSet,
    PolicyDeleted,
    PolicyDetached,
    PolicyVersionCreated,
    PolicyVersionDeleted,
)
from tests.unit.iam_history import OTHER_ARN, POLICY_ARN, document, history, state_after, when
from tests.unit.samples import ACCOUNT, NOW

AWS_MANAGED = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def versions(n: int) -> list[Command]:
    """Commands adding `n` versions to Read."""
    return [CreatePolicyVersion(policy_arn=POLICY_ARN, policy_document=document(f"s3:A{i}"))
            for i in range(n)]


# --- CreatePolicy -------------------------------------------------------------------------


def test_create_policy_records_id_arn_and_document() -> None:
    """CreatePolicy: an `ANPA…` id, the ARN with its path, the document as given, at v1."""
    text = document("iam:List*")
    (event,) = when(history(), CreatePolicy(policy_name="Lister", path="/ops/",
                                            policy_document=text, description="lists"))

    assert isinstance(event, PolicyCreated)
    assert re.fullmatch(r"ANPA[A-Z2-7]{17}", event.policy_id)
    assert (f"arn:aws:iam::{ACCOUNT}:policy/ops/Lister", text, "lists", NOW) == (
        event.arn, event.document, event.description, event.created_at)
    policy = state_after([*history(), event]).policies["lister"]
    assert ("v1", text, 2) == (policy.default_version, policy.default_document,
                               policy.next_version)


def test_policy_names_are_unique_ignoring_case() -> None:
    """`READ` beside `Read` is `EntityAlreadyExists`, whatever the path."""
    with pytest.raises(EntityAlreadyExists):
        when(history(), CreatePolicy(policy_name="READ", path="/x/", policy_document=document()))


def test_malformed_document_is_refused() -> None:
    """A document that is not a policy is `MalformedPolicyDocument`."""
    with pytest.raises(MalformedPolicyDocument):
        when(history(), CreatePolicy(policy_name="Bad", policy_document='{"Statement": 1}'))


def test_oversized_managed_document_is_limit_exceeded() -> None:
    """More than 6,144 non-whitespace characters is `LimitExceeded`."""
    big = document(resource="arn:aws:s3:::" + "b" * 6200)
    with pytest.raises(LimitExceeded):
        when(history(), CreatePolicy(policy_name="Big", policy_document=big))


# --- versions -----------------------------------------------------------------------------


def test_create_version_numbers_up_and_may_become_default() -> None:
    """CreatePolicyVersion makes v2; with SetAsDefault it becomes the default."""
    (event,) = when(history(), CreatePolicyVersion(
        policy_arn=POLICY_ARN, policy_document=document("s3:*"), set_as_default=True))

    assert isinstance(event, PolicyVersionCreated)
    assert ("v2", True) == (event.version_id, event.set_as_default)
    assert "v2" == state_after([*history(), event]).policies["read"].default_version


def test_at_most_five_versions() -> None:
    """A sixth version is `LimitExceeded`."""
    with pytest.raises(LimitExceeded, match="up to 5 versions"):
        when(history(*versions(4)), versions(1)[0])


def test_version_numbers_are_never_reused() -> None:
    """After v2 is deleted, the next version is v3."""
    given = history(*versions(1), DeletePolicyVersion(policy_arn=POLICY_ARN, version_id="v2"))
    (event,) = when(given, versions(1)[0])

    assert isinstance(event, PolicyVersionCreated)
    assert "v3" == event.version_id


def test_delete_version() -> None:
    """A non-default version is deleted."""
    given = history(*versions(1))
    (event,) = when(given, DeletePolicyVersion(policy_arn=POLICY_ARN, version_id="v2"))

    assert isinstance(event, PolicyVersionDeleted)
    assert ["v1"] == list(state_after([*given, event]).policies["read"].versions)


def test_default_version_cannot_be_deleted() -> None:
    """Deleting the default version is `DeleteConflict`."""
    with pytest.raises(DeleteConflict, match="default version"):
        when(history(), DeletePolicyVersion(policy_arn=POLICY_ARN, version_id="v1"))


@pytest.mark.parametrize(("version_id", "error"), [("v9", NoSuchEntity),
                                                   ("1", ValidationError)])
def test_unknown_or_malformed_version(version_id: str, error: type[Exception]) -> None:
    """A missing version is `NoSuchEntity`; a malformed id a `ValidationError`."""
    with pytest.raises(error):
        when(history(), SetDefaultPolicyVersion(policy_arn=POLICY_ARN, version_id=version_id))


def test_set_default_version() -> None:
    """SetDefaultPolicyVersion records the new and previous default; again, nothing."""
    given = history(*versions(1))
    (event,) = when(given, SetDefaultPolicyVersion(policy_arn=POLICY_ARN, version_id="v2"))

    assert isinstance(event, PolicyDefaultVersionSet)
    assert ("v2", "v1") == (event.version_id, event.previous_version_id)
    assert [] == when([*given, event], SetDefaultPolicyVersion(policy_arn=POLICY_ARN,
                                                               version_id="v2"))


# --- DeletePolicy -------------------------------------------------------------------------


def test_delete_policy() -> None:
    """An unattached policy with only its default version is deleted."""
    (event,) = when(history(), DeletePolicy(policy_arn=POLICY_ARN))

    assert isinstance(event, PolicyDeleted)
    assert "read" not in state_after([*history(), event]).policies


@pytest.mark.parametrize(("command", "message"), [
    (AttachUserPolicy(user_name="Alice", policy_arn=POLICY_ARN), "attached to entities"),
    (AttachGroupPolicy(group_name="Ops", policy_arn=POLICY_ARN), "attached to entities"),
    (PutUserPermissionsBoundary(user_name="Alice", permissions_boundary=POLICY_ARN),
     "attached to entities"),
    (CreatePolicyVersion(policy_arn=POLICY_ARN, policy_document=document()),
     "must delete the policy's versions"),
], ids=["user", "group", "boundary", "versions"])
def test_delete_policy_in_use_is_a_conflict(command: Command, message: str) -> None:
    """Attachments, boundary use and non-default versions each block DeletePolicy."""
    with pytest.raises(DeleteConflict, match=message):
        when(history(command), DeletePolicy(policy_arn=POLICY_ARN))


def test_delete_policy_after_detaching() -> None:
    """Once detached again, the policy can be deleted."""
    given = history(AttachUserPolicy(user_name="Alice", policy_arn=POLICY_ARN),
                    DetachUserPolicy(user_name="Alice", policy_arn=POLICY_ARN))

    assert [PolicyDeleted] == [type(e) for e in when(given, DeletePolicy(policy_arn=POLICY_ARN))]


# --- attachments --------------------------------------------------------------------------


def test_attach_and_detach_user_policy() -> None:
    """Attach records the user and policy; the state lists the ARN; detach removes it."""
    given = history(AttachUserPolicy(user_name="alice", policy_arn=POLICY_ARN))
    attached = given[-1]
    (detached,) = when(given, DetachUserPolicy(user_name="Alice", policy_arn=POLICY_ARN))

    assert isinstance(attached, PolicyAttached)
    assert ("user", "Alice", POLICY_ARN) == (attached.entity_type, attached.entity_name,
                                             attached.policy_arn)
    assert ((POLICY_ARN,), 1) == (state_after(given).users["alice"].attached,
                                  state_after(given).policies["read"].attachment_count)
    assert isinstance(detached, PolicyDetached)
    assert () == state_after([*given, detached]).users["alice"].attached


def test_attaching_twice_changes_nothing() -> None:
    """AWS answers success and records nothing new."""
    given = history(AttachGroupPolicy(group_name="Ops", policy_arn=POLICY_ARN))

    assert [] == when(given, AttachGroupPolicy(group_name="ops", policy_arn=POLICY_ARN))


@pytest.mark.parametrize("arn", [AWS_MANAGED, f"arn:aws:iam::{ACCOUNT}:policy/Nope",
                                 f"arn:aws:iam::{ACCOUNT}:policy/other/Read",
                                 "arn:aws:iam::210987654321:policy/Read"])
def test_unknown_policy_arns_are_no_such_entity(arn: str) -> None:
    """AWS-managed, missing, wrong-path and other accounts' policies cannot be attached."""
    with pytest.raises(NoSuchEntity, match="does not exist or is not attachable"):
        when(history(), AttachUserPolicy(user_name="Alice", policy_arn=arn))


def test_detaching_what_is_not_attached_is_no_such_entity() -> None:
    """DetachGroupPolicy of a policy not attached to the group: `NoSuchEntity`."""
    with pytest.raises(NoSuchEntity, match="was not found"):
        when(history(), DetachGroupPolicy(group_name="Ops", policy_arn=POLICY_ARN))


@pytest.mark.parametrize("kind", ["user", "group"])
def test_at_most_ten_attached_policies(kind: str) -> None:
    """The eleventh managed policy of a user or group is `LimitExceeded`."""
    arns = [f"arn:aws:iam::{ACCOUNT}:policy/P{i}" for i in range(10)]
    creates: list[Command] = [CreatePolicy(policy_name=f"P{i}", policy_document=document())
                              for i in range(10)]
    attach: list[Command] = [
        AttachUserPolicy(user_name="Alice", policy_arn=arn) if kind == "user"
        else AttachGroupPolicy(group_name="Ops", policy_arn=arn) for arn in [*arns, POLICY_ARN]]

    with pytest.raises(LimitExceeded, match="PoliciesPer"):
        when(history(*creates, *attach[:10]), attach[10])


def test_attached_policies_block_delete_user() -> None:
    """A user with an attached policy cannot be deleted."""
    with pytest.raises(DeleteConflict, match="detach all policies"):
        when(history(AttachUserPolicy(user_name="Alice", policy_arn=POLICY_ARN)),
             DeleteUser(user_name="Alice"))


# --- inline policies ----------------------------------------------------------------------


def test_put_and_delete_user_policy() -> None:
    """PutUserPolicy embeds the document; DeleteUserPolicy removes it."""
    given = history(PutUserPolicy(user_name="Alice", policy_name="Inline",
                                  policy_document=document()))
    put = given[-1]
    (deleted,) = when(given, DeleteUserPolicy(user_name="Alice", policy_name="inline"))

    assert isinstance(put, InlinePolicyPut)
    assert ("user", "Alice", "Inline") == (put.entity_type, put.entity_name, put.policy_name)
    assert ["inline"] == list(state_after(given).users["alice"].inline_policies)
    assert isinstance(deleted, InlinePolicyDeleted)
    assert {} == dict(state_after([*given, deleted]).users["alice"].inline_policies)


def test_putting_the_same_inline_policy_again_changes_nothing() -> None:
    """An identical PutGroupPolicy records nothing; a changed one replaces."""
    given = history(PutGroupPolicy(group_name="Ops", policy_name="p", policy_document=document()))

    assert [] == when(given, PutGroupPolicy(group_name="Ops", policy_name="p",
                                            policy_document=document()))
    assert [InlinePolicyPut] == [type(e) for e in when(given, PutGroupPolicy(
        group_name="Ops", policy_name="p", policy_document=document("s3:*")))]


def test_user_inline_policies_share_2048_characters() -> None:
    """Two user policies of 1,100 characters each exceed the user's aggregate quota."""
    half = document(resource="arn:aws:s3:::" + "x" * 1020)
    given = history(PutUserPolicy(user_name="Alice", policy_name="a", policy_document=half))

    with pytest.raises(LimitExceeded, match="2048"):
        when(given, PutUserPolicy(user_name="Alice", policy_name="b", policy_document=half))


def test_group_inline_policies_allow_5120_characters() -> None:
    """A 3,000-character group policy fits where a user policy would not."""
    big = document(resource="arn:aws:s3:::" + "x" * 2900)

    assert [InlinePolicyPut] == [type(e) for e in when(history(), PutGroupPolicy(
        group_name="Ops", policy_name="big", policy_document=big))]
    with pytest.raises(LimitExceeded):
        when(history(), PutUserPolicy(user_name="Alice", policy_name="big", policy_document=big))


def test_deleting_a_missing_inline_policy_is_no_such_entity() -> None:
    """DeleteGroupPolicy of an unknown name: `NoSuchEntity`."""
    with pytest.raises(NoSuchEntity, match="group policy with name p cannot be found"):
        when(history(), DeleteGroupPolicy(group_name="Ops", policy_name="p"))


def test_inline_policies_block_delete_user() -> None:
    """A user with an inline policy cannot be deleted."""
    with pytest.raises(DeleteConflict, match="delete policies first"):
        when(history(PutUserPolicy(user_name="Alice", policy_name="p",
                                   policy_document=document())), DeleteUser(user_name="Alice"))


# --- permissions boundaries ---------------------------------------------------------------


def test_put_and_delete_boundary() -> None:
    """A boundary is a managed policy ARN; the state and the policy's usage count follow."""
    given = history(PutUserPermissionsBoundary(user_name="Alice",
                                               permissions_boundary=POLICY_ARN))
    (deleted,) = when(given, DeleteUserPermissionsBoundary(user_name="Alice"))

    assert isinstance(given[-1], PermissionsBoundaryPut)
    assert (POLICY_ARN, 1) == (state_after(given).users["alice"].boundary,
                               state_after(given).policies["read"].boundary_count)
    assert isinstance(deleted, PermissionsBoundaryDeleted)
    after = state_after([*given, deleted])
    assert (None, 0) == (after.users["alice"].boundary, after.policies["read"].boundary_count)


def test_replacing_a_boundary_moves_its_usage() -> None:
    """Putting another boundary releases the first policy (it can be deleted again)."""
    given = history(PutUserPermissionsBoundary(user_name="Alice", permissions_boundary=POLICY_ARN),
                    PutUserPermissionsBoundary(user_name="Alice", permissions_boundary=OTHER_ARN))
    state = state_after(given)

    assert (0, 1) == (state.policies["read"].boundary_count,
                      state.policies["write"].boundary_count)


def test_boundary_does_not_block_delete_user() -> None:
    """The boundary goes with the user, and its policy is free again."""
    given = history(PutUserPermissionsBoundary(user_name="Alice",
                                               permissions_boundary=POLICY_ARN),
                    DeleteUser(user_name="Alice"))

    assert [PolicyDeleted] == [type(e) for e in when(given, DeletePolicy(policy_arn=POLICY_ARN))]


def test_boundary_must_be_a_policy_of_the_account() -> None:
    """An AWS-managed boundary is `NoSuchEntity` (not modelled)."""
    with pytest.raises(NoSuchEntity):
        when(history(), PutUserPermissionsBoundary(user_name="Alice",
                                                   permissions_boundary=AWS_MANAGED))


def test_deleting_an_absent_boundary_changes_nothing() -> None:
    """DeleteUserPermissionsBoundary on a user without one records nothing."""
    assert [] == when(history(), DeleteUserPermissionsBoundary(user_name="Alice"))
