"""What every /v1 router shares: page sizes, times in and out, pages and deliveries as JSON."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import Any

from config import get_settings
from hooks.errors import ValidationError
from hooks.models.delivery import Delivery

_AGE_RE = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")


def limit_of(limit: int) -> int:
    """`limit` if it is a page size this API serves; raises ValidationError (bounded by HOOKS_API_MAX_PAGE_SIZE)."""
    most = get_settings().api_max_page_size
    if not 1 <= limit <= most:
        raise ValidationError(f"limit: must be an integer from 1 to {most}.")
    return limit


def when(text: str | None, field: str, *, now: float | None = None) -> float | None:
    """Unix seconds from ISO 8601 (UTC unless an offset is given), Unix seconds, or an age like 30m, 2h, 7d."""
    if text is None or text == "":
        return None
    text = text.strip()
    if _NUMBER_RE.match(text):
        return float(text)
    age = _AGE_RE.match(text)
    if age:
        return (time.time() if now is None else now) - float(age[1]) * _UNITS[age[2]]
    try:  # Python 3.10's fromisoformat does not read a trailing Z
        dt = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
    except ValueError:
        raise ValidationError(f"{field}: expected ISO 8601 like 2026-11-28T10:00:00Z, Unix seconds or an age like "
                              f"30m, 2h, 7d; got {text[:60]!r}.") from None  # fmt: skip
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()


def iso(ts: float | None) -> str | None:
    """A Unix time as UTC ISO 8601 to the millisecond; None stays None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def page_json(page: Any, item: Any) -> dict[str, Any]:
    """A listing page: `{"items": [...], "next_cursor": ...}` (null on the last page)."""
    return {"items": [item(x) for x in page], "next_cursor": page.next_cursor}


def delivery_json(d: Delivery, *, with_log: bool = False) -> dict[str, Any]:
    """A delivery as JSON, times in UTC ISO 8601; with its attempts when asked."""
    data = d.to_dict()
    for key in ("created_at", "updated_at", "next_attempt_at", "dead_lettered_at"):
        data[key] = iso(data[key])
    if with_log:
        data["attempt_log"] = [{**a, "started_at": iso(a.get("started_at"))} for a in d.attempt_log]
    else:
        del data["attempt_log"]  # a listing does not read the attempts: an empty list would mislead
    return data
