"""The roles as separate processes on loopback, each killable and restartable on its own."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx

from services.bench.common import free_port
from services.settings import Settings
from tests.integration.harness import RoleProcess

ROLES = ("processor", "projector", "scheduler", "api")


class Cluster:
    """`iamlog serve --role <r>` per role; every process has its own probe port."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self.processes: list[RoleProcess] = []
        self.ports: dict[int, int] = {}  # id(process) → HTTP port
        self.api_port = free_port()
        self.url = f"http://127.0.0.1:{self.api_port}"

    def start(self, role: str) -> RoleProcess:
        """Spawn one role (the api on the cluster's url, the others on a free probe port)."""
        port = self.api_port if role == "api" else free_port()
        log = self.log_dir / f"{role}-{len(self.processes)}.log"
        env = {"IAMLOG_HTTP_PORT": str(port), "IAMLOG_WORKLOAD_SESSION_SECONDS":
               str(self.settings.workload_session_seconds)}
        process = RoleProcess(self.settings, [role], log, env=env).start()
        self.processes.append(process)
        self.ports[id(process)] = port
        return process

    def running(self, role: str) -> list[RoleProcess]:
        """Live processes of `role`, oldest first."""
        return [p for p in self.processes
                if p.roles == [role] and p.process is not None and p.process.poll() is None]

    async def ready(self, process: RoleProcess, timeout: float = 90.0,
                    checks: tuple[str, ...] = ()) -> None:
        """Wait until `process` answers `/readyz` (or only the named checks hold)."""
        url = f"http://127.0.0.1:{self.ports[id(process)]}/readyz"
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=3) as client:
            while True:
                assert process.process is not None
                assert process.process.poll() is None, process.log_text()[-3000:]
                try:
                    answer = (await client.get(url)).json()
                    results = answer.get("checks", {})
                    if answer.get("ready") or (checks and all(results.get(c) for c in checks)):
                        return
                except (httpx.HTTPError, ValueError):
                    pass
                assert time.monotonic() < deadline, f"not ready: {process.log_text()[-3000:]}"
                await asyncio.sleep(0.2)

    async def start_all(self) -> None:
        """Processor, projector, scheduler and api, each ready."""
        for role in ROLES:
            await self.ready(self.start(role))

    async def crash_and_restart(self, role: str) -> RoleProcess:
        """SIGKILL the oldest live process of `role`, start a new one, wait until ready."""
        victim = self.running(role)[0]
        await asyncio.to_thread(victim.kill)
        replacement = self.start(role)
        await self.ready(replacement)
        return replacement

    def crashed(self) -> list[str]:
        """Roles whose process ended without being killed on purpose (with their last lines)."""
        return [f"{p.roles}: {p.log_text()[-2000:]}" for p in self.processes
                if p.process is not None and p.process.poll() not in (None, -signal.SIGKILL)]

    async def stop_role(self, role: str) -> None:
        """SIGTERM every live process of `role` (call `crashed` before: they exit 0)."""
        for process in self.running(role):
            await asyncio.to_thread(process.stop)

    def stop(self) -> None:
        """SIGTERM every process still running."""
        for process in self.processes:
            process.stop()

    def logs(self) -> str:
        """Everything every process wrote."""
        return "\n".join(process.log_text() for process in self.processes)
