"""A steady mixed load on a running api: the fault suite's and the soak's traffic.

Workers run operations picked by weight: user and key changes, `AssumeRole` and
`GetSessionToken`, calls signed with the session credentials, authenticated reads,
`/v1/authenticate` and `/v1/authorize`, workloads fetching their credentials from
`/v1/credentials/<profile>` and calling with them, and requests that must be refused. Each HTTP
request is recorded as a `Sent` with the event types it appends when it succeeds, so a checker
can hold the log to what was acknowledged (the api's request id is the trace id of its events).

Operations are plain async functions in `OPERATIONS`; a new surface joins the mix by adding one
with a weight. Workloads are bound by `bind_workloads` (a command, as `iamlog workloads bind`
sends it); the scheduler renews their sessions while the load runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from services.cli.workloads import bind_workload
from services.settings import Settings

REGION = "us-east-1"
VERSIONS = {"iam": "2010-05-08", "sts": "2011-06-15"}
CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
ALLOW_ASSUME = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",'
                ' "Action": ["sts:AssumeRole", "sts:GetSessionToken"], "Resource": "*"}]}')
ROLE_POLICY = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",'
               ' "Action": "iam:Get*", "Resource": "*"}]}')
_CODE = re.compile(rb"<Code>([^<]*)</Code>")
_TAG = re.compile(rb"<(AccessKeyId|SecretAccessKey|SessionToken)>([^<]*)</")


@dataclass(frozen=True, slots=True)
class Principal:
    """Credentials that sign requests (a session adds its token)."""

    access_key_id: str
    secret: str
    token: str | None = None


@dataclass(frozen=True, slots=True)
class Sent:
    """One request and its answer; `expects` lists the events a success appends."""

    op: str
    action: str
    request_id: str
    status: int  # 0: no answer (transport error)
    code: str  # the AWS error code, "" on success
    started: float  # time.monotonic()
    seconds: float
    expects: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Answered 200."""
        return self.status == 200


@dataclass(frozen=True, slots=True)
class Workload:
    """A bound workload: its name, instance profile and token (see `bind_workloads`)."""

    name: str
    profile: str
    token: str


@dataclass
class Account:
    """The account under load and its fixed principals (see `prepare`)."""

    account_id: str
    root: Principal
    assumer: Principal  # a user allowed sts:AssumeRole and sts:GetSessionToken
    limited: Principal  # a user allowed nothing
    role_arn: str
    workloads: list[Workload] = field(default_factory=list)  # bound to the role's profile


@dataclass
class WorkerState:
    """What one worker created: its users and their keys (key id → status)."""

    number: int
    users: dict[str, dict[str, str]] = field(default_factory=dict)
    session: Principal | None = None
    counter: int = 0

    def fresh_name(self) -> str:
        """A user name no other request of this run uses."""
        self.counter += 1
        return f"w{self.number}-u{self.counter}"

    def forget(self, user: str) -> None:
        """After an unknown outcome the user's keys are unknown: leave it alone."""
        self.users.pop(user, None)


