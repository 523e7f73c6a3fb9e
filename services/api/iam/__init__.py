"""IAM Query API handlers; importing the package registers them all."""

from services.api.iam import (
    access_keys,
    creations,
    instance_profiles,
    mutations,
    oidc_providers,
    reads,
    reports,
    roles,
    simulate,
    users,
)
from services.api.iam.registry import HANDLERS, Call, Handler, action

__all__ = ["HANDLERS", "Call", "Handler", "access_keys", "action", "creations",
           "instance_profiles", "mutations", "oidc_providers", "reads", "reports", "roles",
           "simulate", "users"]
