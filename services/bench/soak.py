"""`iamlog bench soak`: the mixed load at half the measured capacity for a long while.

The command starts the api, the processor, the projector and the scheduler as separate
processes (fresh topics, a scratch database), measures the capacity of the mixed load
(`services.bench.mixed`, unthrottled, `--workers` in flight), then runs it at half that rate
for `--minutes`. It samples each role's resident memory every few seconds and the latency of
every request, and reports each minute's p99 against the first minute's (bound: ≤ 2×) and
each role's resident-memory growth after the warm-up (bound: < 10 %).

The warm-up lasts a minute and at least until the processor's idempotency window is full:
the window remembers the last `IAMLOG_IDEMPOTENCY_WINDOW` commands of the account that
appended events, so the soak counts those commands (the account's creation, the setup, the
capacity run, the soak) and the warm-up ends once they reach the window's size. Growth is
counted after that, for every role. Live sessions are not filled: they stay until the
scheduler expires them (15 minutes after an `AssumeRole` or `GetSessionToken` of the mix), so
a soak shorter than that counts their growth too (about 0.4 KB per session in the processor
and in the api).

The soak's mix changes keys, toggles them, assumes the role, issues session tokens, reads,
authenticates and is refused — but creates no new users beyond one per worker, so the
identity state stays the same size apart from the live sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from events.topics import ensure_topics
from services.bench.common import free_port, percentile, record_result, scratch_database
from services.bench.footprint import _rss_mib
from services.bench.mixed import OPERATIONS, Load, Operation, Principal, Sent, prepare, run_load
from services.cli.accounts import create_account
from services.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("processor", "projector", "scheduler", "api")
MAX_RSS_GROWTH = 0.10
MAX_P99_RATIO = 2.0
SAMPLE_SECONDS = 5.0
WARM_UP_SECONDS = 60.0
# No new users; no workload fetches either (the soak binds no workloads: `iamlog bench
# scheduler` measures renewals).
SOAK_OPERATIONS: dict[str, tuple[int, Operation]] = {
    name: entry for name, entry in OPERATIONS.items()
    if name not in ("create_user", "workload_credentials")}
console = Console()


@dataclass
class SoakFigures:
    """What a soak measured, and whether it kept within its bounds."""

    capacity_per_second: float
    rate_per_second: float
    minutes: float
    requests: int
    server_errors: int
    rss_mib: dict[str, list[float]] = field(default_factory=dict)  # role → samples
    rss_growth: dict[str, float] = field(default_factory=dict)  # role → fraction after warm-up
    p99_ms: list[float] = field(default_factory=list)  # per minute
    window: int = 0  # the processor's idempotency window (commands per account)
    warm_up_seconds: float | None = None  # None: the window never filled (cannot judge)

    @property
    def p99_ratio(self) -> float:
        """The worst minute's p99 over the first minute's."""
        return max(self.p99_ms[1:], default=self.p99_ms[0]) / self.p99_ms[0]

    @property
    def within_bounds(self) -> bool:
        """Warmed up, growth below 10 % for every role, p99 within 2× and no server error."""
        return (self.warm_up_seconds is not None and bool(self.rss_growth)
                and all(growth < MAX_RSS_GROWTH for growth in self.rss_growth.values())
                and self.p99_ratio <= MAX_P99_RATIO and self.server_errors == 0)

    def as_dict(self) -> dict[str, Any]:
        """Flat figures for bench-results/soak.jsonl."""
        return {"capacity_per_second": round(self.capacity_per_second, 1),
                "rate_per_second": round(self.rate_per_second, 1), "minutes": self.minutes,
                "requests": self.requests, "server_errors": self.server_errors,
                "idempotency_window": self.window,
                "warm_up_s": (None if self.warm_up_seconds is None
                              else round(self.warm_up_seconds, 1)),
                **{f"rss_growth_{role}_pct": round(100 * growth, 2)
                   for role, growth in self.rss_growth.items()},
                **{f"rss_first_{role}_mib": round(samples[0], 1)
                   for role, samples in self.rss_mib.items()},
                **{f"rss_end_{role}_mib": round(samples[-1], 1)
                   for role, samples in self.rss_mib.items()},
                "p99_first_minute_ms": round(self.p99_ms[0], 2),
                "p99_ratio": round(self.p99_ratio, 3), "within_bounds": self.within_bounds}


def _spawn(settings: Settings, role: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "IAMLOG_TOPIC_PREFIX": settings.topic_prefix,
           "IAMLOG_DATABASE_URL": settings.database_url.get_secret_value(),
           "IAMLOG_PARTITIONS": str(settings.partitions),
           "IAMLOG_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
           "IAMLOG_STATE_DIR": str(settings.state_dir),  # where the dev master key lives
           "IAMLOG_IDEMPOTENCY_WINDOW": str(settings.idempotency_window),
           "IAMLOG_HTTP_PORT": str(port), "IAMLOG_LOG_LEVEL": "WARNING"}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "services.cli.main", "serve",  # noqa: S603
                                 "--role", role], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


async def _ready(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    async with httpx.AsyncClient(timeout=3) as http:
        while True:
            with contextlib.suppress(httpx.HTTPError, ValueError):
                if (await http.get(f"http://127.0.0.1:{port}/readyz")).json().get("ready"):
                    return
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"role not ready; see {log}")
            await asyncio.sleep(0.2)


async def _sample(pids: dict[str, int], into: dict[str, list[tuple[float, float]]],
                  stop: asyncio.Event) -> None:
    while not stop.is_set():
        now = time.monotonic()
        for role, pid in pids.items():
            into.setdefault(role, []).append((now, _rss_mib(pid)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_SECONDS)


async def _measure(url: str, settings: Settings, pids: dict[str, int], *, minutes: float,
                   workers: int, capacity_seconds: float) -> SoakFigures:
    account_id = f"{random.randrange(10**11, 10**12)}"
    created = await create_account(settings, account_id)
    root = Principal(created["AccessKeyId"], created["SecretAccessKey"])
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(
            max_connections=workers)) as client:
        account, setup = await prepare(client, url, account_id, root)
        load = Load(client, url, account)
        stop = asyncio.Event()
        started = time.monotonic()
        task = asyncio.create_task(run_load(load, stop, workers=workers,
                                            operations=SOAK_OPERATIONS))
        await asyncio.sleep(capacity_seconds)
        stop.set()
        operations = await task
        capacity = operations / (time.monotonic() - started)
        console.print(f"capacity: {capacity:,.1f} operations/s with {workers} in flight")

        # Commands of the account remembered so far: its creation, the setup, the capacity run.
        remembered = 1 + _appending(setup) + _appending(load.sent)
        load.sent.clear()
        rate = capacity / 2
        stop = asyncio.Event()
        samples: dict[str, list[tuple[float, float]]] = {}
        began = time.monotonic()
        sampler = asyncio.create_task(_sample(pids, samples, stop))
        task = asyncio.create_task(run_load(load, stop, workers=workers,
                                            operations=SOAK_OPERATIONS, rate=rate))
        await asyncio.sleep(minutes * 60)
        stop.set()
        await task
        await sampler
    return figures_of(load.sent, samples, capacity=capacity, rate=rate, minutes=minutes,
                      began=began, window=settings.idempotency_window, remembered=remembered)


def _appending(sent: list[Sent]) -> int:
    """Acknowledged requests that appended events: each is one command in the window."""
    return sum(1 for request in sent if request.ok and request.expects)


def warm_up_end(sent: list[Sent], *, began: float, window: int, remembered: int) -> float | None:
    """When the warm-up ends: a minute after `began`, and not before the idempotency window
    holds `window` commands (`remembered` of them before `began`); None if it never did."""
    answered = sorted(request.started + request.seconds for request in sent
                      if request.ok and request.expects)
    missing = window - remembered
    if missing > len(answered):
        return None
    full_at = answered[missing - 1] if missing > 0 else began
    return max(full_at, began + WARM_UP_SECONDS)


def rss_growth(points: list[tuple[float, float]], warm: float) -> float | None:
    """Resident memory growth from the first sample at or after `warm` to the last, as a
    fraction of the first; None without two such samples."""
    after = [rss for moment, rss in points if moment >= warm]
    if len(after) < 2:
        return None
    return (after[-1] - after[0]) / after[0]


def figures_of(sent: list[Sent], samples: dict[str, list[tuple[float, float]]], *,
               capacity: float, rate: float, minutes: float, began: float, window: int,
               remembered: int) -> SoakFigures:
    """The soak's analysis: p99 per whole minute from `began`, and each role's RSS growth
    (`samples`: role → (time.monotonic(), MiB)) after the warm-up (`warm_up_end`)."""
    per_minute: dict[int, list[float]] = {}
    for request in sent:
        if request.status:
            per_minute.setdefault(int((request.started - began) // 60), []).append(
                request.seconds)
    whole = [minute for minute in sorted(per_minute) if minute < int(minutes)] or [0]
    figures = SoakFigures(
        capacity_per_second=capacity, rate_per_second=rate, minutes=minutes,
        requests=len(sent),
        server_errors=sum(1 for s in sent if s.status >= 500 or not s.status),
        rss_mib={role: [rss for _, rss in points] for role, points in samples.items()},
        p99_ms=[1000 * percentile(sorted(per_minute.get(m, [])), 0.99) for m in whole],
        window=window)
    warm = warm_up_end(sent, began=began, window=window, remembered=remembered)
    if warm is None:
        return figures
    figures.warm_up_seconds = warm - began
    for role, points in samples.items():
        growth = rss_growth(points, warm)
        if growth is None:  # warmed up too late to judge
            figures.warm_up_seconds = None
            return figures
        figures.rss_growth[role] = growth
    return figures


async def run(minutes: float, *, workers: int = 16, capacity_seconds: float = 20.0,
              log_dir: Path | None = None, window: int | None = None) -> SoakFigures:
    """On a scratch database and fresh topics of the configured stack: start the roles,
    soak, stop everything; returns the figures. `window`: the processor's idempotency window
    (default: IAMLOG_IDEMPOTENCY_WINDOW)."""
    base = get_settings()
    if window is not None:
        base = base.model_copy(update={"idempotency_window": window})
    async with scratch_database(base.database_url.get_secret_value(), "soak") as db_url:
        settings = base.model_copy(update={
            "topic_prefix": f"soak{uuid.uuid4().hex[:8]}",
            "database_url": base.database_url.__class__(db_url)})
        await ensure_topics(settings)
        return await soak(settings, minutes, workers=workers,
                          capacity_seconds=capacity_seconds, log_dir=log_dir)


async def soak(settings: Settings, minutes: float, *, workers: int = 16,
               capacity_seconds: float = 20.0, log_dir: Path | None = None) -> SoakFigures:
    """Start the roles on `settings` (its topics exist, its database is migrated), soak, stop
    them; returns the figures."""
    logs = log_dir or Path(f"/tmp/iamlog-soak-{uuid.uuid4().hex[:8]}")  # noqa: S108 - logs
    logs.mkdir(parents=True, exist_ok=True)
    ports = {role: free_port() for role in ROLES}
    processes = {role: _spawn(settings, role, ports[role], logs / f"{role}.log")
                 for role in ROLES}
    try:
        for role in ROLES:
            await _ready(ports[role], processes[role], logs / f"{role}.log")
        return await _measure(f"http://127.0.0.1:{ports['api']}", settings,
                              {role: p.pid for role, p in processes.items()},
                              minutes=minutes, workers=workers,
                              capacity_seconds=capacity_seconds)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                await asyncio.to_thread(process.wait, 20)
            except subprocess.TimeoutExpired:
                process.kill()


def main(minutes: float, workers: int, window: int | None = None) -> bool:
    """Run, print a table, append the figures to bench-results/soak.jsonl; True if in bounds."""
    figures = asyncio.run(run(minutes, workers=workers, window=window))
    table = Table("figure", "value", "bound", title=f"iamlog bench soak ({os.cpu_count()} cores)")
    table.add_row("capacity (operations/s)", f"{figures.capacity_per_second:,.1f}", "")
    table.add_row("soak rate (operations/s)", f"{figures.rate_per_second:,.1f}", "½ capacity")
    table.add_row("requests", f"{figures.requests:,}", "")
    table.add_row("server errors", str(figures.server_errors), "0")
    table.add_row("idempotency window (commands)", f"{figures.window:,}", "")
    table.add_row("warm-up (s)", "window never filled" if figures.warm_up_seconds is None
                  else f"{figures.warm_up_seconds:.0f}", "≥ 60, window full")
    for role, growth in figures.rss_growth.items():
        table.add_row(f"RSS growth after warm-up: {role}",
                      f"{100 * growth:+.1f} % (now {figures.rss_mib[role][-1]:.0f} MiB)",
                      "< 10 %")
    table.add_row("p99 per minute (ms)", ", ".join(f"{p:.0f}" for p in figures.p99_ms), "")
    table.add_row("worst p99 / first minute's", f"{figures.p99_ratio:.2f}", "≤ 2")
    console.print(table)
    path = record_result("soak", figures.as_dict())
    console.print(f"appended to {path}; within bounds: {figures.within_bounds}")
    return figures.within_bounds
