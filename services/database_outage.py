"""Which asyncpg errors mean "Postgres is unavailable right now" rather than a bug."""

from __future__ import annotations

import asyncpg

# Refused or dropped connections (OSError, PostgresConnectionError), a connection asyncpg has
# already closed under us (InterfaceError), and the server shutting down or not yet accepting
# (OperatorInterventionError: AdminShutdown, CannotConnectNow, ...). Each heals by retrying.
# A connection cut while a statement is in flight can also leave asyncpg's protocol half-way
# ("cannot switch to state 12; another operation (2) is in progress": InternalClientError,
# MagicStack/asyncpg#1069); such a connection must not be used again (see `read_models_failed`).
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InternalClientError,
)
