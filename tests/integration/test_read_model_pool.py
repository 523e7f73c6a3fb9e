"""The api's read-model pool after an outage error: every pooled connection is replaced."""

from __future__ import annotations

from typing import Any, cast

from services.api.runtime import ApiRuntime
from services.settings import Settings


async def test_after_an_outage_error_the_next_query_gets_a_new_connection(
        settings: Settings) -> None:
    runtime = ApiRuntime(settings=settings, commands=cast(Any, None), index=cast(Any, None),
                         master_keys=cast(Any, None), clock=cast(Any, None))
    pool = await runtime.pool()
    try:
        before = await pool.fetchval("SELECT pg_backend_pid()")
        assert before == await pool.fetchval("SELECT pg_backend_pid()")  # one pooled connection
        await runtime.read_models_failed()
        assert before != await pool.fetchval("SELECT pg_backend_pid()")
    finally:
        await runtime.close()
