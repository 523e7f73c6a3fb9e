"""JSON endpoints for other microservices: `POST /v1/authorize` and `POST /v1/authenticate`.

Both answer from this replica's identity index: no secret ever leaves iamlog. They carry no
SigV4 of their own; deployments expose them only inside the cluster (see deploy/k8s's
NetworkPolicy).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from domain.errors import DomainError
from services.api import authz
from services.api.authn import KeyResolver, caller_of
from services.api.caller import Caller, root_caller
from services.api.credentials_endpoint import credentials_router
from services.api.runtime import ApiRuntime
from services.api.sigv4 import SignedRequest, SigV4Error, verify


class AuthorizeRequest(BaseModel):
    """May `principal` do `action` on `resource`?"""

    model_config = ConfigDict(extra="forbid")

    principal: str = Field(min_length=1, max_length=2048,
                           description="an IAM user or root ARN, or an access key id")
    action: str = Field(min_length=3, max_length=256, pattern=r"^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$")
    resource: str = Field(min_length=1, max_length=2048)
    context: dict[str, str | list[str]] = Field(default_factory=dict)


class MatchedStatement(BaseModel):
    """A statement that decided."""

    policy: str
    statement: str


class AuthorizeResponse(BaseModel):
    """The decision and the statements behind it."""

    decision: Literal["Allow", "ExplicitDeny", "ImplicitDeny"]
    matched: list[MatchedStatement]


class AuthenticateRequest(BaseModel):
    """A SigV4-signed request another service received, minus its body."""

    model_config = ConfigDict(extra="forbid")

    method: str = Field(pattern=r"^[A-Z]{3,7}$")
    path: str = Field(min_length=1, max_length=8192, description="raw, percent-encoded")
    query: str = Field(default="", max_length=65536)
    headers: list[tuple[str, str]] = Field(max_length=200)
    body_sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")


class AuthenticateResponse(BaseModel):
    """Who signed it."""

    account: str
    arn: str
    user_id: str
    access_key_id: str


class ErrorResponse(BaseModel):
    """A refusal with its AWS error code."""

    code: str
    message: str


class _AnyService(Mapping[str, Collection[str] | None]):
    """Every service and region: `/v1/authenticate` checks requests signed for other services."""

    def __getitem__(self, service: str) -> None:
        return None

    def __contains__(self, service: object) -> bool:
        return isinstance(service, str) and bool(service)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


_ANY_SERVICE = _AnyService()


def _error(exc: DomainError) -> JSONResponse:
    return JSONResponse({"code": exc.code, "message": exc.message}, status_code=exc.http_status)


def _principal(runtime: ApiRuntime, resolver: KeyResolver, text: str) -> Caller:
    if text.startswith(("AKIA", "ASIA")):
        return caller_of(runtime.index, resolver.record(text))
    parts = text.split(":", 5)
    if len(parts) == 6 and parts[:3] == ["arn", "aws", "iam"] and parts[4].isdigit():
        account, resource = parts[4], parts[5]
        if resource == "root" and runtime.index.account(account) is not None:
            return root_caller(account, "")
        state = runtime.index.account(account)
        if resource.startswith("user/") and state is not None:
            name = resource.rsplit("/", 1)[1]
            user = state.users.get(name.lower())
            if user is not None and user.arn == text:
                return Caller(account, user.arn, user.name, user.user_id, "")
    raise _no_such_principal(text)


def _no_such_principal(text: str) -> DomainError:
    from domain.errors import NoSuchEntity  # noqa: PLC0415

    return NoSuchEntity(f"The principal {text[:256]} cannot be found.")


def service_router(runtime: ApiRuntime, resolver: KeyResolver) -> APIRouter:
    """The JSON endpoints (and the credentials endpoint), bound to this replica's runtime."""
    router = APIRouter(prefix="/v1")
    errors: dict[int | str, dict[str, Any]] = {
        400: {"model": ErrorResponse}, 403: {"model": ErrorResponse},
        404: {"model": ErrorResponse}}

    @router.post("/authorize", response_model=AuthorizeResponse, responses=errors)
    async def authorize(body: AuthorizeRequest) -> Any:
        try:
            caller = _principal(runtime, resolver, body.principal)
            decision = authz.decide(runtime.index.account(caller.account_id), caller,
                                    body.action, body.resource, now=runtime.clock.now(),
                                    context=dict(body.context))
        except DomainError as exc:
            return _error(exc)
        return AuthorizeResponse(
            decision=decision.effect.value,
            matched=[MatchedStatement(policy=m.policy_id, statement=m.sid or str(m.index))
                     for m in decision.matched])

    @router.post("/authenticate", response_model=AuthenticateResponse, responses=errors)
    async def authenticate(body: AuthenticateRequest) -> Any:
        signed = SignedRequest(method=body.method, path=body.path, query=body.query,
                               headers=body.headers, body=b"", body_sha256=body.body_sha256)
        try:
            verified = verify(signed, resolver, runtime.clock.now(), scopes=_ANY_SERVICE)
            caller = caller_of(runtime.index, resolver.record(verified.access_key_id))
        except (SigV4Error, DomainError) as exc:
            return _error(exc)
        return AuthenticateResponse(account=caller.account_id, arn=caller.arn,
                                    user_id=caller.user_id, access_key_id=caller.access_key_id)

    router.include_router(credentials_router(runtime))
    return router
