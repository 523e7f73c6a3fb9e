"""The rotation scheduler: renews workload sessions at their renewal instant, records the
expiration of every session, and ages long-term keys (rotation due, expired, the steps of a
rotation), from due work found in the read models.

Each pass claims a bounded batch (`FOR UPDATE SKIP LOCKED`, `services.scheduler.due`), overdue
renewals before any expiry, and sends one command per item (the expiries of one account, claimed
once a second, share one `ExpireSessions`) at a bounded rate, with a command id derived from the
item(s): replicas that both send it get one outcome, and the domain decides a
renewal or an expiry once by state as well. Nothing is claimed while a projection rebuild
replays the log.

Sends do not hold up the next pass: up to a batch of commands is in flight while the scheduler
keeps claiming what falls due (a claimed item's lease keeps the other passes and replicas off
it), so an item's lateness is the poll interval plus one claim, not the processor's reply time
of the batch before it. Commands leave in the order they were claimed (one FIFO `Pace`), so
in each pass renewals reach the log before expiries; expiries and key steps take at most half
the slots, so a processor slower than the work falling due delays them, not renewals.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

import asyncpg
import structlog

from domain.commands import (
    MAX_EXPIRED_PER_COMMAND,
    Command,
    DeleteAccessKey,
    ExpireAccessKey,
    ExpireSession,
    ExpireSessions,
    MarkAccessKeyRotationDue,
    UpdateAccessKey,
)
from services import metrics
from services.command_client import CommandClient, ServiceUnavailable
from services.credentials.workload_sessions import renewal
from services.envelopes import Reply
from services.projector.migrate import LIVE_SCHEMA
from services.runtime import Clock
from services.scheduler import due
from services.scheduler.due import DueItem, Kind
from services.scheduler.pace import Pace
from services.settings import Settings

log = structlog.get_logger("iamlog.scheduler")
# The namespace of the scheduler's command ids: uuid5(namespace, "expire:<session id>").
COMMAND_NAMESPACE = uuid.UUID("6f1c2a8e-4b7d-5e90-a3c1-2d4e6f8091b3")
_LEASE = timedelta(seconds=30)
# A refused or no-op item is not claimed again before this (the read model would have shown
# it done otherwise); it stays visible as overdue meanwhile.
_BACK_OFF = timedelta(minutes=5)
# A command that was not confirmed (the broker away) is tried again this soon, not after the
# whole lease: its command id is the same, so a retry that crosses the first one changes nothing.
_RETRY = timedelta(seconds=2)
_METRICS_EVERY = 5.0
# A claim whose lease ended blocks nothing; it is dropped a little later.
_CLAIMS_KEPT = timedelta(minutes=1)
# Expiries are claimed at most this often (seconds), so that one `ExpireSessions` per account
# carries those of a second: fewer commands for the processor. Renewals are claimed each pass.
_EXPIRY_EVERY = 1.0


class CommandSender(Protocol):
    """The part of `CommandClient` the scheduler uses."""

    async def send(self, account_id: str, command: Command, *, command_id: str | None = None,
                   traceparent: str | None = None) -> Reply:
        """Send one command and wait for its reply."""
        ...


RenewalBuilder = Callable[[DueItem, datetime], Command]


def command_id(item: DueItem) -> str:
    """The deterministic idempotency key of an item's command."""
    return uuid.uuid5(COMMAND_NAMESPACE, item.item).hex


