"""Access keys: CreateAccessKey (the secret is shown here, once), UpdateAccessKey,
DeleteAccessKey."""

from __future__ import annotations

from domain.commands import CreateAccessKey, DeleteAccessKey, UpdateAccessKey
from services.api.iam.registry import Call, Result, action
from services.api.iam.users import target_user
from services.credentials.secrets import secret_for


@action("iam", "CreateAccessKey")
async def create_access_key(call: Call) -> Result:
    """Issue a key to `UserName`, or to the caller itself."""
    name, arn = target_user(call)
    call.authorize("iam:CreateAccessKey", arn)
    reply = await call.send(CreateAccessKey(user_name=name))
    issued = reply.events[0].data
    secret = secret_for(call.runtime.master_keys, issued["master_key_version"],
                        issued["access_key_id"], issued["salt"])
    key = {
        "AccessKeyId": issued["access_key_id"],
        "Status": "Active",
        "SecretAccessKey": secret,
        "CreateDate": issued["created_at"],
    }
    # Root's keys belong to no IAM user: the response names none.
    if name is not None:
        key["UserName"] = name
    return {"AccessKey": key}


@action("iam", "UpdateAccessKey")
async def update_access_key(call: Call) -> Result:
    """Set a key Active or Inactive."""
    name, arn = target_user(call)
    call.authorize("iam:UpdateAccessKey", arn)
    await call.send(UpdateAccessKey(access_key_id=call.args["AccessKeyId"],
                                    status=call.args["Status"], user_name=name))
    return {}


@action("iam", "DeleteAccessKey")
async def delete_access_key(call: Call) -> Result:
    """Delete a key."""
    name, arn = target_user(call)
    call.authorize("iam:DeleteAccessKey", arn)
    await call.send(DeleteAccessKey(access_key_id=call.args["AccessKeyId"], user_name=name))
    return {}
