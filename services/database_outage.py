"""Which asyncpg errors mean "Postgres is unavailable right now" rather than a bug."""

from __future__ import annotations

import asyncpg

# Refused or dropped connections (OSError, PostgresConnectionError), a connection asyncpg has
# already closed under us (InterfaceError), and the server shutting down or not yet accepting
# (OperatorInterventionError: AdminShutdown, CannotConnectNow, ...). Each heals by retrying.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
)
