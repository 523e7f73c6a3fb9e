"""Everything a request handler may use, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from services.api.identity_index import IdentityIndex
from services.command_client import CommandClient, ServiceUnavailable
from services.credentials.master_keys import MasterKeys
from services.runtime import Clock
from services.settings import Settings


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Skip asyncpg's per-release `RESET ALL` round trip: api reads change no session state."""


@dataclass
class ApiRuntime:
    """The api's adapters: command bus, identity index, keys, read-model pool, clock."""

    settings: Settings
    commands: CommandClient
    index: IdentityIndex
    master_keys: MasterKeys
    clock: Clock
    _pool: asyncpg.Pool | None = field(default=None, repr=False)

    async def pool(self) -> asyncpg.Pool:
        """The read-model pool, created on first use (Postgres may come up after the api)."""
        if self._pool is None:
            try:
                self._pool = await asyncpg.create_pool(
                    self.settings.database_url.get_secret_value(), min_size=1, max_size=10,
                    timeout=3, reset=_keep_session,
                )
            except (OSError, asyncpg.PostgresError) as exc:
                raise ServiceUnavailable("The read models are unavailable; retry.") from exc
        return self._pool

    async def read_models_failed(self) -> None:
        """After an outage error: replace every pooled connection on its next use. The pool
        skips asyncpg's reset on release (`_keep_session`), so a connection cut mid-statement
        would otherwise come back with its protocol half-way through that statement.
        (`Pool.expire_connections` is a coroutine: not awaited, it expires nothing.)"""
        if self._pool is not None:
            await self._pool.expire_connections()

    async def close(self) -> None:
        """Close the pool (the composition root closes the rest)."""
        if self._pool is not None:
            await self._pool.close()
