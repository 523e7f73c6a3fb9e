"""`iamlog bench api`: the IAM Query API end to end, through uvicorn, as boto3 would call it.

The command starts its own `iamlog serve` (all roles, a subprocess) on a free loopback port,
with its own topic prefix and a scratch database, waits for `/readyz`, creates an account with
`iamlog accounts create` and, with the account's root key, 32 users with one key each. Then:

1. reads: authenticated `ListAccessKeys` through uvicorn, `--clients` requests in flight
   (httpx.AsyncClient, keep-alive). Every request is signed by botocore (`SigV4Auth` over an
   `AWSRequest`) before the timed section, so the client spends its CPU on HTTP only;
2. writes: `CreateAccessKey` + `DeleteAccessKey` pairs end to end (api → commands topic →
   processor → events → reply), one user per client, each user between 1 and 2 keys. The
   delete needs the id that the create returned, so these are signed inside the timed section.

Each phase has a warm-up. Every response must be 200 and contain its result element; every
64th is parsed with botocore's Query parser. Latencies are measured in the client (they
include the client's own event loop). CPU seconds of the client, the server, Kafka and
Postgres during each timed phase come from /proc, to show where the time goes on a machine
that runs all four.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.parsers import QueryParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from events.topics import Topics, ensure_topics
from services.bench.common import free_port, percentile, record_result, scratch_database
from services.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
CHECK_EVERY = 64
PROGRESS_EVERY = 256
CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
TARGETS = {"list_per_second": (2_000.0, "≥ 2,000"), "pairs_per_second": (300.0, "≥ 300")}
_KEY_ID = re.compile(rb"<AccessKeyId>([A-Z0-9]+)</AccessKeyId>")
console = Console()


def _cache_missing_sniffio() -> None:
    """httpcore tries `import sniffio` on every request; without sniffio installed each try
    searches sys.path again (≈ a third of the client's CPU here). A None entry in sys.modules
    makes the failing import immediate; httpcore then assumes asyncio, which is right."""
    if importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def _progress() -> Progress:
    # Few refreshes: rendering runs in this process and would add to the latencies it measures.
    return Progress("[progress.description]{task.description}", BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                    refresh_per_second=2)


# --- signing and checking ----------------------------------------------------------------


Signed = tuple[bytes, dict[str, str]]


class Signer:
    """botocore's SigV4 signer for IAM Query POSTs to one endpoint."""

    def __init__(self, url: str, access_key_id: str, secret: str) -> None:
        self.url = f"{url}/"
        self._auth = SigV4Auth(Credentials(access_key_id, secret), "iam", REGION)

    def sign(self, action: str, **params: str) -> tuple[bytes, dict[str, str]]:
        """The form body and the headers (with `Authorization`) of one request."""
        body = urlencode({"Action": action, "Version": "2010-05-08", **params}).encode()
        request = AWSRequest(method="POST", url=self.url, data=body,
                             headers={"Content-Type": CONTENT_TYPE})
        self._auth.add_auth(request)
        return body, dict(request.headers.items())


class Checker:
    """Parses responses the way boto3 does (botocore's Query parser and IAM model)."""

    def __init__(self) -> None:
        self._model = ServiceModel(Loader().load_service_model("iam", "service-2"), "iam")
        self._parser = QueryParser()

    def parse(self, action: str, response: httpx.Response) -> dict[str, Any]:
        """The parsed output of `action`; raises if it does not parse or is an error."""
        shape = self._model.operation_model(action).output_shape
        parsed: dict[str, Any] = self._parser.parse(
            {"body": response.content, "headers": dict(response.headers),
             "status_code": response.status_code}, shape)
        if "Error" in parsed and parsed["Error"].get("Code"):
            raise RuntimeError(f"{action}: {parsed['Error']}")
        return parsed


@dataclass
class Failures:
    """Responses that were not what they should be (the run fails if there are any)."""

    count: int = 0
    transport: int = 0
    samples: list[str] = field(default_factory=list)

    def add(self, what: str) -> None:
        """Count one, keep the first few."""
        self.count += 1
        if len(self.samples) < 3:
            self.samples.append(what[:500])

    def dropped(self, exc: httpx.TransportError) -> None:
        """A connection that failed under a request (reported, not fatal)."""
        self.transport += 1
        console.print(f"[yellow]transport error: {exc!r}[/yellow]")

    def raise_if_any(self, phase: str) -> None:
        """Fail the run: figures over failed requests mean nothing."""
        if self.count:
            raise RuntimeError(f"{phase}: {self.count} bad responses, e.g. {self.samples}")


# --- CPU per process, from /proc ----------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of this client, the server, Kafka (java) and Postgres (all)."""
    totals = {"client": 0.0, "server": 0.0, "kafka": 0.0, "postgres": 0.0, "machine": 0.0}
    # Busy time of every core (user, nice, system, irq, softirq, steal): the rest of the
    # machine's load shows as machine minus the four above.
    busy = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    totals["machine"] = sum(int(busy[i]) for i in (0, 1, 2, 5, 6, 7)) / _TICK
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        seconds = (int(fields[11]) + int(fields[12])) / _TICK
        pid = int(entry.name)
        if pid == me:
            totals["client"] += seconds
        elif pid == server_pid:
            totals["server"] += seconds
        elif comm == "java":
            totals["kafka"] += seconds
        elif comm.startswith("postgres"):
            totals["postgres"] += seconds
    return totals


@dataclass
class CpuShare:
    """Per process group: % of one core during a phase."""

    started: dict[str, float]
    wall: float = field(default_factory=time.perf_counter)
    shares: dict[str, float] = field(default_factory=dict)

    @classmethod
    def begin(cls, server_pid: int) -> CpuShare:
        """Sample now."""
        return cls(_cpu_seconds(server_pid))

    def end(self, server_pid: int) -> dict[str, float]:
        """% of one core per group since `begin` (the machine has os.cpu_count() cores)."""
        elapsed = time.perf_counter() - self.wall
        now = _cpu_seconds(server_pid)
        self.shares = {name: 100 * (now[name] - self.started[name]) / elapsed for name in now}
        return self.shares


# --- the server -------------------------------------------------------------------------


def _server_env(settings: Settings, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"IAMLOG_TOPIC_PREFIX": settings.topic_prefix,
                "IAMLOG_DATABASE_URL": settings.database_url.get_secret_value(),
                "IAMLOG_PARTITIONS": str(settings.partitions),
                "IAMLOG_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
                "IAMLOG_LOG_LEVEL": "WARNING",
                "IAMLOG_HTTP_HOST": "127.0.0.1", "IAMLOG_HTTP_PORT": str(port)})
    return env


