"""`iamlog serve`: run the api, processor, projector (and later scheduler) roles."""

from __future__ import annotations

import typer


def serve(role: str = typer.Option("all", help="api|processor|projector|all")) -> None:
    """Run one role, or every role in this process."""
    raise typer.Exit(code=2)
