"""Every api replica's in-memory view of credentials and identities, fed by the event log.

The index folds `<prefix>.events` (read_committed) with the domain's own `evolve`, so it knows
every account's users, groups and policies (for authorization) and every access key's owner,
status, salt and master key version (for authentication) without a database round trip. A
disabled or deleted key stops authenticating as soon as its event is read — within tens of
milliseconds of its commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import structlog
from aiokafka import AIOKafkaConsumer

from domain.account import AccountState, evolve
from domain.iam.live_sessions import revoked_ids
from events import cloudevents
from events.kafka_meta import partitions_of
from events.schemas import (
    AccessKeyDeleted,
    AccessKeyDisabled,
    AccessKeyEnabled,
    AccessKeyExpired,
    AccessKeyIssued,
    Event,
    RoleAssumed,
    SessionExpired,
    SessionIssued,
    SessionRenewed,
    WorkloadBound,
    WorkloadSessionIssued,
    WorkloadUnbound,
)
from events.topics import Topics
from services.api.workload_index import WorkloadIndex
from services.kafka_options import kafka_options
from services.settings import Settings

log = structlog.get_logger("iamlog.identity")


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What authentication needs to know about one long-term access key."""

    access_key_id: str
    account_id: str
    user_name: str | None  # None: the account's root user
    status: Literal["Active", "Inactive", "Expired"]
    salt: str
    master_key_version: int


class IdentityIndex:
    """Accounts and access keys as of the newest committed event this replica has read."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._topic = Topics.for_prefix(settings.topic_prefix).events
        self.accounts: dict[str, AccountState] = {}
        self.keys: dict[str, KeyRecord] = {}
        # Session ids refused although their tokens are unexpired (ARCHITECTURE.md §5).
        self.revoked_sessions: set[str] = set()
        # (expiration, session id) of the revoked ones: once expired, expiry refuses them alone.
        self._revoked_until: list[tuple[datetime, str]] = []
        # Session key id → account, for GetAccessKeyInfo (entries are small; sessions end).
        self.session_keys: dict[str, str] = {}
        # Workload bindings and their sessions, for GET /v1/credentials/<profile>.
        self.workloads = WorkloadIndex()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._advanced = asyncio.Condition()
        self.caught_up = asyncio.Event()

    def account(self, account_id: str) -> AccountState | None:
        """The account's state, or None if it does not exist (yet)."""
        state = self.accounts.get(account_id)
        return state if state is not None and state.exists else None

    def version(self, account_id: str) -> int:
        """How many of the account's events this replica has applied."""
        state = self.accounts.get(account_id)
        return state.version if state is not None else 0

    async def wait_for(self, account_id: str, version: int, seconds: float = 2.0) -> bool:
        """Wait until the account's events up to `version` are applied (read-your-writes)."""
        if self.version(account_id) >= version:
            return True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds), self._advanced:
                await self._advanced.wait_for(lambda: self.version(account_id) >= version)
        return self.version(account_id) >= version

    def apply(self, event: Event) -> None:
        """Fold one event into the index."""
        state = self.accounts.get(event.account_id) or AccountState(account_id=event.account_id)
        for session_id in revoked_ids(event):
            live = state.sessions.get(session_id)
            if live is not None:
                self.revoked_sessions.add(session_id)
                heapq.heappush(self._revoked_until, (live.expires_at, session_id))
        self.accounts[event.account_id] = evolve(state, event)
        match event:
            case AccessKeyIssued():
                self.keys[event.access_key_id] = KeyRecord(
                    event.access_key_id, event.account_id, event.user_name, "Active",
                    event.salt, event.master_key_version,
                )
            case AccessKeyDisabled() | AccessKeyEnabled() | AccessKeyExpired():
                record = self.keys.get(event.access_key_id)
                if record is not None:
                    status: Literal["Active", "Inactive", "Expired"] = (
                        "Inactive" if isinstance(event, AccessKeyDisabled)
                        else "Expired" if isinstance(event, AccessKeyExpired) else "Active")
                    self.keys[event.access_key_id] = KeyRecord(
                        record.access_key_id, record.account_id, record.user_name, status,
                        record.salt, record.master_key_version,
                    )
            case AccessKeyDeleted():
                self.keys.pop(event.access_key_id, None)
            case SessionIssued() | RoleAssumed():
                self.session_keys[event.session_key_id] = event.account_id
            case WorkloadSessionIssued() | SessionRenewed():
                self.session_keys[event.session_key_id] = event.account_id
                self.workloads.apply(event)
            case WorkloadBound() | WorkloadUnbound():
                # (the sessions an unbinding revokes joined the revocation set above)
                self.workloads.apply(event)
            case SessionExpired():
                self.session_keys.pop(event.session_key_id, None)
            case _:
                pass

    def forget_expired_revocations(self, now: datetime, margin: timedelta = timedelta(minutes=1),
                                   ) -> None:
        """Drop revoked sessions past their expiration (their tokens are refused as expired)."""
        while self._revoked_until and self._revoked_until[0][0] + margin < now:
            _, session_id = heapq.heappop(self._revoked_until)
            self.revoked_sessions.discard(session_id)

    async def start(self) -> None:
        """Read the whole log, then keep tailing it in the background."""
        consumer = AIOKafkaConsumer(
            **kafka_options(self._settings),
            enable_auto_commit=False,
            isolation_level="read_committed",
            fetch_max_wait_ms=50,
            max_partition_fetch_bytes=8 * 1024 * 1024,
        )
        await consumer.start()
        self._consumer = consumer
        tps = await partitions_of(consumer, self._topic)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        started = time.perf_counter()
        behind = {tp for tp, end in ends.items() if end > 0}
        while behind:
            await self._read(consumer, timeout_ms=500)
            behind = {tp for tp in behind if await consumer.position(tp) < ends[tp]}
        self.caught_up.set()
        log.info("identity index loaded", accounts=len(self.accounts), keys=len(self.keys),
                 seconds=round(time.perf_counter() - started, 3))
        self._task = asyncio.create_task(self._tail(consumer), name="identity-index")

    async def stop(self) -> None:
        """Stop tailing and close the consumer."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    async def _tail(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            await self._read(consumer, timeout_ms=1000)

    async def _read(self, consumer: AIOKafkaConsumer, timeout_ms: int) -> None:
        batches = await consumer.getmany(timeout_ms=timeout_ms, max_records=10_000)
        self.forget_expired_revocations(datetime.now(UTC))
        if not batches:
            return
        for records in batches.values():
            for record in records:
                try:
                    self.apply(cloudevents.decode(record.headers, record.value).event)
                except cloudevents.MalformedEvent:
                    log.error("undecodable event skipped", partition=record.partition,
                              offset=record.offset)
        async with self._advanced:
            self._advanced.notify_all()