def _spawn_server(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "services.cli.main", "serve"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:  # noqa: S310
            return bool(json.load(answer)["ready"])
    except (OSError, ValueError):
        return False


async def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while not await asyncio.to_thread(_ready, url):
        if process.poll() is not None or time.monotonic() > deadline:
            tail = await asyncio.to_thread(log.read_text, errors="replace")
            raise RuntimeError(f"server not ready:\n{tail[-3000:]}")
        await asyncio.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


async def _delete_topics(settings: Settings) -> None:
    topics = Topics.for_prefix(settings.topic_prefix)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.delete_topics([topics.commands, topics.events, topics.replies,
                                   topics.deadletter])
    finally:
        await admin.close()


def _create_account(env: dict[str, str]) -> tuple[str, str, str]:
    """`iamlog accounts create`: the account id, its root key id and secret."""
    account = f"{random.randrange(10**11, 10**12)}"
    done = subprocess.run(  # noqa: S603 - our own CLI, our own arguments
        [sys.executable, "-m", "services.cli.main", "accounts", "create",
         "--account-id", account],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
    created = json.loads(done.stdout)
    return account, created["AccessKeyId"], created["SecretAccessKey"]


# --- the phases -------------------------------------------------------------------------


async def _call(client: httpx.AsyncClient, signer: Signer, checker: Checker, action: str,
                **params: str) -> dict[str, Any]:
    body, headers = signer.sign(action, **params)
    response = await client.post(signer.url, content=body, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"{action}: {response.status_code} {response.text[:500]}")
    return checker.parse(action, response)


async def _until_authenticated(client: httpx.AsyncClient, signer: Signer) -> None:
    """The root key reaches the api's identity index through the stream: wait for it."""
    deadline = time.monotonic() + 30
    while True:
        body, headers = signer.sign("GetUser")
        response = await client.post(signer.url, content=body, headers=headers)
        if response.status_code == 200:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"root key not accepted: {response.text[:500]}")
        await asyncio.sleep(0.1)


async def _setup_users(client: httpx.AsyncClient, signer: Signer, checker: Checker,
                       users: list[str]) -> None:
    async def one(user: str) -> None:
        await _call(client, signer, checker, "CreateUser", UserName=user)
        await _call(client, signer, checker, "CreateAccessKey", UserName=user)

    await asyncio.gather(*(one(user) for user in users))


@dataclass
class ListFigures:
    """What the reads phase measured."""

    per_second: float
    latencies: list[float]
    cpu: dict[str, float]
    transport_errors: int


def _presign(signer: Signer, users: list[str],
             total: int) -> tuple[list[tuple[str, Signed]], float]:
    """`total` signed ListAccessKeys requests (with their user), botocore's µs per signature."""
    started = time.perf_counter()
    signed = [(users[n % len(users)], signer.sign("ListAccessKeys", UserName=users[n % len(users)]))
              for n in range(total)]
    return signed, (time.perf_counter() - started) / max(total, 1) * 1e6


async def _list_phase(pool: list[httpx.AsyncClient], signer: Signer, checker: Checker,
                      *, signed: list[tuple[str, Signed]], label: str,
                      server_pid: int) -> ListFigures:
    total = len(signed)
    clients = len(pool)
    latencies: list[float] = []
    failures = Failures()
    next_index = 0
    with _progress() as bar:
        task = bar.add_task(f"{label} ({clients} in flight)", total=total)

        async def worker(client: httpx.AsyncClient) -> None:
            nonlocal next_index
            while next_index < total:
                n = next_index
                next_index += 1
                user, (body, headers) = signed[n]
                started = time.perf_counter()
                try:
                    response = await client.post(signer.url, content=body, headers=headers)
                except httpx.TransportError as exc:
                    failures.dropped(exc)
                    continue
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or b"</ListAccessKeysResult>" not in \
                        response.content:
                    failures.add(f"{response.status_code} {response.text}")
                elif n % CHECK_EVERY == 0:
                    parsed = checker.parse("ListAccessKeys", response)
                    names = {key["UserName"] for key in parsed["AccessKeyMetadata"]}
                    if names != {user}:
                        failures.add(f"keys of {names}, asked for {user}")
                if len(latencies) % PROGRESS_EVERY == 0:
                    bar.update(task, completed=len(latencies))

        cpu = CpuShare.begin(server_pid)
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for client in pool))
        elapsed = time.perf_counter() - started
        shares = cpu.end(server_pid)
        bar.update(task, completed=len(latencies))
    failures.raise_if_any(label)
    return ListFigures(len(latencies) / elapsed, sorted(latencies), shares, failures.transport)


