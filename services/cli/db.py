"""`iamlog db …`: the read-model database."""

from __future__ import annotations

import asyncio

import typer

from services.projector.migrate import migrate as run_migrations
from services.settings import get_settings

app = typer.Typer(no_args_is_help=True, help=__doc__)


@app.command("migrate")
def migrate() -> None:
    """Apply pending SQL migrations (forward-only, under an advisory lock)."""
    applied = asyncio.run(run_migrations(get_settings().database_url.get_secret_value()))
    typer.echo(f"applied {len(applied)} migration(s){': ' if applied else ''}{', '.join(applied)}")
