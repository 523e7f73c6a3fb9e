"""`iamlog bench sts`: AssumeRole end to end, and authentication with session credentials.

The command starts its own stack (`services.bench.server`, as `iamlog bench api` does) and, with
the account's root key, creates a user allowed `sts:AssumeRole` (inline policy) with an access
key, and a role whose trust policy names that user. Then:

1. `AssumeRole` end to end (api → commands topic → processor → `iamlog.role.assumed` event and
   reply → the api's identity index), `--clients` in flight on keep-alive connections, each
   request signed inside the timed section with `wire.FormSigner` (botocore's signature byte
   for byte; `tests/unit/bench/test_wire.py`). Every response must be 200 with a session token;
   every 64th is parsed with botocore's STS model.
2. `GetCallerIdentity` signed with the session credentials that phase 1 returned (one session
   per connection, so the server opens as many different tokens): the authentication path
   alone — SigV4, token decryption and expiry, revocation set, secret derivation — no command,
   no database. Requests are signed by botocore before the timed section, as in `bench api`.
   Every response must name the assumed-role ARN.

Both phases have a warm-up. Figures: calls per second, p50/p99 latency in the client, and the
CPU share of each process group, as in `bench api`.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from services.bench.api import IAM_VERSION, call, until_authenticated
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
from services.bench.wire import CONTENT_TYPE, Connection, FormSigner, form, post

STS_VERSION = "2011-06-15"
REGION = "us-east-1"
CHECK_EVERY = 64
TARGETS = {"assume_role_per_second": (500.0, "≥ 500"),
           "caller_identity_per_second": (3_000.0, "≥ 3,000")}
_CREDENTIALS = re.compile(
    rb"<AccessKeyId>(ASIA[A-Z0-9]+)</AccessKeyId>\s*<SecretAccessKey>([^<]+)</SecretAccessKey>"
    rb"\s*<SessionToken>([^<]+)</SessionToken>")
Session = tuple[str, str, str]  # key id, secret, token


async def _setup(connection: Connection, stack: Stack, checker: Checker) -> tuple[FormSigner, str]:
    """A user allowed to assume a role, its key, and the role; the user's STS signer."""
    root = FormSigner(stack.host, *stack.root, service="iam")
    user = (await call(connection, root, checker, "CreateUser", UserName="bench-caller"))["User"]
    await call(connection, root, checker, "PutUserPolicy", UserName="bench-caller",
               PolicyName="assume", PolicyDocument=json.dumps({
                   "Version": "2012-10-17", "Statement": [{
                       "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    key = (await call(connection, root, checker, "CreateAccessKey",
                      UserName="bench-caller"))["AccessKey"]
    role = (await call(connection, root, checker, "CreateRole", RoleName="bench-role",
                       AssumeRolePolicyDocument=json.dumps({
                           "Version": "2012-10-17", "Statement": [{
                               "Effect": "Allow", "Principal": {"AWS": user["Arn"]},
                               "Action": "sts:AssumeRole"}]})))["Role"]
    signer = FormSigner(stack.host, key["AccessKeyId"], key["SecretAccessKey"], service="sts",
                        region=REGION)
    return signer, role["Arn"]


async def _assume_phase(stack: Stack, connections: list[Connection], signer: FormSigner,
                        checker: Checker, role_arn: str, *, total: int,
                        label: str) -> tuple[Run, dict[Connection, Session]]:
    failures = Failures()
    sessions: dict[Connection, Session] = {}

    async def one(connection: Connection, n: int) -> float | None:
        body = form("AssumeRole", STS_VERSION, RoleArn=role_arn, RoleSessionName=f"bench-{n}")
        started = time.perf_counter()
        answer = await connection.request(signer.request(body))
        took = time.perf_counter() - started
        found = _CREDENTIALS.search(answer.body)
        if answer.status != 200 or found is None:
            failures.add(f"{answer.status} {answer.text}")
            return None
        if n % CHECK_EVERY == 0:
            parsed = checker.parse("AssumeRole", answer)
            if not parsed["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/bench-role/bench-{n}"):
                failures.add(f"assumed {parsed['AssumedRoleUser']}")
        key_id, secret, token = (part.decode() for part in found.groups())
        sessions[connection] = (key_id, secret, token)
        return took

    run = await drive(connections, total, one, label=label, cpu=stack.cpu, failures=failures)
    return run, sessions


def _presign(host: str, sessions: list[Session], total: int) -> list[tuple[str, bytes]]:
    """`total` GetCallerIdentity requests signed by botocore, request n with session n % len."""
    body = form("GetCallerIdentity", STS_VERSION)
    auths = [(key_id, SigV4Auth(Credentials(key_id, secret, token), "sts", REGION))
             for key_id, secret, token in sessions]
    signed = []
    for n in range(total):
        key_id, auth = auths[n % len(auths)]
        request = AWSRequest(method="POST", url=f"http://{host}/", data=body,
                             headers={"Content-Type": CONTENT_TYPE})
        auth.add_auth(request)
        signed.append((key_id, post(host, body, request.headers.items())))
    return signed


async def _identity_phase(stack: Stack, connections: list[Connection],
                          signed: list[tuple[str, bytes]], *, label: str) -> Run:
    return await presigned(connections, signed, expect=b":assumed-role/bench-role/",
                           label=label, cpu=stack.cpu)


async def _measure(stack: Stack, *, assumes: int, identities: int,
                   clients: int) -> dict[str, float]:
    checker = Checker("sts")
    figures: dict[str, float] = {}
    async with contextlib.AsyncExitStack() as exits:
        connections = await open_connections(exits, "127.0.0.1", stack.port, clients)
        root = FormSigner(stack.host, *stack.root, service="iam")
        await until_authenticated(connections[:1], root.request(form("GetUser", IAM_VERSION)))
        signer, role_arn = await _setup(connections[0], stack, Checker("iam"))
        # The new key must be known to every replica a connection lands on.
        await until_authenticated(connections, signer.request(form("GetCallerIdentity",
                                                                   STS_VERSION)))
        await _assume_phase(stack, connections, signer, checker, role_arn,
                            total=max(assumes // 10, clients), label="AssumeRole warm-up")
        assumed, sessions = await _assume_phase(stack, connections, signer, checker, role_arn,
                                                total=assumes, label="AssumeRole")
        figures.update({
            "assume_role_per_second": assumed.per_second,
            "assume_role_p50_ms": assumed.ms(0.50),
            "assume_role_p99_ms": assumed.ms(0.99),
            "assume_role_transport_errors": assumed.transport_errors,
            **assumed.cpu_figures("assume_role"),
        })

    warm_count = max(identities // 10, clients)
    started = time.perf_counter()
    signed = _presign(stack.host, list(sessions.values()), warm_count + identities)
    sign_us = (time.perf_counter() - started) / len(signed) * 1e6
    # New connections: the presigning above may outlast uvicorn's keep-alive timeout.
    async with contextlib.AsyncExitStack() as exits:
        connections = await open_connections(exits, "127.0.0.1", stack.port, clients)
        await _identity_phase(stack, connections, signed[:warm_count],
                              label="GetCallerIdentity warm-up")
        identity = await _identity_phase(stack, connections, signed[warm_count:],
                                         label="GetCallerIdentity (session credentials)")
    figures.update({
        "caller_identity_per_second": identity.per_second,
        "caller_identity_p50_ms": identity.ms(0.50),
        "caller_identity_p99_ms": identity.ms(0.99),
        "caller_identity_transport_errors": identity.transport_errors,
        "sessions_used": len(sessions),
        "botocore_sign_us": sign_us,
        **identity.cpu_figures("caller_identity"),
    })
    return figures


async def run(assumes: int, identities: int, clients: int,
              api_workers: int = 0) -> dict[str, float]:
    """Start a stack of its own, measure, stop everything; returns the figures."""
    async with bench_stack("benchsts", api_workers=api_workers) as stack:
        return await _measure(stack, assumes=assumes, identities=identities, clients=clients)


def main(assumes: int, identities: int, clients: int, api_workers: int = 0) -> dict[str, Any]:
    """Run, print a table, append the figures to bench-results/sts.jsonl."""
    load_before = load_average()
    figures = run_measured(run(assumes, identities, clients, api_workers))
    return report("sts", {"assumes": assumes, "identities": identities, "clients": clients,
                          "api_workers": api_workers}, figures, TARGETS, load_before)
