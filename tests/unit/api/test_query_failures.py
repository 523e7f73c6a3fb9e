"""The Query API in-process when something below it fails: a read-model outage is a retryable
503 that also retires the pooled connections; a defect is IAM's ServiceFailure (500) in the AWS
error shape with the request id, never a bare text 500."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlencode

import asyncpg
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from domain.account import decide
from domain.commands import CreateAccount
from domain.iam.state import AccountState
from events.schemas.access_key import AccessKeyIssued
from services.api.iam import registry
from services.api.identity_index import IdentityIndex
from services.api.query_endpoint import QueryApi
from services.credentials.master_keys import MasterKeys
from services.credentials.secrets import secret_for
from services.settings import Settings
from tests.unit.samples import ACCOUNT, MASTER_KEY_VERSION, context

KEYS = MasterKeys({MASTER_KEY_VERSION: bytes(range(32))})


class _Pool:
    """Stands for an asyncpg pool whose connection was cut mid-statement."""

    async def fetchval(self, *args: Any) -> Any:
        raise asyncpg.InternalClientError(
            "cannot switch to state 12; another operation (2) is in progress")


class _Commands:
    async def send(self, *args: Any, **kwargs: Any) -> Any:  # last-use records: not our subject
        return None


@dataclass
class _Runtime:
    settings: Settings = field(default_factory=Settings)
    index: IdentityIndex = field(default_factory=lambda: IdentityIndex(Settings()))
    master_keys: MasterKeys = KEYS
    commands: _Commands = field(default_factory=_Commands)
    expired: int = 0

    @property
    def clock(self) -> _Runtime:
        return self

    def now(self) -> datetime:  # botocore signs with the real time
        return datetime.now(UTC)

    async def pool(self) -> _Pool:
        return _Pool()

    async def read_models_failed(self) -> None:
        self.expired += 1


def _root(runtime: _Runtime) -> Credentials:
    events = decide(AccountState(account_id=ACCOUNT), CreateAccount(), context())
    for event in events:
        runtime.index.apply(event)
    key = next(e for e in events if isinstance(e, AccessKeyIssued))
    return Credentials(key.access_key_id,
                       secret_for(KEYS, key.master_key_version, key.access_key_id, key.salt))


async def _post(runtime: _Runtime, action: str) -> httpx.Response:
    body = urlencode({"Action": action, "Version": "2010-05-08"})
    request = AWSRequest("POST", "http://iamlog/", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    signer = SigV4Auth(_root(runtime), "iam", "us-east-1")
    signer.add_auth(request)
    app = QueryApi(cast(Any, runtime))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://iamlog") as http:
        return await http.post("/", content=body, headers=dict(request.headers.items()))


async def test_a_connection_cut_mid_statement_is_a_retryable_503_and_retires_the_pool() -> None:
    runtime = _Runtime()
    response = await _post(runtime, "ListUsers")
    assert response.status_code == 503, response.text
    assert "<Code>ServiceUnavailable</Code>" in response.text
    assert runtime.expired == 1


async def test_a_defect_is_a_service_failure_in_the_aws_shape(
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(call: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setitem(registry.HANDLERS, ("iam", "ListUsers"), broken)
    runtime = _Runtime()
    response = await _post(runtime, "ListUsers")
    assert response.status_code == 500
    assert "<Code>ServiceFailure</Code>" in response.text
    assert "a bug" not in response.text
    request_id = response.headers["x-amzn-requestid"]
    assert f"<RequestId>{request_id}</RequestId>" in response.text
    assert runtime.expired == 0
