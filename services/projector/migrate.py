"""`iamlog db migrate`: numbered, forward-only SQL files applied under an advisory lock.

Read-model migrations run with `search_path` set to the target schema, so the same files build
the live schema and a rebuild's fresh one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

import asyncpg

LIVE_SCHEMA = "iamlog_rm"
_LOCK_KEY = 0x1A_4C_06  # advisory lock id shared by every migrating process


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered SQL file."""

    number: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the file, to notice an edited migration."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


def migrations() -> list[Migration]:
    """Every migration file shipped with the package, in order."""
    folder = resources.files("services.projector") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append(Migration(number, entry.name, entry.read_text()))
    return sorted(found, key=lambda m: m.number)


class MigrationError(RuntimeError):
    """An applied migration differs from the shipped file."""


async def apply_schema(conn: asyncpg.Connection, schema: str) -> None:
    """Build every read-model table in an empty `schema` (used by rebuild)."""
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    await conn.execute(f'SET LOCAL search_path TO "{schema}"')
    for migration in migrations():
        await conn.execute(migration.sql)


async def migrate(dsn: str) -> list[str]:
    """Apply pending migrations to the live schema; return the names applied."""
    conn = await asyncpg.connect(dsn)
    applied: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS public.schema_migrations ("
                " number integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["number"]: r["checksum"] for r in
                    await conn.fetch("SELECT number, checksum FROM public.schema_migrations")}
            for migration in migrations():
                if migration.number in done:
                    if done[migration.number] != migration.checksum:
                        raise MigrationError(f"{migration.name} changed after it was applied")
                    continue
                async with conn.transaction():
                    await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{LIVE_SCHEMA}"')
                    await conn.execute(f'SET LOCAL search_path TO "{LIVE_SCHEMA}"')
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO public.schema_migrations (number, name, checksum)"
                        " VALUES ($1, $2, $3)",
                        migration.number, migration.name, migration.checksum,
                    )
                applied.append(migration.name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()
    return applied