class Load:
    """Signs, sends and records requests to one api for one account."""

    def __init__(self, client: httpx.AsyncClient, url: str, account: Account) -> None:
        self.client = client
        self.url = url.rstrip("/")
        self.account = account
        self.sent: list[Sent] = []
        # Every secret and session token handed out: a leak check looks for them elsewhere.
        self.secrets: set[str] = {account.root.secret, account.assumer.secret,
                                  account.limited.secret}

    async def query(self, op: str, service: str, action: str, who: Principal,
                    expects: tuple[str, ...] = (), **params: str) -> tuple[Sent, bytes]:
        """POST one signed Query API request; record it."""
        body, headers = signed_form(self.url, service, who, {"Action": action, **params})
        return await self._post(op, action, "/", body, headers, expects=expects)

    async def json(self, op: str, path: str, document: dict[str, object]) -> tuple[Sent, bytes]:
        """POST one JSON endpoint request; record it."""
        body = json.dumps(document).encode()
        return await self._post(op, path, path, body, {"Content-Type": "application/json"})

    async def credentials(self, workload: Workload) -> tuple[Sent, dict[str, Any]]:
        """GET the workload's credentials as botocore's container provider does; record it.

        A 200 whose credential has expired already is recorded with the code `Expired`.
        """
        started = time.monotonic()
        try:
            response = await self.client.get(f"{self.url}/v1/credentials/{workload.profile}",
                                             headers={"Authorization": workload.token})
        except httpx.TransportError:
            sent = Sent("workload_credentials", "GetCredentials", "", 0, "", started,
                        time.monotonic() - started)
            self.sent.append(sent)
            return sent, {}
        document: dict[str, Any] = {}
        code = _json_code(response.content)
        if response.status_code == 200:
            document = response.json()
            self.secrets.update((document["SecretAccessKey"], document["Token"]))
            expiration = datetime.fromisoformat(document["Expiration"])
            code = "" if expiration > datetime.now(UTC) else "Expired"
        sent = Sent("workload_credentials", "GetCredentials", "", response.status_code, code,
                    started, time.monotonic() - started)
        self.sent.append(sent)
        return sent, document

    async def _post(self, op: str, action: str, path: str, body: bytes, headers: dict[str, str],
                    *, expects: tuple[str, ...] = ()) -> tuple[Sent, bytes]:
        started = time.monotonic()
        try:
            response = await self.client.post(f"{self.url}{path}", content=body, headers=headers)
        except httpx.TransportError:
            sent = Sent(op, action, "", 0, "", started, time.monotonic() - started, expects)
            self.sent.append(sent)
            return sent, b""
        content = response.content
        code = ""
        if response.status_code == 200:
            self.secrets.update(value for name, value in _tags(content).items()
                                if name != "AccessKeyId")
        else:
            found = _CODE.search(content)
            code = found.group(1).decode() if found else _json_code(content)
        sent = Sent(op, action, response.headers.get("x-amzn-requestid", ""),
                    response.status_code, code, started, time.monotonic() - started, expects)
        self.sent.append(sent)
        return sent, content


def signed_form(url: str, service: str, who: Principal, params: dict[str, str] | None = None,
                *, raw: bytes | None = None) -> tuple[bytes, dict[str, str]]:
    """A Query API POST body (`params` with the service's Version, or `raw` as it is) and its
    headers, signed by botocore."""
    body = raw if raw is not None else urlencode(
        {"Version": VERSIONS[service], **(params or {})}).encode()
    request = AWSRequest(method="POST", url=f"{url.rstrip('/')}/", data=body,
                         headers={"Content-Type": CONTENT_TYPE})
    SigV4Auth(Credentials(who.access_key_id, who.secret, who.token), service,
              REGION).add_auth(request)
    return body, dict(request.headers.items())


def _json_code(content: bytes) -> str:
    try:
        return str(json.loads(content).get("code", ""))
    except (ValueError, AttributeError):
        return ""


def _tags(content: bytes) -> dict[str, str]:
    return {name.decode(): value.decode() for name, value in _TAG.findall(content)}


Operation = Callable[[Load, WorkerState], Awaitable[None]]

# Codes that say for sure nothing was appended (the request was refused).
REFUSALS = frozenset({"AccessDenied", "EntityAlreadyExists", "LimitExceeded", "NoSuchEntity",
                      "ValidationError", "InvalidClientTokenId", "SignatureDoesNotMatch",
                      "MalformedPolicyDocument", "DeleteConflict"})


async def create_user(load: Load, worker: WorkerState) -> None:
    """Root creates a user of this worker's; every tenth call repeats a name (refused)."""
    root = load.account.root
    if worker.users and worker.counter % 10 == 9:
        worker.counter += 1
        taken = random.choice(list(worker.users))
        await load.query("create_user", "iam", "CreateUser", root, UserName=taken)
        return
    name = worker.fresh_name()
    sent, _ = await load.query("create_user", "iam", "CreateUser", root,
                               ("iamlog.user.created",), UserName=name)
    if sent.ok:
        worker.users[name] = {}


async def key_churn(load: Load, worker: WorkerState) -> None:
    """Root issues a key to one of the worker's users, or deletes one when it has two."""
    if not worker.users:
        await create_user(load, worker)
        return
    user = random.choice(list(worker.users))
    keys = worker.users[user]
    root = load.account.root
    if len(keys) < 2:
        sent, content = await load.query("key_churn", "iam", "CreateAccessKey", root,
                                         ("iamlog.access_key.issued",), UserName=user)
        if sent.ok:
            keys[_tags(content)["AccessKeyId"]] = "Active"
    else:
        key = next(iter(keys))
        sent, _ = await load.query("key_churn", "iam", "DeleteAccessKey", root,
                                   ("iamlog.access_key.deleted",), UserName=user,
                                   AccessKeyId=key)
        if sent.ok:
            del keys[key]
    if not sent.ok:
        worker.forget(user)


