"""Kafka records of a realistic batch (users, each with access keys) spread over partitions."""

from __future__ import annotations

from aiokafka.structs import ConsumerRecord

from domain.ids import access_key_id
from events import cloudevents
from events.schemas import AccessKeyIssued, Event, UserCreated
from tests.unit.samples import ACCOUNT, NOW

TOPIC = "t.events"


def user_and_key_records(count: int, partitions: int, *, first_offset: int = 0,
                         label: str = "u") -> list[ConsumerRecord]:
    """`count` records: every third event creates a user, the two after it issue its keys."""
    records = []
    for n in range(count):
        user = f"{label}{n // 3}"
        arn = f"arn:aws:iam::{ACCOUNT}:user/{user}"
        event: Event = (
            UserCreated(account_id=ACCOUNT, user_name=user, user_id=f"AIDA{label.upper()}{n:016d}",
                        path="/", arn=arn, created_at=NOW)
            if n % 3 == 0 else
            AccessKeyIssued(account_id=ACCOUNT, access_key_id=access_key_id(
                f"{label}{n}".encode().ljust(10, b"-")[:10]), user_name=user, owner_arn=arn,
                salt=f"{n:032x}", master_key_version=1, created_at=NOW))
        meta = cloudevents.EventMeta(id=f"e{label}{n}", time=NOW, sequence=first_offset + n + 1,
                                     command_id=f"c{n}")
        key, value, headers = cloudevents.encode(event, meta)
        records.append(ConsumerRecord(TOPIC, n % partitions, first_offset + n // partitions, 0,
                                      0, key, value, None, len(key), len(value), tuple(headers)))
    return records
