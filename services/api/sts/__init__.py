"""STS Query API handlers; importing the package registers them all."""

from services.api.sts import assume_role, federation, identity, session_token, web_identity

__all__ = ["assume_role", "federation", "identity", "session_token", "web_identity"]
