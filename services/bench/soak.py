"""`iamlog bench soak`: the mixed load at half the measured capacity for a long while.

The command starts the api, the processor and the projector as separate processes (fresh
topics, a scratch database), measures the capacity of the mixed load (`services.bench.mixed`,
unthrottled, `--workers` in flight), then runs it at half that rate for `--minutes`. It
samples each role's resident memory every few seconds and the latency of every request, and
reports resident-memory growth per role after the first minute (warm-up) and each minute's
p99 against the first minute's. The bounds: growth < 10 %, p99 ≤ 2× the first minute's.

The soak's mix changes keys, toggles them, assumes the role, issues session tokens, reads,
authenticates and is refused — but creates no new users beyond one per worker, so the
identity state stays the same size and memory growth means a leak, not data.
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
from services.bench.mixed import OPERATIONS, Load, Operation, Principal, prepare, run_load
from services.cli.accounts import create_account
from services.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("processor", "projector", "api")
MAX_RSS_GROWTH = 0.10
MAX_P99_RATIO = 2.0
SAMPLE_SECONDS = 5.0
SOAK_OPERATIONS: dict[str, tuple[int, Operation]] = {
    name: entry for name, entry in OPERATIONS.items() if name != "create_user"}
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

    @property
    def p99_ratio(self) -> float:
        """The worst minute's p99 over the first minute's."""
        return max(self.p99_ms[1:], default=self.p99_ms[0]) / self.p99_ms[0]

    @property
    def within_bounds(self) -> bool:
        """Growth below 10 % for every role, p99 within 2× and no server error."""
        return (all(growth < MAX_RSS_GROWTH for growth in self.rss_growth.values())
                and self.p99_ratio <= MAX_P99_RATIO and self.server_errors == 0)

    def as_dict(self) -> dict[str, Any]:
        """Flat figures for bench-results/soak.jsonl."""
        return {"capacity_per_second": round(self.capacity_per_second, 1),
                "rate_per_second": round(self.rate_per_second, 1), "minutes": self.minutes,
                "requests": self.requests, "server_errors": self.server_errors,
                **{f"rss_growth_{role}_pct": round(100 * growth, 2)
                   for role, growth in self.rss_growth.items()},
                **{f"rss_end_{role}_mib": round(samples[-1], 1)
                   for role, samples in self.rss_mib.items()},
                "p99_first_minute_ms": round(self.p99_ms[0], 2),
                "p99_ratio": round(self.p99_ratio, 3), "within_bounds": self.within_bounds}


def _spawn(settings: Settings, role: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "IAMLOG_TOPIC_PREFIX": settings.topic_prefix,
           "IAMLOG_DATABASE_URL": settings.database_url.get_secret_value(),
           "IAMLOG_PARTITIONS": str(settings.partitions),
           "IAMLOG_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
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
        account, _ = await prepare(client, url, account_id, root)
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
    return _figures(load, samples, capacity=capacity, rate=rate, minutes=minutes, began=began)


def _figures(load: Load, samples: dict[str, list[tuple[float, float]]], *, capacity: float,
             rate: float, minutes: float, began: float) -> SoakFigures:
    per_minute: dict[int, list[float]] = {}
    for sent in load.sent:
        if sent.status:
            per_minute.setdefault(int((sent.started - began) // 60), []).append(sent.seconds)
    whole = [minute for minute in sorted(per_minute) if minute < int(minutes)] or [0]
    figures = SoakFigures(
        capacity_per_second=capacity, rate_per_second=rate, minutes=minutes,
        requests=len(load.sent),
        server_errors=sum(1 for s in load.sent if s.status >= 500 or not s.status),
        rss_mib={role: [rss for _, rss in points] for role, points in samples.items()},
        p99_ms=[1000 * percentile(sorted(per_minute.get(m, [])), 0.99) for m in whole])
    warm = began + 60
    for role, points in samples.items():
        after = [rss for moment, rss in points if moment >= warm] or [points[-1][1]]
        figures.rss_growth[role] = (after[-1] - after[0]) / after[0]
    return figures


async def run(minutes: float, *, workers: int = 16, capacity_seconds: float = 20.0,
              log_dir: Path | None = None) -> SoakFigures:
    """Start the roles of its own, soak, stop everything; returns the figures."""
    base = get_settings()
    logs = log_dir or Path(f"/tmp/iamlog-soak-{uuid.uuid4().hex[:8]}")  # noqa: S108 - logs
    logs.mkdir(parents=True, exist_ok=True)
    async with scratch_database(base.database_url.get_secret_value(), "soak") as db_url:
        settings = base.model_copy(update={
            "topic_prefix": f"soak{uuid.uuid4().hex[:8]}",
            "database_url": base.database_url.__class__(db_url)})
        await ensure_topics(settings)
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


def main(minutes: float, workers: int) -> bool:
    """Run, print a table, append the figures to bench-results/soak.jsonl; True if in bounds."""
    figures = asyncio.run(run(minutes, workers=workers))
    table = Table("figure", "value", "bound", title=f"iamlog bench soak ({os.cpu_count()} cores)")
    table.add_row("capacity (operations/s)", f"{figures.capacity_per_second:,.1f}", "")
    table.add_row("soak rate (operations/s)", f"{figures.rate_per_second:,.1f}", "½ capacity")
    table.add_row("requests", f"{figures.requests:,}", "")
    table.add_row("server errors", str(figures.server_errors), "0")
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
