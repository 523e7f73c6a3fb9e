"""Roles: given events, when a command, then events (or AWS's refusal); and what they grant."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from domain.authorization import policies_for_role, trust_policy_of
from domain.commands import (
    AttachRolePolicy,
    Command,
    CreatePolicy,
    CreateRole,
    DeletePolicy,
    DeleteRole,
    DeleteRolePermissionsBoundary,
    DeleteRolePolicy,
    DetachRolePolicy,
    PutRolePermissionsBoundary,
    PutRolePolicy,
    TagRole,
    UntagRole,
    UpdateAssumeRolePolicy,
    UpdateRole,
)
from domain.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from domain.iam.errors import InvalidInput
from domain.iam.roles import MAX_ROLES
from domain.policy import MalformedPolicyDocument, Principal, RequestContext, evaluate
from domain.policy.trust import evaluate_trust
from events.schemas import (
    Event,
    InlinePolicyDeleted,
    InlinePolicyPut,
    PolicyAttached,
    PolicyDetached,
    RoleBoundaryDeleted,
    RoleBoundaryPut,
    RoleCreated,
    RoleDeleted,
    RoleTagged,
    RoleTrustPolicyUpdated,
    RoleUntagged,
    RoleUpdated,
    Tag,
)
from tests.unit.iam_history import OTHER_ARN, POLICY_ARN, document, history, state_after, when
from tests.unit.samples import ACCOUNT, NOW

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/Alice"},
    "Action": "sts:AssumeRole"}]})
OTHER_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
    "Action": "sts:AssumeRole"}]})
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/app/Deployer"
OBJECT = "arn:aws:s3:::bucket/key"


def with_role(*more: Command) -> list[Event]:
    """The history plus role `Deployer` at path `/app/`, then `more`."""
    return history(CreateRole(role_name="Deployer", path="/app/",
                              assume_role_policy_document=TRUST), *more)


def role_allows(given: list[Event], action: str = "s3:GetObject") -> bool:
    """Whether role Deployer's own policies allow `action` on OBJECT."""
    state = state_after(given)
    principal = Principal.assumed_role(ACCOUNT, "Deployer", "s", "AROAX", path="/app/")
    request = RequestContext(action=action, resource=OBJECT, principal=principal, now=NOW)
    return evaluate(request, policies_for_role(state, "deployer")).allowed


# --- create ---------------------------------------------------------------------------------


def test_create_role_records_aroa_id_arn_trust_and_duration() -> None:
    """CreateRole records an `AROA…` id, the ARN with the path, the trust policy, the defaults."""
    (event,) = when(history(), CreateRole(role_name="Deployer", path="/app/",
                                          assume_role_policy_document=TRUST,
                                          description="deploys",
                                          tags=(Tag(key="team", value="ops"),)))

    assert isinstance(event, RoleCreated)
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", event.role_id)
    assert (ROLE_ARN, "/app/", TRUST, 3600, "deploys", NOW, (Tag(key="team", value="ops"),)) == (
        event.arn, event.path, event.trust_policy, event.max_session_duration,
        event.description, event.created_at, event.tags)


def test_created_role_is_in_the_state() -> None:
    """The state keeps the role by lower-cased name with trust policy, duration and tags."""
    state = state_after(history(CreateRole(
        role_name="Deployer", assume_role_policy_document=TRUST, max_session_duration=7200,
        tags=(Tag(key="k", value="v"),))))

    role = state.roles["deployer"]
    assert ("Deployer", TRUST, 7200, (("k", "v"),)) == (
        role.name, role.trust_policy, role.max_session_duration, role.tags)


def test_role_names_are_unique_ignoring_case() -> None:
    """A second role `DEPLOYER` is `EntityAlreadyExists`."""
    with pytest.raises(EntityAlreadyExists, match="Role with name DEPLOYER already exists"):
        when(with_role(), CreateRole(role_name="DEPLOYER",
                                     assume_role_policy_document=TRUST))


