"""When to try again: exponential backoff with jitter, and the server's `Retry-After`."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime


def compute_delay_s(
    attempt: int,
    *,
    base_s: float,
    factor: float,
    max_delay_s: float,
    jitter: float,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based): min(base x factor^(n-1), max) +/- jitter."""
    if attempt < 1:
        raise ValueError("attempt: must be 1 or more")
    exponent = min(attempt - 1, 200)  # factor**exponent stays finite
    delay = min(base_s * factor**exponent, max_delay_s)
    return max(0.0, delay * (1 + jitter * (2 * rand() - 1)))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds asked for by a `Retry-After` header (delta seconds or an HTTP date), or None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())