@dataclass
class PairFigures:
    """What the writes phase measured."""

    per_second: float
    pairs: list[float]
    creates: list[float]
    deletes: list[float]
    cpu: dict[str, float]
    transport_errors: int


async def _pair_phase(pool: list[httpx.AsyncClient], signer: Signer, checker: Checker,
                      users: list[str], *, total: int, label: str,
                      server_pid: int) -> PairFigures:
    pairs: list[float] = []
    creates: list[float] = []
    deletes: list[float] = []
    failures = Failures()
    next_index = 0

    async def timed(client: httpx.AsyncClient, action: str,
                    **params: str) -> tuple[httpx.Response, float]:
        body, headers = signer.sign(action, **params)
        started = time.perf_counter()
        response = await client.post(signer.url, content=body, headers=headers)
        return response, time.perf_counter() - started

    with _progress() as bar:
        task = bar.add_task(f"{label} ({len(users)} users)", total=total)

        async def worker(client: httpx.AsyncClient, user: str) -> None:
            nonlocal next_index
            while next_index < total:
                n = next_index
                next_index += 1
                try:
                    await pair(client, user, n)
                except httpx.TransportError as exc:
                    failures.dropped(exc)
                if len(pairs) % PROGRESS_EVERY == 0:
                    bar.update(task, completed=len(pairs))

        async def pair(client: httpx.AsyncClient, user: str, n: int) -> None:
            started = time.perf_counter()
            created, took = await timed(client, "CreateAccessKey", UserName=user)
            creates.append(took)
            found = _KEY_ID.search(created.content)
            if created.status_code != 200 or found is None:
                failures.add(f"create: {created.status_code} {created.text}")
                return
            key_id = found.group(1).decode()
            if n % CHECK_EVERY == 0:
                parsed = checker.parse("CreateAccessKey", created)["AccessKey"]
                if (parsed["AccessKeyId"], parsed["UserName"]) != (key_id, user) \
                        or not parsed["SecretAccessKey"]:
                    failures.add(f"create parsed as {parsed}")
            deleted, took = await timed(client, "DeleteAccessKey", UserName=user,
                                        AccessKeyId=key_id)
            deletes.append(took)
            pairs.append(time.perf_counter() - started)
            if deleted.status_code != 200 or b"<DeleteAccessKeyResponse" not in \
                    deleted.content:
                failures.add(f"delete: {deleted.status_code} {deleted.text}")

        cpu = CpuShare.begin(server_pid)
        started = time.perf_counter()
        await asyncio.gather(*(worker(client, user) for client, user in zip(pool, users,
                                                                             strict=True)))
        elapsed = time.perf_counter() - started
        shares = cpu.end(server_pid)
        bar.update(task, completed=len(pairs))
    failures.raise_if_any(label)
    return PairFigures(len(pairs) / elapsed, sorted(pairs), sorted(creates), sorted(deletes),
                       shares, failures.transport)


