"""`iamlog bench api`: the IAM Query API end to end, through uvicorn, as boto3 would call it.

The command starts its own stack (`services.bench.server`: `iamlog serve` with every role, or
with `--api-workers N` the processor and projector plus N api replicas sharing the port), with
its own topic prefix and a scratch database, creates an account with `iamlog accounts create`
and, with the account's root key, 32 users with one key each. Then:

1. reads: authenticated `ListAccessKeys`, `--clients` requests in flight, one keep-alive
   connection each. Every request is signed by botocore (`SigV4Auth` over an `AWSRequest`)
   before the timed section; its bytes are then sent as they are (`services.bench.wire`);
2. writes: `CreateAccessKey` + `DeleteAccessKey` pairs end to end (api → commands topic →
   processor → events → reply), one user per client, each user between 1 and 2 keys. The
   delete needs the id that the create returned, so these are signed inside the timed section
   with `wire.FormSigner` (botocore's signature, byte for byte, at a tenth of its CPU).

The server verifies every signature in full. Each phase has a warm-up. Every response must be
200 and contain its result element; every 64th is parsed with botocore's Query parser.
Latencies are measured in the client (they include the client's own event loop). CPU shares of
the client, the server(s), Kafka and Postgres during each timed phase come from /proc, to show
where the time goes on a machine that runs all four.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from services.bench.common import percentile
from services.bench.load import Run, drive, open_connections, presigned
from services.bench.server import (
    Checker,
    Failures,
    Stack,
    bench_stack,
    load_average,
    report,
    run_measured,
)
from services.bench.wire import CONTENT_TYPE, Answer, Connection, FormSigner, form, post

REGION = "us-east-1"
IAM_VERSION = "2010-05-08"
CHECK_EVERY = 64
TARGETS = {"list_per_second": (2_000.0, "≥ 2,000"), "pairs_per_second": (300.0, "≥ 300")}
_KEY_ID = re.compile(rb"<AccessKeyId>([A-Z0-9]+)</AccessKeyId>")


class BotocoreSigner:
    """botocore's SigV4 signer for IAM Query POSTs to one endpoint."""

    def __init__(self, host: str, access_key_id: str, secret: str) -> None:
        self.host = host
        self._auth = SigV4Auth(Credentials(access_key_id, secret), "iam", REGION)

    def request(self, body: bytes) -> bytes:
        """The whole request, signed by botocore."""
        request = AWSRequest(method="POST", url=f"http://{self.host}/", data=body,
                             headers={"Content-Type": CONTENT_TYPE})
        self._auth.add_auth(request)
        return post(self.host, body, request.headers.items())


async def call(connection: Connection, signer: FormSigner, checker: Checker, action: str,
               **params: str) -> dict[str, Any]:
    """One IAM call that must succeed; its output as boto3 would parse it."""
    answer = await connection.request(signer.request(form(action, IAM_VERSION, **params)))
    if answer.status != 200:
        raise RuntimeError(f"{action}: {answer.status} {answer.text[:500]}")
    return checker.parse(action, answer)


async def until_authenticated(connections: list[Connection], request: bytes) -> None:
    """A key reaches each api replica's identity index through the stream: wait for it on
    every connection (with several replicas, connections land on different ones)."""
    deadline = time.monotonic() + 30
    for connection in connections:
        while (answer := await connection.request(request)).status != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"key not accepted: {answer.text[:500]}")
            await asyncio.sleep(0.1)


async def _setup_users(connection: Connection, signer: FormSigner, checker: Checker,
                       users: list[str]) -> None:
    for user in users:
        await call(connection, signer, checker, "CreateUser", UserName=user)
        await call(connection, signer, checker, "CreateAccessKey", UserName=user)


def _presign(signer: BotocoreSigner, users: list[str],
             total: int) -> tuple[list[tuple[str, bytes]], float]:
    """`total` signed ListAccessKeys requests with their users; botocore's µs per signature."""
    started = time.perf_counter()
    signed = [(user, signer.request(form("ListAccessKeys", IAM_VERSION, UserName=user)))
              for user in (users[n % len(users)] for n in range(total))]
    return signed, (time.perf_counter() - started) / max(total, 1) * 1e6


async def _list_phase(stack: Stack, connections: list[Connection], checker: Checker,
                      signed: list[tuple[str, bytes]], *, label: str) -> Run:
    def check(n: int, user: str, answer: Answer) -> str | None:
        if n % CHECK_EVERY:
            return None
        parsed = checker.parse("ListAccessKeys", answer)
        names = {key["UserName"] for key in parsed["AccessKeyMetadata"]}
        return None if names == {user} else f"keys of {names}, asked for {user}"

    return await presigned(connections, signed, expect=b"</ListAccessKeysResult>", label=label,
                           cpu=stack.cpu, check=check)


