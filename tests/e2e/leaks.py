"""Where an e2e test looks for secrets that must never leave the response that carried them."""

from __future__ import annotations

import asyncpg

from events.topics import Topics
from tests.e2e.conftest import Server
from tests.integration.harness import read_topic
from tests.integration.test_no_secrets import all_rows_text


async def assert_nowhere(server: Server, *needles: str) -> None:
    """No needle (a session token, a secret, a web-identity token…) is in the server's log,
    any of its topics or any table of its database."""
    topics = Topics.for_prefix(server.settings.topic_prefix)
    haystacks = {"logs": server.log_text()}
    for topic in (topics.commands, topics.events, topics.replies, topics.deadletter):
        haystacks[topic] = "\n".join((r.value or b"").decode(errors="replace") + repr(r.headers)
                                     for r in await read_topic(server.settings, topic))
    db = await asyncpg.connect(server.settings.database_url.get_secret_value())
    try:
        haystacks["tables"] = await all_rows_text(db)
    finally:
        await db.close()
    for name, text in haystacks.items():
        for needle in needles:
            assert needle not in text, f"a secret was found in {name}"
