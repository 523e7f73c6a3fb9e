"""Prometheus metrics of every role (base units, `_total`, `_seconds`, low-cardinality labels)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

COMMANDS_PROCESSED = Counter(
    "iamlog_commands_processed_total", "Commands decided by the processor", ["outcome"]
)
TRANSACTION_SECONDS = Histogram(
    "iamlog_processor_transaction_seconds",
    "Time from first send to commit of one processor transaction",
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
PARTITIONS_OWNED = Gauge("iamlog_processor_partitions_owned", "Command partitions owned")
RESTORE_SECONDS = Histogram(
    "iamlog_processor_restore_seconds", "Time to restore one partition's state from the log"
)
EVENTS_PROJECTED = Counter("iamlog_projector_events_total", "Events applied to read models")
PROJECTION_LAG_EVENTS = Gauge(
    "iamlog_projection_lag_events", "Events on the log not yet in the read models", ["partition"]
)
PROJECTION_LAG_SECONDS = Gauge(
    "iamlog_projection_lag_seconds", "Age of the newest projected event when applied",
    ["partition"],
)
DEADLETTERED = Counter("iamlog_deadlettered_events_total", "Events sent to the dead-letter topic")
COMMAND_ROUNDTRIP_SECONDS = Histogram(
    "iamlog_command_roundtrip_seconds",
    "Time from producing a command to receiving its reply",
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
API_REQUESTS = Counter(
    "iamlog_api_requests_total", "Query API requests by action and outcome (ok or error code)",
    ["action", "outcome"],
)
API_REQUEST_SECONDS = Histogram(
    "iamlog_api_request_seconds", "Query API request latency", ["action"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
AUTH_FAILURES = Counter(
    "iamlog_auth_failures_total", "Refused authentications by AWS error code", ["code"]
)
SCHEDULER_RENEWALS = Counter(
    "iamlog_scheduler_renewals_total", "Workload sessions renewed by this scheduler replica",
    ["outcome"],
)
SCHEDULER_RENEWAL_LATENESS = Histogram(
    "iamlog_scheduler_renewal_lateness_seconds",
    "Seconds between a session's renewal instant and its renewal being sent",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
SCHEDULER_PASS_SECONDS = Histogram(
    "iamlog_scheduler_pass_seconds",
    "Duration of one scheduler pass (hold-backs, metrics, the claim transaction)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
SCHEDULER_EXPIRIES = Counter(
    "iamlog_scheduler_expiries_total", "Sessions whose expiration this scheduler replica recorded",
    ["outcome"],
)
SESSIONS_ACTIVE = Gauge(
    "iamlog_sessions_active", "Sessions neither expired nor revoked, by kind (read model)", ["kind"]
)
SCHEDULER_OLDEST_OVERDUE = Gauge(
    "iamlog_scheduler_oldest_overdue_seconds",
    "Age of the oldest renewal or expiry past due and not done yet (read model)",
)
SCHEDULER_KEY_STEPS = Counter(
    "iamlog_scheduler_key_steps_total",
    "Access key steps sent by the scheduler (rotation due, expiry, rotation disable/delete)",
    ["kind", "outcome"],
)
ACCESS_KEYS_ROTATION_DUE = Gauge(
    "iamlog_access_keys_rotation_due",
    "Access keys past their rotation due instant and not expired (read model)",
)