async def key_toggle(load: Load, worker: WorkerState) -> None:
    """Root disables an active key or enables an inactive one."""
    owned = [(user, key) for user, keys in worker.users.items() for key in keys]
    if not owned:
        await key_churn(load, worker)
        return
    user, key = random.choice(owned)
    status = "Inactive" if worker.users[user][key] == "Active" else "Active"
    event = "iamlog.access_key.disabled" if status == "Inactive" else "iamlog.access_key.enabled"
    sent, _ = await load.query("key_toggle", "iam", "UpdateAccessKey", load.account.root,
                               (event,), UserName=user, AccessKeyId=key, Status=status)
    if sent.ok:
        worker.users[user][key] = status
    else:
        worker.forget(user)


async def assume_role(load: Load, worker: WorkerState) -> None:
    """The assumer takes the role; its session then calls GetCallerIdentity and GetRole."""
    sent, content = await load.query(
        "assume_role", "sts", "AssumeRole", load.account.assumer, ("iamlog.role.assumed",),
        RoleArn=load.account.role_arn, RoleSessionName=f"w{worker.number}",
        DurationSeconds="900")
    if sent.ok:
        tags = _tags(content)
        worker.session = Principal(tags["AccessKeyId"], tags["SecretAccessKey"],
                                   tags["SessionToken"])
    if worker.session is not None:
        await load.query("session_call", "sts", "GetCallerIdentity", worker.session)


async def session_token(load: Load, worker: WorkerState) -> None:
    """The assumer asks for session credentials."""
    await load.query("session_token", "sts", "GetSessionToken", load.account.assumer,
                     ("iamlog.session.issued",), DurationSeconds="900")


async def read(load: Load, worker: WorkerState) -> None:
    """Root reads the read models: a page of users, or one of the worker's users."""
    root = load.account.root
    if worker.users and random.random() < 0.5:
        await load.query("read", "iam", "GetUser", root,
                         UserName=random.choice(list(worker.users)))
    else:
        await load.query("read", "iam", "ListUsers", root, MaxItems="5")


async def authenticate(load: Load, worker: WorkerState) -> None:
    """Another service asks who signed a request it received (`/v1/authenticate`)."""
    who = load.account.assumer
    payload = b"{}"
    request = AWSRequest(method="POST", url="https://orders.internal/v1/orders", data=payload,
                         headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(who.access_key_id, who.secret), "execute-api",
              REGION).add_auth(request)
    await load.json("authenticate", "/v1/authenticate", {
        "method": "POST", "path": "/v1/orders", "query": "",
        "headers": [[name, value] for name, value in request.headers.items()]
                   + [["host", "orders.internal"]],
        "body_sha256": hashlib.sha256(payload).hexdigest()})


async def authorize(load: Load, worker: WorkerState) -> None:
    """Another service asks whether the assumer may assume the role (`/v1/authorize`)."""
    await load.json("authorize", "/v1/authorize", {
        "principal": load.account.assumer.access_key_id, "action": "sts:AssumeRole",
        "resource": load.account.role_arn})


async def workload_credentials(load: Load, worker: WorkerState) -> None:
    """A bound workload fetches its credentials and calls GetCallerIdentity with them (needs
    `bind_workloads` first)."""
    sent, document = await load.credentials(random.choice(load.account.workloads))
    if sent.ok:
        session = Principal(document["AccessKeyId"], document["SecretAccessKey"],
                            document["Token"])
        await load.query("workload_call", "sts", "GetCallerIdentity", session)


async def denied(load: Load, worker: WorkerState) -> None:
    """A user allowed nothing tries to create a user: AccessDenied, nothing appended."""
    await load.query("denied", "iam", "CreateUser", load.account.limited,
                     UserName=f"x{worker.fresh_name()}")


# name → (weight, operation). Later surfaces add theirs here.
OPERATIONS: dict[str, tuple[int, Operation]] = {
    "create_user": (3, create_user),
    "key_churn": (4, key_churn),
    "key_toggle": (2, key_toggle),
    "assume_role": (2, assume_role),
    "session_token": (1, session_token),
    "read": (4, read),
    "authenticate": (2, authenticate),
    "authorize": (1, authorize),
    "workload_credentials": (2, workload_credentials),
    "denied": (1, denied),
}