@pytest.mark.parametrize("seconds", [3599, 43_201, 0])
def test_session_duration_outside_range_is_a_validation_error(seconds: int) -> None:
    """MaxSessionDuration must be 3,600–43,200 seconds."""
    with pytest.raises(ValidationError, match="maxSessionDuration"):
        when(history(), CreateRole(role_name="R", assume_role_policy_document=TRUST,
                                   max_session_duration=seconds))


@pytest.mark.parametrize("seconds", [3600, 43_200])
def test_session_duration_bounds_are_allowed(seconds: int) -> None:
    """Both ends of the range are accepted."""
    (event,) = when(history(), CreateRole(role_name="R", assume_role_policy_document=TRUST,
                                          max_session_duration=seconds))
    assert isinstance(event, RoleCreated)
    assert seconds == event.max_session_duration


@pytest.mark.parametrize("trust", [
    document(),  # an identity policy: no Principal
    "not json",
    json.dumps({"Version": "2012-10-17", "Statement": []}),
])
def test_trust_policy_must_be_a_valid_trust_policy(trust: str) -> None:
    """A document without Principal, or not a policy at all, is `MalformedPolicyDocument`."""
    with pytest.raises(MalformedPolicyDocument):
        when(history(), CreateRole(role_name="R", assume_role_policy_document=trust))


def test_invalid_role_name_and_path_are_validation_errors() -> None:
    """A name with a slash or a path without its slashes is refused."""
    with pytest.raises(ValidationError):
        when(history(), CreateRole(role_name="a/b", assume_role_policy_document=TRUST))
    with pytest.raises(ValidationError):
        when(history(), CreateRole(role_name="R", path="app",
                                   assume_role_policy_document=TRUST))


def test_long_description_is_a_validation_error() -> None:
    """A description over 1,000 characters is refused."""
    with pytest.raises(ValidationError, match="description"):
        when(history(), CreateRole(role_name="R", assume_role_policy_document=TRUST,
                                   description="d" * 1001))


def test_reserved_tag_key_is_refused_at_creation() -> None:
    """Tags given to CreateRole follow the tag rules."""
    with pytest.raises(InvalidInput):
        when(history(), CreateRole(role_name="R", assume_role_policy_document=TRUST,
                                   tags=(Tag(key="aws:x", value="v"),)))


def test_create_role_with_a_boundary_puts_it() -> None:
    """A PermissionsBoundary given to CreateRole is a RoleBoundaryPut right after RoleCreated."""
    given = history()
    events = when(given, CreateRole(role_name="R", assume_role_policy_document=TRUST,
                                    permissions_boundary=POLICY_ARN))
    assert [RoleCreated, RoleBoundaryPut] == [type(e) for e in events]
    state = state_after([*given, *events])
    assert (POLICY_ARN, 1) == (state.roles["r"].boundary, state.policies["read"].boundary_count)


def test_create_role_with_an_unknown_boundary_is_no_such_entity() -> None:
    """The boundary must be a managed policy of the account."""
    with pytest.raises(NoSuchEntity):
        when(history(), CreateRole(role_name="R", assume_role_policy_document=TRUST,
                                   permissions_boundary=f"arn:aws:iam::{ACCOUNT}:policy/Nope"))

def test_role_quota_is_1000() -> None:
    """The 1,001st role is `LimitExceeded`."""
    from dataclasses import replace  # noqa: PLC0415 - local to this one test

    state = state_after(with_role())
    role = state.roles["deployer"]
    full = replace(state, roles={str(i): role for i in range(MAX_ROLES)})
    from domain.account import decide  # noqa: PLC0415
    from tests.unit.samples import context  # noqa: PLC0415

    with pytest.raises(LimitExceeded, match="RolesPerAccount"):
        decide(full, CreateRole(role_name="More", assume_role_policy_document=TRUST), context())


# --- update ---------------------------------------------------------------------------------


def test_update_role_sets_description_and_duration() -> None:
    """UpdateRole records the new values; what is not given stays."""
    (event,) = when(with_role(), UpdateRole(role_name="deployer",
                                            max_session_duration=7200))
    assert isinstance(event, RoleUpdated)
    assert (None, 7200) == (event.description, event.max_session_duration)
    state = state_after([*with_role(), event])
    assert 7200 == state.roles["deployer"].max_session_duration