class Scheduler:
    """One scheduler replica: claims due work, sends commands, reports metrics."""

    def __init__(self, settings: Settings, commands: CommandSender, clock: Clock, *,
                 renewal: RenewalBuilder | None = None, schema: str = LIVE_SCHEMA,
                 poll_seconds: float = 0.25) -> None:
        self._settings = settings
        self._commands = commands
        self._clock = clock
        self._renewal = renewal
        self._schema = schema
        self._poll = poll_seconds
        self._batch = settings.scheduler_batch_size
        self._pace = Pace(settings.scheduler_max_rate)
        self._conn: asyncpg.Connection | None = None
        self._observed = 0.0
        self._in_flight: set[asyncio.Task[None]] = set()
        self._busy = 0  # items in flight
        self._others_busy = 0  # of them, not renewals
        self._expired_at = 0.0  # when expiries were last claimed
        self._settled: list[str] = []  # refused or no-op items, held back at the next pass
        self._unconfirmed: list[str] = []  # items whose command failed, retried soon
        self.paused = False  # a rebuild is replaying

    async def run(self) -> None:
        """Work until cancelled; Postgres being away only delays the work."""
        try:
            while True:
                try:
                    more = await self.tick()
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("scheduler pass failed; retrying", error=type(exc).__name__)
                    await self._close()
                    more = False
                    await asyncio.sleep(1.0)
                if self._busy >= self._batch:
                    # every slot is taken: the next pass waits for a reply
                    await asyncio.wait(self._in_flight, timeout=self._poll,
                                       return_when=asyncio.FIRST_COMPLETED)
                elif not more:
                    await asyncio.sleep(self._poll)
        finally:
            for task in self._in_flight:
                task.cancel()
            await asyncio.gather(*self._in_flight, return_exceptions=True)
            await self._close()

    async def tick(self) -> bool:
        """One pass over the kinds of work in order (renewals first, then session expiries,
        then key steps) for as many items as there are free slots, moving to the next kind
        only when the slots were not filled. The commands go out in the background. True
        when a claim took every free slot (more is due at once)."""
        started = time.perf_counter()
        conn = await self._connection()
        await self._hold_back(conn)
        if time.monotonic() - self._observed >= _METRICS_EVERY:
            await self._observe(conn)
        claimed: list[DueItem] = []
        more = False
        now = self._clock.now()
        async with conn.transaction():  # one transaction for every kind: few round trips
            paused = await due.rebuilding(conn)
            if paused != self.paused:
                log.info("scheduler paused: a projection rebuild is replaying" if paused
                         else "scheduler resumed")
                self.paused = paused
            kinds: tuple[Kind, ...] = () if paused else due.KINDS
            for kind in kinds:
                free = self._batch - self._busy - len(claimed)
                if free <= 0:
                    more = True
                    break
                if kind == "renew" and self._renewal is None:
                    continue
                if kind == "expire":
                    # claimed once a second, so one command per account carries several
                    if time.monotonic() - self._expired_at < _EXPIRY_EVERY:
                        continue
                    self._expired_at = time.monotonic()
                if kind != "renew":
                    # half the slots stay for renewals: a processor slower than the work
                    # falling due delays expiries (bookkeeping), not fresh credentials
                    others = self._others_busy + sum(i.kind != "renew" for i in claimed)
                    free = min(free, self._batch - self._batch // 2 - others)
                    if free <= 0:
                        break
                items = await due.claim(conn, self._schema, kind, now, limit=free,
                                        lease_until=now + _LEASE)
                claimed += items
                if len(items) >= free:
                    more = True
                    break
        metrics.SCHEDULER_PASS_SECONDS.observe(time.perf_counter() - started)
        # after the commit, in the order claimed
        for unit in _units(claimed):
            task = asyncio.create_task(self._send(unit))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
            others = 0 if unit[0].kind == "renew" else len(unit)
            self._busy += len(unit)
            self._others_busy += others
            task.add_done_callback(partial(self._done, len(unit), others))
        return more

    async def _hold_back(self, conn: asyncpg.Connection) -> None:
        """Refused or no-op items are not claimed again for `_BACK_OFF`, unconfirmed ones for
        `_RETRY`."""
        settled, self._settled = self._settled, []
        unconfirmed, self._unconfirmed = self._unconfirmed, []
        for items, delay in ((settled, _BACK_OFF), (unconfirmed, _RETRY)):
            if items:
                await due.hold(conn, self._schema, items, self._clock.now() + delay)

    def _done(self, items: int, others: int, _task: asyncio.Task[None]) -> None:
        self._busy -= items
        self._others_busy -= others

    async def _send(self, unit: list[DueItem]) -> None:
        """One command for the unit: an item, or expiries of one account."""
        await self._pace.wait()
        now = self._clock.now()
        item = unit[0]
        if len(unit) > 1:
            command: Command = ExpireSessions(session_ids=tuple(i.subject for i in unit), at=now)
            key = uuid.uuid5(COMMAND_NAMESPACE, "expire:" + ",".join(
                sorted(i.subject for i in unit))).hex
        else:
            command, key = self._command(item, now), command_id(item)
        try:
            await self._renew_unrenewed(unit)
            reply = await self._commands.send(item.account_id, command, command_id=key)
        except ServiceUnavailable:
            outcome = "failed"  # claimed again shortly (`_RETRY`)
            self._unconfirmed += [i.item for i in unit]
        else:
            outcome = _outcome(reply)
            if not reply.ok:
                log.warning("scheduled command refused", kind=item.kind, subject=item.subject,
                            items=len(unit), code=reply.error_code)
        if outcome in ("refused", "noop"):
            self._settled += [i.item for i in unit]
        if item.kind == "renew":
            metrics.SCHEDULER_RENEWALS.labels(outcome).inc()
            if outcome == "done":
                metrics.SCHEDULER_RENEWAL_LATENESS.observe(
                    max(0.0, (now - item.due_at).total_seconds()))
        elif item.kind == "expire":
            metrics.SCHEDULER_EXPIRIES.labels(outcome).inc(len(unit))
        else:
            metrics.SCHEDULER_KEY_STEPS.labels(item.kind, outcome).inc()

    async def _renew_unrenewed(self, unit: list[DueItem]) -> None:
        """Renew the workload sessions among `unit`'s expiries that were never renewed (the
        scheduler, the broker or the database away at their renewal instant): once recorded
        expired they are no longer due for renewal, and their bindings would be left without
        a session. Each goes out under the renewal's own command id, so a renewal already
        decided but not yet projected is not repeated. Raises `ServiceUnavailable`."""
        if self._renewal is None:
            return
        renewals = [replace(i, kind="renew") for i in unit if i.kind == "expire"
                    and i.workload is not None and i.renewed_by is None]
        now = self._clock.now()
        replies = await asyncio.gather(*(
            self._commands.send(r.account_id, self._command(r, now), command_id=command_id(r))
            for r in renewals))
        for reply in replies:
            metrics.SCHEDULER_RENEWALS.labels(_outcome(reply)).inc()

    def _command(self, item: DueItem, now: datetime) -> Command:
        match item.kind:
            case "renew":
                assert self._renewal is not None
                return self._renewal(item, now)
            case "expire":
                return ExpireSession(session_id=item.subject, at=now)
            case "key-due":
                return MarkAccessKeyRotationDue(access_key_id=item.subject, at=now)
            case "key-expire":
                return ExpireAccessKey(access_key_id=item.subject, at=now)
            case "key-disable":
                return UpdateAccessKey(access_key_id=item.subject, status="Inactive",
                                       user_name=item.user_name)
            case "key-delete":
                return DeleteAccessKey(access_key_id=item.subject, user_name=item.user_name)

    async def _observe(self, conn: asyncpg.Connection) -> None:
        now = self._clock.now()
        backlog = await due.backlog(conn, self._schema, now)
        for kind in ("session_token", "assumed_role", "federated_user", "workload"):
            metrics.SESSIONS_ACTIVE.labels(kind).set(backlog.active.get(kind, 0))
        metrics.ACCESS_KEYS_ROTATION_DUE.set(backlog.keys_rotation_due)
        metrics.SCHEDULER_OLDEST_OVERDUE.set(
            0.0 if backlog.oldest_due is None else (now - backlog.oldest_due).total_seconds())
        await due.forget_claims(conn, self._schema, now - _CLAIMS_KEPT)
        self._observed = time.monotonic()

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self._settings.database_url.get_secret_value())
        return self._conn

    async def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None


