"""`iamlog bench footprint`: start-up time to ready, resident memory and idle CPU per role.

Each role starts as its own `iamlog serve --role X` process on fresh topics and a scratch
database; it is timed from spawn to `/readyz` answering ready, then watched idle for a while
through `/proc` (resident set size, CPU seconds per second).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from events.topics import scratch_topics
from services.bench.common import free_port, record_result, scratch_database
from services.kafka_options import kafka_options
from services.settings import Settings, get_settings

ROLES = ("api", "processor", "projector")
_TICKS = os.sysconf("SC_CLK_TCK")
console = Console()


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


async def _measure(settings: Settings, role: str, idle_seconds: float) -> dict[str, float]:
    port = free_port()
    env = {**os.environ, "IAMLOG_TOPIC_PREFIX": settings.topic_prefix,
           "IAMLOG_DATABASE_URL": settings.database_url.get_secret_value(),
           "IAMLOG_HTTP_PORT": str(port), "IAMLOG_LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli.main", "serve", "--role", role,
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        async with httpx.AsyncClient() as http:
            while True:
                try:
                    answer = await http.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                    if answer.json().get("ready"):
                        break
                except (httpx.HTTPError, ValueError):
                    pass
                if process.returncode is not None or time.perf_counter() - started > 60:
                    raise RuntimeError(f"{role} did not become ready")
                await asyncio.sleep(0.05)
        ready = time.perf_counter() - started
        cpu_before = _cpu_seconds(process.pid)
        await asyncio.sleep(idle_seconds)
        idle_cpu = (_cpu_seconds(process.pid) - cpu_before) / idle_seconds
        return {"ready_seconds": ready, "rss_mib": _rss_mib(process.pid),
                "idle_cpu_percent": idle_cpu * 100}
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)


async def run(idle_seconds: float) -> dict[str, dict[str, float]]:
    """Every role, one after the other."""
    base = get_settings()
    async with scratch_database(base.database_url.get_secret_value(), "footprint") as url:
        settings = base.model_copy(update={
            "topic_prefix": f"fp{uuid.uuid4().hex[:8]}",
            "database_url": base.database_url.__class__(url)})
        figures = {}
        async with scratch_topics(settings, **kafka_options(settings)):
            for role in ROLES:
                with console.status(f"measuring {role}…"):
                    figures[role] = await _measure(settings, role, idle_seconds)
        return figures


def main(idle_seconds: float) -> None:
    """Print the table and append the figures to bench-results/footprint.jsonl."""
    figures = asyncio.run(run(idle_seconds))
    table = Table("role", "start-up to ready (s)", "resident memory (MiB)", "idle CPU (%)",
                  title="iamlog bench footprint")
    for role, values in figures.items():
        table.add_row(role, f"{values['ready_seconds']:.2f}", f"{values['rss_mib']:.1f}",
                      f"{values['idle_cpu_percent']:.2f}")
    console.print(table)
    record_result("footprint", {"idle_seconds": idle_seconds, **figures})
