"""A single-node Kafka broker in KRaft mode, run from jars cached outside the repository."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import shutil
import string
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from services.devstack import DevStackError
from services.devstack.processes import (
    exists,
    is_alive,
    port_open,
    read_pid,
    run,
    spawn_detached,
    terminate,
)
from services.devstack.status import ComponentStatus, State
from services.settings import Settings

KAFKA_VERSION = "4.1.1"
JVM_OPTIONS = ("-Xms256m", "-Xmx768m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20")
MAIN_CLASS = "kafka.Kafka"
START_TIMEOUT_SECONDS = 120.0
STOP_GRACE_SECONDS = 30.0

Say = Callable[[str], None]


@dataclass(frozen=True)
class KafkaNode:
    """Where the dev broker listens and keeps its files."""

    host: str
    broker_port: int
    controller_port: int
    state_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> KafkaNode:
        """The broker that `kafka_bootstrap_servers` names; the controller takes the next port."""
        host, port = _first_address(settings.kafka_bootstrap_servers)
        return cls(
            host=host, broker_port=port, controller_port=port + 1, state_dir=settings.state_dir
        )

    @property
    def home(self) -> Path:
        """The broker's own directory: config, data, logs and pid file."""
        return self.state_dir / "kafka"

    @property
    def data_dir(self) -> Path:
        """The KRaft log directory."""
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        """The broker's log4j log."""
        return self.home / "broker.log"

    @property
    def libs_dir(self) -> Path:
        """The cached class path, shared by every checkout."""
        return self.state_dir / f"kafka-{KAFKA_VERSION}" / "libs"

    @property
    def address(self) -> str:
        """`host:port` of the client listener."""
        return f"{self.host}:{self.broker_port}"

    @property
    def _pid_file(self) -> Path:
        return self.home / "kafka.pid"

    @property
    def _console_file(self) -> Path:
        return self.home / "console.log"

    @property
    def _config_file(self) -> Path:
        return self.home / "server.properties"

    def status(self) -> ComponentStatus:
        """Whether our broker runs (a pid file whose process is still our broker)."""
        pid = self._running_pid()
        if pid is not None:
            state = State.RUNNING
        elif port_open(self.host, self.broker_port):
            state = State.EXTERNAL
        else:
            state = State.STOPPED
        return ComponentStatus(
            name="kafka",
            state=state,
            address=f"{self.address} (controller {self.host}:{self.controller_port})",
            data_dir=self.data_dir,
            log_file=self.log_file,
            pid=pid,
        )

    def up(self, say: Say) -> ComponentStatus:
        """Start the broker unless it runs; return once it answers metadata requests."""
        current = self.status()
        if current.state is State.RUNNING:
            _wait_until_answers(self.address, deadline=time.monotonic() + 30, alive=lambda: True)
            return current
        if current.state is State.EXTERNAL:
            say(f"kafka: {self.address} is taken by a process iamlog did not start; using it as is")
            _wait_until_answers(self.address, deadline=time.monotonic() + 30, alive=lambda: True)
            return current
        ensure_jars(self.libs_dir, say)
        self._write_config()
        self._format_storage(say)
        return self._start(say)

    def down(self) -> bool:
        """Stop our broker; return whether one was running."""
        pid = self._running_pid()
        self._pid_file.unlink(missing_ok=True)
        if pid is None:
            return False
        terminate(pid, grace_seconds=STOP_GRACE_SECONDS)
        return True

    def _running_pid(self) -> int | None:
        pid = read_pid(self._pid_file)
        if pid is None or not is_alive(pid, f"{MAIN_CLASS} {self._config_file}"):
            return None
        return pid

    def _write_config(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        template = string.Template(_package_text("server.properties"))
        self._config_file.write_text(
            template.substitute(
                host=self.host,
                broker_port=self.broker_port,
                controller_port=self.controller_port,
                data_dir=self.data_dir,
            )
        )
        (self.home / "log4j2.properties").write_text(_package_text("log4j2.properties"))

    def _java(self, main_class: str, *args: str) -> list[str]:
        return [
            "java",
            *JVM_OPTIONS,
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={self.home}",
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp",
            f"{self.libs_dir}/*",
            main_class,
            *args,
        ]

    def _format_storage(self, say: Say) -> None:
        if (self.data_dir / "meta.properties").exists():
            return
        say(f"kafka: formatting KRaft storage in {self.data_dir}")
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        run(
            self._java(
                "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(self._config_file)
            ),
            what="formatting Kafka storage",
            cwd=self.home,
        )

    def _start(self, say: Say) -> ComponentStatus:
        if port_open(self.host, self.controller_port):
            raise DevStackError(
                f"kafka: controller port {self.host}:{self.controller_port} is taken by another"
                " process"
            )
        say(f"kafka: starting broker on {self.address} (log {self.log_file})")
        pid = spawn_detached(
            self._java(MAIN_CLASS, str(self._config_file)), output=self._console_file, cwd=self.home
        )
        self._pid_file.write_text(f"{pid}\n")
        try:
            _wait_until_answers(
                self.address,
                deadline=time.monotonic() + START_TIMEOUT_SECONDS,
                # Not _running_pid(): the java launcher re-executes itself, and meanwhile its
                # command line reads empty.
                alive=lambda: exists(pid),
            )
        except DevStackError as exc:
            raise DevStackError(f"{exc}\n{self._log_tail()}") from exc
        return self.status()

    def _log_tail(self) -> str:
        lines: list[str] = []
        for path in (self._console_file, self.log_file):
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-15:]
                lines += [f"--- last lines of {path}", *tail]
        return "\n".join(lines)


