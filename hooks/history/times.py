"""Times in the history: Unix float seconds at the edges, aware UTC datetimes in the database, days in UTC."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

__all__ = ["TimeLike", "as_datetime", "day_of", "day_start", "to_seconds"]

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

TimeLike = float | int | datetime


def as_datetime(value: TimeLike) -> datetime:
    """An aware UTC datetime from Unix seconds or a datetime (a naive one is taken as UTC)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return EPOCH + timedelta(microseconds=round(value * 1_000_000))


def to_seconds(value: datetime | None) -> float | None:
    """Unix seconds of an aware datetime (None stays None)."""
    return None if value is None else (value - EPOCH) / timedelta(seconds=1)


def day_of(value: TimeLike) -> date:
    """The UTC day a time falls on."""
    return as_datetime(value).date()


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
