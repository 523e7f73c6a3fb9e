"""IAM users: CreateUser, DeleteUser (commands)."""

from __future__ import annotations

from domain.commands import CreateUser, DeleteUser
from domain.errors import ValidationError
from domain.ids import user_arn
from services.api.iam.registry import Call, Result, action


def user_result(data: dict[str, object]) -> Result:
    """The `User` structure of IAM's responses from a user event's data."""
    return {
        "Path": data["path"],
        "UserName": data["user_name"],
        "UserId": data["user_id"],
        "Arn": data["arn"],
        "CreateDate": data["created_at"],
    }


def require_user_caller(call: Call) -> None:
    """An action that defaults to the caller's own user needs a user (or root) caller."""
    if call.caller.kind not in ("user", "root"):
        raise ValidationError("Must specify userName when calling with non-User credentials",
                              account_id=call.account_id)


def target_user(call: Call) -> tuple[str | None, str]:
    """The user an action targets (`UserName`, else the caller) and its ARN."""
    name = call.args.get("UserName")
    if name is None:
        require_user_caller(call)
        return call.caller.user_name, call.caller.arn
    state = call.state
    user = state.users.get(str(name).lower()) if state is not None else None
    return str(name), user.arn if user is not None else user_arn(call.account_id, str(name))


@action("iam", "CreateUser")
async def create_user(call: Call) -> Result:
    """Create an IAM user."""
    path = call.args.get("Path", "/")
    call.authorize("iam:CreateUser", user_arn(call.account_id, call.args["UserName"], path))
    reply = await call.send(CreateUser(user_name=call.args["UserName"], path=path))
    return {"User": user_result(reply.events[0].data)}


@action("iam", "DeleteUser")
async def delete_user(call: Call) -> Result:
    """Delete an IAM user with nothing attached."""
    name, arn = target_user(call)
    call.authorize("iam:DeleteUser", arn)
    await call.send(DeleteUser(user_name=str(name)))
    return {}
