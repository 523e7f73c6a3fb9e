"""The ASGI application of the api role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from services.api.health import Check, health_router

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def create_app(checks: dict[str, Check], services: APIRouter | None = None) -> FastAPI:
    """Probes, metrics and the JSON endpoints (the composition root passes the checks)."""
    app = FastAPI(title="iamlog", docs_url=None, redoc_url=None)
    app.add_exception_handler(RequestValidationError, _invalid_body)
    app.add_exception_handler(HTTPException, _http_error)
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


async def _invalid_body(request: Request, exc: Exception) -> Response:
    """A JSON body that fails its model: the endpoints' own error shape, as AWS's JSON APIs."""
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    return JSONResponse({"code": "ValidationError",
                         "message": f"{first.get('msg', 'Invalid request')} at {where}"[:512]},
                        status_code=400)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (an unparsable body, an unknown path or method), same shape."""
    assert isinstance(exc, HTTPException)
    code = {400: "ValidationError", 404: "NotFound", 405: "MethodNotAllowed"}.get(
        exc.status_code, "ValidationError" if exc.status_code < 500 else "ServiceUnavailable")
    return JSONResponse({"code": code, "message": str(exc.detail)[:512]},
                        status_code=exc.status_code, headers=exc.headers)
