"""`iamlog serve`: run the api, processor and projector roles."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
import uvloop

from services.bootstrap import ROLES
from services.bootstrap import serve as run
from services.logging import configure_logging
from services.settings import get_settings


def serve(
    role: Annotated[list[str] | None, typer.Option(
        "--role", help=f"one of {', '.join(ROLES)} (repeatable); default: all"
    )] = None,
) -> None:
    """Run the chosen roles (all of them by default) in this process until SIGTERM."""
    role = role or []
    unknown = set(role) - set(ROLES)
    if unknown:
        raise typer.BadParameter(f"unknown role(s): {', '.join(sorted(unknown))}")
    settings = get_settings()
    configure_logging(settings.log_level)
    uvloop.install()  # a faster event loop for every role (aiokafka, asyncpg, uvicorn)
    asyncio.run(run(settings, set(role) or set(ROLES)))