def test_update_role_without_change_is_no_event() -> None:
    """The same values again change nothing."""
    assert [] == when(with_role(), UpdateRole(role_name="Deployer",
                                              max_session_duration=3600))


def test_update_role_duration_out_of_range() -> None:
    """UpdateRole checks the duration range too."""
    with pytest.raises(ValidationError):
        when(with_role(), UpdateRole(role_name="Deployer",
                                     max_session_duration=50_000))


def test_update_missing_role_is_no_such_entity() -> None:
    """Every role command names an existing role."""
    with pytest.raises(NoSuchEntity, match="The role with name Nope cannot be found"):
        when(history(), UpdateRole(role_name="Nope", description="x"))


def test_update_assume_role_policy_replaces_the_trust_policy() -> None:
    """UpdateAssumeRolePolicy records the new document, which the state then holds."""
    given = with_role()
    (event,) = when(given, UpdateAssumeRolePolicy(
        role_name="Deployer", policy_document=OTHER_TRUST))
    assert isinstance(event, RoleTrustPolicyUpdated)
    assert OTHER_TRUST == state_after([*given, event]).roles["deployer"].trust_policy


def test_update_assume_role_policy_validates() -> None:
    """A trust policy without Principal is refused."""
    with pytest.raises(MalformedPolicyDocument):
        when(with_role(), UpdateAssumeRolePolicy(
            role_name="Deployer", policy_document=document()))


# --- tags -----------------------------------------------------------------------------------


def test_tag_and_untag_role() -> None:
    """TagRole merges ignoring case; UntagRole removes present keys, absent ones ignored."""
    given = with_role(TagRole(role_name="Deployer", tags=(Tag(key="a", value="1"),
                                                          Tag(key="b", value="2"))))
    (tagged,) = when(given, TagRole(role_name="Deployer",
                                    tags=(Tag(key="A", value="3"),)))
    (untagged,) = when(given, UntagRole(role_name="Deployer",
                                        tag_keys=("B", "zz")))

    assert isinstance(tagged, RoleTagged)
    assert isinstance(untagged, RoleUntagged)
    assert (("A", "3"), ("b", "2")) == state_after([*given, tagged]).roles["deployer"].tags
    assert ("b",) == untagged.tag_keys
    assert [] == when(given, UntagRole(role_name="Deployer",
                                       tag_keys=("zz",)))


def test_more_than_50_tags_is_limit_exceeded() -> None:
    """A role holds at most 50 tags."""
    given = with_role(TagRole(role_name="Deployer",
                              tags=tuple(Tag(key=f"k{i}", value="") for i in range(50))))
    with pytest.raises(LimitExceeded):
        when(given, TagRole(role_name="Deployer",
                            tags=(Tag(key="one-more", value=""),)))


# --- policies -------------------------------------------------------------------------------


def test_attach_and_detach_role_policy() -> None:
    """Attach/DetachRolePolicy reuse the policy events with entity type `role`."""
    given = with_role()
    (attached,) = when(given, AttachRolePolicy(
        role_name="Deployer", policy_arn=POLICY_ARN))
    assert isinstance(attached, PolicyAttached)
    assert ("role", "Deployer", ROLE_ARN) == (
        attached.entity_type, attached.entity_name, attached.entity_arn)
    after = [*given, attached]
    state = state_after(after)
    assert ((POLICY_ARN,), 1) == (state.roles["deployer"].attached,
                                  state.policies["read"].attachment_count)
    assert [] == when(after, AttachRolePolicy(
        role_name="Deployer", policy_arn=POLICY_ARN))
    (detached,) = when(after, DetachRolePolicy(
        role_name="Deployer", policy_arn=POLICY_ARN))
    assert isinstance(detached, PolicyDetached)
    assert 0 == state_after([*after, detached]).policies["read"].attachment_count


