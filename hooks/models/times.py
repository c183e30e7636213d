"""Times as operators write and read them: ISO 8601 in UTC, Unix seconds, ages like 30m, 2h, 7d."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import Any

from hooks.errors import ValidationError

AGE_RE = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")
LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc).timestamp()


def parse_time(text: str, *, field: str = "time", now: float | None = None, unix: bool = False) -> float:
    """Unix time from ISO 8601 (UTC unless an offset is given), an age like 30m, 2h, 7d, or (with `unix`) Unix
    seconds; raises ValidationError naming the field."""
    text = text.strip()
    if unix and _NUMBER_RE.match(text):
        return _in_range(float(text), field, text)
    age = AGE_RE.match(text)
    if age:
        return _in_range((time.time() if now is None else now) - float(age[1]) * UNITS[age[2]], field, text)
    try:  # Python 3.10's fromisoformat does not read a trailing Z
        dt = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
    except ValueError:
        also = ", Unix seconds" if unix else ""
        raise ValidationError(f"{field}: expected ISO 8601 like 2026-11-28T10:00:00Z{also} or an age like "
                              f"30m, 2h, 7d; got {text[:60]!r}.") from None  # fmt: skip
    return _in_range((dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp(), field, text)


def _in_range(ts: float, field: str, text: str) -> float:
    """`ts` if every part of the system can hold it (a datetime from 1970 to 9999, UTC); raises ValidationError."""
    if not 0 <= ts <= LATEST:  # also NaN and the infinities (a float of hundreds of digits)
        raise ValidationError(f"{field}: {text[:40]!r} is out of range; give a time from 1970-01-01 to "
                              "9999-12-31 (UTC).")  # fmt: skip
    return ts


def iso(ts: float | None) -> str | None:
    """A Unix time as UTC ISO 8601 to the millisecond (2026-11-28T10:00:00.000Z); None stays None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def delivery_json(d: Any, *, with_log: bool = False) -> dict[str, Any]:
    """A delivery as JSON-ready data, times in UTC ISO 8601; with its attempts when asked."""
    data: dict[str, Any] = d.to_dict()
    for key in ("created_at", "updated_at", "next_attempt_at", "dead_lettered_at"):
        data[key] = iso(data[key])
    if with_log:
        data["attempt_log"] = [{**a, "started_at": iso(a.get("started_at"))} for a in d.attempt_log]
    else:
        del data["attempt_log"]  # a listing does not read the attempts: an empty list would mislead
    return data
