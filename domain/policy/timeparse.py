"""Instants as condition values: ISO 8601 text or epoch seconds, as epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_instant(value: str) -> float | None:
    """Epoch seconds of an ISO 8601 date/date-time (UTC if no offset) or of epoch text."""
    text = value.strip()
    if not text:
        return None
    if text.lstrip("-").replace(".", "", 1).isdigit():
        return float(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def format_instant(moment: datetime) -> str:
    """The ISO 8601 UTC text AWS uses for `aws:CurrentTime` (`2026-01-02T03:04:05Z`)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
