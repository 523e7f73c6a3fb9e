"""GetCallerIdentity, GetAccessKeyInfo and DecodeAuthorizationMessage: who is calling, whose
is a key id, and why a request was denied."""

from __future__ import annotations

import json
import re

from domain.errors import ValidationError
from services.api.iam.registry import Call, Result, action
from services.credentials.authorization_messages import messages_for

# AWS's `accessKeyIdType`: 16–128 word characters; iamlog issues AKIA/ASIA + 16 base32.
_KEY_ID = re.compile(r"[\w]{16,128}")


class UnknownAccessKey(ValidationError):
    """A well-formed key id iamlog never issued, or whose key is gone."""

    code = "InvalidParameterValue"


@action("sts", "GetCallerIdentity")
async def get_caller_identity(call: Call) -> Result:
    """The caller's account, ARN and user id; needs no permission, even under a deny."""
    caller = call.caller
    return {"UserId": caller.user_id, "Account": caller.account_id, "Arn": caller.arn}


@action("sts", "GetAccessKeyInfo")
async def get_access_key_info(call: Call) -> Result:
    """The account that owns a long-term (AKIA) or session (ASIA) key id.

    AWS decodes the account from bits inside the key id, so it answers for any id. iamlog's
    ids are random: it answers from its identity index, for keys it issued and that still
    exist (session keys: until the replica restarts past their expiry), and refuses other ids
    with `InvalidParameterValue` rather than invent an account.
    """
    key_id = str(call.args.get("AccessKeyId", ""))
    if not _KEY_ID.fullmatch(key_id):
        raise ValidationError(
            f"1 validation error detected: Value '{key_id[:128]}' at 'accessKeyId' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: [\\w]*")
    call.authorize("sts:GetAccessKeyInfo", "*")
    index = call.runtime.index
    record = index.keys.get(key_id)
    account = record.account_id if record is not None else index.session_keys.get(key_id)
    if account is None:
        raise UnknownAccessKey(f"The access key ID {key_id} is not known.",
                               account_id=call.account_id)
    return {"Account": account}


@action("sts", "DecodeAuthorizationMessage")
async def decode_authorization_message(call: Call) -> Result:
    """The JSON behind an "Encoded authorization failure message" of the caller's account;
    needs `sts:DecodeAuthorizationMessage`. A message of another account, altered or not one
    iamlog encoded is `InvalidAuthorizationMessageException`."""
    call.authorize("sts:DecodeAuthorizationMessage", "*")
    decoded = messages_for(call.runtime.master_keys).decode(
        call.account_id, str(call.args.get("EncodedMessage", "")))
    return {"DecodedMessage": json.dumps(decoded, separators=(",", ":"))}
