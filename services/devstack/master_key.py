"""The development-only master key that `iamlog dev up` keeps when IAMLOG_MASTER_KEYS is unset."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

KEY_VERSION = 1
KEY_BYTES = 32


def ensure_dev_master_key(path: Path) -> bool:
    """Create `path` (`1:<base64 of 32 random bytes>`, mode 0600) unless it exists.

    Returns whether a key was created.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    key = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
    try:
        # O_EXCL: never overwrite a key that secrets were already derived from.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as out:
        out.write(f"{KEY_VERSION}:{key}\n")
    return True
