"""The scheduler as real processes, their clock moved by a test (IAMLOG_CLOCK_OFFSET_FILE):
workload sessions are renewed once, in [0.45, 0.55] of their lifetime, however many replicas
run; every session's expiration is recorded exactly once; after downtime overdue renewals come
first; nothing is done while a projection rebuild replays the log."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from domain.commands import CreateAccount, CreateRole, IssueSessionToken, UnbindWorkload
from events import cloudevents
from events.topics import Topics, scratch_topics
from services.command_client import CommandClient
from services.credentials.workload_sessions import binding, new_token
from services.projector.rebuild import REBUILD_LOCK
from services.settings import Settings
from tests.integration.harness import eventually, read_topic

SESSIONS = 120
LIFETIME = timedelta(seconds=900)


@pytest.fixture
async def settings(database_url: str, tmp_path: Path) -> AsyncIterator[Settings]:
    """This test's topics and database, and a clock offset file every role reads."""
    offset = tmp_path / "clock-offset"
    offset.write_text("0")
    configured = Settings(topic_prefix=f"t{uuid.uuid4().hex[:10]}", partitions=4,
                          database_url=database_url,  # type: ignore[arg-type]
                          clock_offset_file=offset)
    async with scratch_topics(configured):
        yield configured


def move_clock(settings: Settings, seconds: float) -> None:
    """Shift every role's clock by `seconds` from now on."""
    assert settings.clock_offset_file is not None
    settings.clock_offset_file.write_text(str(seconds))


async def issue_sessions(client: CommandClient, account: str) -> set[str]:
    """An account with SESSIONS root sessions issued now, each living LIFETIME."""
    assert (await client.send(account, CreateAccount())).ok
    now = datetime.now(UTC).replace(microsecond=0)
    ids = {uuid.uuid4().hex for _ in range(SESSIONS)}
    replies = await asyncio.gather(*(client.send(account, IssueSessionToken(
        session_id=session_id, user_name=None, user_id=account,
        session_key_id="ASIA" + f"{n:016d}".translate(str.maketrans("0123456789", "ABCDEFGHIJ")),
        source_key_id="AKIA" + "A" * 16, issued_at=now, expires_at=now + LIFETIME))
        for n, session_id in enumerate(sorted(ids))))
    assert all(reply.ok for reply in replies)
    return ids


async def states(db: asyncpg.Connection) -> Counter[str]:
    """How many sessions the read model has in each state."""
    return Counter({row["state"]: row["n"] for row in await db.fetch(
        "SELECT state, count(*) AS n FROM iamlog_rm.sessions GROUP BY state")})


async def expired_events(settings: Settings) -> Counter[str]:
    """`iamlog.session.expired` events on the log, counted by session id."""
    records = await read_topic(settings, Topics.for_prefix(settings.topic_prefix).events)
    found: Counter[str] = Counter()
    for record in records:
        event = cloudevents.decode(record.headers, record.value).event
        if event.event_type == "iamlog.session.expired":
            found[getattr(event, "session_id")] += 1  # noqa: B009 - any event type here
    return found


async def test_two_schedulers_expire_each_session_exactly_once(  # type: ignore[no-untyped-def]
        settings: Settings, spawn, client: CommandClient, db: asyncpg.Connection,
        account_id: str) -> None:
    """Two scheduler processes: nothing before the expiration, then one event per session."""
    spawn("processor", "projector")
    spawn("scheduler")
    spawn("scheduler")
    ids = await issue_sessions(client, account_id)
    await eventually(lambda: states(db), lambda s: s == Counter(active=SESSIONS))
    move_clock(settings, LIFETIME.total_seconds() - 60)
    await asyncio.sleep(1.5)  # both replicas pass several times over work not yet due
    assert Counter(active=SESSIONS) == await states(db)
    move_clock(settings, LIFETIME.total_seconds() + 1)
    await eventually(lambda: states(db), lambda s: s == Counter(expired=SESSIONS), timeout=60)
    assert Counter(dict.fromkeys(ids, 1)) == await expired_events(settings)


