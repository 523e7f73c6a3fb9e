"""A real `iamlog serve` on a loopback port, its own topics and database; boto3 against it."""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import boto3
import pytest
from botocore.config import Config

from events.topics import ensure_topics
from services.projector.migrate import migrate
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _fresh_database(base: str) -> str:
    name = f"iamlog_e2e_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = f"{base.rsplit('/', 1)[0]}/{name}"
    await migrate(url)
    return url


@pytest.fixture(scope="session")
async def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:  # type: ignore[misc]
    """`iamlog serve` (all roles) on a free loopback port, ready to answer."""
    base = Settings()
    settings = Settings(topic_prefix=f"e{uuid.uuid4().hex[:10]}", partitions=4,
                        database_url=await _fresh_database(  # type: ignore[arg-type]
                            base.database_url.get_secret_value()))
    await ensure_topics(settings)
    port = _free_port()
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
    yield Server(url, settings, process, log_path)
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