def ensure_jars(libs_dir: Path, say: Say) -> None:
    """Fetch Kafka and its runtime dependencies from Maven Central, once per pom version."""
    pom = _package_text("pom.xml")
    digest = hashlib.sha256(pom.encode()).hexdigest()
    stamp = libs_dir / ".pom-sha256"
    if stamp.exists() and stamp.read_text().strip() == digest:
        return
    if shutil.which("mvn") is None:
        raise DevStackError("kafka: Maven (`mvn`) is needed once to fetch the Kafka jars")
    say(f"kafka: fetching Kafka {KAFKA_VERSION} jars from Maven Central into {libs_dir}")
    # Fetch into a staging directory so an interrupted download never looks complete.
    staging = libs_dir.with_name("libs.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    pom_file = libs_dir.parent / "pom.xml"
    pom_file.write_text(pom)
    run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(pom_file),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={staging}",
        ],
        what="fetching the Kafka jars with Maven",
        cwd=libs_dir.parent,
    )
    (staging / ".pom-sha256").write_text(f"{digest}\n")
    shutil.rmtree(libs_dir, ignore_errors=True)
    staging.rename(libs_dir)


def broker_answers(bootstrap: str, *, timeout: float = 5.0) -> bool:
    """Whether a broker at `bootstrap` answers a metadata (DescribeCluster) request."""
    return asyncio.run(_describe_cluster(bootstrap, timeout))


async def _describe_cluster(bootstrap: str, budget_seconds: float) -> bool:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=int(budget_seconds * 1000)
    )
    try:
        async with asyncio.timeout(budget_seconds):
            await admin.start()
            cluster = await admin.describe_cluster()
    except (KafkaError, OSError, TimeoutError):
        return False
    finally:
        await admin.close()
    return bool(cluster.get("brokers"))


def _wait_until_answers(address: str, *, deadline: float, alive: Callable[[], bool]) -> None:
    host, port = _first_address(address)
    while time.monotonic() < deadline:
        if not alive():
            raise DevStackError("kafka: the broker exited during start-up")
        if port_open(host, port) and broker_answers(address):
            return
        time.sleep(0.5)
    raise DevStackError(f"kafka: no broker answered on {address} in time")


def _first_address(bootstrap: str) -> tuple[str, int]:
    first = bootstrap.split(",", maxsplit=1)[0].strip()
    host, _, port = first.rpartition(":")
    if not host or not port.isdigit():
        raise DevStackError(f"kafka: cannot read host:port from {bootstrap!r}")
    return host, int(port)


def _package_text(name: str) -> str:
    return resources.files("services.devstack").joinpath(name).read_text()