async def run_load(load: Load, stop: asyncio.Event, *, workers: int,
                   operations: dict[str, tuple[int, Operation]] | None = None,
                   rate: float | None = None) -> int:
    """Run `workers` workers until `stop` is set; `rate` caps operations per second overall.

    Returns how many operations ran.
    """
    chosen = operations if operations is not None else OPERATIONS
    names = list(chosen)
    weights = [chosen[name][0] for name in names]
    interval = workers / rate if rate else 0.0
    done = 0

    async def worker(number: int) -> None:
        nonlocal done
        state = WorkerState(number)
        next_at = time.monotonic() + random.random() * interval
        while not stop.is_set():
            operation = chosen[random.choices(names, weights)[0]][1]
            await operation(load, state)
            done += 1
            if interval:
                next_at += interval
                delay = next_at - time.monotonic()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
                else:
                    next_at = time.monotonic()

    await asyncio.gather(*(worker(n) for n in range(workers)))
    return done


async def prepare(client: httpx.AsyncClient, url: str, account_id: str,
                  root: Principal) -> tuple[Account, list[Sent]]:
    """Create the fixed principals of the load (the assumer, the limited user, the role);
    returns them with the requests that did it."""
    setup = Load(client, url, Account(account_id, root, root, root, ""))
    # The root key reaches the api's identity index through the stream: wait until it works.
    deadline = time.monotonic() + 60
    while not (await setup.query("setup", "sts", "GetCallerIdentity", root))[0].ok:
        if time.monotonic() > deadline:
            raise RuntimeError("the root key is not accepted")
        await asyncio.sleep(0.2)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}}]})
    user, inline = ("iamlog.user.created",), ("iamlog.inline_policy.put",)
    steps: list[tuple[str, tuple[str, ...], dict[str, str]]] = [
        ("CreateUser", user, {"UserName": "assumer"}),
        ("PutUserPolicy", inline, {"UserName": "assumer", "PolicyName": "assume",
                                   "PolicyDocument": ALLOW_ASSUME}),
        ("CreateUser", user, {"UserName": "limited"}),
        ("CreateRole", ("iamlog.role.created",),
         {"RoleName": "load", "AssumeRolePolicyDocument": trust}),
        ("PutRolePolicy", inline, {"RoleName": "load", "PolicyName": "read",
                                   "PolicyDocument": ROLE_POLICY}),
    ]
    for action, expects, params in steps:
        await _must(setup, action, root, expects, **params)
    keys = []
    for name in ("assumer", "limited"):
        content = await _must(setup, "CreateAccessKey", root, ("iamlog.access_key.issued",),
                              UserName=name)
        tags = _tags(content)
        keys.append(Principal(tags["AccessKeyId"], tags["SecretAccessKey"]))
    return Account(account_id, root, keys[0], keys[1],
                   f"arn:aws:iam::{account_id}:role/load"), setup.sent


async def bind_workloads(settings: Settings, load: Load, count: int) -> list[Workload]:
    """Bind `count` workloads to the load's role (its instance profile is made with the first)
    and wait until the api serves each one's credentials; `load` records the fetches."""
    role = load.account.role_arn.rsplit("/", 1)[1]
    workloads = []
    for number in range(count):
        bound = await bind_workload(settings, load.account.account_id, f"load-{number}",
                                    profile=None, role=role)
        workloads.append(Workload(bound["Workload"], bound["Profile"], bound["Token"]))
        load.secrets.add(bound["Token"])
    for workload in workloads:
        for _ in range(300):  # the api reads the bindings from the log: a minute at most
            if (await load.credentials(workload))[0].ok:
                break
            await asyncio.sleep(0.2)
        else:
            raise RuntimeError(f"no credentials for workload {workload.name}")
    return workloads


async def _must(load: Load, action: str, who: Principal, expects: tuple[str, ...],
                **params: str) -> bytes:
    for _ in range(20):
        sent, content = await load.query("setup", "iam", action, who, expects, **params)
        if sent.ok:
            return content
        if sent.status not in (0, 503):
            raise RuntimeError(f"{action}: {sent.status} {content[:300]!r}")
        await asyncio.sleep(0.5)
    raise RuntimeError(f"{action}: no success after 20 tries")
