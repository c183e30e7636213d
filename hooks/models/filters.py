"""Payload filters: which events a webhook wants, decided on the event's body where the fan-out runs.

A filter is a JSON object of `path -> condition`; an event passes when every condition holds (AND). The drains
evaluate it inside Redis (hooks/store/includes/filter.lua); `matches` here is the reference with the same
semantics (tests/integration/hooks/store/test_filter_lua.py checks that both agree on random payloads).

Path: dot-separated keys into the full body a receiver gets (`{"id", "type", "timestamp", "stack", "branch",
"data"}`, hooks/models/event.py), e.g. `data.entry.locale`; the full body even for a `concise` webhook. A segment
of decimal digits (`0`, `12`, no leading zero) also indexes a list, from 0: `data.tags.0`; on an object it is a
key like any other. A path through a value that is not an object or list (or past the end of a list) leads
nowhere: the value is missing. Keys that contain a dot cannot be addressed.

Condition: a plain value (string, number, boolean or null) means equals; or an object of operators, all of which
must hold: `$eq`, `$ne`, `$in` (a list), `$nin` (a list), `$exists` (true or false), `$prefix` (a string),
`$gt`, `$gte`, `$lt`, `$lte` (a number).
- Equality is between JSON scalars of the same kind: `1` equals `1.0`, but not `"1"` nor `true`; an object or a
  list at the path equals no value (filter on a path inside it instead). Numbers compare as 64-bit floats.
- `$ne` and `$nin` hold when the value is missing (as in MongoDB); `$eq`, `$in`, `$prefix` and the comparisons
  do not.
- `$exists: true` holds when the path leads to a value, null included.
- `$prefix` holds for a string starting with the given string; never for other kinds.
- `$gt`, `$gte`, `$lt`, `$lte` compare numbers only: a string, boolean or null never matches.
Bounds: at most 20 conditions, a path of at most 10 segments and 256 characters, `$in`/`$nin` of at most 100
values, at most 4 KiB as compact JSON. An empty filter (`{}`) or none (`null`) passes every event.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from hooks.errors import ValidationError

MAX_CONDITIONS = 20
MAX_PATH_SEGMENTS = 10
MAX_PATH_CHARS = 256
MAX_LIST_VALUES = 100
MAX_FILTER_BYTES = 4096
CONDITION_SEPARATOR = "\x1f"
OPERATORS = ("$eq", "$ne", "$in", "$nin", "$exists", "$prefix", "$gt", "$gte", "$lt", "$lte")
_INDEX_RE = re.compile(r"^(0|[1-9][0-9]{0,8})$")
_MISSING = object()

Filter = dict[str, Any]


def check_filter(value: Any, field: str = "filter") -> Filter | None:
    """`value` as a filter in its normal form (every condition an operator object), None for no filter (null or
    `{}`); raises ValidationError naming the field and the path."""
    if isinstance(value, str):  # the CLI and the dashboard's form give JSON text
        value = _parse(value, field)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValidationError(f"{field}: expected an object of path -> condition, got {type(value).__name__}.")
    if len(value) > MAX_CONDITIONS:
        raise ValidationError(f"{field}: at most {MAX_CONDITIONS} conditions, got {len(value)}.")
    out = {_check_path(path, field): _check_condition(cond, f"{field}: {path}") for path, cond in value.items()}
    size = len(compact(out).encode())
    if size > MAX_FILTER_BYTES:
        raise ValidationError(f"{field}: at most {MAX_FILTER_BYTES} bytes as JSON, got {size}.")
    return out or None


def compact(flt: Filter) -> str:
    """A filter as compact JSON."""
    return json.dumps(flt, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def stored_conditions(flt: Filter) -> str:
    """A filter as the fan-out reads it (hooks/registry/index.py keeps it in the route, includes/filter.lua reads
    it): each condition the compact JSON of `{path: {op: arg}}`, joined by the byte 0x1F (escaped inside JSON, so
    never in one). Webhooks share conditions more than whole filters: the fan-out evaluates each once per event."""
    return CONDITION_SEPARATOR.join(compact({path: ops}) for path, ops in flt.items())


def matches(flt: Filter | None, body: Any) -> bool:
    """Whether an event's parsed body passes `flt` (already checked by `check_filter`); None passes everything."""
    if not flt:
        return True
    return all(_holds(ops, _lookup(body, path)) for path, ops in flt.items())


def _parse(text: str, field: str) -> Any:
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ValidationError(f"{field}: not valid JSON (expected an object such as "
                              '{"data.entry.locale": "en-us"}).') from None  # fmt: skip


