"""A closed-loop load driver: N connections, each sending its next request when one returns.

    run = await drive(connections, total, one, label="ListAccessKeys", cpu=stack.cpu)

`one(connection, n)` performs the n-th unit of work (a request, or a pair of them) and returns
its latency in seconds, or None if it was counted as a failure. The progress bar is updated
every `PROGRESS_EVERY` units and redrawn twice a second, so drawing it costs the measuring
process next to nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

from services.bench.common import percentile
from services.bench.server import CpuShare, Failures, progress
from services.bench.wire import Answer, Connection

PROGRESS_EVERY = 256
Unit = Callable[[Connection, int], Awaitable[float | None]]
Check = Callable[[int, str, Answer], str | None]


@dataclass(frozen=True)
class Run:
    """What one phase measured."""

    per_second: float
    latencies: list[float]  # sorted, seconds
    cpu: dict[str, float]  # % of one core per process group
    transport_errors: int

    def ms(self, fraction: float) -> float:
        """A latency percentile in milliseconds."""
        return percentile(self.latencies, fraction) * 1000

    def cpu_figures(self, prefix: str) -> dict[str, float]:
        """`<prefix>_cpu_<group>_pct` per process group, and the server's CPU µs per unit
        (the figure that moves least when other users load the machine)."""
        return {**{f"{prefix}_cpu_{name}_pct": share for name, share in self.cpu.items()},
                f"{prefix}_server_cpu_us": self.cpu["server"] * 1e4 / max(self.per_second, 1e-9)}


async def open_connections(stack: AsyncExitStack, host: str, port: int,
                           count: int) -> list[Connection]:
    """`count` keep-alive connections, closed when `stack` closes."""
    connections = [await Connection.open(host, port) for _ in range(count)]
    for connection in connections:
        stack.callback(connection.close)
    return connections


async def drive(connections: list[Connection], total: int, one: Unit, *, label: str,
                cpu: Callable[[], CpuShare], failures: Failures) -> Run:
    """Run `total` units over `connections` (one in flight per connection)."""
    latencies: list[float] = []
    next_index = 0
    with progress() as bar:
        task = bar.add_task(f"{label} ({len(connections)} in flight)", total=total)

        async def worker(connection: Connection) -> None:
            nonlocal next_index
            while next_index < total:
                n = next_index
                next_index += 1
                try:
                    took = await one(connection, n)
                except ConnectionError as exc:
                    failures.dropped(exc)
                    return
                if took is not None:
                    latencies.append(took)
                if n % PROGRESS_EVERY == 0:
                    bar.update(task, completed=n)

        share = cpu()
        started = time.perf_counter()
        await asyncio.gather(*(worker(connection) for connection in connections))
        elapsed = time.perf_counter() - started
        shares = share.end()
        bar.update(task, completed=total)
    failures.raise_if_any(label)
    return Run(len(latencies) / elapsed, sorted(latencies), shares, failures.transport)


async def presigned(connections: list[Connection], signed: list[tuple[str, bytes]], *,
                    expect: bytes, label: str, cpu: Callable[[], CpuShare],
                    check: Check | None = None) -> Run:
    """Send requests signed beforehand (each with a tag, e.g. its user); each answer must be
    200 and contain `expect`, and `check(n, tag, answer)` names anything else wrong."""
    failures = Failures()

    async def one(connection: Connection, n: int) -> float | None:
        tag, request = signed[n]
        started = time.perf_counter()
        answer = await connection.request(request)
        took = time.perf_counter() - started
        wrong = (f"{answer.status} {answer.text}"
                 if answer.status != 200 or expect not in answer.body
                 else check(n, tag, answer) if check is not None else None)
        if wrong is not None:
            failures.add(wrong)
            return None
        return took

    return await drive(connections, len(signed), one, label=label, cpu=cpu, failures=failures)
