"""Versioned master keys from `IAMLOG_MASTER_KEYS` (or the dev stack's key file)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path

from domain.errors import IamlogError

MASTER_KEY_BYTES = 32


class MasterKeyError(IamlogError):
    """The master key configuration is missing or malformed (the text never holds key bytes)."""


@dataclass(frozen=True, slots=True)
class MasterKeys:
    """All known master key versions; the highest one signs new material."""

    keys: dict[int, bytes]

    @property
    def current_version(self) -> int:
        """The version new keys and tokens are derived from."""
        return max(self.keys)

    def get(self, version: int) -> bytes:
        """The key of `version`; `MasterKeyError` if it was retired or never existed."""
        try:
            return self.keys[version]
        except KeyError:
            raise MasterKeyError(f"master key version {version} is not configured") from None

    def __repr__(self) -> str:  # never print key bytes
        return f"MasterKeys(versions={sorted(self.keys)})"


def parse_master_keys(spec: str) -> MasterKeys:
    """Parse `"1:<base64>,2:<base64>"`."""
    keys: dict[int, bytes] = {}
    for number, item in enumerate(filter(None, (part.strip() for part in spec.split(","))), 1):
        version_text, sep, encoded = item.partition(":")
        try:
            version = int(version_text)
            raw = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            raise MasterKeyError(f"master key entry {number} is not '<version>:<base64>'") from None
        if not sep or version < 1 or len(raw) != MASTER_KEY_BYTES:
            raise MasterKeyError(
                f"master key entry {number} must be '<version ≥ 1>:<base64 of 32 bytes>'"
            )
        keys[version] = raw
    if not keys:
        raise MasterKeyError("no master key configured: set IAMLOG_MASTER_KEYS")
    return MasterKeys(keys)


def load_master_keys(spec: str, fallback_file: Path) -> MasterKeys:
    """Keys from the setting, else from the dev stack's file."""
    if spec.strip():
        return parse_master_keys(spec)
    if fallback_file.exists():
        return parse_master_keys(fallback_file.read_text())
    raise MasterKeyError(
        f"no master key configured: set IAMLOG_MASTER_KEYS or run `iamlog dev up` "
        f"(which writes {fallback_file})"
    )
