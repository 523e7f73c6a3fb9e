"""`iamlog bench soak`: the mixed load at half the measured capacity for a long while.

The command starts the api, the processor, the projector and the scheduler as separate
processes (fresh topics, a scratch database), binds three workloads, measures the capacity of
the mixed load (`services.bench.mixed`, unthrottled, `--workers` in flight), then runs it at
half that rate for a warm-up and then `--minutes`. It samples each role's resident memory every
few seconds and the latency of every request, and reports each minute's p99 against the first
minute's (bound: ≤ 2×) and each role's resident-memory growth after the warm-up (bound: < 10 %).
It also draws both series (`bench-results/soak-<time>.png`).

The warm-up lasts at least `--warm-up-minutes` and until the processor's idempotency window is
full: the window remembers the last `IAMLOG_IDEMPOTENCY_WINDOW` commands of the account that
appended events, so the soak counts those commands (the account's creation, the setup, the
capacity run, the soak) and the warm-up ends once they reach the window's size. The command's
default warm-up, 16 minutes, also covers the live sessions filling: the mix's sessions last
900 s (the shortest `AssumeRole` and `GetSessionToken` allow) and stay in every role's state
until the scheduler expires them, so only after 15 minutes do as many expire as are issued. A
shorter warm-up (the 3-minute CI variant has one minute) counts their filling as growth (about
1 KB per session in the api, less in the processor).

The soak's mix changes keys, toggles them, assumes the role, issues session tokens, reads,
authenticates, is refused, and fetches the credentials of three bound workloads (sessions of
two minutes, so the scheduler renews each about every minute) and calls with them — but
creates no new users beyond one per worker, so the identity state stays the same size apart
from the live sessions.
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
from rich.progress import Progress, TimeElapsedColumn
from rich.table import Table

from events.topics import scratch_topics
from services.bench.common import free_port, percentile, record_result, scratch_database
from services.bench.footprint import _rss_mib
from services.bench.mixed import (
    OPERATIONS,
    Load,
    Operation,
    Principal,
    Sent,
    bind_workloads,
    prepare,
    run_load,
)
from services.cli.accounts import create_account
from services.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("processor", "projector", "scheduler", "api")
MAX_RSS_GROWTH = 0.10
MAX_P99_RATIO = 2.0
SAMPLE_SECONDS = 5.0
WARM_UP_SECONDS = 60.0  # the shortest warm-up
SESSION_WARM_UP_MINUTES = 16.0  # the mix's 900-s sessions expire as fast as they are issued
# No new users (the identity state keeps its size); every other operation of the mixed load,
# workload credential fetches included.
SOAK_OPERATIONS: dict[str, tuple[int, Operation]] = {
    name: entry for name, entry in OPERATIONS.items() if name != "create_user"}
# Workloads bound before the load, and their session lifetime: the scheduler renews each one
# every minute or so while the soak runs, as it does for the fault suite's workloads.
WORKLOADS = 3
WORKLOAD_SESSION_SECONDS = 120
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
    warm_up_floor_seconds: float = WARM_UP_SECONDS
    rss_minutes: dict[str, list[float]] = field(default_factory=dict)  # role → MiB per minute

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
                "warm_up_floor_s": self.warm_up_floor_seconds,
                **{f"rss_growth_{role}_pct": round(100 * growth, 2)
                   for role, growth in self.rss_growth.items()},
                **{f"rss_first_{role}_mib": round(samples[0], 1)
                   for role, samples in self.rss_mib.items()},
                **{f"rss_end_{role}_mib": round(samples[-1], 1)
                   for role, samples in self.rss_mib.items()},
                "p99_first_minute_ms": round(self.p99_ms[0], 2),
                # series (lists: the per-run plot skips them; the soak's own chart draws them)
                "p99_per_minute_ms": [round(p, 1) for p in self.p99_ms],
                "rss_per_minute_mib": {role: [round(m, 1) for m in series]
                                       for role, series in self.rss_minutes.items()},
                "p99_ratio": round(self.p99_ratio, 3), "within_bounds": self.within_bounds}


def _spawn(settings: Settings, role: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "IAMLOG_TOPIC_PREFIX": settings.topic_prefix,
           "IAMLOG_DATABASE_URL": settings.database_url.get_secret_value(),
           "IAMLOG_PARTITIONS": str(settings.partitions),
           "IAMLOG_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
           "IAMLOG_STATE_DIR": str(settings.state_dir),  # where the dev master key lives
           "IAMLOG_IDEMPOTENCY_WINDOW": str(settings.idempotency_window),
           "IAMLOG_WORKLOAD_SESSION_SECONDS": str(WORKLOAD_SESSION_SECONDS),
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
                  stop: asyncio.Event, seconds: float) -> None:
    with Progress(*Progress.get_default_columns(), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task("soaking", total=seconds)
        began = time.monotonic()
        while not stop.is_set():
            now = time.monotonic()
            for role, pid in pids.items():
                into.setdefault(role, []).append((now, _rss_mib(pid)))
            progress.update(task, completed=now - began, description=" ".join(
                f"{role} {points[-1][1]:.0f} MiB" for role, points in into.items()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SAMPLE_SECONDS)


async def _measure(url: str, settings: Settings, pids: dict[str, int], *, minutes: float,
                   warm_up_minutes: float, workers: int, capacity_seconds: float
                   ) -> SoakFigures:
    account_id = f"{random.randrange(10**11, 10**12)}"
    created = await create_account(settings, account_id)
    root = Principal(created["AccessKeyId"], created["SecretAccessKey"])
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(
            max_connections=workers)) as client:
        account, setup = await prepare(client, url, account_id, root)
        binder = Load(client, url, account)
        account.workloads = await bind_workloads(settings, binder, WORKLOADS)
        load = Load(client, url, account)
        load.secrets |= binder.secrets
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
        # (The bindings and the scheduler's renewals are commands of the account too; leaving
        # them out only makes the warm-up last longer than it must.)
        remembered = 1 + _appending(setup) + _appending(load.sent)
        load.sent.clear()
        rate = capacity / 2
        stop = asyncio.Event()
        samples: dict[str, list[tuple[float, float]]] = {}
        began = time.monotonic()
        sampler = asyncio.create_task(_sample(pids, samples, stop,
                                              (warm_up_minutes + minutes) * 60))
        task = asyncio.create_task(run_load(load, stop, workers=workers,
                                            operations=SOAK_OPERATIONS, rate=rate))
        await asyncio.sleep((warm_up_minutes + minutes) * 60)
        stop.set()
        await task
        await sampler
    return figures_of(load.sent, samples, capacity=capacity, rate=rate,
                      minutes=warm_up_minutes + minutes, began=began,
                      window=settings.idempotency_window, remembered=remembered,
                      floor=warm_up_minutes * 60)


def _appending(sent: list[Sent]) -> int:
    """Acknowledged requests that appended events: each is one command in the window."""
    return sum(1 for request in sent if request.ok and request.expects)


def warm_up_end(sent: list[Sent], *, began: float, window: int, remembered: int,
                floor: float = WARM_UP_SECONDS) -> float | None:
    """When the warm-up ends: `floor` seconds after `began`, and not before the idempotency
    window holds `window` commands (`remembered` of them before `began`); None if it never
    did."""
    answered = sorted(request.started + request.seconds for request in sent
                      if request.ok and request.expects)
    missing = window - remembered
    if missing > len(answered):
        return None
    full_at = answered[missing - 1] if missing > 0 else began
    return max(full_at, began + floor)


def rss_growth(points: list[tuple[float, float]], warm: float) -> float | None:
    """Resident memory growth from the first sample at or after `warm` to the last, as a
    fraction of the first; None without two such samples."""
    after = [rss for moment, rss in points if moment >= warm]
    if len(after) < 2:
        return None
    return (after[-1] - after[0]) / after[0]


def _per_minute(points: list[tuple[float, float]], began: float) -> list[float]:
    """The first sample of each whole minute from `began`."""
    firsts: dict[int, float] = {}
    for moment, rss in points:
        firsts.setdefault(int((moment - began) // 60), rss)
    return [firsts[minute] for minute in sorted(firsts)]


def figures_of(sent: list[Sent], samples: dict[str, list[tuple[float, float]]], *,
               capacity: float, rate: float, minutes: float, began: float, window: int,
               remembered: int, floor: float = WARM_UP_SECONDS) -> SoakFigures:
    """The soak's analysis: p99 per whole minute of the `minutes` from `began`, and each
    role's RSS growth (`samples`: role → (time.monotonic(), MiB)) after the warm-up
    (`warm_up_end`, at least `floor` seconds)."""
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
        window=window, warm_up_floor_seconds=floor,
        rss_minutes={role: _per_minute(points, began) for role, points in samples.items()})
    warm = warm_up_end(sent, began=began, window=window, remembered=remembered, floor=floor)
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


async def run(minutes: float, *, warm_up_minutes: float = SESSION_WARM_UP_MINUTES,
              workers: int = 16, capacity_seconds: float = 20.0, log_dir: Path | None = None,
              window: int | None = None) -> SoakFigures:
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
        async with scratch_topics(settings):
            return await soak(settings, minutes, warm_up_minutes=warm_up_minutes,
                              workers=workers, capacity_seconds=capacity_seconds,
                              log_dir=log_dir)


async def soak(settings: Settings, minutes: float, *, warm_up_minutes: float = 1.0,
               workers: int = 16, capacity_seconds: float = 20.0,
               log_dir: Path | None = None) -> SoakFigures:
    """Start the roles on `settings` (its topics exist, its database is migrated), soak for
    `warm_up_minutes` then `minutes`, stop them; returns the figures."""
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
                              minutes=minutes, warm_up_minutes=warm_up_minutes,
                              workers=workers, capacity_seconds=capacity_seconds)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                await asyncio.to_thread(process.wait, 20)
            except subprocess.TimeoutExpired:
                process.kill()


def draw(figures: SoakFigures, target: Path) -> Path:
    """Each role's resident memory and each minute's p99 over the soak, with the warm-up's
    end and the p99 bound marked."""
    import matplotlib  # noqa: PLC0415 - a bench-only dependency

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    figure, (memory, latency) = plt.subplots(1, 2, figsize=(12, 4))
    for role, series in figures.rss_minutes.items():
        growth = figures.rss_growth.get(role)
        label = role if growth is None else f"{role} ({100 * growth:+.1f} % after warm-up)"
        memory.plot(range(len(series)), series, marker=".", label=label)
    if figures.warm_up_seconds is not None:
        memory.axvline(figures.warm_up_seconds / 60, color="grey", linestyle="--",
                       label="end of warm-up")
    memory.set(title="resident memory per role", xlabel="minute", ylabel="MiB")
    memory.legend(fontsize=7)
    latency.plot(range(len(figures.p99_ms)), figures.p99_ms, marker=".", label="p99")
    latency.axhline(MAX_P99_RATIO * figures.p99_ms[0], color="red", linestyle="--",
                    label=f"bound: {MAX_P99_RATIO:g}× the first minute's")
    latency.set(title="p99 latency per minute", xlabel="minute", ylabel="ms")
    latency.legend(fontsize=7)
    figure.suptitle(f"iamlog bench soak: {figures.rate_per_second:.0f} operations/s "
                    f"(half of {figures.capacity_per_second:.0f}), {figures.requests:,} "
                    f"requests, {figures.server_errors} server errors")
    figure.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=90)
    plt.close(figure)
    return target


def main(minutes: float, workers: int, window: int | None = None,
         warm_up_minutes: float = SESSION_WARM_UP_MINUTES) -> bool:
    """Run, print a table, append the figures to bench-results/soak.jsonl and draw them;
    True if in bounds."""
    figures = asyncio.run(run(minutes, warm_up_minutes=warm_up_minutes, workers=workers,
                              window=window))
    table = Table("figure", "value", "bound", title=f"iamlog bench soak ({os.cpu_count()} cores)")
    table.add_row("capacity (operations/s)", f"{figures.capacity_per_second:,.1f}", "")
    table.add_row("soak rate (operations/s)", f"{figures.rate_per_second:,.1f}", "½ capacity")
    table.add_row("requests", f"{figures.requests:,}", "")
    table.add_row("server errors", str(figures.server_errors), "0")
    table.add_row("idempotency window (commands)", f"{figures.window:,}", "")
    table.add_row("warm-up (s)", "window never filled" if figures.warm_up_seconds is None
                  else f"{figures.warm_up_seconds:.0f}",
                  f"≥ {figures.warm_up_floor_seconds:.0f}, window full")
    for role, growth in figures.rss_growth.items():
        table.add_row(f"RSS growth after warm-up: {role}",
                      f"{100 * growth:+.1f} % (now {figures.rss_mib[role][-1]:.0f} MiB)",
                      "< 10 %")
    table.add_row("p99 per minute (ms)", ", ".join(f"{p:.0f}" for p in figures.p99_ms), "")
    table.add_row("worst p99 / first minute's", f"{figures.p99_ratio:.2f}", "≤ 2")
    console.print(table)
    path = record_result("soak", figures.as_dict())
    chart = draw(figures, path.parent / f"soak-{time.strftime('%Y-%m-%dT%H%M', time.gmtime())}.png")
    console.print(f"appended to {path}, drew {chart}; within bounds: {figures.within_bounds}")
    return figures.within_bounds
