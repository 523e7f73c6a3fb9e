"""GetSessionToken: temporary credentials for the calling user (or root), recorded as an event.

The session acts as its user, with the user's own policies, but its credentials may call no
IAM action and in STS only AssumeRole and GetCallerIdentity (`services.api.authz`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.commands import IssueSessionToken
from services.api.authz import AccessDenied
from services.api.iam.registry import Call, Result, action
from services.credentials.session_tokens import tokens_for

DEFAULT_SECONDS = 43_200
ROOT_MAX_SECONDS = 3_600  # AWS silently caps root's sessions (and federated users) at 1 hour


def user_session_window(call: Call) -> tuple[datetime, datetime]:
    """Issue time and expiration of a session asked for with a long-term key
    (GetSessionToken, GetFederationToken): `DurationSeconds`, default 43,200 s, root capped."""
    seconds = int(call.args.get("DurationSeconds", DEFAULT_SECONDS))
    if call.caller.is_root:
        seconds = min(seconds, ROOT_MAX_SECONDS)
    issued_at = call.now.replace(microsecond=0)
    return issued_at, issued_at + timedelta(seconds=seconds)


@action("sts", "GetSessionToken")
async def get_session_token(call: Call) -> Result:
    """Issue session credentials; `DurationSeconds` 900–129,600 (checked by the protocol)."""
    caller = call.caller
    if caller.session is not None:
        raise AccessDenied("Cannot call GetSessionToken with session credentials",
                           account_id=caller.account_id)
    issued_at, expires_at = user_session_window(call)
    session = tokens_for(call.runtime.master_keys).issue(
        account_id=caller.account_id, arn=caller.arn, kind="session_token",
        name=caller.user_name, principal_id=caller.user_id, issued_at=issued_at,
        expires_at=expires_at)
    claims = session.claims
    await call.send(IssueSessionToken(
        session_id=claims.session_id, user_name=caller.user_name, user_id=caller.user_id,
        session_key_id=claims.access_key_id, source_key_id=caller.access_key_id,
        issued_at=issued_at, expires_at=expires_at))
    return {"Credentials": {
        "AccessKeyId": claims.access_key_id,
        "SecretAccessKey": session.secret_access_key,
        "SessionToken": session.token,
        "Expiration": expires_at,
    }}
