"""GET /v1/credentials/<profile> in-process, with an injected clock: which session it serves,
and what it refuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI

from domain.account import decide
from domain.commands import (
    AddRoleToInstanceProfile,
    CreateAccount,
    CreateInstanceProfile,
    CreateRole,
    RemoveRoleFromInstanceProfile,
    UnbindWorkload,
)
from domain.iam.state import AccountState
from events.schemas import Event
from services.api.authn import KeyResolver, session_caller_of
from services.api.credentials_endpoint import credentials_router
from services.api.identity_index import IdentityIndex
from services.api.sigv4 import SigV4Error
from services.credentials import workload_sessions as ws
from services.credentials.master_keys import MasterKeys
from services.credentials.session_tokens import derive_session_secret
from services.settings import Settings
from tests.unit.samples import ACCOUNT, NOW, context
from tests.unit.test_instance_profiles import TRUST

KEYS = MasterKeys({1: bytes(range(32)), 2: bytes(range(100, 132))})
TOKEN = ws.new_token()


@dataclass
class _Clock:
    at: datetime = NOW

    def now(self) -> datetime:
        return self.at


@dataclass
class _World:
    index: IdentityIndex = field(default_factory=lambda: IdentityIndex(Settings()))
    clock: _Clock = field(default_factory=_Clock)
    master_keys: MasterKeys = KEYS

    def decide(self, command: Any) -> list[Event]:
        state = self.index.accounts.get(ACCOUNT) or AccountState(account_id=ACCOUNT)
        events = decide(state, command, context())
        for event in events:
            self.index.apply(event)
        return events

    async def get(self, authorization: str | None, profile: str = "web") -> httpx.Response:
        app = FastAPI()
        app.include_router(credentials_router(cast(Any, self)), prefix="/v1")
        headers = {"Authorization": authorization} if authorization is not None else {}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://iamlog") as http:
            return await http.get(f"/v1/credentials/{profile}", headers=headers)


def _bound() -> tuple[_World, str]:
    world = _World()
    for command in (CreateAccount(), CreateRole(role_name="Web", assume_role_policy_document=TRUST),
                    CreateInstanceProfile(instance_profile_name="web"),
                    AddRoleToInstanceProfile(instance_profile_name="web", role_name="Web")):
        world.decide(command)
    issued = world.decide(ws.binding("api", TOKEN, NOW, 600, 2, profile_name="web"))[-1]
    return world, str(issued.model_dump()["session_id"])


async def test_serves_the_binding_session_in_the_container_format() -> None:
    """The answer has IMDS's fields; the secret is the session's derived secret; the token
    authenticates as the role's session named after the workload."""
    world, session_id = _bound()
    answer = await world.get(TOKEN)

    body = answer.json()
    assert "no-store" == answer.headers["Cache-Control"]
    assert (200, "Success", "AWS-HMAC", _iso(NOW + timedelta(seconds=600)), _iso(NOW)) == (
        answer.status_code, body["Code"], body["Type"], body["Expiration"],
        body["LastUpdated"])
    issued = world.index.workloads.binding(TOKEN)
    assert issued is not None
    claims = issued.sessions[-1][0]
    assert derive_session_secret(KEYS.get(2), claims.access_key_id, claims.salt) == \
        body["SecretAccessKey"]
    resolver = KeyResolver(world.index, KEYS, world.clock.now)
    opened, _ = resolver.session(body["AccessKeyId"], body["Token"])
    caller = session_caller_of(world.index, opened)
    role = world.index.accounts[ACCOUNT].roles["web"]
    assert (session_id, f"arn:aws:sts::{ACCOUNT}:assumed-role/Web/api",
            f"{role.role_id}:api") == (opened.session_id, caller.arn, caller.user_id)
    assert body["AccessKeyId"] == (await world.get(f"Bearer {TOKEN}")).json()["AccessKeyId"]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_always_the_newest_valid_session() -> None:
    """After a renewal the new session is served; once only the old one had expired, still
    the new one; a revoked newest one is never served."""
    world, first = _bound()
    world.clock.at = NOW + timedelta(seconds=300)
    renewed = world.decide(ws.renewal("api", first, world.clock.at, 600, 2))[0]
    new_key = renewed.model_dump()["session_key_id"]

    assert new_key == (await world.get(TOKEN)).json()["AccessKeyId"]
    world.clock.at = NOW + timedelta(seconds=700)  # the first one expired
    assert new_key == (await world.get(TOKEN)).json()["AccessKeyId"]
    world.index.revoked_sessions.add(renewed.model_dump()["session_id"])
    assert 503 == (await world.get(TOKEN)).status_code
    world.index.revoked_sessions.clear()
    world.clock.at = NOW + timedelta(seconds=900)  # both expired: nothing valid to serve
    assert 503 == (await world.get(TOKEN)).status_code


async def test_refusals() -> None:
    """Wrong, missing or oversized tokens: 401 with no reason; another profile: 404; the role
    removed from the profile: its sessions are revoked (refused when signing), 503; unbound:
    401 at once."""
    world, _ = _bound()
    for authorization in (None, "", "Bearer", TOKEN + "x", "Bearer " + "a" * 600):
        answer = await world.get(authorization)
        assert (401, {"code": "Unauthorized", "message": "Unauthorized."}, "no-store") == (
            answer.status_code, answer.json(), answer.headers["Cache-Control"])
    assert 404 == (await world.get(TOKEN, profile="other")).status_code
    assert 200 == (await world.get(f"bearer {TOKEN}", profile="WEB")).status_code

    served = (await world.get(TOKEN)).json()
    resolver = KeyResolver(world.index, KEYS, world.clock.now)
    resolver.session(served["AccessKeyId"], served["Token"])  # valid until the role goes
    world.decide(RemoveRoleFromInstanceProfile(instance_profile_name="web", role_name="Web"))
    assert 503 == (await world.get(TOKEN)).status_code
    with pytest.raises(SigV4Error) as revoked:
        resolver.session(served["AccessKeyId"], served["Token"])
    assert "InvalidClientTokenId" == revoked.value.code
    world.decide(UnbindWorkload(workload="api"))
    assert 401 == (await world.get(TOKEN)).status_code
