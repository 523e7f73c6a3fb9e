"""The `sessions` read model: a batch's net changes, written in one statement per kind.

A session issued in the batch is a whole row; an end (expired, revoked) of a session issued in
an earlier batch is an update by session id. Rows of workload sessions carry `renew_at`, the
instant the scheduler renews them (`domain.renewal`), cleared once renewed or ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from domain.renewal import renew_at


@dataclass(slots=True)
class SessionRow:
    """A row of `sessions`."""

    session_id: str
    account_id: str
    kind: str
    principal_arn: str
    role_arn: str | None
    workload: str | None
    profile: str | None
    session_key_id: str
    issued_at: datetime
    expires_at: datetime
    renew_at: datetime | None = None
    renewed_by: str | None = None
    state: str = "active"
    ended_at: datetime | None = None
    end_reason: str | None = None


@dataclass(slots=True)
class SessionEnd:
    """What happened to a session whose row predates the batch."""

    renewed_by: str | None = None
    state: str | None = None  # None: still active (renewed only)
    ended_at: datetime | None = None
    end_reason: str | None = None


@dataclass(slots=True)
class SessionChanges:
    """Net changes of one batch to `sessions`."""

    rows: dict[str, SessionRow] = field(default_factory=dict)
    ends: dict[str, SessionEnd] = field(default_factory=dict)

    def issued(self, row: SessionRow, *, renewable: bool = False) -> None:
        """A new session; a renewable (workload) one gets its renewal instant."""
        if renewable:
            row.renew_at = renew_at(row.session_id, row.issued_at, row.expires_at)
        self.rows[row.session_id] = row

    def renewed(self, session_id: str, new_session_id: str) -> None:
        """The session was replaced by a new one: no renewal is due for it any more."""
        row = self.rows.get(session_id)
        if row is not None:
            row.renew_at, row.renewed_by = None, new_session_id
        else:
            self.ends.setdefault(session_id, SessionEnd()).renewed_by = new_session_id

    def ended(self, session_id: str, state: str, at: datetime, reason: str | None) -> None:
        """The session expired or was revoked."""
        row = self.rows.get(session_id)
        if row is not None:
            row.state, row.ended_at, row.end_reason, row.renew_at = state, at, reason, None
            return
        end = self.ends.setdefault(session_id, SessionEnd())
        end.state, end.ended_at, end.end_reason = state, at, reason


_COLUMNS = ("session_id", "account_id", "kind", "principal_arn", "role_arn", "workload",
            "profile", "session_key_id", "issued_at", "expires_at", "renew_at", "renewed_by",
            "state", "ended_at", "end_reason")
_TYPES = ("text", "text", "text", "text", "text", "text", "text", "text", "timestamptz",
          "timestamptz", "timestamptz", "text", "text", "timestamptz", "text")


async def write_sessions(conn: asyncpg.Connection, schema: str, changes: SessionChanges) -> None:
    """Insert the batch's new sessions, then apply the ends of older ones."""
    if changes.rows:
        rows = list(changes.rows.values())
        await conn.execute(
            f'INSERT INTO "{schema}".sessions ({", ".join(_COLUMNS)}) SELECT * FROM unnest('
            + ", ".join(f"${i}::{kind}[]" for i, kind in enumerate(_TYPES, 1))
            + ") ON CONFLICT (session_id) DO NOTHING",
            *[[getattr(row, column) for row in rows] for column in _COLUMNS],
        )
    if changes.ends:
        ends = sorted(changes.ends.items())
        # COALESCE: a renewal alone leaves the state as it is; an end alone keeps renewed_by.
        await conn.execute(
            f'UPDATE "{schema}".sessions AS s SET renew_at = NULL,'
            " renewed_by = COALESCE(e.renewed_by, s.renewed_by),"
            " state = COALESCE(e.state, s.state), ended_at = COALESCE(e.ended_at, s.ended_at),"
            " end_reason = COALESCE(e.end_reason, s.end_reason)"
            " FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[])"
            " AS e(session_id, renewed_by, state, ended_at, end_reason)"
            " WHERE s.session_id = e.session_id",
            [key for key, _ in ends], [end.renewed_by for _, end in ends],
            [end.state for _, end in ends], [end.ended_at for _, end in ends],
            [end.end_reason for _, end in ends],
        )
