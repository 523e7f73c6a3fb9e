"""The api's in-memory view of workload bindings and their sessions, fed by the event log.

The credentials endpoint answers from here without a database round trip: a binding is found
by the SHA-256 of the token presented, and serves its newest session that is neither expired
nor revoked. A session is kept as the claims its token carries plus the master key version
its secret and token are derived from; expired ones are dropped as new ones arrive.
"""

from __future__ import annotations

import hmac
from collections.abc import Container
from dataclasses import dataclass, field
from datetime import datetime

from events.schemas import (
    Event,
    SessionRenewed,
    WorkloadBound,
    WorkloadSessionIssued,
    WorkloadUnbound,
)
from services.credentials.session_tokens import SessionClaims
from services.credentials.workload_sessions import claims_of, token_digest


@dataclass(slots=True)
class Binding:
    """One bound workload: its profile, token digest and live sessions (newest last)."""

    account_id: str
    workload: str
    profile_key: str  # the lower-cased instance profile name
    digest: str
    sessions: list[tuple[SessionClaims, int]] = field(default_factory=list)

    def newest_valid(self, now: datetime, revoked: Container[str]
                     ) -> tuple[SessionClaims, int] | None:
        """The newest session unexpired at `now` and not revoked, with its key version."""
        for claims, version in reversed(self.sessions):
            if not claims.expired(now) and claims.session_id not in revoked:
                return claims, version
        return None


class WorkloadIndex:
    """Bindings by token digest, as of the newest event this replica has read."""

    def __init__(self) -> None:
        self._by_digest: dict[str, Binding] = {}
        self._by_name: dict[tuple[str, str], Binding] = {}

    def __len__(self) -> int:
        return len(self._by_name)

    def apply(self, event: Event) -> None:
        """Fold one event in (events of other kinds are ignored)."""
        match event:
            case WorkloadBound():
                binding = Binding(event.account_id, event.workload, event.profile_name.lower(),
                                  event.bearer_sha256)
                self._by_name[(event.account_id, event.workload.lower())] = binding
                self._by_digest[event.bearer_sha256] = binding
            case WorkloadUnbound():
                gone = self._by_name.pop((event.account_id, event.workload.lower()), None)
                if gone is not None:
                    self._by_digest.pop(gone.digest, None)
            case WorkloadSessionIssued() | SessionRenewed():
                found = self._by_name.get((event.account_id, event.workload.lower()))
                if found is not None:
                    issued = int(event.issued_at.timestamp())
                    found.sessions = [s for s in found.sessions if s[0].expires_at > issued]
                    found.sessions.append((claims_of(event), event.master_key_version))
            case _:
                pass

    def binding(self, token: str) -> Binding | None:
        """The binding whose token is `token`, or None.

        The dict is keyed by the token's SHA-256, so finding it reveals nothing about the
        token's bytes; the final comparison of digests is constant-time all the same.
        """
        digest = token_digest(token)
        found = self._by_digest.get(digest)
        if found is None or not hmac.compare_digest(found.digest, digest):
            return None
        return found
