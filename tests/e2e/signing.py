"""Raw signed Query API requests for tests that need what boto3 would not send."""

from __future__ import annotations

import httpx

from services.bench.mixed import Principal, signed_form


def signed_query(http: httpx.Client, url: str, service: str, action: str, who: Principal,
                 **params: str) -> httpx.Response:
    """POST `action` with `params`, signed by botocore for `service`."""
    body, headers = signed_form(url, service, who, {"Action": action, **params})
    return http.post(f"{url}/", content=body, headers=headers)
