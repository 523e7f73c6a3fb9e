"""Commands: what a caller asks of an account. Imperative names; decided by `domain.account`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CreateAccount(_Command):
    """Create the account and its root user's first access key."""

    kind: Literal["CreateAccount"] = "CreateAccount"


class CreateUser(_Command):
    """Create an IAM user."""

    kind: Literal["CreateUser"] = "CreateUser"
    user_name: str
    path: str = "/"


class DeleteUser(_Command):
    """Delete an IAM user that has no access keys left."""

    kind: Literal["DeleteUser"] = "DeleteUser"
    user_name: str


class CreateAccessKey(_Command):
    """Issue an access key to a user, or to the root user when `user_name` is None."""

    kind: Literal["CreateAccessKey"] = "CreateAccessKey"
    user_name: str | None = None


class UpdateAccessKey(_Command):
    """Set an access key Active or Inactive."""

    kind: Literal["UpdateAccessKey"] = "UpdateAccessKey"
    access_key_id: str
    status: Literal["Active", "Inactive"]
    user_name: str | None = None


class DeleteAccessKey(_Command):
    """Delete an access key."""

    kind: Literal["DeleteAccessKey"] = "DeleteAccessKey"
    access_key_id: str
    user_name: str | None = None


Command = Annotated[
    CreateAccount | CreateUser | DeleteUser | CreateAccessKey | UpdateAccessKey | DeleteAccessKey,
    Field(discriminator="kind"),
]
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
