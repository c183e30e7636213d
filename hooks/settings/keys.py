"""HOOKS_ENCRYPTION_KEY read: the keys hooks/sealed.py seals and opens secrets with."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache


@lru_cache(maxsize=16)
def parse_keys(value: str | None) -> tuple[bytes, ...]:
    """The keys of HOOKS_ENCRYPTION_KEY, first (sealing) first; raises ValueError saying which one is bad."""
    keys: list[bytes] = []
    for i, text in enumerate((value or "").split(","), 1):
        if not text.strip():
            continue
        try:
            raw = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise ValueError(f"key #{i} must be base64 of 32 random bytes (openssl rand -base64 32)")
        keys.append(raw)
    return tuple(keys)
