"""Creating the service's topics through `events.topics`, once that module exists."""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Callable

from services.settings import Settings


def ensure_topics(settings: Settings) -> bool:
    """Call `events.topics.ensure_topics(settings)`; return False when it is not there yet."""
    try:
        module = importlib.import_module("events.topics")
    except ModuleNotFoundError as exc:
        if exc.name != "events.topics":
            raise
        return False
    create: Callable[[Settings], object] | None = getattr(module, "ensure_topics", None)
    if create is None:
        return False
    outcome = create(settings)
    if inspect.iscoroutine(outcome):
        asyncio.run(outcome)
    return True
