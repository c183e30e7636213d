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


def parse_time(text: str, *, field: str = "time", now: float | None = None, unix: bool = False) -> float:
    """Unix time from ISO 8601 (UTC unless an offset is given), an age like 30m, 2h, 7d, or (with `unix`) Unix
    seconds; raises ValidationError naming the field."""
    text = text.strip()
    if unix and _NUMBER_RE.match(text):
        return float(text)
    age = AGE_RE.match(text)
    if age:
        return (time.time() if now is None else now) - float(age[1]) * UNITS[age[2]]
    try:  # Python 3.10's fromisoformat does not read a trailing Z
        dt = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
    except ValueError:
        also = ", Unix seconds" if unix else ""
        raise ValidationError(f"{field}: expected ISO 8601 like 2026-11-28T10:00:00Z{also} or an age like "
                              f"30m, 2h, 7d; got {text[:60]!r}.") from None  # fmt: skip
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()


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
