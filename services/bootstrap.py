"""The composition root: builds every adapter from settings and runs the chosen roles."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Coroutine, Iterator
from typing import TYPE_CHECKING, Any

import asyncpg
import structlog
import uvicorn
from aiokafka.admin import AIOKafkaAdminClient

from events.topics import ensure_topics
from services.api.app import AsgiApp, WithQueryApi, create_app
from services.api.health import Check
from services.command_client import CommandClient
from services.credentials.master_keys import MasterKeys, load_master_keys
from services.heap import settle_heap
from services.kafka_options import kafka_options
from services.processor.worker import Processor
from services.projector.projector import Projector
from services.runtime import Clock, SystemRandom, clock_for
from services.scheduler.scheduler import run_scheduler
from services.settings import Settings

if TYPE_CHECKING:
    from services.api.runtime import ApiRuntime

ROLES = ("api", "processor", "projector", "scheduler")
_GRACE_SECONDS = 20  # below Kubernetes' default 30 s termination grace period
log = structlog.get_logger("iamlog.serve")


def master_keys(settings: Settings) -> MasterKeys:
    """The configured master keys (or the dev stack's)."""
    return load_master_keys(settings.master_keys.get_secret_value(), settings.master_key_file)


async def kafka_reachable(settings: Settings) -> bool:
    """True when the broker answers a metadata request."""
    admin = AIOKafkaAdminClient(**kafka_options(settings),
                                request_timeout_ms=2000)
    try:
        async with asyncio.timeout(3):
            await admin.start()
            await admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


async def postgres_reachable(settings: Settings) -> bool:
    """True when Postgres accepts a connection and a query."""
    try:
        async with asyncio.timeout(3):
            conn = await asyncpg.connect(settings.database_url.get_secret_value())
            try:
                return bool(await conn.fetchval("SELECT 1") == 1)
            finally:
                await conn.close()
    except Exception:
        return False


def _reuse_port_socket(settings: Settings) -> socket.socket:
    """The HTTP socket bound with SO_REUSEPORT: api processes on one host share the port."""
    family = socket.AF_INET6 if ":" in settings.http_host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((settings.http_host, settings.http_port))
    return sock


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the composition root owns shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _start_api(settings: Settings, keys: MasterKeys, clock: Clock,
                     checks: dict[str, Check]) -> tuple[AsgiApp, ApiRuntime]:
    """The api role: command client, identity index (loaded), Query API and JSON endpoints."""
    # Imported here: only the api role needs the Query API, SigV4 and the identity index.
    from services.api.identity_index import IdentityIndex  # noqa: PLC0415
    from services.api.query_endpoint import QueryApi  # noqa: PLC0415
    from services.api.runtime import ApiRuntime  # noqa: PLC0415
    from services.api.service_endpoints import service_router  # noqa: PLC0415

    client = CommandClient(settings)
    await client.start()
    index = IdentityIndex(settings)
    await index.start()
    runtime = ApiRuntime(settings=settings, commands=client, index=index, master_keys=keys,
                         clock=clock)

    async def index_loaded() -> bool:
        return index.caught_up.is_set()

    checks["identity_index"] = index_loaded
    query = QueryApi(runtime)
    app = create_app(checks, service_router(runtime, query.resolver))
    return WithQueryApi(app, query), runtime


async def serve(settings: Settings, roles: set[str]) -> None:
    """Run `roles` in this process until SIGINT/SIGTERM."""
    await ensure_topics(settings, **kafka_options(settings))
    keys = master_keys(settings)
    clock = clock_for(settings.clock_offset_file)
    tasks: list[Coroutine[Any, Any, None]] = []
    checks: dict[str, Check] = {
        "kafka": lambda: kafka_reachable(settings),
        "postgres": lambda: postgres_reachable(settings),
    }
    if "processor" in roles:
        processor = Processor(settings, master_key_version=keys.current_version,
                              clock=clock, ids=SystemRandom())
        tasks.append(processor.run())

        async def partitions_assigned() -> bool:
            return processor.ready.is_set()

        checks["partitions"] = partitions_assigned
    if "projector" in roles:
        tasks.append(Projector(settings).run())
    if "scheduler" in roles:
        tasks.append(run_scheduler(settings, clock, keys.current_version))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runtime: ApiRuntime | None = None
    app: AsgiApp
    if "api" in roles:
        app, runtime = await _start_api(settings, keys, clock, checks)
    else:
        # Other roles serve only /healthz, /readyz and /metrics (Kubernetes probes, scrapes).
        app = create_app(checks)
    config = uvicorn.Config(app, host=settings.http_host, port=settings.http_port,
                            log_config=None, access_log=False, lifespan="off")
    server = _Server(config)
    sockets = [_reuse_port_socket(settings)] if settings.http_reuse_port else None
    draining = asyncio.Event()

    async def not_draining() -> bool:
        return not draining.is_set()

    checks["accepting"] = not_draining
    settle_heap()
    log.info("serving", roles=sorted(roles), http=f"{settings.http_host}:{settings.http_port}")
    try:
        async with asyncio.TaskGroup() as group:
            http = group.create_task(server.serve(sockets))
            running = [group.create_task(task) for task in tasks]
            await stop.wait()
            # Readiness goes false first; requests in flight finish; then each role stops:
            # the processor lets its open transactions commit and leaves its group.
            log.info("shutting down")
            draining.set()
            server.should_exit = True
            await asyncio.wait({http}, timeout=_GRACE_SECONDS)
            for task in running:
                task.cancel()
    except* asyncio.CancelledError:
        pass
    finally:
        if runtime is not None:
            await runtime.index.stop()
            await runtime.close()
            await runtime.commands.stop()