def _ms(values: list[float], fraction: float) -> float:
    return percentile(values, fraction) * 1000


async def _measure(url: str, server_pid: int, root: tuple[str, str], *, requests: int,
                   pairs: int, clients: int) -> dict[str, float]:
    signer = Signer(url, *root)
    checker = Checker()
    users = [f"bench-u{n:03d}" for n in range(clients)]
    figures: dict[str, float] = {}
    # One client (one keep-alive connection) per worker: httpcore's pool does work per
    # request in proportion to connections × waiting requests, which one shared client of 32
    # connections turns into the largest CPU cost of the benchmark.
    async with contextlib.AsyncExitStack() as stack:
        pool = [await stack.enter_async_context(httpx.AsyncClient(
            limits=httpx.Limits(max_connections=1), timeout=30)) for _ in range(clients)]
        await _until_authenticated(pool[0], signer)
        await _setup_users(pool[0], signer, checker, users)

        # Signed before the warm-up: no idle gap for keep-alive connections to time out in.
        warm_count = max(requests // 10, clients)
        signed, sign_us = _presign(signer, users, warm_count + requests)
        await _list_phase(pool, signer, checker, signed=signed[:warm_count],
                          label="ListAccessKeys warm-up", server_pid=server_pid)
        reads = await _list_phase(pool, signer, checker, signed=signed[warm_count:],
                                  label="ListAccessKeys", server_pid=server_pid)
        figures.update({
            "list_per_second": reads.per_second,
            "list_p50_ms": _ms(reads.latencies, 0.50),
            "list_p99_ms": _ms(reads.latencies, 0.99),
            "list_transport_errors": reads.transport_errors,
            "botocore_sign_us": sign_us,
            **{f"list_cpu_{name}_pct": share for name, share in reads.cpu.items()},
        })

        await _pair_phase(pool, signer, checker, users, total=max(pairs // 10, clients),
                          label="Create+DeleteAccessKey warm-up", server_pid=server_pid)
        writes = await _pair_phase(pool, signer, checker, users, total=pairs,
                                   label="Create+DeleteAccessKey", server_pid=server_pid)
        figures.update({
            "pairs_per_second": writes.per_second,
            "pair_p50_ms": _ms(writes.pairs, 0.50),
            "pair_p99_ms": _ms(writes.pairs, 0.99),
            "create_p99_ms": _ms(writes.creates, 0.99),
            "delete_p99_ms": _ms(writes.deletes, 0.99),
            "pairs_transport_errors": writes.transport_errors,
            **{f"pairs_cpu_{name}_pct": share for name, share in writes.cpu.items()},
        })
    return figures


async def run(requests: int, pairs: int, clients: int) -> dict[str, float]:
    """Start a server of its own, measure, stop everything; returns the figures."""
    base = get_settings()
    async with scratch_database(base.database_url.get_secret_value(), "benchapi") as db_url:
        settings = base.model_copy(update={
            "topic_prefix": f"benchapi{uuid.uuid4().hex[:8]}",
            "database_url": base.database_url.__class__(db_url),
        })
        await ensure_topics(settings)
        try:
            port = free_port()
            env = _server_env(settings, port)
            log = Path(f"/tmp/iamlog-bench-{settings.topic_prefix}.log")  # noqa: S108 - a log
            url = f"http://127.0.0.1:{port}"
            process = _spawn_server(env, log)
            try:
                await _wait_ready(url, process, log)
                _, key_id, secret = await asyncio.to_thread(_create_account, env)
                return await _measure(url, process.pid, (key_id, secret), requests=requests,
                                      pairs=pairs, clients=clients)
            except BaseException:
                console.print(f"[red]server log: {log}[/red]")
                raise
            finally:
                await asyncio.to_thread(_stop, process)
        finally:
            await _delete_topics(settings)


def _row(name: str, value: float) -> tuple[str, str, str]:
    shown = f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    if name not in TARGETS:
        return name, shown, ""
    target, text = TARGETS[name]
    mark = "[green]✓[/green]" if value >= target else "[red]✗[/red]"
    return name, shown, f"{text} {mark}"


def main(requests: int, pairs: int, clients: int) -> None:
    """Run, print a table, append the figures to bench-results/api.jsonl."""
    _cache_missing_sniffio()
    figures = asyncio.run(run(requests, pairs, clients))
    table = Table("figure", "value", "target",
                  title=f"iamlog bench api ({os.cpu_count()} cores; *_cpu_*_pct: % of one core)")
    for name, value in figures.items():
        table.add_row(*_row(name, value))
    console.print(table)
    path = record_result("api", {"requests": requests, "pairs": pairs, "clients": clients,
                                 **figures})
    console.print(f"appended to {path}")
