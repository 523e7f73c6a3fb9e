"""Access key last use: recorded as an event at most once per key per 15 minutes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import structlog

from domain.commands import RecordAccessKeyUse
from domain.errors import DomainError
from services.api.caller import Caller
from services.api.runtime import ApiRuntime

INTERVAL = timedelta(minutes=15)
REGION = "us-east-1"
log = structlog.get_logger("iamlog.api")


class KeyUsage:
    """Sends `RecordAccessKeyUse` in the background when a key's recorded use is stale."""

    def __init__(self, runtime: ApiRuntime) -> None:
        self._runtime = runtime
        self._sent: dict[str, datetime] = {}  # this replica's own recent sends
        self._tasks: set[asyncio.Task[None]] = set()

    def seen(self, caller: Caller, service: str, now: datetime) -> None:
        """Note a successful authentication by `caller`'s key."""
        key_id = caller.access_key_id
        if not key_id or not key_id.startswith("AKIA"):
            return
        sent = self._sent.get(key_id)
        if sent is not None and now - sent < INTERVAL:  # the common case: checked first
            return
        state = self._runtime.index.account(caller.account_id)
        key = state.keys.get(key_id) if state is not None else None
        recorded = getattr(key, "last_used_at", None)
        if recorded is not None and now - recorded < INTERVAL:
            return
        self._sent[key_id] = now
        task = asyncio.create_task(self._record(caller.account_id, key_id, service, now))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _record(self, account_id: str, key_id: str, service: str, now: datetime) -> None:
        try:
            await self._runtime.commands.send(account_id, RecordAccessKeyUse(
                access_key_id=key_id, service=service, region=REGION, at=now))
        except DomainError as exc:  # a lost usage record is harmless; the next call retries
            log.info("key use not recorded", code=exc.code)
            self._sent.pop(key_id, None)
