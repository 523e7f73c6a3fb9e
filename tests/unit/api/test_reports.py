"""The credential report store and CSV: one report per account per 4 hours, AWS's columns."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from services.api.iam.reports import CredentialReport, CredentialReports, render_csv
from services.projector.queries import CREDENTIAL_REPORT_COLUMNS

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_report_is_current_for_four_hours() -> None:
    """Younger than 4 h the report is current; at 4 h a new one may be generated."""
    reports = CredentialReports()
    report = CredentialReport(b"x", T0)
    reports.keep("111111111111", report)
    assert report == reports.current("111111111111", T0 + timedelta(hours=3, minutes=59))
    assert reports.current("111111111111", T0 + timedelta(hours=4)) is None
    assert report == reports.latest("111111111111")


def test_reports_are_kept_per_account() -> None:
    """Another account has no report of its own."""
    reports = CredentialReports()
    reports.keep("111111111111", CredentialReport(b"x", T0))
    assert reports.latest("222222222222") is None
    assert reports.current("222222222222", T0) is None


def test_csv_has_the_columns_and_unix_line_ends() -> None:
    """Header first, one line per row, `\\n` line ends as AWS's report has them."""
    row = dict.fromkeys(CREDENTIAL_REPORT_COLUMNS, "N/A") | {"user": "a,b"}
    content = render_csv([row]).decode()
    assert "\r" not in content
    parsed = list(csv.reader(io.StringIO(content)))
    assert [list(CREDENTIAL_REPORT_COLUMNS), [row[c] for c in CREDENTIAL_REPORT_COLUMNS]] == parsed
