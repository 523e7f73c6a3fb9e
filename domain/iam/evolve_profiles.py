"""`evolve` for instance profiles and workload bindings: their events folded into the state.

Joined into `domain.iam.evolve`'s dispatch table. A workload keeps only its unexpired sessions
as of its newest one (older ones are pruned when a session is issued), so its state stays a few
entries long however often it renews.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from domain.iam import tags
from domain.iam.instance_profiles import bound_to
from domain.iam.pmap import PMap, updated
from domain.iam.state import AccountState, InstanceProfile, Workload
from events.schemas import (
    Event,
    InstanceProfileCreated,
    InstanceProfileDeleted,
    InstanceProfileRoleAdded,
    InstanceProfileRoleRemoved,
    InstanceProfileTagged,
    InstanceProfileUntagged,
    SessionRenewed,
    WorkloadBound,
    WorkloadSessionIssued,
    WorkloadUnbound,
)

Changes = dict[str, Any]


def _set_profile(state: AccountState, profile: InstanceProfile) -> Changes:
    return {"instance_profiles": updated(state.instance_profiles, profile.name.lower(),
                                         profile)}


def _profile(state: AccountState, name: str) -> InstanceProfile:
    return state.instance_profiles[name.lower()]


def _created(state: AccountState, event: InstanceProfileCreated) -> Changes:
    return _set_profile(state, InstanceProfile(
        event.profile_name, event.profile_id, event.path, event.arn,
        tags=tags.merged((), event.tags)))


def _deleted(state: AccountState, event: InstanceProfileDeleted) -> Changes:
    return {"instance_profiles": updated(state.instance_profiles, event.profile_name.lower(),
                                         None)}


def _role_in_out(state: AccountState,
                 event: InstanceProfileRoleAdded | InstanceProfileRoleRemoved) -> Changes:
    added = isinstance(event, InstanceProfileRoleAdded)
    profile = _profile(state, event.profile_name)
    role = state.roles[event.role_name.lower()]
    key = profile.name.lower()
    held = (*role.instance_profiles, key) if added else tuple(
        name for name in role.instance_profiles if name != key)
    changes: Changes = {
        **_set_profile(state, replace(profile, role=role.name.lower() if added else None)),
        "roles": updated(state.roles, role.name.lower(), replace(role, instance_profiles=held)),
    }
    if not added:  # the bound workloads' sessions were revoked with the role
        workloads = PMap.of(state.workloads)
        for workload in bound_to(state, profile):
            workloads = workloads.set(workload.name.lower(), replace(workload, sessions=()))
        changes["workloads"] = workloads
    return changes


def _tagged(state: AccountState, event: InstanceProfileTagged) -> Changes:
    profile = _profile(state, event.profile_name)
    return _set_profile(state, replace(profile, tags=tags.merged(profile.tags, event.tags)))


def _untagged(state: AccountState, event: InstanceProfileUntagged) -> Changes:
    profile = _profile(state, event.profile_name)
    return _set_profile(state, replace(profile, tags=tags.without(profile.tags,
                                                                   event.tag_keys)))


def _bound(state: AccountState, event: WorkloadBound) -> Changes:
    profile = _profile(state, event.profile_name)
    key = event.workload.lower()
    return {
        **_set_profile(state, replace(profile, workload_count=profile.workload_count + 1)),
        "workloads": updated(state.workloads, key, Workload(
            event.workload, profile.name.lower(), event.bearer_sha256)),
    }


def _unbound(state: AccountState, event: WorkloadUnbound) -> Changes:
    profile = _profile(state, event.profile_name)
    key = event.workload.lower()
    return {
        **_set_profile(state, replace(profile, workload_count=profile.workload_count - 1)),
        "workloads": updated(state.workloads, key, None),
    }


def _session(state: AccountState, event: WorkloadSessionIssued | SessionRenewed) -> Changes:
    workload = state.workloads.get(event.workload.lower())
    if workload is None:
        return {}
    live = tuple(entry for entry in workload.sessions if entry[1] > event.issued_at)
    return {"workloads": updated(state.workloads, workload.name.lower(), replace(
        workload, sessions=(*live, (event.session_id, event.expires_at))))}


HANDLERS: dict[type[Event], Callable[[AccountState, Any], Changes]] = {
    InstanceProfileCreated: _created,
    InstanceProfileDeleted: _deleted,
    InstanceProfileRoleAdded: _role_in_out,
    InstanceProfileRoleRemoved: _role_in_out,
    InstanceProfileTagged: _tagged,
    InstanceProfileUntagged: _untagged,
    WorkloadBound: _bound,
    WorkloadUnbound: _unbound,
    WorkloadSessionIssued: _session,
    SessionRenewed: _session,
}
