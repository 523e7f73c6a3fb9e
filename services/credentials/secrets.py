"""Access key secrets are derived, never stored: HKDF-SHA256(master key, key id ‖ salt)."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.credentials.master_keys import MasterKeys

_SECRET_BYTES = 30  # 30 bytes → 40 base64 characters, the length of an AWS secret key
_SALT = b"iamlog/access-key-secret/v1"


def derive_secret(master: bytes, access_key_id: str, salt_hex: str) -> str:
    """The 40-character secret access key of `access_key_id`."""
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=_SECRET_BYTES,
        salt=_SALT,
        info=access_key_id.encode("ascii") + bytes.fromhex(salt_hex),
    )
    return base64.b64encode(hkdf.derive(master)).decode("ascii")


def secret_for(keys: MasterKeys, version: int, access_key_id: str, salt_hex: str) -> str:
    """Derive with the master key of `version`."""
    return derive_secret(keys.get(version), access_key_id, salt_hex)
