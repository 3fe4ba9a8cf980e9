"""Datetime <-> text for the database (ISO-8601, UTC)."""

from __future__ import annotations

import datetime as dt


def to_db(value: dt.datetime) -> str:
    """Aware datetime -> UTC ISO text."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def from_db(value: str | None) -> dt.datetime | None:
    """UTC ISO text -> aware datetime (None stays None)."""
    return dt.datetime.fromisoformat(value) if value else None
