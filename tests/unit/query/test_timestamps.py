"""Timestamps in Query API answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from services.api.query.encode import format_timestamp


def test_whole_seconds_have_no_fraction() -> None:
    """An instant without sub-seconds is written without a fraction, in UTC with `Z`."""
    assert "2026-03-01T12:00:00Z" == format_timestamp(datetime(2026, 3, 1, 12, tzinfo=UTC))


def test_fractions_are_milliseconds_in_utc() -> None:
    """Sub-seconds are cut to milliseconds; another offset is converted to UTC."""
    moment = datetime(2026, 3, 1, 13, 0, 0, 123_999, tzinfo=timezone(timedelta(hours=1)))

    assert "2026-03-01T12:00:00.123Z" == format_timestamp(moment)


def test_a_naive_instant_is_read_as_utc() -> None:
    """A datetime without a zone is taken to be UTC (as the read models store them)."""
    assert "2026-03-01T12:00:00.000Z" == format_timestamp(datetime(2026, 3, 1, 12, 0, 0, 5))


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.just(UTC)))
def test_the_text_parses_back_to_the_millisecond(moment: datetime) -> None:
    """Whatever the instant, the text is ISO 8601 botocore reads back to the millisecond."""
    text = format_timestamp(moment)

    expected = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert expected == datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert text.endswith("Z")
    assert len(text) in (20, 24)
