"""Shared input rules and the translation of pydantic's errors into one-sentence `ValidationError`s."""

from __future__ import annotations

import re
from typing import Any

import pydantic

from hooks.errors import ValidationError

SEGMENT = r"[a-z0-9_]+"
EVENT_TYPE_RE = re.compile(rf"^{SEGMENT}(?:\.{SEGMENT})*$")
PATTERN_RE = re.compile(rf"^(?:{SEGMENT}|\*|#)(?:\.(?:{SEGMENT}|\*|#))*$")
NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
MAX_EVENT_TYPE_LEN = 255


def check_event_type(value: Any, field: str = "event_type") -> str:
    """Return `value` if it is a dotted lowercase event type; raises ValidationError naming `field`."""
    text = _string(value, field)
    if len(text) > MAX_EVENT_TYPE_LEN:
        raise ValidationError(f"{field}: at most {MAX_EVENT_TYPE_LEN} characters, got {len(text)}.")
    explain = "must be dot-separated segments of a-z, 0-9 and _ (like content_types.entries.publish)"
    return _matching(EVENT_TYPE_RE, text, f"{field}: {explain}, got {_show(text)}.")


def check_pattern(value: Any, field: str = "events") -> str:
    """Return `value` if it is an AMQP topic pattern (`*` one segment, `#` any); raises ValidationError."""
    text = _string(value, field, "a string pattern")
    explain = (
        "is not a valid pattern (dot-separated segments of a-z, 0-9 and _, or * for one segment, or # for any number)"
    )
    if len(text) > MAX_EVENT_TYPE_LEN or not PATTERN_RE.fullmatch(text):
        raise ValidationError(f"{field}: {_show(text)} {explain}.")
    return text


def check_name(value: Any, field: str) -> str:
    """Return `value` if it is a stack or branch name (letters, digits, _ . -; 1-64); raises ValidationError."""
    explain = "must be 1-64 characters among letters, digits, '_', '.' and '-', not starting with '.' or '-'"
    return _matching(NAME_RE, _string(value, field), f"{field}: {explain}, got {_show(value)}.")


def _string(value: Any, field: str, what: str = "a string") -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{field}: expected {what}, got {type(value).__name__}.")
    return value


def _matching(regex: re.Pattern[str], text: str, message: str) -> str:
    """`text` if the whole of it matches `regex`; raises ValidationError(message) otherwise."""
    if not regex.fullmatch(text):  # not match: `$` would let a trailing newline through
        raise ValidationError(message)
    return text


def from_pydantic(exc: pydantic.ValidationError, prefix: str = "") -> ValidationError:
    """One sentence naming the first bad field of a pydantic error."""
    err = exc.errors(include_url=False)[0]
    loc = ".".join(str(part) for part in err["loc"]) or "input"
    msg = str(err["msg"])
    msg = msg.removeprefix("Value error, ")
    if re.match(r"^[a-z_][a-z_.\[\]0-9]*: ", msg):  # our own validators already name the field
        return ValidationError(prefix + msg)
    return ValidationError(f"{prefix}{loc}: {msg[:1].lower()}{msg[1:].rstrip('.')}.")


def _show(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")
