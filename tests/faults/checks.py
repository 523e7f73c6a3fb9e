"""What must hold after every fault: the log matches what was answered; read models match it;
every workload has a valid credential; the scheduler renewed nothing twice."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

import asyncpg
import boto3
import httpx
from aiokafka import AIOKafkaConsumer

from events.cloudevents import RecordedEvent, decode
from events.schemas import SessionRenewed, WorkloadSessionIssued
from events.topics import Topics
from services.bench.mixed import REFUSALS, Sent, Workload
from services.bootstrap import master_keys
from services.projector.migrate import LIVE_SCHEMA
from services.projector.rebuild import REBUILD_SCHEMA, log_extent, rebuild
from services.scheduler.scheduler import COMMAND_NAMESPACE
from services.settings import Settings
from tests.faults.cluster import Cluster
from tests.integration.harness import eventually, read_topic
from tests.integration.test_no_secrets import all_rows_text


def trace_of(request_id: str) -> str:
    """The trace id the api puts on the events of a request without a `traceparent`."""
    return uuid.UUID(request_id).hex


async def check_log(settings: Settings, sent: Iterable[Sent]) -> dict[str, int]:
    """Acknowledged requests have their events exactly once, refused ones none, and nothing
    is half-done; each account's sequence numbers run 1..n without gap or repeat.

    Returns how many requests of each kind were checked.
    """
    records = await read_topic(settings, Topics.for_prefix(settings.topic_prefix).events)
    by_trace: dict[str, list[str]] = defaultdict(list)
    sequences: dict[str, list[int]] = defaultdict(list)
    for record in records:
        headers = {name: value.decode() for name, value in record.headers}
        sequences[headers["ce_source"]].append(int(headers["ce_sequence"]))
        parent = headers.get("ce_traceparent")
        if parent is not None:
            by_trace[parent.split("-")[1]].append(headers["ce_type"])
    for source, numbers in sequences.items():
        assert list(range(1, len(numbers) + 1)) == numbers, f"sequence of {source}"

    counts: Counter[str] = Counter()
    unanswered: list[list[str]] = []
    for request in sent:
        assert request.status < 500 or (request.status, request.code) == (
            503, "ServiceUnavailable"), request
        if request.status and not request.request_id:
            # A JSON endpoint (authenticate, authorize, credentials): it appends nothing.
            assert not request.expects, request
            counts["read-only"] += 1
            continue
        if not request.request_id:
            # The api died under it: its outcome is unknown, but never half-done either.
            counts["unanswered"] += 1
            unanswered.append(sorted(request.expects))
            continue
        appended = sorted(by_trace.pop(trace_of(request.request_id), []))
        if request.ok:
            counts["acknowledged" if request.expects else "ok"] += 1
            assert sorted(request.expects) == appended, request
        elif request.status == 503:
            # Retryable: either the whole command happened or none of it did.
            counts["unavailable"] += 1
            assert appended in ([], sorted(request.expects)), request
        else:
            counts["refused"] += 1
            assert request.code in REFUSALS, request
            assert [] == appended, request
    for trace, appended in by_trace.items():
        assert sorted(appended) in unanswered, f"events of a request nobody sent: {trace}"
        unanswered.remove(sorted(appended))
    return dict(counts)


async def wait_projected(settings: Settings, db: asyncpg.Connection,
                         timeout: float = 90) -> dict[int, int]:
    """Wait until the live checkpoints reach the end of every events partition; return it."""
    topic = Topics.for_prefix(settings.topic_prefix).events
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers,
                                isolation_level="read_committed")
    await consumer.start()
    try:
        _, ends = await log_extent(consumer, topic)
    finally:
        await consumer.stop()
    wanted = {tp.partition: end for tp, end in ends.items()}

    async def stored() -> dict[int, int]:
        sql = f"SELECT partition, next_offset FROM {LIVE_SCHEMA}.checkpoints WHERE topic = $1"  # noqa: S608
        rows = await db.fetch(sql, topic)
        return {row["partition"]: row["next_offset"] for row in rows}

    await eventually(stored, lambda got: all(got.get(p, 0) >= end for p, end in wanted.items()),
                     timeout=timeout, interval=0.2)
    return wanted


async def snapshot(db: asyncpg.Connection, schema: str) -> dict[str, list[str]]:
    """Every row of every table of `schema`, as sorted text."""
    tables = await db.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema)
    result = {}
    for table in tables:
        name = table["table_name"]
        if name == "scheduler_claims":
            continue  # the scheduler's leases on due work: its own state, not a projection
        if name == "checkpoints":
            # Where each partition stands, not when it got there (an unwritten partition is 0).
            sql = f'SELECT topic, partition, next_offset FROM "{schema}".{name}'  # noqa: S608
            rows = await db.fetch(f"{sql} WHERE next_offset > 0")
            result[name] = sorted(f"{row[0]}/{row[1]}@{row[2]}" for row in rows)
            continue
        rows = await db.fetch(f'SELECT row_to_json(t)::text AS j FROM "{schema}"."{name}" t')  # noqa: S608
        result[name] = sorted(row["j"] for row in rows)
    return result


async def check_read_models(settings: Settings, db: asyncpg.Connection) -> int:
    """The live read models equal a fresh replay of the log; returns their row count."""
    for _ in range(5):
        ends = await wait_projected(settings, db)
        live = await snapshot(db, LIVE_SCHEMA)
        await rebuild(settings, swap=False)
        rebuilt = await snapshot(db, REBUILD_SCHEMA)
        if ends == await wait_projected(settings, db):
            break  # no event arrived meanwhile (late key-use records do): both saw one log
    assert set(rebuilt) == set(live)
    for table in live:
        assert (table, rebuilt[table]) == (table, live[table])
    return sum(len(rows) for rows in live.values())


async def check_no_secrets(settings: Settings, db: asyncpg.Connection, logs: str,
                           secrets: set[str]) -> None:
    """No secret key, session token or master key in any topic, table or log."""
    keys = master_keys(settings)
    needles = {*secrets, *(form for key in keys.keys.values()
                           for form in (key.hex(), base64.b64encode(key).decode()))}
    topics = Topics.for_prefix(settings.topic_prefix)
    haystacks = {"logs": logs, "tables": await all_rows_text(db)}
    for topic in (topics.commands, topics.events, topics.replies, topics.deadletter):
        haystacks[topic] = "\n".join((r.value or b"").decode(errors="replace") + repr(r.headers)
                                     for r in await read_topic(settings, topic))
    assert all(haystacks[name] for name in (topics.events, "tables", "logs"))
    for name, text in haystacks.items():
        assert [] == [needle[:8] for needle in needles if needle in text], f"secret in {name}"


# Workload traffic answers as usual through every fault, or not at all while the api is dead.
WORKLOAD_OPS = ("workload_credentials", "workload_call")


def check_workload_answers(sent: Iterable[Sent]) -> int:
    """Every credential fetch of the load was served an unexpired credential, and every call
    signed with one succeeded (unless the api was down: no answer); returns how many fetches."""
    workload = [s for s in sent if s.op in WORKLOAD_OPS]
    assert [] == [s for s in workload if s.status != 0 and (s.status, s.code) != (200, "")]
    fetched = sum(1 for s in workload if s.op == "workload_credentials" and s.ok)
    called = sum(1 for s in workload if s.op == "workload_call" and s.ok)
    assert min(fetched, called) >= 10, (fetched, called)
    return fetched


async def check_workloads(url: str, workloads: Iterable[Workload]) -> None:
    """Each binding's credential, fetched now, is unexpired and accepted by the api (botocore's
    GetCallerIdentity signed with it names the workload's session)."""
    async with httpx.AsyncClient(timeout=10) as client:
        for workload in workloads:
            answer = await client.get(f"{url}/v1/credentials/{workload.profile}",
                                      headers={"Authorization": workload.token})
            assert 200 == answer.status_code, (workload.name, answer.text)
            document = answer.json()
            expiration = datetime.fromisoformat(document["Expiration"])
            assert expiration > datetime.now(UTC), (workload.name, expiration)
            sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1",
                               aws_access_key_id=document["AccessKeyId"],
                               aws_secret_access_key=document["SecretAccessKey"],
                               aws_session_token=document["Token"])
            arn = (await asyncio.to_thread(sts.get_caller_identity))["Arn"]
            assert arn.endswith(f":assumed-role/{workload.profile}/{workload.name}"), arn


