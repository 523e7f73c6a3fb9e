"""When a workload session is renewed: at half its lifetime, ±10 % jitter, like SPIRE.

The jitter comes from the session id (not from randomness), so every projector and every
rebuild computes the same instant for the same session.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

JITTER = 0.05  # ± 5 % of the lifetime around its half: renewals spread over [0.45, 0.55]


def renewal_fraction(session_id: str) -> float:
    """The fraction of the lifetime after which `session_id` is renewed, in [0.45, 0.55]."""
    digest = hashlib.sha256(session_id.encode()).digest()
    unit = int.from_bytes(digest[:8], "big") / (2**64 - 1)
    return 0.5 - JITTER + 2 * JITTER * unit


def renew_at(session_id: str, issued_at: datetime, expires_at: datetime) -> datetime:
    """The instant the scheduler renews the session."""
    return issued_at + (expires_at - issued_at) * renewal_fraction(session_id)
