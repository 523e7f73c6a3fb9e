"""`GenerateCredentialReport` and `GetCredentialReport`: AWS's CSV from the read models.

As AWS does it: a first `Generate` answers `STARTED` ("No report exists. Starting a new report
generation task"); while the latest report is younger than 4 hours, `Generate` makes no new one
and answers `COMPLETE`; once it is older, `Generate` starts a new one (`STARTED` again).
Reports here are built before `Generate` returns, so `INPROGRESS` is never seen and a `Get`
right after `STARTED` finds the report. `Get` before any report is `ReportNotPresent` (410).

Limitation: reports live in memory on the api replica that generated them (keyed by account,
timed by the request clock). Behind several replicas a `Get` routed elsewhere answers
`ReportNotPresent`, and a restart forgets them; a client that generates again gets a new one.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import DomainError
from services.api.iam.reads import fresh
from services.api.iam.registry import Call, Result, action
from services.projector import queries as q

REPORT_LIFETIME = timedelta(hours=4)
_STARTED = "No report exists. Starting a new report generation task"
_COMPLETE = "The most recent credential report is less than 4 hours old."


class ReportNotPresent(DomainError):
    """No credential report has been generated for the account (on this replica)."""

    code = "ReportNotPresent"
    http_status = 410


@dataclass(frozen=True, slots=True)
class CredentialReport:
    """One generated report: its CSV bytes and when it was made."""

    content: bytes
    generated: datetime


class CredentialReports:
    """The latest report of each account, in this process."""

    def __init__(self) -> None:
        self._latest: dict[str, CredentialReport] = {}

    def current(self, account_id: str, now: datetime) -> CredentialReport | None:
        """The account's report if younger than `REPORT_LIFETIME`, else None."""
        report = self._latest.get(account_id)
        return report if report is not None and now - report.generated < REPORT_LIFETIME else None

    def latest(self, account_id: str) -> CredentialReport | None:
        """The account's most recent report, however old."""
        return self._latest.get(account_id)

    def keep(self, account_id: str, report: CredentialReport) -> None:
        """Make `report` the account's latest."""
        self._latest[account_id] = report


REPORTS = CredentialReports()


def render_csv(rows: list[dict[str, str]]) -> bytes:
    """The rows as AWS's report: a header of `CREDENTIAL_REPORT_COLUMNS`, `\\n` line ends."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=q.CREDENTIAL_REPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@action("iam", "GenerateCredentialReport")
async def generate_credential_report(call: Call) -> Result:
    """Build a report unless one younger than 4 hours exists."""
    call.authorize("iam:GenerateCredentialReport", "*")
    if REPORTS.current(call.account_id, call.now) is not None:
        return {"State": "COMPLETE", "Description": _COMPLETE}
    rows = await q.credential_report_rows(await fresh(call), call.account_id)
    # A concurrent Generate may have finished while this one read: the first report stands.
    if REPORTS.current(call.account_id, call.now) is None:
        REPORTS.keep(call.account_id, CredentialReport(render_csv(rows), call.now))
    return {"State": "STARTED", "Description": _STARTED}


@action("iam", "GetCredentialReport")
async def get_credential_report(call: Call) -> Result:
    """The latest report; the Query codec base64-encodes `Content` (a blob)."""
    call.authorize("iam:GetCredentialReport", "*")
    report = REPORTS.latest(call.account_id)
    if report is None:
        raise ReportNotPresent(
            "Unable to find a credential report. Use GenerateCredentialReport to create one.",
            account_id=call.account_id)
    return {"Content": report.content, "ReportFormat": "text/csv",
            "GeneratedTime": report.generated}
