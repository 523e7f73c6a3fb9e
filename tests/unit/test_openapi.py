"""The committed OpenAPI document matches the JSON endpoints' code."""

from __future__ import annotations

from services.api.openapi import DOCUMENT, render


def test_committed_openapi_document_is_current() -> None:
    """Regenerate with `python -m services.api.openapi` when this fails."""
    assert render() == DOCUMENT.read_text()


def test_document_describes_both_service_endpoints() -> None:
    """`/v1/authorize` and `/v1/authenticate`, with their request bodies."""
    import json  # noqa: PLC0415

    paths = json.loads(DOCUMENT.read_text())["paths"]
    assert {"/v1/authorize", "/v1/authenticate"} <= set(paths)
    assert "requestBody" in paths["/v1/authorize"]["post"]
