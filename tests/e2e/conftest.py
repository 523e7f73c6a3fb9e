"""A real `iamlog serve` on a loopback port, its own topics and database; boto3 against it."""

from __future__ import annotations

import contextlib
import json
import random
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.auth
import pytest
from botocore.config import Config

from events.topics import scratch_topics
from services.bench.common import free_port, scratch_database
from services.settings import Settings
from tests.integration.harness import ROOT, role_env


@dataclass(frozen=True)
class Server:
    """A running server and how to reach it."""

    url: str
    settings: Settings
    process: subprocess.Popen[bytes]
    log_path: Path

    def env(self) -> dict[str, str]:
        """The environment pointing a child process (the CLI) at this server's stack."""
        env = role_env(self.settings)
        env["IAMLOG_HTTP_PORT"] = self.url.rsplit(":", 1)[1]
        return env

    def log_text(self) -> str:
        """Everything the server wrote."""
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
async def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:  # type: ignore[misc]
    """`iamlog serve` (all roles) on a free loopback port, ready to answer."""
    async with scratch_database(Settings().database_url.get_secret_value(), "e2e") as url:
        settings = Settings(topic_prefix=f"e{uuid.uuid4().hex[:10]}", partitions=4,
                            database_url=url)  # type: ignore[arg-type]
        async with scratch_topics(settings):
            async for running in _serve(settings, tmp_path_factory):
                yield running


async def _serve(settings: Settings,
                 tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("server") / "serve.log"
    env = role_env(settings)
    env["IAMLOG_HTTP_PORT"] = str(port)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", "serve"], cwd=ROOT, env=env,
            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:  # noqa: S310
                if json.load(answer)["ready"]:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise AssertionError(f"server not ready:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    try:
        yield Server(url, settings, process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass(frozen=True)
class Account:
    """An account created through the CLI, with its root key."""

    account_id: str
    access_key_id: str
    secret_access_key: str


def create_account(server: Server) -> Account:
    """`iamlog accounts create` for a fresh random account id."""
    account_id = f"{random.randrange(10**11, 10**12)}"
    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "accounts", "create",
         "--account-id", account_id],
        cwd=ROOT, env=server.env(), capture_output=True, text=True, timeout=60, check=True)
    created = json.loads(done.stdout)
    return Account(account_id, created["AccessKeyId"], created["SecretAccessKey"])


@pytest.fixture
def account(server: Server) -> Account:
    """A fresh account of this test's own."""
    return create_account(server)


def client(server: Server, service: str, access_key_id: str, secret: str,
           token: str | None = None) -> Any:
    """A real boto3 client pointed at the server."""
    return boto3.client(
        service, endpoint_url=server.url, region_name="us-east-1",
        aws_access_key_id=access_key_id, aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(retries={"max_attempts": 2, "mode": "standard"}),
    )


@pytest.fixture
def iam(server: Server, account: Account) -> Any:
    """boto3 IAM client signed with the account's root key."""
    return client(server, "iam", account.access_key_id, account.secret_access_key)


@contextlib.contextmanager
def api_replica(server: Server) -> Iterator[Server]:
    """Another `iamlog serve --role api` beside `server`, on its own port, same stack."""
    port = free_port()
    env = server.env()
    env["IAMLOG_HTTP_PORT"] = str(port)
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "serve", "--role", "api"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:  # noqa: S310
                    if json.load(answer)["ready"]:
                        break
            except (OSError, ValueError):
                pass
            assert time.monotonic() < deadline, "second api not ready"
            time.sleep(0.2)
        yield Server(url, server.settings, process, server.log_path)
    finally:
        process.terminate()
        process.wait(20)


@pytest.fixture(scope="module")
async def clocked(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    """`iamlog serve` (all roles, the scheduler too) whose clock the test moves."""
    offset = tmp_path_factory.mktemp("clock") / "offset"
    offset.write_text("0")
    async with scratch_database(Settings().database_url.get_secret_value(), "e2e") as url:
        settings = Settings(topic_prefix=f"e{uuid.uuid4().hex[:10]}", partitions=4,
                            database_url=url,  # type: ignore[arg-type]
                            clock_offset_file=offset)
        async with scratch_topics(settings):
            async for running in _serve(settings, tmp_path_factory):
                yield running


@pytest.fixture
def moved_clock(clocked: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[
        Any]:
    """`move(seconds)`: the server's clock and botocore's signing clock, moved together."""
    assert clocked.settings.clock_offset_file is not None
    offset_file = clocked.settings.clock_offset_file

    def move(seconds: float) -> None:
        offset_file.write_text(str(seconds))
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: (
            datetime.now(UTC) + timedelta(seconds=seconds)).replace(tzinfo=None))

    yield move
    offset_file.write_text("0")


def iamlog(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `iamlog` CLI against the server's stack."""
    return subprocess.run([sys.executable, "-m", "services.cli.main", *args], cwd=ROOT,
                          env=server.env(), capture_output=True, text=True, timeout=60,
                          check=False)


