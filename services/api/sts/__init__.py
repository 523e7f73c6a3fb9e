"""STS Query API handlers; importing the package registers them all."""

from services.api.sts import identity, session_token

__all__ = ["identity", "session_token"]
