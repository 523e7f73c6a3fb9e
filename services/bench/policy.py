"""`iamlog bench policy`: per-decision latency of domain/policy, and the ratio to moto's evaluator.

The principal is realistic: an IAM user with tags and 10 attached policies of 10 statements
each, mixing exact and wildcard actions, `NotAction`, `Deny`s, ARN wildcards, a policy variable
and conditions (IP ranges, tags, dates, booleans, string patterns), most of them different in
each policy (guardrails such as `aws:SecureTransport` repeat, as they do in real accounts).
Requests are drawn from a fixed-seed pool of actions and resources, each decision gets a
freshly built `RequestContext`, and only `evaluate` is timed, after a short warm-up.

moto's evaluator (`moto.iam.access_control.IAMPolicy`) supports neither conditions nor policy
variables nor `?`, and its matching is case-sensitive, so the comparison runs both evaluators on
that subset: the same policies with `Condition` blocks removed, and the same requests.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from domain.policy import (
    PolicyKind,
    Principal,
    PrincipalPolicies,
    RequestContext,
    compile_policy,
    evaluate,
    parse_policy,
)

RESULTS = Path(__file__).resolve().parents[2] / "bench-results" / "policy.jsonl"
ACCOUNT = "123456789012"
MOTO_MAX_DECISIONS = 20_000
WARM_UP = 2_000
_SEED = 20_260_101

_SERVICES = {
    "s3": ["GetObject", "PutObject", "DeleteObject", "ListBucket", "GetBucketPolicy",
           "PutBucketTagging"],
    "ec2": ["DescribeInstances", "RunInstances", "TerminateInstances", "DescribeVolumes",
            "CreateTags"],
    "dynamodb": ["GetItem", "PutItem", "Query", "Scan", "DeleteTable"],
    "iam": ["GetUser", "CreateAccessKey", "ListUsers", "AttachUserPolicy"],
    "sqs": ["SendMessage", "ReceiveMessage", "DeleteQueue"],
    "kms": ["Decrypt", "Encrypt", "ScheduleKeyDeletion"],
    "logs": ["PutLogEvents", "CreateLogGroup"],
}
_RESOURCES = {
    "s3": ["arn:aws:s3:::data-{n}/reports/{u}/2026/q{q}.csv", "arn:aws:s3:::logs-{n}/app/{u}.log",
           "arn:aws:s3:::data-{n}"],
    "ec2": [f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0{{n}}abc",
            f"arn:aws:ec2:eu-west-1:{ACCOUNT}:volume/vol-{{n}}"],
    "dynamodb": [f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders-{{n}}",
                 f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/users/index/by-{{u}}"],
    "iam": [f"arn:aws:iam::{ACCOUNT}:user/{{u}}", f"arn:aws:iam::{ACCOUNT}:user/ops/{{u}}"],
    "sqs": [f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue-{{n}}"],
    "kms": [f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{{n}}-abcd"],
    "logs": [f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app/{{u}}:*"],
}
_USERS = ["alice", "bob", "carol"]


@dataclass(frozen=True)
class Figures:
    """Latency percentiles of one series of decisions, in microseconds."""

    p50: float
    p99: float
    mean: float
    count: int


def main(decisions: int) -> None:
    """Run the benchmark, print the figures and append them to bench-results/policy.jsonl."""
    decisions = max(decisions, 1)
    console = Console()
    rng = random.Random(_SEED)
    documents = [_policy_document(rng, index) for index in range(10)]
    full = _principal_policies(documents)
    subset_documents = [_without_conditions(document) for document in documents]
    subset = _principal_policies(subset_documents)
    requests = [_request_args(rng) for _ in range(decisions)]
    moto_count = min(decisions, MOTO_MAX_DECISIONS)

    # refreshed by hand between timed calls: an auto-refresh thread would contend for the GIL
    with Progress(console=console, transient=True, auto_refresh=False) as progress:
        ours = _time_ours(progress, "iamlog, full policies", requests, full)
        ours_subset = _time_ours(progress, "iamlog, moto's subset", requests[:moto_count], subset)
        moto, agreement = _time_moto(progress, requests[:moto_count], subset_documents, subset)
    build = _time_context_builds(requests[: min(decisions, 20_000)])
    ratio = moto.p50 / ours_subset.p50

    table = Table(title=f"policy decisions ({decisions:,}; moto {moto_count:,})")
    for column in ("series", "p50 µs", "p99 µs", "mean µs", "decisions"):
        table.add_column(column, justify="right" if column != "series" else "left")
    for name, figures in (("iamlog (10×10, conditions)", ours),
                          ("iamlog (moto subset)", ours_subset), ("moto (subset)", moto),
                          ("RequestContext build", build)):
        table.add_row(name, f"{figures.p50:.2f}", f"{figures.p99:.2f}", f"{figures.mean:.2f}",
                      f"{figures.count:,}")
    console.print(table)
    console.print(f"moto p50 / iamlog p50 on the same subset: [bold]{ratio:.1f}×[/bold] "
                  f"(target ≥ 10×); decisions agreeing with moto: {agreement:.2%}")
    console.print(f"p50 target ≤ 20 µs: {'met' if ours.p50 <= 20 else 'NOT met'}")
    _append_results(decisions, ours, ours_subset, moto, build=build, ratio=ratio,
                    agreement=agreement)
    console.print(f"appended to {RESULTS}")


def _time_ours(progress: Progress, label: str, requests: Sequence[dict[str, Any]],
               principal: PrincipalPolicies) -> Figures:
    for args in requests[:WARM_UP]:  # a service is warm: memos filled, code paths hot
        evaluate(RequestContext(**args), principal)
    task = progress.add_task(label, total=len(requests))
    samples: list[int] = []
    clock = time.perf_counter_ns
    for done, args in enumerate(requests, 1):
        request = RequestContext(**args)
        start = clock()
        evaluate(request, principal)
        samples.append(clock() - start)
        if done % 1_000 == 0:
            progress.update(task, completed=done, refresh=True)
    progress.update(task, completed=len(requests), refresh=True)
    return _figures(samples)


def _time_moto(progress: Progress, requests: Sequence[dict[str, Any]], documents: list[str],
               subset: PrincipalPolicies) -> tuple[Figures, float]:
    from moto.iam.access_control import IAMPolicy, PermissionResult  # noqa: PLC0415 - bench-only

    policies = [IAMPolicy(document) for document in documents]
    denied, permitted = PermissionResult.DENIED, PermissionResult.PERMITTED

    def moto_allows(action: str, resource: str) -> bool:
        allowed = False
        for policy in policies:
            result = policy.is_action_permitted(action, resource)
            if result == denied:
                return False
            allowed = allowed or result == permitted
        return allowed

    task = progress.add_task("moto, moto's subset", total=len(requests))
    samples: list[int] = []
    agree = 0
    clock = time.perf_counter_ns
    for done, args in enumerate(requests, 1):
        start = clock()
        moto_allowed = moto_allows(args["action"], args["resource"])
        samples.append(clock() - start)
        agree += moto_allowed == evaluate(RequestContext(**args), subset).allowed
        if done % 500 == 0:
            progress.update(task, completed=done, refresh=True)
    progress.update(task, completed=len(requests), refresh=True)
    return _figures(samples), agree / len(requests)


def _time_context_builds(requests: Sequence[dict[str, Any]]) -> Figures:
    samples: list[int] = []
    clock = time.perf_counter_ns
    for args in requests:
        start = clock()
        RequestContext(**args)
        samples.append(clock() - start)
    return _figures(samples)


def _figures(samples_ns: list[int]) -> Figures:
    ordered = sorted(samples_ns)
    return Figures(p50=ordered[len(ordered) // 2] / 1_000,
                   p99=ordered[min(len(ordered) - 1, len(ordered) * 99 // 100)] / 1_000,
                   mean=statistics.fmean(ordered) / 1_000, count=len(ordered))


def _append_results(decisions: int, ours: Figures, subset: Figures, moto: Figures, *,
                    build: Figures, ratio: float, agreement: float) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    line = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "decisions": decisions,
        "p50_us": round(ours.p50, 3), "p99_us": round(ours.p99, 3),
        "mean_us": round(ours.mean, 3),
        "subset_p50_us": round(subset.p50, 3), "subset_p99_us": round(subset.p99, 3),
        "moto_decisions": moto.count,
        "moto_p50_us": round(moto.p50, 3), "moto_p99_us": round(moto.p99, 3),
        "ratio_p50": round(ratio, 2), "moto_agreement": round(agreement, 4),
        "context_build_p50_us": round(build.p50, 3),
    }
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write(json.dumps(line) + "\n")


def _principal_policies(documents: list[str]) -> PrincipalPolicies:
    compiled = tuple(compile_policy(parse_policy(document, PolicyKind.MANAGED), f"ANPABENCH{i:02d}")
                     for i, document in enumerate(documents))
    return PrincipalPolicies(identity=compiled)


def _request_args(rng: random.Random) -> dict[str, Any]:
    service = rng.choice(list(_SERVICES))
    action = f"{service}:{rng.choice(_SERVICES[service])}"
    user = rng.choice(_USERS)
    template = rng.choice(_RESOURCES[service])
    resource = template.format(n=rng.randrange(4), u=user, q=rng.randint(1, 4))
    return {
        "action": action,
        "resource": resource,
        "principal": Principal.user(ACCOUNT, user, f"AIDA{user.upper():0<16}",
                                    tags={"team": rng.choice(["data", "ops", "web"])}),
        "now": datetime(2026, 3, rng.randint(1, 28), rng.randrange(24), tzinfo=UTC),
        "context": {
            "aws:SourceIp": rng.choice(["10.1.2.3", "192.168.7.9", "203.0.113.8", "2001:db8::5"]),
            "aws:SecureTransport": rng.random() < 0.9,
            "aws:MultiFactorAuthPresent": rng.random() < 0.5,
            "s3:prefix": rng.choice(["reports/", "tmp/", "home/alice/"]),
            "aws:RequestedRegion": rng.choice(["us-east-1", "eu-west-1", "ap-south-1"]),
        },
    }


_STATEMENT_MAKERS: list[Callable[[random.Random, int], dict[str, Any]]] = []


def _maker(make: Callable[[random.Random, int], dict[str, Any]]
           ) -> Callable[[random.Random, int], dict[str, Any]]:
    _STATEMENT_MAKERS.append(make)
    return make


@_maker
def _s3_read(rng: random.Random, n: int) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"],
            "Resource": [f"arn:aws:s3:::data-{n % 4}/*", f"arn:aws:s3:::data-{n % 4}"],
            "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32",
                                                         f"192.168.{n}.0/24"]}}}


@_maker
def _s3_home(rng: random.Random, n: int) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
            "Resource": "arn:aws:s3:::data-*/reports/${aws:username}/*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}}}


@_maker
def _ec2_describe(rng: random.Random, n: int) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*",
            "Condition": {"StringEquals": {
                "aws:RequestedRegion": ["us-east-1", "eu-west-1", f"ap-south-{n}"]}}}


@_maker
def _ec2_tagged(rng: random.Random, n: int) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:TerminateInstances",
                                          "ec2:CreateTags"],
            "Resource": f"arn:aws:ec2:*:{ACCOUNT}:instance/*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["ops", "web", f"t{n}"]}}}


@_maker
def _dynamo(rng: random.Random, n: int) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": ["dynamodb:*Item", "dynamodb:Query"],
            "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders-?",
            "Condition": {"DateLessThan": {"aws:CurrentTime": f"2026-12-{10 + n}T00:00:00Z"}}}


@_maker
def _not_action_deny(rng: random.Random, n: int) -> dict[str, Any]:
    return {"Effect": "Deny", "NotAction": ["s3:*", "ec2:*", "dynamodb:*", "sqs:*", "logs:*",
                                            "iam:Get*", "iam:List*", "kms:*"],
            "Resource": "*"}


@_maker
def _deny_delete(rng: random.Random, n: int) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": ["dynamodb:DeleteTable", "sqs:DeleteQueue",
                                         "kms:ScheduleKeyDeletion"],
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}


@_maker
def _iam_self(rng: random.Random, n: int) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": ["iam:GetUser", "iam:CreateAccessKey"],
            "Resource": f"arn:aws:iam::{ACCOUNT}:user/*${{aws:username}}",
            "Condition": {"StringLike": {"s3:prefix": ["home/*", "reports/*", f"p{n}/*"]}}}


@_maker
def _queues(rng: random.Random, n: int) -> dict[str, Any]:
    return {"Effect": "Allow", "NotAction": ["sqs:Delete*", "sqs:Purge*"],
            "Resource": f"arn:aws:sqs:*:{ACCOUNT}:queue-*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24",
                                                            f"198.51.100.{n}"]}}}


@_maker
def _logs(rng: random.Random, n: int) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": ["logs:Create*", "logs:Put*", "kms:Decrypt"],
            "Resource": [f"arn:aws:logs:*:{ACCOUNT}:log-group:/app/*",
                         f"arn:aws:kms:us-east-1:{ACCOUNT}:key/*"],
            "Condition": {"ForAnyValue:StringLike": {
                "aws:RequestedRegion": ["us-*", "eu-*", f"me-{n}-*"]}}}


def _policy_document(rng: random.Random, index: int) -> str:
    statements = [make(rng, index + offset) for offset, make in enumerate(_STATEMENT_MAKERS)]
    for number, statement in enumerate(statements):
        statement["Sid"] = f"P{index}S{number}"
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _without_conditions(document: str) -> str:
    data = json.loads(document)
    for statement in data["Statement"]:
        statement.pop("Condition", None)
        for element in ("Action", "NotAction", "Resource"):
            if element in statement:
                values = statement[element]
                values = [values] if isinstance(values, str) else values
                # moto has no `?`, no variables, and treats `.` as a regex wildcard
                statement[element] = [v for v in values if "?" not in v and "${" not in v] or "*"
    return json.dumps(data)

