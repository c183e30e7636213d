"""Identifiers that sort by time (ULID-like: 48-bit milliseconds + 80 random bits, Crockford base32)."""

from __future__ import annotations

import base64
import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET.encode())
_lock = threading.Lock()
_last = 0


def _ulid() -> str:
    # Monotonic within a process: ids made in the same millisecond still sort in the order they were made.
    global _last
    fresh = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    with _lock:
        value = fresh if fresh > _last else _last + 1
        _last = value
    # 26 base32 digits are 130 bits: shift the 128-bit value into the top of 160 bits, encode, keep 26 digits
    return base64.b32encode((value << 30).to_bytes(20, "big"))[:26].translate(_TO_CROCKFORD).decode()


def new_event_id() -> str:
    """A new event id, `evt_` + 26 characters that sort by creation time."""
    return "evt_" + _ulid()


def new_webhook_id() -> str:
    """A new webhook id, `wh_` + 26 characters that sort by creation time."""
    return "wh_" + _ulid()


def delivery_id(event_id: str, webhook_id: str) -> str:
    """The delivery id of (event, webhook): derived, so a fan-out that runs twice makes no second delivery."""
    return f"msg_{event_id.removeprefix('evt_')}_{webhook_id.removeprefix('wh_')}"


def split_delivery_id(value: str) -> tuple[str, str]:
    """The (event id, webhook id) a delivery id was derived from; raises ValueError when it is not one."""
    parts = value.split("_")
    if len(parts) != 3 or parts[0] != "msg" or not parts[1] or not parts[2]:
        raise ValueError(f"not a delivery id: {value!r}")
    return "evt_" + parts[1], "wh_" + parts[2]


def timestamp_ms(any_id: str) -> int:
    """The creation time in Unix milliseconds encoded in an event or webhook id."""
    body = any_id.split("_", 1)[1][:10]
    value = 0
    for ch in body:
        value = value * 32 + _ALPHABET.index(ch)
    return value


def id_at(unix_s: float) -> str:
    """The 10 characters that start every id made at `unix_s`: ids made before it sort below it (lex ranges)."""
    ms = max(0, int(unix_s * 1000))
    return "".join(_ALPHABET[(ms >> shift) & 31] for shift in range(45, -1, -5))
