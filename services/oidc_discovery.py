"""Reading an OpenID Connect provider's JWKS: from a file, or over HTTP from a loopback host
only (`<issuer>/.well-known/openid-configuration` → `jwks_uri`, or a JWKS URL).

iamlog never reaches out to the internet for keys: a provider on another host gets its JWKS
from a file (`iamlog oidc-providers set-jwks --jwks-file`). What is read is checked to be a JWKS
PyJWT can use (RSA or EC public keys) before it is stored in an event.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt

from domain.iam.oidc import LOOPBACK_HOSTS

TIMEOUT_SECONDS = 3
MAX_BYTES = 256 * 1024


class JwksUnavailable(Exception):
    """The JWKS could not be read, or is not a usable JWKS."""


def is_loopback(url: str) -> bool:
    """True for an http(s) URL on 127.0.0.1, localhost or ::1."""
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and parts.hostname in LOOPBACK_HOSTS


def checked_jwks(text: str) -> str:
    """`text` as compact JSON if PyJWT reads it as a set of public keys."""
    try:
        parsed = json.loads(text)
        keys = jwt.PyJWKSet.from_dict(parsed).keys
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise JwksUnavailable(f"not a usable JWKS: {exc}") from None
    for key in keys:
        if getattr(key.key, "private_numbers", None) is not None:
            raise JwksUnavailable("the JWKS holds a private key; give only public keys")
    return json.dumps(parsed, separators=(",", ":"), sort_keys=True)


def read_file(path: Path) -> str:
    """A JWKS from a file."""
    try:
        return checked_jwks(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise JwksUnavailable(f"cannot read {path}: {exc.strerror}") from None


def _get_json(url: str) -> Any:
    if not is_loopback(url):
        raise JwksUnavailable(f"{url} is not on a loopback host; give the JWKS as a file")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            return json.loads(answer.read(MAX_BYTES))
    except (OSError, ValueError) as exc:
        raise JwksUnavailable(f"cannot read {url}: {exc}") from None


def fetch_jwks(url: str) -> str:
    """A JWKS from a loopback URL."""
    return checked_jwks(json.dumps(_get_json(url)))


def discover_jwks(issuer: str) -> str:
    """A loopback issuer's JWKS through its discovery document."""
    config = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    jwks_uri = config.get("jwks_uri") if isinstance(config, dict) else None
    if not isinstance(jwks_uri, str):
        raise JwksUnavailable("the discovery document names no jwks_uri")
    return fetch_jwks(jwks_uri)
