"""The broker stopped for 20 s under load, then started again."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from services.bench.mixed import Load, Sent
from services.settings import Settings
from tests.faults.checks import check_log, check_read_models, check_workloads_and_scheduler
from tests.faults.cluster import Cluster
from tests.faults.conftest import Traffic
from tests.faults.stack import PrivateStack

OUTAGE_SECONDS = 20
MUTATIONS = {"create_user", "key_churn", "key_toggle", "assume_role", "session_token"}


def recorded_boto3_call(load: Load, user_name: str) -> dict[str, Any]:
    """boto3's CreateUser with standard retries; every attempt is recorded in `load.sent`."""
    root = load.account.root
    iam = boto3.client("iam", endpoint_url=load.url, region_name="us-east-1",
                       aws_access_key_id=root.access_key_id,
                       aws_secret_access_key=root.secret,
                       config=Config(retries={"max_attempts": 4, "mode": "standard"},
                                     read_timeout=30))

    def record(response: Any = None, **_: Any) -> None:
        if response is None:
            return
        http, parsed = response
        meta = parsed.get("ResponseMetadata", {})
        load.sent.append(Sent("boto3", "CreateUser", meta.get("RequestId", ""),
                              http.status_code, parsed.get("Error", {}).get("Code", ""),
                              time.monotonic(), 0.0, ("iamlog.user.created",)))

    iam.meta.events.register("needs-retry.iam.CreateUser", record)
    try:
        return dict(iam.create_user(UserName=user_name)["ResponseMetadata"])
    except ClientError as exc:
        return dict(exc.response["ResponseMetadata"], Code=exc.response["Error"]["Code"])


async def test_broker_outage_answers_503_and_leaves_nothing_half_done(
        private_stack: PrivateStack, cluster: Cluster, traffic: Traffic,
        fault_settings: Settings, fault_db: asyncpg.Connection) -> None:
    """Mutations answer ServiceUnavailable (retried by botocore) while the broker is down; after
    it returns the load recovers, every command is whole or absent, read models match a replay."""
    await traffic.progress(40)
    await private_stack.stop_kafka()
    down_since = time.monotonic()
    retried = asyncio.create_task(asyncio.to_thread(recorded_boto3_call, traffic.load,
                                                    "retried-by-botocore"))
    await asyncio.sleep(OUTAGE_SECONDS)
    down_until = time.monotonic()
    await private_stack.start_kafka()
    boto3_meta = await retried
    await traffic.progress(60, timeout=180)
    sent = await traffic.finish()
    assert [] == cluster.crashed()
    await check_workloads_and_scheduler(cluster, fault_settings, sent,
                                        traffic.load.account.workloads)

    during = [s for s in sent if down_since + 1 <= s.started
              and s.started + s.seconds <= down_until and s.op in MUTATIONS and s.expects]
    assert during, "no mutation was answered while the broker was down"
    assert {(503, "ServiceUnavailable")} == {(s.status, s.code) for s in during}
    # botocore classifies the 503 as retryable: the first attempt fell into the outage.
    assert boto3_meta["RetryAttempts"] >= 1, boto3_meta
    assert (503, "ServiceUnavailable") == next(
        (s.status, s.code) for s in traffic.load.sent if s.op == "boto3")
    counts = await check_log(fault_settings, sent)
    assert counts["unavailable"] >= len(during), counts
    assert await check_read_models(fault_settings, fault_db) > 0
