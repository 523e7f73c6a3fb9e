"""Fault injection under load: real processes, a private Kafka and Postgres."""

import pytest

pytest.register_assert_rewrite("tests.faults.checks")