def test_detach_unattached_role_policy_is_no_such_entity() -> None:
    """Detaching a policy the role does not have is `NoSuchEntity`."""
    with pytest.raises(NoSuchEntity):
        when(with_role(), DetachRolePolicy(role_name="Deployer",
                                           policy_arn=POLICY_ARN))


def test_at_most_10_policies_per_role() -> None:
    """The 11th attached policy is `LimitExceeded` (PoliciesPerRole)."""
    names = [f"P{i}" for i in range(10)]
    given = with_role(*[CreatePolicy(policy_name=n, policy_document=document()) for n in names],
                      *[AttachRolePolicy(role_name="Deployer",
                                         policy_arn=f"arn:aws:iam::{ACCOUNT}:policy/{n}")
                        for n in names])
    with pytest.raises(LimitExceeded, match="PoliciesPerRole: 10"):
        when(given, AttachRolePolicy(role_name="Deployer",
                                     policy_arn=POLICY_ARN))


def test_attached_role_policy_blocks_policy_deletion() -> None:
    """A managed policy attached to a role cannot be deleted."""
    with pytest.raises(DeleteConflict):
        when(with_role(AttachRolePolicy(role_name="Deployer", policy_arn=POLICY_ARN)),
             DeletePolicy(policy_arn=POLICY_ARN))


def test_put_and_delete_role_inline_policy() -> None:
    """PutRolePolicy and DeleteRolePolicy reuse the inline events with entity type `role`."""
    given = with_role()
    (put,) = when(given, PutRolePolicy(role_name="Deployer",
                                       policy_name="s3", policy_document=document()))
    assert isinstance(put, InlinePolicyPut)
    assert "role" == put.entity_type
    after = [*given, put]
    assert ["s3"] == [p.name for p in state_after(after).roles["deployer"].inline_policies.values()]
    (deleted,) = when(after, DeleteRolePolicy(role_name="Deployer",
                                              policy_name="S3"))
    assert isinstance(deleted, InlinePolicyDeleted)
    with pytest.raises(NoSuchEntity, match="The role policy with name s3 cannot be found"):
        when(given, DeleteRolePolicy(role_name="Deployer",
                                     policy_name="s3"))


def test_role_inline_policies_share_10240_characters() -> None:
    """All inline policies of a role together are at most 10,240 characters."""
    big = document(resource="arn:aws:s3:::" + "x" * 6000)
    given = with_role(PutRolePolicy(role_name="Deployer", policy_name="a", policy_document=big))
    with pytest.raises(LimitExceeded, match="10240"):
        when(given, PutRolePolicy(role_name="Deployer",
                                  policy_name="b", policy_document=big))


def test_role_inline_policy_without_principal_rule() -> None:
    """An inline role policy with a Principal is malformed (it is an identity policy)."""
    with pytest.raises(MalformedPolicyDocument):
        when(with_role(), PutRolePolicy(role_name="Deployer",
                                        policy_name="p", policy_document=TRUST))


def test_role_boundary_put_replace_and_delete() -> None:
    """A boundary is put, replaced (counts move) and removed; the same again is no event."""
    given = with_role(PutRolePermissionsBoundary(role_name="Deployer",
                                                 permissions_boundary=POLICY_ARN))
    assert [] == when(given, PutRolePermissionsBoundary(
        role_name="Deployer", permissions_boundary=POLICY_ARN))
    (replaced,) = when(given, PutRolePermissionsBoundary(
        role_name="Deployer", permissions_boundary=OTHER_ARN))
    assert isinstance(replaced, RoleBoundaryPut)
    state = state_after([*given, replaced])
    assert (OTHER_ARN, 0, 1) == (state.roles["deployer"].boundary,
                                 state.policies["read"].boundary_count,
                                 state.policies["write"].boundary_count)
    (deleted,) = when(given, DeleteRolePermissionsBoundary(
        role_name="Deployer"))
    assert isinstance(deleted, RoleBoundaryDeleted)
    assert [] == when(with_role(), DeleteRolePermissionsBoundary(
        role_name="Deployer"))