async def test_nothing_is_expired_while_a_rebuild_replays(  # type: ignore[no-untyped-def]
        settings: Settings, spawn, client: CommandClient, db: asyncpg.Connection,
        account_id: str) -> None:
    """While the rebuild lock is held nothing happens; once released, the backlog is done."""
    spawn("processor", "projector")
    ids = await issue_sessions(client, account_id)
    await eventually(lambda: states(db), lambda s: s == Counter(active=SESSIONS))
    rebuild = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        await rebuild.execute("SELECT pg_advisory_lock($1)", REBUILD_LOCK)
        move_clock(settings, LIFETIME.total_seconds() + 1)
        scheduler = spawn("scheduler")

        async def log_text() -> str:
            return scheduler.log_text()

        await eventually(log_text, lambda text: "scheduler paused" in text)
        await asyncio.sleep(1)  # it passes over the due work several times meanwhile
        assert Counter(active=SESSIONS) == await states(db)
    finally:
        await rebuild.close()  # as a finished (or crashed) rebuild's connection does
    await eventually(lambda: states(db), lambda s: s == Counter(expired=SESSIONS), timeout=60)
    assert Counter(dict.fromkeys(ids, 1)) == await expired_events(settings)


WORKLOADS = 40
TRUST = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action":'
         ' "sts:AssumeRole", "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}')


async def bind_workloads(client: CommandClient, account: str) -> dict[str, str]:
    """WORKLOADS workloads bound to profile `app` (around role `app`); workload → session id."""
    assert (await client.send(account, CreateAccount())).ok
    assert (await client.send(account, CreateRole(role_name="app",
                                                  assume_role_policy_document=TRUST))).ok
    now = datetime.now(UTC).replace(microsecond=0)
    first: dict[str, str] = {}
    for n in range(WORKLOADS):
        command = binding(f"w{n}", new_token(), now, int(LIFETIME.total_seconds()), 1,
                          profile_name="app", role_name="app")
        assert (await client.send(account, command)).ok
        first[f"w{n}"] = command.session_id
    return first


async def log_of(settings: Settings) -> list[tuple[int, int, str, dict[str, object]]]:
    """(partition, offset, type, data) of every event on the log."""
    records = await read_topic(settings, Topics.for_prefix(settings.topic_prefix).events)
    out = []
    for record in records:
        event = cloudevents.decode(record.headers, record.value).event
        out.append((record.partition, record.offset, event.event_type,
                    event.model_dump(mode="json")))
    return out


async def workload_states(db: asyncpg.Connection) -> Counter[tuple[str, bool]]:
    """Workload sessions by (state, renewed already)."""
    return Counter({(row["state"], row["renewed"]): row["n"] for row in await db.fetch(
        "SELECT state, renewed_by IS NOT NULL AS renewed, count(*) AS n"
        " FROM iamlog_rm.sessions WHERE kind = 'workload' GROUP BY 1, 2")})


async def test_two_schedulers_renew_each_workload_session_once_at_about_half_life(  # type: ignore[no-untyped-def]
        settings: Settings, spawn, client: CommandClient, db: asyncpg.Connection,
        account_id: str) -> None:
    """Before 0.45 of the lifetime nothing; after 0.55 one renewal per session, each at its
    own instant in [0.45, 0.55]; the old sessions stay active until they expire."""
    spawn("processor", "projector")
    first = await bind_workloads(client, account_id)
    spawn("scheduler")
    spawn("scheduler")
    await eventually(lambda: workload_states(db),
                     lambda s: s == Counter({("active", False): WORKLOADS}))
    move_clock(settings, LIFETIME.total_seconds() * 0.44)
    await asyncio.sleep(1.5)
    assert Counter({("active", False): WORKLOADS}) == await workload_states(db)
    move_clock(settings, LIFETIME.total_seconds() * 0.56)
    await eventually(lambda: workload_states(db), lambda s: s == Counter(
        {("active", True): WORKLOADS, ("active", False): WORKLOADS}), timeout=60)
    renewed = [data for _, _, kind, data in await log_of(settings)
               if kind == "iamlog.session.renewed"]
    assert sorted(first.values()) == sorted(str(data["old_session_id"]) for data in renewed)
    rows = {row["session_id"]: row for row in await db.fetch(
        "SELECT session_id, issued_at, expires_at FROM iamlog_rm.sessions")}
    for data in renewed:
        old = rows[str(data["old_session_id"])]
        new = rows[str(data["session_id"])]
        fraction = (new["issued_at"] - old["issued_at"]) / (old["expires_at"] - old["issued_at"])
        # the clock jumped to 0.56: every renewal went out then, never before 0.44
        assert 0.44 <= fraction <= 0.6


