"""The scheduler as real processes, their clock moved by a test (IAMLOG_CLOCK_OFFSET_FILE):
every session's expiration is recorded exactly once however many replicas run, and nothing
is done while a projection rebuild replays the log."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from domain.commands import CreateAccount, IssueSessionToken
from events import cloudevents
from events.topics import Topics, ensure_topics
from services.command_client import CommandClient
from services.projector.rebuild import REBUILD_LOCK
from services.settings import Settings
from tests.integration.harness import eventually, read_topic

SESSIONS = 120
LIFETIME = timedelta(seconds=900)


@pytest.fixture
async def settings(database_url: str, tmp_path: Path) -> Settings:
    """This test's topics and database, and a clock offset file every role reads."""
    offset = tmp_path / "clock-offset"
    offset.write_text("0")
    configured = Settings(topic_prefix=f"t{uuid.uuid4().hex[:10]}", partitions=4,
                          database_url=database_url,  # type: ignore[arg-type]
                          clock_offset_file=offset)
    await ensure_topics(configured)
    return configured


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
