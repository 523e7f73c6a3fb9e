"""Workload bindings and their sessions: given events, when a command, then events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.commands import (
    AddRoleToInstanceProfile,
    BindWorkload,
    RenewWorkloadSession,
    UnbindWorkload,
)
from domain.errors import ConcurrentModification, EntityAlreadyExists, NoSuchEntity, ValidationError
from events.schemas import (
    Event,
    InstanceProfileCreated,
    InstanceProfileRoleAdded,
    SessionRenewed,
    WorkloadBound,
    WorkloadSessionIssued,
    WorkloadUnbound,
)
from tests.unit.iam_history import state_after, when
from tests.unit.profile_samples import DIGEST, session
from tests.unit.samples import ACCOUNT, NOW
from tests.unit.test_instance_profiles import bind, with_profile

SID = [f"{n:032x}" for n in range(10)]


def bound(*more: RenewWorkloadSession | UnbindWorkload | BindWorkload) -> list[Event]:
    """Profile WebProfile holding role Web, workload `api` bound with session 1."""
    return with_profile(AddRoleToInstanceProfile(instance_profile_name="WebProfile",
                                                 role_name="Web"), bind("api", 1), *more)


def renew(old: int, new: int, minutes: int = 30, workload: str = "api") -> RenewWorkloadSession:
    """Renew session `old` into session `new`, issued `minutes` after NOW."""
    return RenewWorkloadSession(workload=workload, old_session_id=SID[old],
                                new_session_id=SID[new],
                                **session(new, NOW + timedelta(minutes=minutes)))  # type: ignore[arg-type]


def test_bind_records_the_binding_and_its_first_session() -> None:
    """Binding yields `workload.bound` (token digest only) and the first session, in one
    decision, with every field a credential needs to be derived."""
    given = bound()[:-2]
    bound_event, issued = when(given, bind("api", 1))

    assert isinstance(bound_event, WorkloadBound)
    assert isinstance(issued, WorkloadSessionIssued)
    assert ("api", "WebProfile", DIGEST, NOW) == (
        bound_event.workload, bound_event.profile_name, bound_event.bearer_sha256,
        bound_event.bound_at)
    assert (SID[1], "api", "WebProfile", bound_event.profile_id, "Web",
            f"arn:aws:iam::{ACCOUNT}:role/Web", "ASIA" + "B" * 16, f"{1:032x}", 1, NOW,
            NOW + timedelta(hours=1)) == (
        issued.session_id, issued.workload, issued.profile_name, issued.profile_id,
        issued.role_name, issued.role_arn, issued.session_key_id, issued.salt,
        issued.master_key_version, issued.issued_at, issued.expires_at)
    assert SID[1] == state_after([*given, bound_event, issued]).workloads["api"] \
        .current_session_id


def test_bind_with_a_role_creates_the_profile_around_it() -> None:
    """`--role`: the profile of the role's name is created holding it, then bound; binding
    another workload the same way reuses that profile."""
    given = with_profile()
    command = BindWorkload(workload="api", profile_name="Web", role_name="Web",
                           bearer_sha256=DIGEST, session_id=SID[1],
                           **session(1, NOW))  # type: ignore[arg-type]
    events = when(given, command)

    assert [InstanceProfileCreated, InstanceProfileRoleAdded, WorkloadBound,
            WorkloadSessionIssued] == [type(e) for e in events]
    again = when([*given, *events], command.model_copy(update={"workload": "batch"}))
    assert [WorkloadBound, WorkloadSessionIssued] == [type(e) for e in again]
    profile = state_after([*given, *events, *again]).instance_profiles["web"]
    assert ("web", 2) == (profile.role, profile.workload_count)


@pytest.mark.parametrize(("change", "error"), [
    ({"workload": "bad name"}, ValidationError),
    ({"workload": "x" * 65}, ValidationError),
    ({"workload": ""}, ValidationError),
    ({"bearer_sha256": "zz"}, ValidationError),
    ({"session_key_id": "AKIA" + "A" * 16}, ValidationError),
    ({"expires_at": NOW}, ValidationError),
    ({"workload": "API"}, EntityAlreadyExists),
    ({"profile_name": "Nope"}, NoSuchEntity),
    ({"profile_name": "WebProfile", "role_name": "Other"}, EntityAlreadyExists),
    ({"profile_name": "Nope", "role_name": "Nope"}, NoSuchEntity),
])
def test_bad_bindings_are_refused(change: dict[str, object],
                                  error: type[Exception]) -> None:
    """Bad names, digests and sessions, a taken workload name, an unknown profile or role:
    refused, no events."""
    with pytest.raises(error):
        when(bound(), bind("new", 5).model_copy(update=change))


def test_binding_a_profile_without_role_is_refused() -> None:
    """A profile holding no role has nothing to issue sessions of."""
    with pytest.raises(NoSuchEntity, match="holds no role"):
        when(with_profile(), bind("api", 1))


def test_renew_names_old_and_new_and_makes_the_new_one_current() -> None:
    """`session.renewed` carries the old id and the whole new session; it becomes current."""
    (event,) = when(bound(), renew(1, 2))

    assert isinstance(event, SessionRenewed)
    assert (SID[1], SID[2], "ASIA" + "C" * 16, "Web", "api") == (
        event.old_session_id, event.session_id, event.session_key_id, event.role_name,
        event.workload)
    state = state_after([*bound(), event])
    assert SID[2] == state.workloads["api"].current_session_id


def test_a_renewal_of_a_replaced_session_is_refused() -> None:
    """The same renewal decided twice (or a stale one) is `ConcurrentModification`."""
    given = bound(renew(1, 2))
    with pytest.raises(ConcurrentModification):
        when(given, renew(1, 2))
    with pytest.raises(ConcurrentModification):
        when(given, renew(1, 3))


def test_renewals_of_an_unbound_workload_are_refused() -> None:
    """After unbind, renewing is `NoSuchEntity`."""
    with pytest.raises(NoSuchEntity, match="not bound"):
        when(bound(UnbindWorkload(workload="api")), renew(1, 2))


def test_unbind_revokes_unexpired_sessions_only() -> None:
    """Unbinding lists the sessions not yet expired (the renewed one, still valid, and the
    current one), not one that expired already."""
    live = when(bound(renew(1, 2)), UnbindWorkload(workload="API"))
    # Session 8 was issued 90 minutes ago and expired 30 minutes ago (the clock is NOW).
    expired = bound(renew(1, 8, minutes=-90))
    (event,) = when(expired, UnbindWorkload(workload="api"))

    assert isinstance(live[0], WorkloadUnbound)
    assert ((SID[1], SID[2]), (SID[1],)) == (live[0].revoked_session_ids,
                                             tuple(sorted(event.revoked_session_ids)))
    state = state_after([*bound(renew(1, 2)), *live])
    assert ("api" not in state.workloads, 0) == (
        True, state.instance_profiles["webprofile"].workload_count)


def test_expired_sessions_are_pruned_from_the_state() -> None:
    """Issuing a session drops those expired by then: a binding's state stays small."""
    state = state_after(bound(renew(1, 2, minutes=30), renew(2, 3, minutes=70)))

    assert [SID[2], SID[3]] == [sid for sid, _ in state.workloads["api"].sessions]
