"""The stack an HTTP benchmark measures: its own `iamlog serve`, topics and scratch database.

    async with bench_stack("benchapi", api_workers=0) as stack:
        stack.url, stack.pids, stack.root   # root: the bench account's (key id, secret)

`api_workers=0` runs one `iamlog serve` with every role (the default deployment of `make run`).
`api_workers=N` runs the processor and projector in one process and N api replicas beside it,
all listening on one port with `SO_REUSEPORT` (`IAMLOG_HTTP_REUSE_PORT`): the kernel spreads
connections over them, and each replica has its own identity index and reply reader, as
replicas in a cluster do. The pieces every HTTP benchmark shares live here too: botocore's
response parser as the check, failure counting, and CPU shares per process group from /proc.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import uvloop
from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.parsers import QueryParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from events.topics import delete_topics, ensure_topics
from services.bench.common import free_port, record_result, scratch_database
from services.bench.wire import Answer
from services.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")
console = Console()


def progress() -> Progress:
    """A progress bar that redraws twice a second (rendering runs in the measuring process)."""
    return Progress("[progress.description]{task.description}", BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                    refresh_per_second=2)


class Checker:
    """Parses responses the way boto3 does (botocore's Query parser and the service model)."""

    def __init__(self, service: str = "iam") -> None:
        self._model = ServiceModel(Loader().load_service_model(service, "service-2"), service)
        self._parser = QueryParser()

    def parse(self, action: str, answer: Answer) -> dict[str, Any]:
        """The parsed output of `action`; raises if it does not parse or is an error."""
        shape = self._model.operation_model(action).output_shape
        parsed: dict[str, Any] = self._parser.parse(
            {"body": answer.body, "headers": answer.headers, "status_code": answer.status},
            shape)
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

    def dropped(self, exc: OSError) -> None:
        """A connection that failed under a request (reported, not fatal)."""
        self.transport += 1
        console.print(f"[yellow]transport error: {exc!r}[/yellow]")

    def raise_if_any(self, phase: str) -> None:
        """Fail the run: figures over failed requests mean nothing."""
        if self.count:
            raise RuntimeError(f"{phase}: {self.count} bad responses, e.g. {self.samples}")


# --- CPU per process group, from /proc ----------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(server_pids: frozenset[int]) -> tuple[float, dict[int, tuple[str, float]]]:
    """The machine's busy CPU seconds, and each process's (group, CPU seconds) so far."""
    # Busy time of every core (user, nice, system, irq, softirq, steal): the rest of the
    # machine's load shows as machine minus the groups.
    busy = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    machine = sum(int(busy[i]) for i in (0, 1, 2, 5, 6, 7)) / _TICK
    me = os.getpid()
    processes: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        pid = int(entry.name)
        group = ("client" if pid == me else "server" if pid in server_pids
                 else "kafka" if comm == "java" else "postgres" if comm.startswith("postgres")
                 else "")
        if group:
            processes[pid] = (group, (int(fields[11]) + int(fields[12])) / _TICK)
    return machine, processes


@dataclass
class CpuShare:
    """Per process group: % of one core during a phase.

    Processes are compared pid by pid: one that ended during the phase is left out (its
    share is unknown), one that started counts in full.
    """

    server_pids: frozenset[int]
    started: tuple[float, dict[int, tuple[str, float]]] = (0.0, {})
    wall: float = 0.0

    def __post_init__(self) -> None:
        self.started = _cpu_seconds(self.server_pids)
        self.wall = time.perf_counter()

    def end(self) -> dict[str, float]:
        """% of one core per group since the start (the machine has os.cpu_count() cores)."""
        elapsed = time.perf_counter() - self.wall
        machine, now = _cpu_seconds(self.server_pids)
        before = self.started[1]
        totals = dict.fromkeys(("client", "server", "kafka", "postgres"), 0.0)
        for pid, (group, seconds) in now.items():
            totals[group] += seconds - before.get(pid, (group, 0.0))[1]
        totals["machine"] = machine - self.started[0]
        return {name: 100 * seconds / elapsed for name, seconds in totals.items()}


def run_measured(work: Coroutine[Any, Any, T]) -> T:
    """Run the client on uvloop, the loop the server runs on: the client's CPU is the least
    it can be, on a machine the two share."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(work)


def load_average() -> float:
    """The machine's 1-minute load average (other users of the cores show up here)."""
    return os.getloadavg()[0]


def row(name: str, value: float, targets: dict[str, tuple[float, str]]) -> tuple[str, str, str]:
    """A table row: the figure, its value, and its target with a mark if it has one."""
    shown = f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    if name not in targets:
        return name, shown, ""
    target, text = targets[name]
    mark = "[green]✓[/green]" if value >= target else "[red]✗[/red]"
    return name, shown, f"{text} {mark}"


def report(bench: str, parameters: dict[str, Any], figures: dict[str, float],
           targets: dict[str, tuple[float, str]], load_before: float) -> dict[str, Any]:
    """Print the figures against their targets; append them to bench-results/<bench>.jsonl."""
    table = Table("figure", "value", "target",
                  title=f"iamlog bench {bench} ({os.cpu_count()} cores, load {load_before:.2f}; "
                        "*_cpu_*_pct: % of one core)")
    for name, value in figures.items():
        table.add_row(*row(name, value, targets))
    console.print(table)
    record = {**parameters, "load_before": load_before, **figures}
    console.print(f"appended to {record_result(bench, record)}")
    return record


# --- the stack --------------------------------------------------------------------------


@dataclass(frozen=True)
class Stack:
    """Running servers, where they answer, and the bench account's root key."""

    url: str
    port: int
    processes: tuple[subprocess.Popen[bytes], ...]
    env: dict[str, str]
    account_id: str
    root: tuple[str, str]
    log: Path

    @property
    def host(self) -> str:
        """`127.0.0.1:<port>`, as the Host header and SigV4 carry it."""
        return f"127.0.0.1:{self.port}"

    @property
    def pids(self) -> frozenset[int]:
        """Every server process (for CPU shares)."""
        return frozenset(process.pid for process in self.processes)

    def cpu(self) -> CpuShare:
        """Start measuring CPU shares."""
        return CpuShare(self.pids)


def _server_env(settings: Settings, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"IAMLOG_TOPIC_PREFIX": settings.topic_prefix,
                "IAMLOG_DATABASE_URL": settings.database_url.get_secret_value(),
                "IAMLOG_PARTITIONS": str(settings.partitions),
                "IAMLOG_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
                "IAMLOG_LOG_LEVEL": "WARNING",
                "IAMLOG_HTTP_HOST": "127.0.0.1", "IAMLOG_HTTP_PORT": str(port)})
    return env