def _outcome(reply: Reply) -> str:
    """`refused`, `noop` (a repeated command, or nothing left to do) or `done`."""
    return "refused" if not reply.ok else "noop" if reply.duplicate or not reply.events else "done"


def _units(items: list[DueItem]) -> list[list[DueItem]]:
    """What each command carries, in the order claimed: one item, or (from the first expiry
    of an account on) every expiry of that account, up to `MAX_EXPIRED_PER_COMMAND`."""
    units: list[list[DueItem]] = []
    expiries: dict[str, list[DueItem]] = {}
    for item in items:
        group = expiries.get(item.account_id) if item.kind == "expire" else None
        if group is not None and len(group) < MAX_EXPIRED_PER_COMMAND:
            group.append(item)
            continue
        units.append([item])
        if item.kind == "expire":
            expiries[item.account_id] = units[-1]
    return units


def workload_renewal(settings: Settings, master_key_version: int) -> RenewalBuilder:
    """Renewals of workload sessions: a new session of `IAMLOG_WORKLOAD_SESSION_SECONDS`."""
    def build(item: DueItem, now: datetime) -> Command:
        assert item.workload is not None
        return renewal(item.workload, item.subject, now, settings.workload_session_seconds,
                       master_key_version)
    return build


async def run_scheduler(settings: Settings, clock: Clock, master_key_version: int) -> None:
    """The scheduler role: its own command client and one `Scheduler`, until cancelled."""
    client = CommandClient(settings)
    await client.start()
    try:
        await Scheduler(settings, client, clock,
                        renewal=workload_renewal(settings, master_key_version)).run()
    finally:
        await client.stop()
