"""The in-memory state of one owned partition, and how one command is handled against it.

No I/O here: the worker feeds records in and writes what comes out in one Kafka transaction.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

import pydantic
import pydantic_core

from domain.account import AccountState, Context, decide, evolve
from domain.errors import DomainError, ValidationError
from events.cloudevents import EventMeta, RecordedEvent
from events.schemas import Event
from services.envelopes import CommandEnvelope, EventSummary, Reply

# How many command ids per account are remembered for deduplication by default
# (IAMLOG_IDEMPOTENCY_WINDOW). Retries of the api and the scheduler happen within seconds; this
# window is the documented idempotency horizon.
IDEMPOTENCY_WINDOW = 10_000


@dataclass(frozen=True, slots=True)
class Remembered:
    """What a repeated command's reply needs, compactly: the account version after it and its
    events as (type, JSON of the data): about a quarter of a `Reply` object's memory."""

    version: int
    events: tuple[tuple[str, bytes], ...]

    def reply(self, command_id: str, account_id: str) -> Reply:
        """The first outcome again, marked as a duplicate."""
        return Reply(command_id=command_id, account_id=account_id, ok=True,
                     version=self.version, duplicate=True,
                     events=[EventSummary(type=kind, data=pydantic_core.from_json(data))
                             for kind, data in self.events])


@dataclass(slots=True)
class Outcome:
    """What one command produced: events to append (with envelopes) and the reply."""

    events: list[tuple[Event, EventMeta]]
    reply: Reply


@dataclass(slots=True)
class PartitionState:
    """Accounts of one partition and the outcomes of the commands recently applied to them."""

    accounts: dict[str, AccountState] = field(default_factory=dict)
    # account id → command id → its outcome, oldest first, at most `window` per account
    seen: dict[str, OrderedDict[str, Remembered]] = field(default_factory=dict)
    window: int = IDEMPOTENCY_WINDOW

    def account(self, account_id: str) -> AccountState:
        """The state of `account_id` (an empty one if it has no events yet)."""
        state = self.accounts.get(account_id)
        return state if state is not None else AccountState(account_id=account_id)

    def restore(self, recorded: RecordedEvent) -> None:
        """Fold an event read back from the log (assignment-time restore)."""
        event = recorded.event
        state = evolve(self.account(event.account_id), event)
        self.accounts[event.account_id] = state
        command_id = recorded.meta.command_id
        earlier = self._remembered(event.account_id, command_id)
        summary = (event.event_type, pydantic_core.to_json(event.model_dump(mode="json")))
        self._remember(event.account_id, command_id, Remembered(
            state.version, (*earlier.events, summary) if earlier is not None else (summary,)))

    def handle(self, envelope: CommandEnvelope, ctx: Context) -> Outcome:
        """Decide one command; a repeated command id yields its first outcome and no events."""
        previous = self._remembered(envelope.account_id, envelope.command_id)
        if previous is not None:
            return Outcome(events=[], reply=previous.reply(envelope.command_id,
                                                           envelope.account_id))
        state = self.account(envelope.account_id)
        try:
            events = decide(state, envelope.command, ctx)
        except DomainError as exc:
            return Outcome(events=[], reply=refusal(envelope.command_id, envelope.account_id, exc))
        appended: list[tuple[Event, EventMeta]] = []
        for event in events:
            state = evolve(state, event)
            meta = EventMeta(
                id=str(uuid.UUID(bytes=ctx.ids.random_bytes(16), version=4)),
                time=ctx.now,
                sequence=state.version,
                command_id=envelope.command_id,
                traceparent=envelope.traceparent,
            )
            appended.append((event, meta))
        self.accounts[envelope.account_id] = state
        reply = Reply(
            command_id=envelope.command_id,
            account_id=envelope.account_id,
            ok=True,
            version=state.version,
            events=[_summary(event) for event, _ in appended],
        )
        if appended:
            self._remember(envelope.account_id, envelope.command_id, Remembered(
                state.version, tuple(_compact(summary) for summary in reply.events)))
        return Outcome(events=appended, reply=reply)

    def _remembered(self, account_id: str, command_id: str) -> Remembered | None:
        window = self.seen.get(account_id)
        return window.get(command_id) if window is not None else None

    def _remember(self, account_id: str, command_id: str, outcome: Remembered) -> None:
        window = self.seen.setdefault(account_id, OrderedDict())
        window[command_id] = outcome
        window.move_to_end(command_id)
        while len(window) > self.window:
            window.popitem(last=False)


def refusal(command_id: str, account_id: str, exc: DomainError) -> Reply:
    """The reply for a refused command."""
    return Reply(command_id=command_id, account_id=account_id, ok=False,
                 error_code=exc.code, error_message=exc.message)


def parse_command(value: bytes | None, key: bytes | None) -> CommandEnvelope | Reply:
    """Decode a command record; a malformed one becomes a ValidationError reply."""
    try:
        envelope = CommandEnvelope.model_validate_json(value or b"")
    except pydantic.ValidationError as exc:
        account = (key or b"").decode("utf-8", "replace")[:12]
        first = exc.errors()[0]
        message = f"Malformed command: {first['msg']} at {'.'.join(map(str, first['loc']))}"
        command_id = _command_id_of(value)
        return refusal(command_id, account, ValidationError(message))
    return envelope


def _command_id_of(value: bytes | None) -> str:
    try:
        loose = pydantic.TypeAdapter(dict[str, object]).validate_json(value or b"{}")
    except pydantic.ValidationError:
        return ""
    command_id = loose.get("command_id")
    return command_id if isinstance(command_id, str) else ""


def _summary(event: Event) -> EventSummary:
    return EventSummary(type=event.event_type, data=event.model_dump(mode="json"))


def _compact(summary: EventSummary) -> tuple[str, bytes]:
    return summary.type, pydantic_core.to_json(summary.data)
