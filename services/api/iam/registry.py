"""The handler registry of the Query API, and what a handler gets to work with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.account import AccountState
from domain.commands import Command
from domain.errors import error_from_code
from domain.policy import Decision
from services.api import authz
from services.api.caller import Caller
from services.api.runtime import ApiRuntime
from services.envelopes import Reply

Result = dict[str, Any]
Handler = Callable[["Call"], Awaitable[Result]]
HANDLERS: dict[tuple[str, str], Handler] = {}


def action(service: str, name: str) -> Callable[[Handler], Handler]:
    """Register the handler of `service`'s action `name` (e.g. `("iam", "CreateUser")`)."""
    def register(handler: Handler) -> Handler:
        HANDLERS[(service, name)] = handler
        return handler
    return register


@dataclass
class Call:
    """One authenticated, parsed request."""

    runtime: ApiRuntime
    caller: Caller
    args: dict[str, Any]
    request_id: str
    now: datetime
    traceparent: str | None = None
    decisions: list[Decision] = field(default_factory=list)

    @property
    def account_id(self) -> str:
        """The caller's account: every IAM call stays inside it."""
        return self.caller.account_id

    @property
    def state(self) -> AccountState | None:
        """The caller's account as this replica's identity index knows it."""
        return self.runtime.index.account(self.caller.account_id)

    def authorize(self, action_name: str, resource: str) -> None:
        """Raise `AccessDenied` unless the caller may do `action_name` on `resource`."""
        self.decisions.append(authz.require(self.state, self.caller, action_name, resource,
                                            now=self.now))

    async def send(self, command: Command) -> Reply:
        """Send a command for the caller's account; a refusal raises its domain error."""
        reply = await self.runtime.commands.send(self.account_id, command,
                                                 traceparent=self.traceparent)
        if not reply.ok:
            raise error_from_code(reply.error_code or "ServiceFailure",
                                  reply.error_message or "The command was refused.")
        # Authorization of the caller's next request sees this write.
        await self.runtime.index.wait_for(self.account_id, reply.version)
        return reply
