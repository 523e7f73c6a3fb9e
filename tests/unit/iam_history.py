"""Histories and helpers shared by the IAM entity tests (given events, when command)."""

from __future__ import annotations

import json

from domain.account import AccountState, decide, fold
from domain.commands import Command, CreateAccount, CreateGroup, CreatePolicy, CreateUser
from events.schemas import Event
from tests.unit.samples import ACCOUNT, context, replay

POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/Read"
OTHER_ARN = f"arn:aws:iam::{ACCOUNT}:policy/Write"


def document(action: str = "s3:GetObject", effect: str = "Allow", resource: str = "*") -> str:
    """A one-statement identity policy document."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": effect, "Action": action, "Resource": resource}]})


def when(given: list[Event], command: Command) -> list[Event]:
    """Decide `command` on the state the `given` events build."""
    return decide(fold(AccountState(account_id=ACCOUNT), given), command, context())


def state_after(given: list[Event]) -> AccountState:
    """The state `given` builds."""
    return fold(AccountState(account_id=ACCOUNT), given)


def history(*more: Command) -> list[Event]:
    """The account with user Alice, group Ops and managed policies Read and Write, then `more`."""
    return replay([
        CreateAccount(), CreateUser(user_name="Alice"), CreateGroup(group_name="Ops"),
        CreatePolicy(policy_name="Read", policy_document=document()),
        CreatePolicy(policy_name="Write", policy_document=document("s3:PutObject")),
        *more,
    ])
