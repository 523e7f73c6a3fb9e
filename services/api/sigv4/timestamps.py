"""SigV4 timestamps: the ISO-8601 basic format, the `Date` fallback, the skew window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from services.api.sigv4.errors import REQUEST_HAS_EXPIRED, expired

BASIC_FORMAT = "%Y%m%dT%H%M%SZ"


def parse_basic(value: str) -> datetime | None:
    """`20260101T000000Z` as an aware UTC datetime, or None if it is not exactly that form."""
    if (len(value) != 16 or value[8] != "T" or value[15] != "Z" or not value.isascii()
            or not value[:8].isdigit() or not value[9:15].isdigit()):
        return None
    try:
        return datetime(int(value[:4]), int(value[4:6]), int(value[6:8]), int(value[9:11]),
                        int(value[11:13]), int(value[13:15]), tzinfo=UTC)
    except ValueError:
        return None


def parse_http_date(value: str) -> datetime | None:
    """An RFC 7231 `Date` header (botocore sends one instead of `X-Amz-Date` if asked to)."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def format_basic(moment: datetime) -> str:
    """An aware datetime in the ISO-8601 basic format."""
    return moment.astimezone(UTC).strftime(BASIC_FORMAT)


def check_skew(signed_at: datetime, timestamp: str, now: datetime, max_skew: timedelta) -> None:
    """Refuse a signature made more than `max_skew` before or after `now`."""
    if signed_at < now - max_skew:
        raise expired(f"Signature expired: {timestamp} is now earlier than "
                      f"{format_basic(now - max_skew)} ({format_basic(now)} - "
                      f"{_minutes(max_skew)})")
    if signed_at > now + max_skew:
        raise expired(f"Signature not yet current: {timestamp} is still later than "
                      f"{format_basic(now + max_skew)} ({format_basic(now)} + "
                      f"{_minutes(max_skew)})")


def _minutes(span: timedelta) -> str:
    return f"{span.total_seconds() / 60:g} min."


def check_presigned(signed_at: datetime, timestamp: str, expires: int, now: datetime,
                    max_skew: timedelta) -> None:
    """Refuse a presigned URL from the future (beyond the skew) or past its expiry."""
    check_future(signed_at, timestamp, now, max_skew)
    if now > signed_at + timedelta(seconds=expires):
        raise expired(REQUEST_HAS_EXPIRED)


def check_future(signed_at: datetime, timestamp: str, now: datetime,
                 max_skew: timedelta) -> None:
    """Refuse a signature dated more than `max_skew` after `now`."""
    if signed_at > now + max_skew:
        check_skew(signed_at, timestamp, now, max_skew)

