"""Portal sessions: made by a sign-in link, bound to one stack, kept in Redis, named by a token in an HttpOnly cookie.

| key                                | type | holds                                                          |
|------------------------------------|------|----------------------------------------------------------------|
| {p}:portal:session:{sha256(token)} | hash | stack, user, csrf, created_at (TTL: the link's session length) |

`current` is the pages' dependency: the request's session, or a 401 page (no link used, or it ran out).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from fastapi import Request

from hooks.settings import Settings, get_settings
from hooks.store.connection import get_redis

COOKIE = "hooks_portal"
PATH = "/portal"


@dataclass(frozen=True)
class PortalSession:
    """A signed-in portal user: the one stack they see, who the product says they are, the form token."""

    token_hash: str
    stack: str
    user: str
    csrf: str


class PortalLoginRequired(Exception):
    """No portal session: the page says to open a new link from the product."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_key(settings: Settings, token_hash: str) -> str:
    """The Redis key of a session."""
    return f"{settings.key_prefix}:portal:session:{token_hash}"


def start(settings: Settings, stack: str, user: str, ttl_s: int) -> str:
    """A new session for `stack`; returns its token (for the cookie)."""
    token = secrets.token_urlsafe(32)
    name = session_key(settings, _hash(token))
    with get_redis(settings).pipeline(transaction=True) as pipe:
        pipe.hset(name, mapping={"stack": stack, "user": user, "csrf": secrets.token_urlsafe(32),
                                 "created_at": time.time()})  # fmt: skip
        pipe.expire(name, ttl_s)
        pipe.execute()
    return token


def load(settings: Settings, token: str | None) -> PortalSession | None:
    """The session of a cookie's token, or None."""
    if not token or len(token) > 100:
        return None
    raw: dict[bytes, bytes] = get_redis(settings).hgetall(session_key(settings, _hash(token)))  # type: ignore[assignment]
    if not raw:
        return None
    text = {k.decode(): v.decode() for k, v in raw.items()}
    return PortalSession(_hash(token), text["stack"], text.get("user", ""), text["csrf"])


def current(request: Request) -> PortalSession:
    """The request's portal session (the pages' dependency); raises PortalLoginRequired."""
    found = load(get_settings(), request.cookies.get(COOKIE))
    if found is None:
        raise PortalLoginRequired()
    return found