async def renewals(settings: Settings) -> tuple[set[str], list[RecordedEvent]]:
    """The ids of the workload sessions first issued, and every renewal, from the events topic."""
    records = await read_topic(settings, Topics.for_prefix(settings.topic_prefix).events)
    issued: set[str] = set()
    renewed: list[RecordedEvent] = []
    for record in records:
        recorded = decode(record.headers, record.value)
        if isinstance(recorded.event, WorkloadSessionIssued):
            issued.add(recorded.event.session_id)
        elif isinstance(recorded.event, SessionRenewed):
            renewed.append(recorded)
    return issued, renewed


def renewed_workloads(found: tuple[set[str], list[RecordedEvent]]) -> set[str]:
    """The workloads renewed at least once."""
    return {r.event.workload for r in found[1] if isinstance(r.event, SessionRenewed)}


def check_renewals(issued: set[str], renewed: list[RecordedEvent]) -> None:
    """The scheduler renewed nothing twice: no session is the old session of two renewals,
    each renewal carries its own command id, derived as the scheduler derives it from the
    session it renews, and each renews a session issued or renewed before it."""
    known = set(issued)
    olds: Counter[str] = Counter()
    command_ids: Counter[str] = Counter()
    for recorded in renewed:
        event = recorded.event
        assert isinstance(event, SessionRenewed)
        assert event.old_session_id in known, event
        known.add(event.session_id)
        olds[event.old_session_id] += 1
        command_ids[recorded.meta.command_id] += 1
        assert recorded.meta.command_id == uuid.uuid5(
            COMMAND_NAMESPACE, f"renew:{event.old_session_id}").hex, recorded.meta
    assert [] == [old for old, times in olds.items() if times > 1], "renewed twice"
    assert [] == [cid for cid, times in command_ids.items() if times > 1], "command id reused"


async def check_workloads_and_scheduler(cluster: Cluster, settings: Settings,
                                        sent: Iterable[Sent],
                                        workloads: list[Workload]) -> int:
    """The workload checks after a fault (call after `cluster.crashed()`): the load's fetches
    and calls; every workload renewed at least once (a first session lives a minute: a short
    test waits for it); every binding's credential now; then, the scheduler stopped so that no
    renewal or expiry lands while the read models are replayed, its renewals. Returns their
    number."""
    check_workload_answers(sent)
    names = {workload.name for workload in workloads}
    await eventually(lambda: renewals(settings), lambda found: names <= renewed_workloads(found),
                     timeout=90, interval=1)
    await check_workloads(cluster.url, workloads)
    await cluster.stop_role("scheduler")
    issued, renewed = await renewals(settings)
    check_renewals(issued, renewed)
    return len(renewed)
