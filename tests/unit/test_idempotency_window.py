"""The processor's idempotency window: a repeated command id gets exactly its first outcome
again (after handling and after a restore from the log), the window keeps its bound, and a
remembered command costs a compact entry, not a `Reply` object."""

from __future__ import annotations

import base64
import gc
import json
import tracemalloc
import uuid
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.commands import AssumeRole, Command, CreateAccount, CreateRole, CreateUser
from events.cloudevents import RecordedEvent
from events.schemas import EVENT_MODELS
from services.envelopes import CommandEnvelope, EventSummary, Reply
from services.processor import partition
from services.processor.partition import Outcome, PartitionState, Remembered
from tests.unit.samples import ACCOUNT, NOW, context, events_of

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]})


def _send(state: PartitionState, command: Command, command_id: str | None = None) -> Outcome:
    envelope = CommandEnvelope(command_id=command_id or uuid.uuid4().hex, account_id=ACCOUNT,
                               command=command)
    return state.handle(envelope, context(envelope.command_id))


def _assume(state: PartitionState, number: int) -> AssumeRole:
    role = state.accounts[ACCOUNT].roles["load"]
    return AssumeRole(
        session_id=uuid.uuid4().hex, role_name="load", role_id=role.role_id,
        caller_arn=f"arn:aws:iam::{ACCOUNT}:user/assumer", role_session_name=f"w{number % 8}",
        session_key_id="ASIA" + base64.b32encode(uuid.uuid4().bytes).decode()[:16],
        issued_at=NOW, expires_at=NOW + timedelta(seconds=900))


def _loaded() -> PartitionState:
    state = PartitionState()
    for command in (CreateAccount(), CreateUser(user_name="assumer"),
                    CreateRole(role_name="load", assume_role_policy_document=TRUST)):
        assert _send(state, command).reply.ok
    return state


def _again(reply: Reply) -> str:
    return reply.model_copy(update={"duplicate": True}).model_dump_json()


def test_a_repeated_command_gets_its_first_outcome_and_appends_nothing() -> None:
    state = _loaded()
    command = _assume(state, 1)
    first = _send(state, command, "cmd-1")
    version = state.accounts[ACCOUNT].version

    again = _send(state, command, "cmd-1")

    assert (first.reply.ok, len(first.events)) == (True, 1)
    assert again.events == []
    assert again.reply.model_dump_json() == _again(first.reply)
    assert state.accounts[ACCOUNT].version == version


def test_after_a_restore_a_repeated_command_gets_its_first_outcome() -> None:
    """The window rebuilt from the log answers like the one that decided: CreateAccount
    appends two events under one command id, and both come back, in order."""
    deciding = PartitionState()
    created = _send(deciding, CreateAccount(), "cmd-account")
    user = _send(deciding, CreateUser(user_name="u"), "cmd-user")
    assert len(created.events) >= 2

    restored = PartitionState()
    for outcome in (created, user):
        for event, meta in outcome.events:
            restored.restore(RecordedEvent(meta=meta, event=event))

    for outcome, command, command_id in ((created, CreateAccount(), "cmd-account"),
                                         (user, CreateUser(user_name="u"), "cmd-user")):
        again = _send(restored, command, command_id)
        assert again.events == []
        assert again.reply.model_dump_json() == _again(outcome.reply)


@pytest.mark.parametrize("event_type", sorted(EVENT_MODELS))
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_every_event_type_comes_back_unchanged_from_the_window(event_type: str,
                                                               data: st.DataObject) -> None:
    """The compact form (the data as JSON) gives back exactly the summary a reply held."""
    event = data.draw(events_of(EVENT_MODELS[event_type]), label="event")
    summary = EventSummary(type=event.event_type, data=event.model_dump(mode="json"))
    original = Reply(command_id="c", account_id=ACCOUNT, ok=True, version=7, events=[summary])

    remembered = Remembered(7, (partition._compact(summary),))

    assert remembered.reply("c", ACCOUNT).model_dump_json() == _again(original)


def test_the_window_keeps_its_bound_and_forgets_the_oldest() -> None:
    state = _loaded()
    state.window = 5
    commands = [(f"cmd-{n}", _assume(state, n)) for n in range(8)]
    for command_id, command in commands:
        assert _send(state, command, command_id).reply.ok

    assert list(state.seen[ACCOUNT]) == [command_id for command_id, _ in commands[3:]]
    # The oldest is forgotten: decided anew, not answered as a duplicate.
    assert not _send(state, commands[0][1], commands[0][0]).reply.duplicate
    assert _send(state, commands[-1][1], commands[-1][0]).reply.duplicate


def test_a_remembered_command_and_its_live_session_cost_little_memory() -> None:
    """An AssumeRole holds one window entry and one live session: about 1.2 KB together
    (a full `Reply` in the window cost about 3 KB). The soak's memory bound relies on it."""
    state = _loaded()
    count = 2000
    commands = [_assume(state, n) for n in range(count)]
    ids = [uuid.uuid4().hex for _ in range(count)]
    ctx = context("memory")
    envelopes = [CommandEnvelope(command_id=command_id, account_id=ACCOUNT, command=command)
                 for command_id, command in zip(ids, commands, strict=True)]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for envelope in envelopes:
            state.handle(envelope, ctx)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    assert len(state.seen[ACCOUNT]) >= count
    assert len(state.accounts[ACCOUNT].sessions) == count
    assert grown / count < 1500, f"{grown / count:.0f} bytes per AssumeRole"
