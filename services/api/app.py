"""The ASGI application of the api role."""

from __future__ import annotations

from fastapi import FastAPI

from services.api.health import Check, health_router


def create_app(checks: dict[str, Check]) -> FastAPI:
    """Build the app; the composition root passes the readiness checks of this process."""
    app = FastAPI(title="iamlog", docs_url=None, redoc_url=None)
    app.include_router(health_router(checks))
    return app
