"""What operators see: request ids in logs, traces in events, metrics, and no secrets."""

from __future__ import annotations

import json
from typing import Any

import httpx

from events.topics import Topics
from tests.e2e.conftest import Account, Server
from tests.integration.harness import read_topic

TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_trace_context_reaches_the_events(server: Server, iam: Any,
                                                account: Account) -> None:
    """A caller's `traceparent` travels with its command into the event's CloudEvents headers."""
    def add_trace(request: Any, **_: Any) -> None:
        request.headers["traceparent"] = TRACE

    iam.meta.events.register("before-sign.iam.CreateUser", add_trace)
    answer = iam.create_user(UserName="traced")
    request_id = answer["ResponseMetadata"]["RequestId"]
    events = await read_topic(server.settings, Topics.for_prefix(
        server.settings.topic_prefix).events)
    created = [dict(r.headers) for r in events if dict(r.headers)["ce_subject"].endswith(
        b":user/traced") and r.key == account.account_id.encode()]
    assert [TRACE.encode()] == [headers["ce_traceparent"] for headers in created]
    lines = [json.loads(line) for line in server.log_text().splitlines()
             if line.startswith("{") and request_id in line]
    assert [("request", "CreateUser", "ok")] == [
        (line["event"], line["action"], line["outcome"]) for line in lines]


def test_metrics_after_a_scenario(server: Server, iam: Any) -> None:
    """The scrape shows API, auth-failure, processor and projector figures with samples."""
    iam.create_user(UserName="metered")
    iam.list_users()
    httpx.post(f"{server.url}/", data={"Action": "ListUsers", "Version": "2010-05-08"})
    text = httpx.get(f"{server.url}/metrics").text
    samples = {line.split(" ")[0]: float(line.split(" ")[-1]) for line in text.splitlines()
               if line.startswith("iamlog_")}

    def total(prefix: str) -> float:
        return sum(value for name, value in samples.items() if name.startswith(prefix))

    assert total('iamlog_api_requests_total{action="CreateUser",outcome="ok"}') >= 1
    assert total("iamlog_api_request_seconds_count") >= 2
    assert total('iamlog_auth_failures_total{code="MissingAuthenticationToken"}') >= 1
    assert total('iamlog_commands_processed_total{outcome="ok"}') >= 1
    assert total("iamlog_processor_transaction_seconds_count") >= 1
    assert total("iamlog_projector_events_total") >= 1
    assert "iamlog_projection_lag_events" in text
    assert "iamlog_projection_lag_seconds" in text
    assert "iamlog_deadlettered_events_total" in text


def test_no_secret_in_the_server_log(server: Server, iam: Any, account: Account) -> None:
    """Secrets created through the API never reach the server's log."""
    iam.create_user(UserName="quiet")
    secrets = [iam.create_access_key(UserName="quiet")["AccessKey"]["SecretAccessKey"]
               for _ in range(2)] + [account.secret_access_key]
    log = server.log_text()
    assert "request" in log
    assert [] == [secret for secret in secrets if secret in log]