def _spawn(env: dict[str, str], log: Path, roles: list[str]) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "services.cli.main", "serve"]
    for role in roles:
        args += ["--role", role]
    with log.open("ab") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out,  # noqa: S603
                                stderr=subprocess.STDOUT)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:  # noqa: S310
            return bool(json.load(answer)["ready"])
    except (OSError, ValueError):
        return False


def _listening(pid: int, port: int) -> bool:
    """True once process `pid` holds a socket listening on `port` (its api is up)."""
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with_target = os.readlink(fd) if fd.is_symlink() else ""
            if with_target.startswith("socket:["):
                inodes.add(with_target[8:-1])
    except OSError:
        return False
    wanted = f"{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{wanted}") and fields[3] == "0A" and fields[9] in inodes:
            return True
    return False


async def _wait(what: str, ready: Any, processes: list[subprocess.Popen[bytes]],
                log: Path) -> None:
    deadline = time.monotonic() + 90
    while not await asyncio.to_thread(ready):
        if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
            tail = await asyncio.to_thread(log.read_text, errors="replace")
            raise RuntimeError(f"{what} not ready:\n{tail[-3000:]}")
        await asyncio.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _create_account(env: dict[str, str]) -> tuple[str, str, str]:
    """`iamlog accounts create`: the account id, its root key id and secret."""
    account = f"{random.randrange(10**11, 10**12)}"
    done = subprocess.run(  # noqa: S603 - our own CLI, our own arguments
        [sys.executable, "-m", "services.cli.main", "accounts", "create",
         "--account-id", account],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
    created = json.loads(done.stdout)
    return account, created["AccessKeyId"], created["SecretAccessKey"]


async def _start(settings: Settings, port: int, api_workers: int,
                 log: Path) -> list[subprocess.Popen[bytes]]:
    env = _server_env(settings, port)
    url = f"http://127.0.0.1:{port}"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        if api_workers <= 0:
            processes.append(_spawn(env, log, []))
        else:
            roles_port = free_port()
            processes.append(_spawn({**env, "IAMLOG_HTTP_PORT": str(roles_port)}, log,
                                    ["processor", "projector"]))
            await _wait("processor", lambda: _ready(f"http://127.0.0.1:{roles_port}"),
                        processes, log)
            for _ in range(api_workers):
                api = _spawn({**env, "IAMLOG_HTTP_REUSE_PORT": "true"}, log, ["api"])
                processes.append(api)
                await _wait("api replica", lambda pid=api.pid: _listening(pid, port),
                            processes, log)
        await _wait("server", lambda: _ready(url), processes, log)
    except BaseException:
        for process in processes:
            await asyncio.to_thread(_stop, process)
        raise
    return processes


@asynccontextmanager
async def bench_stack(label: str, *, api_workers: int = 0) -> AsyncIterator[Stack]:
    """Topics, a scratch database, the server process(es) and an account; all gone after."""
    base = get_settings()
    async with scratch_database(base.database_url.get_secret_value(), label) as db_url:
        settings = base.model_copy(update={
            "topic_prefix": f"{label}{uuid.uuid4().hex[:8]}",
            "database_url": base.database_url.__class__(db_url),
        })
        await ensure_topics(settings)
        port = free_port()
        log = Path(f"/tmp/iamlog-bench-{settings.topic_prefix}.log")  # noqa: S108 - a log
        try:
            processes = await _start(settings, port, api_workers, log)
            try:
                env = _server_env(settings, port)
                account, key_id, secret = await asyncio.to_thread(_create_account, env)
                yield Stack(f"http://127.0.0.1:{port}", port, tuple(processes), env, account,
                            (key_id, secret), log)
            except BaseException:
                console.print(f"[red]server log: {log}[/red]")
                raise
            finally:
                for process in processes:
                    await asyncio.to_thread(_stop, process)
        finally:
            await delete_topics(settings)
