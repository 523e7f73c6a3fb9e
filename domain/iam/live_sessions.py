"""How session events change the account's set of live sessions (part of `evolve`).

A session joins when it is issued (GetSessionToken, AssumeRole, …) and leaves when it expires
or is revoked, so the set holds exactly the sessions that expiry and revocation may still act
on: deciding either twice finds nothing the second time.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from domain import ids
from domain.iam.pmap import updated
from domain.iam.state import AccountState, LiveSession
from events.schemas import (
    Event,
    InstanceProfileRoleRemoved,
    RoleAssumed,
    SessionExpired,
    SessionIssued,
    SessionRenewed,
    SessionRevoked,
    WorkloadSessionIssued,
    WorkloadUnbound,
)

Changes = dict[str, Any]


# Live sessions are many and share their kind, role and often their principal: each holds
# one interned copy of those strings, not one decoded from every event (≈ 0.45 KB a session).
def _issued(state: AccountState, event: SessionIssued) -> Changes:
    live = LiveSession(sys.intern(event.session_kind), sys.intern(event.principal_arn),
                       event.session_key_id, event.expires_at)
    return {"sessions": updated(state.sessions, event.session_id, live)}


def _assumed(state: AccountState, event: RoleAssumed) -> Changes:
    arn = ids.assumed_role_arn(event.account_id, event.role_name, event.role_session_name)
    live = LiveSession("assumed_role", sys.intern(arn), event.session_key_id, event.expires_at,
                       sys.intern(event.role_arn))
    return {"sessions": updated(state.sessions, event.session_id, live)}


def _workload(state: AccountState, event: WorkloadSessionIssued | SessionRenewed) -> Changes:
    arn = ids.assumed_role_arn(event.account_id, event.role_name, event.workload)
    live = LiveSession("workload", sys.intern(arn), event.session_key_id, event.expires_at,
                       sys.intern(event.role_arn))
    return {"sessions": updated(state.sessions, event.session_id, live)}


def _revoked_with(state: AccountState,
                  event: WorkloadUnbound | InstanceProfileRoleRemoved) -> Changes:
    sessions = state.sessions
    for session_id in event.revoked_session_ids:
        if session_id in sessions:
            sessions = updated(sessions, session_id, None)
    return {"sessions": sessions}


def _ended(state: AccountState, event: SessionExpired | SessionRevoked) -> Changes:
    if event.session_id not in state.sessions:
        return {}
    return {"sessions": updated(state.sessions, event.session_id, None)}


SESSION_HANDLERS: dict[type[Event], Callable[[AccountState, Any], Changes]] = {
    SessionIssued: _issued,
    RoleAssumed: _assumed,
    WorkloadSessionIssued: _workload,
    SessionRenewed: _workload,
    SessionExpired: _ended,
    SessionRevoked: _ended,
}


def revoked_ids(event: Event) -> tuple[str, ...]:
    """The sessions an event revokes (one revoked, or those ending with a binding or role)."""
    if isinstance(event, SessionRevoked):
        return (event.session_id,)
    if isinstance(event, WorkloadUnbound | InstanceProfileRoleRemoved):
        return event.revoked_session_ids
    return ()
