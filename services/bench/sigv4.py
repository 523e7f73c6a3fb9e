"""`iamlog bench sigv4`: SigV4 verifications per second in process, against botocore signing.

The workload is what iamlog's api sees: IAM Query POSTs (form bodies, content type), STS calls
signed with session credentials in several regions, and presigned STS URLs, under 100
different access keys. botocore signs every request (`SigV4Auth` / `SigV4QueryAuth`; only
`add_auth` is timed), then `services.api.sigv4.verify` checks each one as the server would
receive it (only `verify` is timed), with a dictionary lookup as the credential resolver.
Both run after a short warm-up; the signing-key cache starts empty.
"""

from __future__ import annotations

import json
import platform
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from services.api.sigv4 import (
    Credential,
    Resolver,
    SignedRequest,
    SigningKeyCache,
    SigV4Error,
    verify,
)

RESULTS = Path(__file__).resolve().parents[2] / "bench-results" / "sigv4.jsonl"
HOST = "iamlog.internal:8080"
KEYS = 100
WARM_UP = 1_000
PROGRESS_EVERY = 500
_SEED = 20_260_104
_IAM_ACTIONS = ["ListAccessKeys", "GetUser", "ListUsers", "CreateAccessKey", "ListGroups",
                "GetPolicy", "ListAttachedUserPolicies", "TagUser"]
_STS_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]


@dataclass(frozen=True)
class Figures:
    """Per-call latencies of one series, in microseconds, and its rate."""

    per_second: float
    p50: float
    p99: float
    mean: float
    count: int


@dataclass(frozen=True)
class _Spec:
    method: str
    url: str
    body: bytes
    headers: tuple[tuple[str, str], ...]
    service: str
    region: str
    credentials: Credentials
    presign_expires: int | None


def main(requests: int) -> None:
    """Run the benchmark, print the figures and append them to bench-results/sigv4.jsonl."""
    requests = max(requests, 1)
    console = Console()
    rng = random.Random(_SEED)
    keys = [Credentials(f"AKIA{n:016d}", f"secret-{n:04d}-{rng.getrandbits(128):032x}",
                        None if n % 4 else f"session-token-{n}-" + "x" * 300)
            for n in range(KEYS)]
    secrets = {key.access_key: key.secret_key for key in keys}
    specs = [_spec(rng, keys[rng.randrange(KEYS)], n) for n in range(requests)]
    warm_up = [_spec(rng, keys[n % KEYS], n) for n in range(min(WARM_UP, requests))]

    def resolve(access_key_id: str, session_token: str | None) -> Credential:
        secret = secrets.get(access_key_id)
        if secret is None:
            raise SigV4Error.invalid_client_token_id()
        return Credential(access_key_id, secret, session_token)

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  refresh_per_second=2) as progress:
        _sign_all(None, warm_up)
        sign_times, signed = _sign_all(progress, specs)
        cache = SigningKeyCache()
        now = datetime.now(UTC)
        _verify_all(None, _sign_all(None, warm_up)[1], resolve, now, cache)
        cache.clear()
        verify_times = _verify_all(progress, signed, resolve, now, cache)

    sign, check = _figures(sign_times), _figures(verify_times)
    ratio = check.per_second / sign.per_second
    table = Table(title=f"SigV4, {requests:,} requests ({KEYS} keys; IAM, STS, presigned)")
    for column in ("series", "per second", "p50 µs", "p99 µs", "mean µs"):
        table.add_column(column, justify="left" if column == "series" else "right")
    for name, figures in (("botocore sign (add_auth)", sign), ("iamlog verify", check)):
        table.add_row(name, f"{figures.per_second:,.0f}", f"{figures.p50:.1f}",
                      f"{figures.p99:.1f}", f"{figures.mean:.1f}")
    console.print(table)
    console.print(f"verify / sign: [bold]{ratio:.2f}×[/bold] (target ≥ 1×: "
                  f"{'met' if ratio >= 1 else 'NOT met'})")
    _append({"requests": requests, "keys": KEYS, "sign": sign.__dict__,
             "verify": check.__dict__, "ratio": round(ratio, 3),
             "python": platform.python_version()})
    console.print(f"appended to {RESULTS}")


