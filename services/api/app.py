"""The ASGI application of the api role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import APIRouter, FastAPI

from services.api.health import Check, health_router

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def create_app(checks: dict[str, Check], services: APIRouter | None = None) -> FastAPI:
    """Probes, metrics and the JSON endpoints (the composition root passes the checks)."""
    app = FastAPI(title="iamlog", docs_url=None, redoc_url=None)
    app.include_router(health_router(checks))
    if services is not None:
        app.include_router(services)
    return app


class WithQueryApi:
    """`POST /` and `GET /` go straight to the Query API; every other request to FastAPI.

    The Query API is a plain ASGI app: its requests skip FastAPI's middleware stack, routing,
    dependency solving and Request/Response objects, which cost more CPU than SigV4 itself.
    """

    def __init__(self, app: FastAPI, query: AsgiApp) -> None:
        self.app = app
        self.query = query

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["path"] == "/"
                and scope["method"] in ("POST", "GET")):
            await self.query(scope, receive, send)
        else:
            await self.app(scope, receive, send)
