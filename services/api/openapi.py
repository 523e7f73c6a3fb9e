"""The OpenAPI document of the JSON endpoints, generated from the app itself.

`python -m services.api.openapi` writes `docs/openapi.json`; a test fails when the committed
file and the code disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, cast

from services.api.app import create_app
from services.api.service_endpoints import service_router

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def openapi_document() -> dict[str, Any]:
    """The document FastAPI derives from the routes and their pydantic models."""
    # The routes only touch the runtime when called; the document needs none.
    app = create_app({}, service_router(cast(Any, None), cast(Any, None)))
    app.title, app.version = "iamlog", "1"
    document = app.openapi()
    # Invalid bodies answer 400 with ErrorResponse (services.api.app), never FastAPI's 422.
    for operations in document["paths"].values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    for name in ("HTTPValidationError", "ValidationError"):
        document.get("components", {}).get("schemas", {}).pop(name, None)
    return document


def render() -> str:
    """The document as committed: sorted keys, two-space indent, final newline."""
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        sys.exit(0 if DOCUMENT.read_text() == render() else 1)
    DOCUMENT.write_text(render())