def _spec(rng: random.Random, key: Credentials, n: int) -> _Spec:
    kind = rng.random()
    if kind < 0.1:
        return _Spec("GET", f"http://{HOST}/?Action=GetCallerIdentity&Version=2011-06-15", b"",
                     (), "sts", rng.choice(_STS_REGIONS), key, rng.choice([60, 900, 3600]))
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    if kind < 0.35:
        body = f"Action=GetCallerIdentity&Version=2011-06-15&N={n}".encode()
        return _Spec("POST", f"http://{HOST}/", body, tuple(form.items()), "sts",
                     rng.choice(_STS_REGIONS), key, None)
    action = rng.choice(_IAM_ACTIONS)
    body = f"Action={action}&Version=2010-05-08&UserName=user-{n % 997}&MaxItems=100".encode()
    return _Spec("POST", f"http://{HOST}/", body, tuple(form.items()), "iam", "us-east-1", key,
                 None)


def _sign_all(progress: Progress | None,
              specs: Sequence[_Spec]) -> tuple[list[float], list[SignedRequest]]:
    task = progress.add_task("botocore signs", total=len(specs)) if progress else None
    signers: dict[tuple[str, str, str, int | None], SigV4Auth] = {}
    times: list[float] = []
    signed: list[SignedRequest] = []
    clock = time.perf_counter
    for index, spec in enumerate(specs, 1):
        signer_key = (spec.credentials.access_key, spec.service, spec.region,
                      spec.presign_expires)
        signer = signers.get(signer_key)
        if signer is None:
            signer = signers[signer_key] = (
                SigV4Auth(spec.credentials, spec.service, spec.region)
                if spec.presign_expires is None else
                SigV4QueryAuth(spec.credentials, spec.service, spec.region,
                               expires=spec.presign_expires))
        request = AWSRequest(method=spec.method, url=spec.url, data=spec.body,
                             headers=dict(spec.headers))
        started = clock()
        signer.add_auth(request)
        times.append(clock() - started)
        signed.append(_as_received(request))
        if progress is not None and task is not None and (
                index % PROGRESS_EVERY == 0 or index == len(specs)):
            progress.update(task, completed=index)
    return times, signed


def _verify_all(progress: Progress | None, requests: Sequence[SignedRequest],
                resolve: Resolver, now: datetime,
                cache: SigningKeyCache) -> list[float]:
    task = progress.add_task("iamlog verifies", total=len(requests)) if progress else None
    times: list[float] = []
    clock = time.perf_counter
    for index, request in enumerate(requests, 1):
        started = clock()
        verify(request, resolve, now, keys=cache)
        times.append(clock() - started)
        if progress is not None and task is not None and (
                index % PROGRESS_EVERY == 0 or index == len(requests)):
            progress.update(task, completed=index)
    return times


def _as_received(request: AWSRequest) -> SignedRequest:
    prepared = request.prepare()
    url = urlsplit(prepared.url)
    headers = [*request.headers.items(), ("Host", HOST)]
    body = prepared.body or b""
    return SignedRequest(prepared.method, url.path or "/", url.query, headers,
                         body.encode() if isinstance(body, str) else body)


def _figures(seconds: list[float]) -> Figures:
    ordered = sorted(seconds)
    total = sum(ordered)

    def at(fraction: float) -> float:
        index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
        return ordered[index] * 1e6

    return Figures(per_second=round(len(ordered) / total, 1), p50=round(at(0.50), 2),
                   p99=round(at(0.99), 2), mean=round(statistics.fmean(ordered) * 1e6, 2),
                   count=len(ordered))


def _append(figures: dict[str, Any]) -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    line = {"time": datetime.now(UTC).isoformat(timespec="seconds"), **figures}
    with RESULTS.open("a") as out:
        out.write(json.dumps(line) + "\n")
