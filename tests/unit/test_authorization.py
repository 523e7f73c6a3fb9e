"""`domain.authorization`: a user's principal and policies from the folded account state."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.authorization import policies_for, principal_for
from domain.commands import (
    AddUserToGroup,
    AttachGroupPolicy,
    AttachUserPolicy,
    Command,
    CreatePolicyVersion,
    DetachUserPolicy,
    PutGroupPolicy,
    PutUserPermissionsBoundary,
    PutUserPolicy,
    RemoveUserFromGroup,
    SetDefaultPolicyVersion,
    TagUser,
)
from domain.policy import PrincipalType, RequestContext, evaluate
from events.schemas import Event, Tag
from tests.unit.iam_history import OTHER_ARN, POLICY_ARN, document, history, state_after
from tests.unit.samples import ACCOUNT

NOW = datetime(2026, 3, 1, tzinfo=UTC)
OBJECT = "arn:aws:s3:::bucket/key"


def allowed(given: list[Event], action: str, user: str | None = "Alice") -> bool:
    """Whether `user` may do `action` on OBJECT in the state `given` builds."""
    state = state_after(given)
    request = RequestContext(action=action, resource=OBJECT, principal=principal_for(state, user),
                             now=NOW)
    if user is None:
        return True  # root: the api allows everything in the own account
    return evaluate(request, policies_for(state, user)).allowed


def test_principal_of_a_user_carries_id_path_and_tags() -> None:
    """`principal_for` builds an IAM user principal with its tags; None is the root."""
    state = state_after(history(TagUser(user_name="Alice", tags=(Tag(key="team", value="ops"),))))
    user = principal_for(state, "alice")
    root = principal_for(state, None)

    assert (PrincipalType.USER, f"arn:aws:iam::{ACCOUNT}:user/Alice",
            state.users["alice"].user_id, {"team": "ops"}) == (
        user.type, user.arn, user.user_id, dict(user.tags))
    assert (PrincipalType.ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root") == (root.type, root.arn)


def test_a_user_without_policies_is_denied() -> None:
    """Default deny."""
    assert not allowed(history(), "s3:GetObject")


def test_user_inline_policy_allows() -> None:
    """An inline user policy applies."""
    assert allowed(history(PutUserPolicy(user_name="Alice", policy_name="p",
                                         policy_document=document())), "s3:GetObject")


def test_attached_managed_policy_allows_until_detached() -> None:
    """An attached policy applies; once detached it stops applying."""
    attached = AttachUserPolicy(user_name="Alice", policy_arn=POLICY_ARN)
    detached = DetachUserPolicy(user_name="Alice", policy_arn=POLICY_ARN)

    assert (True, False) == (allowed(history(attached), "s3:GetObject"),
                             allowed(history(attached, detached), "s3:GetObject"))


def test_group_policies_apply_to_members_only() -> None:
    """A group's inline and attached policies apply while the user is a member."""
    group: list[Command] = [
        PutGroupPolicy(group_name="Ops", policy_name="p", policy_document=document("s3:*")),
        AttachGroupPolicy(group_name="Ops", policy_arn=OTHER_ARN)]
    member = AddUserToGroup(group_name="Ops", user_name="Alice")
    left = RemoveUserFromGroup(group_name="Ops", user_name="Alice")

    assert (False, True, False) == (allowed(history(*group), "s3:ListBucket"),
                                    allowed(history(*group, member), "s3:ListBucket"),
                                    allowed(history(*group, member, left), "s3:ListBucket"))


def test_the_default_version_is_the_one_that_applies() -> None:
    """A new non-default version changes nothing; making it the default does."""
    attach = AttachUserPolicy(user_name="Alice", policy_arn=POLICY_ARN)
    v2 = CreatePolicyVersion(policy_arn=POLICY_ARN, policy_document=document("s3:DeleteObject"))
    default = SetDefaultPolicyVersion(policy_arn=POLICY_ARN, version_id="v2")

    assert (True, False, True) == (
        allowed(history(attach, v2), "s3:GetObject"),
        allowed(history(attach, v2, default), "s3:GetObject"),
        allowed(history(attach, v2, default), "s3:DeleteObject"))


def test_boundary_limits_what_identity_policies_allow() -> None:
    """With a boundary allowing only s3:GetObject, an allow-all inline policy allows no more."""
    given: list[Command] = [
        PutUserPolicy(user_name="Alice", policy_name="all", policy_document=document("*")),
        PutUserPermissionsBoundary(user_name="Alice", permissions_boundary=POLICY_ARN)]

    assert (True, False) == (allowed(history(*given), "s3:GetObject"),
                             allowed(history(*given), "s3:PutObject"))


def test_explicit_deny_in_a_group_wins() -> None:
    """A group's deny overrides the user's allow."""
    given: list[Command] = [
        PutUserPolicy(user_name="Alice", policy_name="all", policy_document=document("*")),
        PutGroupPolicy(group_name="Ops", policy_name="deny",
                            policy_document=document("s3:GetObject", effect="Deny")),
             AddUserToGroup(group_name="Ops", user_name="Alice")]

    assert (False, True) == (allowed(history(*given), "s3:GetObject"),
                             allowed(history(*given), "s3:PutObject"))


def test_policies_are_reused_while_nothing_changes() -> None:
    """Two calls on unchanged policies return the same compiled object (cheap per request)."""
    state = state_after(history(AttachUserPolicy(user_name="Alice", policy_arn=POLICY_ARN)))

    assert policies_for(state, "Alice") is policies_for(state, "alice")


def test_explanations_name_managed_arns_and_inline_owners() -> None:
    """Policy ids: a managed policy's ARN, `user/<name>/<policy>` for inline ones."""
    state = state_after(history(
        AttachUserPolicy(user_name="Alice", policy_arn=POLICY_ARN),
        PutUserPolicy(user_name="Alice", policy_name="p", policy_document=document())))

    assert [POLICY_ARN, "user/Alice/p"] == sorted(
        p.policy_id for p in policies_for(state, "Alice").identity)
