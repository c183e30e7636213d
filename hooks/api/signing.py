"""The API's server secret, and the HMACs made with it: what another origin can write (a cookie tossed from a
page on another port of the same host, a query string) but cannot sign, the dashboard can tell from its own.

The secret is 32 random bytes in Redis (`{p}:api:secret`, see hooks/api/keys.py), made by the first API process
that needs one (SET NX), so every API process on the same Redis signs and verifies alike. Deleting the key
invalidates every signed value at once (login forms in flight, flash notes); sessions do not depend on it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

from hooks.api.keys import ApiKeys
from hooks.settings import Settings
from hooks.store.connection import get_redis


def server_secret(settings: Settings) -> bytes:
    """The shared secret, made now if Redis has none (read each time: the key may be deleted to invalidate)."""
    client = get_redis(settings)
    name = ApiKeys(settings).secret
    found = client.get(name)
    if found is None:
        client.set(name, secrets.token_bytes(32), nx=True)  # two processes racing: the first one's stays
        found = client.get(name)
    return found  # type: ignore[return-value]


def sign(settings: Settings, purpose: str, *parts: str) -> str:
    """The HMAC-SHA256 (hex) of `parts` for `purpose` (a value signed for one purpose never verifies for another)."""
    message = json.dumps([purpose, *parts]).encode()
    return hmac.new(server_secret(settings), message, hashlib.sha256).hexdigest()


def verify(settings: Settings, mac: str | None, purpose: str, *parts: str) -> bool:
    """Whether `mac` is `sign(settings, purpose, *parts)`, compared in constant time."""
    return bool(mac) and hmac.compare_digest(sign(settings, purpose, *parts).encode(), str(mac).encode())