async def test_after_downtime_renewals_come_first_and_none_twice(  # type: ignore[no-untyped-def]
        settings: Settings, spawn, client: CommandClient, db: asyncpg.Connection,
        account_id: str) -> None:
    """No scheduler past the whole lifetime; one starts: each binding gets a valid session
    within seconds (one renewal each), the renewals precede the expiries on the log."""
    spawn("processor", "projector")
    first = await bind_workloads(client, account_id)
    await eventually(lambda: workload_states(db),
                     lambda s: s == Counter({("active", False): WORKLOADS}))
    move_clock(settings, LIFETIME.total_seconds() * 1.2)
    spawn("scheduler")
    await eventually(lambda: workload_states(db), lambda s: s == Counter(
        {("expired", True): WORKLOADS, ("active", False): WORKLOADS}), timeout=60)
    events = await log_of(settings)
    renewed = [data for _, _, kind, data in events if kind == "iamlog.session.renewed"]
    assert sorted(first.values()) == sorted(str(data["old_session_id"]) for data in renewed)
    valid_from = datetime.now(UTC) + LIFETIME * 1.2
    assert all(datetime.fromisoformat(str(data["expires_at"])) > valid_from for data in renewed)
    for partition in {p for p, _, _, _ in events}:
        kinds = [kind for p, _, kind, _ in events if p == partition
                 and kind in ("iamlog.session.renewed", "iamlog.session.expired")]
        assert sorted(kinds, key=lambda k: k != "iamlog.session.renewed") == kinds


async def test_an_unbound_workload_is_not_renewed(  # type: ignore[no-untyped-def]
        settings: Settings, spawn, client: CommandClient, db: asyncpg.Connection,
        account_id: str) -> None:
    """Unbinding revokes the workload's session: the read model says so and the scheduler
    renews only the workloads still bound."""
    spawn("processor", "projector")
    first = await bind_workloads(client, account_id)
    gone = sorted(first)[:5]
    for workload in gone:
        assert (await client.send(account_id, UnbindWorkload(workload=workload))).ok
    spawn("scheduler")
    await eventually(lambda: workload_states(db), lambda s: s == Counter(
        {("active", False): WORKLOADS - len(gone), ("revoked", False): len(gone)}))
    move_clock(settings, LIFETIME.total_seconds() * 0.56)
    await eventually(lambda: workload_states(db), lambda s: s[("active", True)] == WORKLOADS
                     - len(gone), timeout=60)
    renewed = {str(data["old_session_id"]) for _, _, kind, data in await log_of(settings)
               if kind == "iamlog.session.renewed"}
    assert {first[w] for w in first if w not in gone} == renewed


async def test_a_session_expiring_unrenewed_is_renewed_before_its_expiry_is_recorded(  # type: ignore[no-untyped-def]
        settings: Settings, spawn, client: CommandClient, db: asyncpg.Connection,
        account_id: str) -> None:
    """A replica claimed the renewals and died, its leases outlasting the sessions (or the
    broker was away at the renewal instants): at their expiration the scheduler renews each
    binding's session first, then records the expiry. No binding is left without a session."""
    spawn("processor", "projector")
    first = await bind_workloads(client, account_id)
    await eventually(lambda: workload_states(db),
                     lambda s: s == Counter({("active", False): WORKLOADS}))
    held = datetime.now(UTC) + LIFETIME * 10
    await db.executemany("INSERT INTO iamlog_rm.scheduler_claims (item, until) VALUES ($1, $2)",
                         [(f"renew:{session_id}", held) for session_id in first.values()])
    move_clock(settings, LIFETIME.total_seconds() * 1.2)
    spawn("scheduler")
    await eventually(lambda: workload_states(db), lambda s: s == Counter(
        {("expired", True): WORKLOADS, ("active", False): WORKLOADS}), timeout=60)
    renewed = [data for _, _, kind, data in await log_of(settings)
               if kind == "iamlog.session.renewed"]
    assert sorted(first.values()) == sorted(str(data["old_session_id"]) for data in renewed)
    assert Counter(dict.fromkeys(first.values(), 1)) <= await expired_events(settings)