async def _pair_phase(stack: Stack, connections: list[Connection], signer: FormSigner,
                      checker: Checker, users: list[str], *, total: int,
                      label: str) -> tuple[Run, list[float], list[float]]:
    owner = dict(zip(connections, users, strict=True))
    creates: list[float] = []
    deletes: list[float] = []
    failures = Failures()

    async def timed(connection: Connection, action: str, **params: str) -> tuple[Answer, float]:
        started = time.perf_counter()
        answer = await connection.request(signer.request(form(action, IAM_VERSION, **params)))
        return answer, time.perf_counter() - started

    async def pair(connection: Connection, n: int) -> float | None:
        user = owner[connection]
        started = time.perf_counter()
        created, took = await timed(connection, "CreateAccessKey", UserName=user)
        creates.append(took)
        found = _KEY_ID.search(created.body)
        if created.status != 200 or found is None:
            failures.add(f"create: {created.status} {created.text}")
            return None
        key_id = found.group(1).decode()
        if n % CHECK_EVERY == 0:
            parsed = checker.parse("CreateAccessKey", created)["AccessKey"]
            if (parsed["AccessKeyId"], parsed["UserName"]) != (key_id, user) \
                    or not parsed["SecretAccessKey"]:
                failures.add(f"create parsed as {parsed}")
        deleted, took = await timed(connection, "DeleteAccessKey", UserName=user,
                                    AccessKeyId=key_id)
        deletes.append(took)
        if deleted.status != 200 or b"<DeleteAccessKeyResponse" not in deleted.body:
            failures.add(f"delete: {deleted.status} {deleted.text}")
            return None
        return time.perf_counter() - started

    run = await drive(connections, total, pair, label=label, cpu=stack.cpu, failures=failures)
    return run, sorted(creates), sorted(deletes)


async def _measure(stack: Stack, *, requests: int, pairs: int,
                   clients: int) -> dict[str, float]:
    signer = FormSigner(stack.host, *stack.root, service="iam")
    checker = Checker()
    users = [f"bench-u{n:03d}" for n in range(clients)]
    figures: dict[str, float] = {}
    # Signed before the connections open: no idle gap for keep-alive connections to time out in.
    warm_count = max(requests // 10, clients)
    signed, sign_us = _presign(BotocoreSigner(stack.host, *stack.root), users,
                               warm_count + requests)
    async with contextlib.AsyncExitStack() as exits:
        connections = await open_connections(exits, "127.0.0.1", stack.port, clients)
        await until_authenticated(connections[:1], signer.request(form("GetUser", IAM_VERSION)))
        await _setup_users(connections[0], signer, checker, users)
        # Every connection answers before the reads (with --api-workers: every replica).
        await until_authenticated(connections, signer.request(form("GetUser", IAM_VERSION)))
        await _list_phase(stack, connections, checker, signed[:warm_count],
                          label="ListAccessKeys warm-up")
        reads = await _list_phase(stack, connections, checker, signed[warm_count:],
                                  label="ListAccessKeys")
        figures.update({
            "list_per_second": reads.per_second,
            "list_p50_ms": reads.ms(0.50),
            "list_p99_ms": reads.ms(0.99),
            "list_transport_errors": reads.transport_errors,
            "botocore_sign_us": sign_us,
            **reads.cpu_figures("list"),
        })

        await _pair_phase(stack, connections, signer, checker, users,
                          total=max(pairs // 10, clients), label="Create+DeleteAccessKey warm-up")
        writes, creates, deletes = await _pair_phase(
            stack, connections, signer, checker, users, total=pairs,
            label="Create+DeleteAccessKey")
        figures.update({
            "pairs_per_second": writes.per_second,
            "pair_p50_ms": writes.ms(0.50),
            "pair_p99_ms": writes.ms(0.99),
            "create_p99_ms": percentile(creates, 0.99) * 1000,
            "delete_p99_ms": percentile(deletes, 0.99) * 1000,
            "pairs_transport_errors": writes.transport_errors,
            **writes.cpu_figures("pairs"),
        })
    return figures


async def run(requests: int, pairs: int, clients: int, api_workers: int = 0) -> dict[str, float]:
    """Start a stack of its own, measure, stop everything; returns the figures."""
    async with bench_stack("benchapi", api_workers=api_workers) as stack:
        return await _measure(stack, requests=requests, pairs=pairs, clients=clients)


def main(requests: int, pairs: int, clients: int, api_workers: int = 0) -> dict[str, Any]:
    """Run, print a table, append the figures to bench-results/api.jsonl."""
    load_before = load_average()
    figures = run_measured(run(requests, pairs, clients, api_workers))
    return report("api", {"requests": requests, "pairs": pairs, "clients": clients,
                          "api_workers": api_workers}, figures, TARGETS, load_before)