def _check_path(path: Any, field: str) -> str:
    if not isinstance(path, str) or not path:
        raise ValidationError(f"{field}: a path must be a non-empty string of dot-separated keys.")
    if len(path) > MAX_PATH_CHARS:
        raise ValidationError(f"{field}: the path {path[:40]!r}... is over {MAX_PATH_CHARS} characters.")
    segments = path.split(".")
    if len(segments) > MAX_PATH_SEGMENTS:
        raise ValidationError(f"{field}: {path}: at most {MAX_PATH_SEGMENTS} keys deep.")
    if "" in segments:
        raise ValidationError(f"{field}: {path}: empty key (two dots in a row, or a dot at an end).")
    return path


def _check_condition(cond: Any, field: str) -> dict[str, Any]:
    if not isinstance(cond, dict):
        return {"$eq": _check_scalar(cond, field, "a plain value")}
    if not cond:
        raise ValidationError(f"{field}: needs at least one operator ({', '.join(OPERATORS)}).")
    return {op: _check_operand(op, arg, field) for op, arg in cond.items()}


def _check_operand(op: Any, arg: Any, field: str) -> Any:
    if op in ("$eq", "$ne"):
        return _check_scalar(arg, field, op)
    if op in ("$in", "$nin"):
        if not isinstance(arg, list):
            raise ValidationError(f"{field}: {op} needs a list of values.")
        if len(arg) > MAX_LIST_VALUES:
            raise ValidationError(f"{field}: {op} takes at most {MAX_LIST_VALUES} values, got {len(arg)}.")
        return [_check_scalar(v, field, op) for v in arg]
    if op == "$exists":
        if not isinstance(arg, bool):
            raise ValidationError(f"{field}: $exists needs true or false.")
        return arg
    if op == "$prefix":
        if not isinstance(arg, str):
            raise ValidationError(f"{field}: $prefix needs a string.")
        return arg
    if op in ("$gt", "$gte", "$lt", "$lte"):
        if not _is_number(arg) or not math.isfinite(_as_float(arg)):
            raise ValidationError(f"{field}: {op} needs a number.")
        return arg
    raise ValidationError(f"{field}: unknown operator {str(op)[:40]!r} (one of {', '.join(OPERATORS)}).")


def _check_scalar(value: Any, field: str, what: str) -> Any:
    if value is None or isinstance(value, (str, bool)):
        return value
    if _is_number(value) and math.isfinite(_as_float(value)):
        return value
    raise ValidationError(f"{field}: {what} must be a string, number, boolean or null (objects and lists are "
                          "not compared: filter on a path inside them).")  # fmt: skip


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _lookup(body: Any, path: str) -> Any:
    """The value at `path` in `body`, or _MISSING."""
    value = body
    for seg in path.split("."):
        if isinstance(value, dict):
            value = value.get(seg, _MISSING)
        elif isinstance(value, list) and _INDEX_RE.match(seg) and int(seg) < len(value):
            value = value[int(seg)]
        else:
            return _MISSING
        if value is _MISSING:
            return value
    return value


def _holds(ops: dict[str, Any], value: Any) -> bool:
    return all(_HOLDS[op](arg, value) for op, arg in ops.items())


def _kind(value: Any) -> str:
    """A JSON value's kind for equality: numbers of every Python type are one kind, booleans another."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    return "container"


def _as_float(value: Any) -> float:
    """A number as the 64-bit float the Lua side decodes it to (an int too large for one is infinite)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _equal(arg: Any, value: Any) -> bool:
    kind = _kind(value)
    if value is _MISSING or kind == "container" or kind != _kind(arg):
        return False
    return _as_float(arg) == _as_float(value) if kind == "number" else bool(arg == value)


def _compare(test: Any) -> Any:
    return lambda arg, value: _is_number(value) and test(_as_float(value), float(arg))


_HOLDS: dict[str, Any] = {
    "$eq": _equal,
    "$ne": lambda arg, value: not _equal(arg, value),
    "$in": lambda arg, value: any(_equal(a, value) for a in arg),
    "$nin": lambda arg, value: not any(_equal(a, value) for a in arg),
    "$exists": lambda arg, value: (value is not _MISSING) == arg,
    "$prefix": lambda arg, value: isinstance(value, str) and value.startswith(arg),
    "$gt": _compare(lambda v, a: v > a),
    "$gte": _compare(lambda v, a: v >= a),
    "$lt": _compare(lambda v, a: v < a),
    "$lte": _compare(lambda v, a: v <= a),
}
