"""Derived SigV4 signing keys, cached: four HMACs saved on every request after the first."""

from __future__ import annotations

import hmac
import threading
from collections import OrderedDict
from hashlib import sha256

_CacheKey = tuple[str, bytes, str, str, str]


def derive_signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """HMAC("AWS4" + secret, date) → region → service → "aws4_request"."""
    key = hmac.digest(f"AWS4{secret}".encode(), date.encode(), "sha256")
    key = hmac.digest(key, region.encode(), "sha256")
    key = hmac.digest(key, service.encode(), "sha256")
    return hmac.digest(key, b"aws4_request", "sha256")


class SigningKeyCache:
    """A small LRU of signing keys.

    Entries are keyed by the access key id and a digest of the secret (so a rotated secret
    under the same id never meets an old key), never by the secret itself.
    """

    def __init__(self, max_entries: int = 4096):
        self._max_entries = max_entries
        self._entries: OrderedDict[_CacheKey, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, access_key_id: str, secret: str, date: str, region: str,
            service: str) -> bytes:
        """The signing key for this credential and scope, derived at most once while cached."""
        cache_key = (access_key_id, sha256(secret.encode()).digest(), date, region, service)
        with self._lock:
            key = self._entries.get(cache_key)
            if key is not None:
                self._entries.move_to_end(cache_key)
                return key
        key = derive_signing_key(secret, date, region, service)
        with self._lock:
            self._entries[cache_key] = key
            if len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return key

    def clear(self) -> None:
        """Forget every key (tests, and a master-key rotation)."""
        with self._lock:
            self._entries.clear()


DEFAULT_CACHE = SigningKeyCache()
