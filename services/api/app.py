"""The ASGI application of the api role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request, Response

from services.api.health import Check, health_router

QueryHandler = Callable[[Request], Awaitable[Response]]


def create_app(checks: dict[str, Check], query: QueryHandler | None = None,
               services: APIRouter | None = None) -> FastAPI:
    """Build the app; the composition root passes the readiness checks and the Query API."""
    app = FastAPI(title="iamlog", docs_url=None, redoc_url=None)
    app.include_router(health_router(checks))
    if services is not None:
        app.include_router(services)
    if query is not None:
        app.add_api_route("/", query, methods=["POST", "GET"], include_in_schema=False)
    return app
