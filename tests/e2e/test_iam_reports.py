"""GenerateCredentialReport and GetCredentialReport through boto3: AWS's CSV, one per 4 hours."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from botocore.exceptions import ClientError

from services.projector.queries import CREDENTIAL_REPORT_COLUMNS
from tests.e2e.conftest import Account
from tests.e2e.test_iam_users_keys import error_code


def test_credential_report(iam: Any, account: Account) -> None:
    """Not present first; then a CSV with the root row and one row per user, kept 4 hours."""
    with pytest.raises(ClientError) as absent:
        iam.get_credential_report()
    assert ("ReportNotPresent", 410) == error_code(absent)
    iam.create_user(UserName="alice")
    iam.create_user(UserName="bob")
    iam.create_access_key(UserName="alice")

    assert "STARTED" == iam.generate_credential_report()["State"]
    report = iam.get_credential_report()
    assert "text/csv" == report["ReportFormat"]
    rows = list(csv.reader(io.StringIO(report["Content"].decode("utf-8"))))
    assert list(CREDENTIAL_REPORT_COLUMNS) == rows[0]
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert ["<root_account>", "alice", "bob"] == [r["user"] for r in records]
    assert f"arn:aws:iam::{account.account_id}:root" == records[0]["arn"]
    by_user = {r["user"]: r for r in records}
    assert ("true", "false") == (by_user["alice"]["access_key_1_active"],
                                 by_user["bob"]["access_key_1_active"])
    assert "N/A" == by_user["alice"]["access_key_1_last_used_date"]

    again = iam.generate_credential_report()
    assert "COMPLETE" == again["State"]
    assert report["GeneratedTime"] == iam.get_credential_report()["GeneratedTime"]
