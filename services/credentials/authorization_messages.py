"""Encoded authorization failure messages: why a request was denied, sealed for the denied
account and readable only through `sts:DecodeAuthorizationMessage`.

Wire format (then base64url without padding)::

    0x01 (format) ‖ master key version (1 byte) ‖ nonce (12 random bytes) ‖ AES-GCM(JSON)

The JSON is `{"a": <account id>, "m": <the decoded message>}`; the AES key is
HKDF-SHA256(master key, info = "iamlog/authorization-message-key/v1"), a label of its own, so
neither session tokens nor secrets share it. The two header bytes are associated data.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from domain.errors import DomainError
from services.credentials.master_keys import MasterKeyError, MasterKeys

FORMAT = 1
_NONCE_BYTES = 12
_HEADER_BYTES = 2
_KEY_INFO = b"iamlog/authorization-message-key/v1"
MAX_MESSAGE_CHARS = 65_536


class InvalidAuthorizationMessage(DomainError):
    """The message is not one iamlog encoded for the caller's account (or was altered)."""

    code = "InvalidAuthorizationMessageException"
    http_status = 400


class AuthorizationMessages:
    """Seals and opens authorization failure messages under the configured master keys."""

    def __init__(self, keys: MasterKeys,
                 random_bytes: Callable[[int], bytes] = os.urandom) -> None:
        self._keys = keys
        self._random = random_bytes
        self._aead: dict[int, AESGCM] = {}

    def encode(self, account_id: str, message: dict[str, Any]) -> str:
        """The opaque text carrying `message` for `account_id`."""
        version = self._keys.current_version
        header = bytes((FORMAT, version))
        nonce = self._random(_NONCE_BYTES)
        body = json.dumps({"a": account_id, "m": message}, separators=(",", ":")).encode()
        sealed = self._aead_of(version).encrypt(nonce, body, header)
        return base64.urlsafe_b64encode(header + nonce + sealed).rstrip(b"=").decode("ascii")

    def decode(self, account_id: str, encoded: str) -> dict[str, Any]:
        """The message inside `encoded`, if it was encoded for `account_id`."""
        invalid = InvalidAuthorizationMessage("The encoded authorization message is invalid.",
                                              account_id=account_id)
        if not encoded or len(encoded) > MAX_MESSAGE_CHARS or not encoded.isascii():
            raise invalid
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            if len(raw) < _HEADER_BYTES + _NONCE_BYTES + 16 or raw[0] != FORMAT:
                raise invalid
            body = self._aead_of(raw[1]).decrypt(
                raw[_HEADER_BYTES:_HEADER_BYTES + _NONCE_BYTES],
                raw[_HEADER_BYTES + _NONCE_BYTES:], raw[:_HEADER_BYTES])
            data = json.loads(body)
        except (binascii.Error, ValueError, InvalidTag, MasterKeyError):
            raise invalid from None
        if not isinstance(data, dict) or data.get("a") != account_id:
            raise invalid
        message = data.get("m")
        if not isinstance(message, dict):
            raise invalid
        return message

    def _aead_of(self, version: int) -> AESGCM:
        aead = self._aead.get(version)
        if aead is None:
            hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO)
            aead = self._aead[version] = AESGCM(hkdf.derive(self._keys.get(version)))
        return aead


_SHARED: dict[int, tuple[MasterKeys, AuthorizationMessages]] = {}


def messages_for(keys: MasterKeys) -> AuthorizationMessages:
    """One `AuthorizationMessages` per `MasterKeys` object."""
    entry = _SHARED.get(id(keys))
    if entry is None or entry[0] is not keys:
        entry = _SHARED[id(keys)] = (keys, AuthorizationMessages(keys))
    return entry[1]