def test_role_boundary_blocks_policy_deletion_until_role_goes() -> None:
    """A policy bounding a role cannot be deleted; deleting the role releases it."""
    given = with_role(PutRolePermissionsBoundary(role_name="Deployer",
                                                 permissions_boundary=POLICY_ARN))
    with pytest.raises(DeleteConflict):
        when(given, DeletePolicy(policy_arn=POLICY_ARN))
    after = [*given, *when(given, DeleteRole(role_name="Deployer"))]
    assert 0 == state_after(after).policies["read"].boundary_count


# --- delete ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "what"), [
    (PutRolePolicy(role_name="Deployer", policy_name="p", policy_document=document()),
     "delete policies"),
    (AttachRolePolicy(role_name="Deployer", policy_arn=POLICY_ARN), "detach all policies"),
])
def test_delete_role_conflicts_while_policies_remain(command: Command, what: str) -> None:
    """DeleteRole is `DeleteConflict` while inline or attached policies remain."""
    with pytest.raises(DeleteConflict, match=what):
        when(with_role(command), DeleteRole(role_name="Deployer"))


def test_delete_role_conflicts_while_in_an_instance_profile() -> None:
    """A role still in an instance profile cannot be deleted (the hook instance profiles use)."""
    from dataclasses import replace  # noqa: PLC0415

    from domain.account import decide  # noqa: PLC0415
    from tests.unit.samples import context  # noqa: PLC0415

    state = state_after(with_role())
    role = replace(state.roles["deployer"], instance_profiles=("web",))
    held = replace(state, roles={"deployer": role})
    with pytest.raises(DeleteConflict, match="instance profile"):
        decide(held, DeleteRole(role_name="Deployer"), context())


def test_delete_role_with_tags_and_boundary_succeeds() -> None:
    """Tags and boundary go with the role; then it is gone."""
    given = with_role(TagRole(role_name="Deployer", tags=(Tag(key="a", value="1"),)),
                      PutRolePermissionsBoundary(role_name="Deployer",
                                                 permissions_boundary=POLICY_ARN))
    (event,) = when(given, DeleteRole(role_name="deployer"))
    assert isinstance(event, RoleDeleted)
    assert "deployer" not in state_after([*given, event]).roles


# --- authorization --------------------------------------------------------------------------


def test_role_policies_allow_and_boundary_limits() -> None:
    """A role's inline and attached policies allow; its boundary limits them."""
    assert not role_allows(with_role())
    assert role_allows(with_role(PutRolePolicy(role_name="Deployer", policy_name="p",
                                               policy_document=document())))
    assert role_allows(with_role(AttachRolePolicy(role_name="Deployer", policy_arn=POLICY_ARN)))
    assert not role_allows(with_role(
        AttachRolePolicy(role_name="Deployer", policy_arn=POLICY_ARN),
        PutRolePermissionsBoundary(role_name="Deployer", permissions_boundary=OTHER_ARN)))


def test_policies_for_missing_role_is_no_such_entity() -> None:
    """Asking for an unknown role's policies is `NoSuchEntity`."""
    with pytest.raises(NoSuchEntity):
        policies_for_role(state_after(history()), "nope")


def test_trust_policy_is_compiled_once_and_follows_updates() -> None:
    """`trust_policy_of` returns the same compiled policy until the document changes."""
    given = with_role()
    state = state_after(given)
    first = trust_policy_of(state, "Deployer")
    assert first is not None
    assert first is trust_policy_of(state, "deployer")
    assert trust_policy_of(state, "nope") is None
    caller = Principal.user(ACCOUNT, "Alice", "AIDAX")
    request = RequestContext(action="sts:AssumeRole", resource=ROLE_ARN, principal=caller,
                             now=datetime(2026, 3, 1, tzinfo=UTC))
    assert evaluate_trust(request, first).allowed
    updated = state_after([*given, *when(given, UpdateAssumeRolePolicy(
        role_name="Deployer", policy_document=OTHER_TRUST))])
    second = trust_policy_of(updated, "Deployer")
    assert second is not None
    assert not evaluate_trust(request, second).allowed
